"""The service behind the CLI, the API and the eval harness: ingest, search, ask."""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
import threading
import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from rag.analysis.question import Question, analyze
from rag.analysis.temporal import TimeWindow, mentions_day, mentions_period, widened_window, within_archive
from rag.answer import abstention
from rag.answer.citations import CitationChecker
from rag.answer.extractive import common_nouns
from rag.answer.extractive.answerer import ExtractiveAnswerer
from rag.answer.extractive.short_answer import ShortAnswerConfig, ShortAnswerSelector, asked_labels, cased_focus
from rag.answer.llm import OpenAIAnswerer
from rag.answer.render import AnswerParts, Claim, Draft, Rendered, Renderer, abstain_text, lead_of, short_answer_of
from rag.answer.rules import RuleSet, build_rules
from rag.components import Components, build_components
from rag.errors import IndexUnavailable, InvalidRequest, LLMUnavailable
from rag.index.embed import CachedEmbedder, Embedder
from rag.index.lexical import LexicalIndex
from rag.ingest.chunker import SentenceChunker
from rag.ingest.ingester import Ingester, Parsed, Progress
from rag.models import (
    AskResponse,
    DocumentDetail,
    DocumentInfo,
    Filters,
    IngestReport,
    Passage,
    SearchResult,
    Timings,
)
from rag.nlp.asked import asked_head
from rag.nlp.records import DocAnnotation
from rag.nlp.service import AnnotationService
from rag.nlp.text import terms, words
from rag.retrieval.filtering import day_number
from rag.retrieval.hybrid import DenseRetriever, HybridRetriever, LexicalRetriever, RankingPrior
from rag.settings import Settings
from rag.store.chroma import ChromaStore, info_from_metadata

ANSWERERS = ("extractive", "openai")
_WORD = re.compile(r"(?<![\w'’])[A-Za-z][A-Za-z'’]*(?![\w'’])")  # whole words only: not "quorvex" of "quorvex0"


EMPTY_WINDOW = Filters(published_from=dt.date.max, published_to=dt.date.min)


def as_of_day(as_of: dt.date | dt.datetime | None) -> dt.date:
    """The day questions are asked on: today (UTC) unless given."""
    if as_of is None:
        return dt.datetime.now(dt.UTC).date()
    if isinstance(as_of, dt.datetime):
        return as_of.astimezone(dt.UTC).date() if as_of.tzinfo else as_of.date()
    return as_of


def _asks_a_thing(info: Question) -> bool:
    """A question that asks for one thing of an event (a number, a name, a place, a date), not
    for what someone said or what happened (see RagPipeline._retrieve_period)."""
    return info.answer_type not in ("fact", "outlets", "reason") and not info.is_speaker_question


def _within(filters: Filters | None, window: TimeWindow | None) -> Filters | None:
    """The filters narrowed to a question's time window; EMPTY_WINDOW when they do not overlap."""
    if window is None:
        return filters
    base = filters or Filters()
    start = max(d for d in (base.published_from, window.from_, dt.date.min) if d is not None)
    end = min(d for d in (base.published_to, window.to) if d is not None)
    if start > end:
        return EMPTY_WINDOW
    return base.model_copy(update={"published_from": start if start > dt.date.min else None, "published_to": end})


def _latest_day(index: LexicalIndex) -> dt.date | None:
    """The newest publication day of the archive, None when nothing is dated."""
    n = index.latest_day
    return dt.date(n // 10000, n // 100 % 100, n % 100) if n else None


def _untimed(filters: Filters | None) -> bool:
    return filters is None or not (filters.published_from or filters.published_to)


def _first_leaders(passages: list[Passage], k: int) -> list[Passage]:
    """The first `k` ranked passages with the near-duplicates grouped under them."""
    leaders = [p.chunk_id for p in passages if p.duplicate_of is None][:k]
    keep = set(leaders)
    return [p for p in passages if p.chunk_id in keep or p.duplicate_of in keep]


@dataclass
class _Answering:
    """What answering leaves for rendering the response: the draft, the sentences sent and their
    citations' numbering, warnings, and the answerer that answered (the LLM's fallback)."""

    warnings: list[str]
    draft: Draft = field(default_factory=Draft)
    sent: list[str] = field(default_factory=list)
    renderer: Renderer = field(default_factory=Renderer)
    answerer: str = ""


class RagPipeline:
    """Construction is cheap; models and the store load on first use (or `warm_up`)."""

    def __init__(
        self,
        settings: Settings,
        components: Components | None = None,
        *,
        embedder: Embedder | None = None,
        store: ChromaStore | None = None,
    ):
        """`components`: the parts, from `build_components` (by default built from `settings`);
        `embedder` / `store`: shorthand for building them around a given part (tests share one
        loaded model across stores)."""
        self.settings = settings
        parts = components or build_components(settings, embedder=embedder, store=store)
        self.embedder, self.store, self.lexical_manager = parts.embedder, parts.store, parts.lexical
        self.annotator = parts.annotator
        self._write_lock = threading.Lock()  # one writer at a time per process
        self._outlets: tuple[frozenset[str], list[str]] | None = None

    # -- parts, built once ------------------------------------------------------------------

    @cached_property
    def chunker(self) -> SentenceChunker:
        return SentenceChunker(self.embedder.count_tokens, self.settings.chunk_size, self.settings.chunk_overlap)

    @cached_property
    def ingester(self) -> Ingester:
        annotator = self.annotator if self.settings.nlp_annotate else None
        return Ingester(self.settings, self.store, self.embedder, self.chunker, annotator)

    @cached_property
    def annotations(self) -> AnnotationService:
        return AnnotationService(
            self.store, self.annotator, self.settings.nlp_cache_docs, self.settings.nlp_cache_hot_docs
        )

    @cached_property
    def checker(self) -> CitationChecker:
        return CitationChecker(self.embedder, self.settings.support_threshold)

    @cached_property
    def rules(self) -> RuleSet:
        """The answer rules that run (rag/answer/rules/RULES less RAG_RULES_OFF)."""
        return build_rules(self.settings)

    @cached_property
    def extractive(self) -> ExtractiveAnswerer:
        s = self.settings
        return ExtractiveAnswerer(self.embedder, self.rules, s.scoring, s.selection, s.max_answer_sentences)

    @cached_property
    def short_answers(self) -> ShortAnswerSelector:
        s = self.settings
        return ShortAnswerSelector(
            ShortAnswerConfig(
                vote_weight=s.short_answer_vote_weight,
                label_step=s.short_answer_label_step,
                context_weight=s.short_answer_context_weight,
                asking_weight=s.short_answer_asking_weight,
                order_weight=s.short_answer_order_weight,
                chunk_penalty=s.short_answer_chunk_penalty if s.short_answer_chunk_penalty >= 0 else None,
                word_budget=s.answer_word_budget,
                max_claims=s.short_answer_max_claims,
                unlisted_place_penalty=s.short_answer_unlisted_place_penalty,
                common_nouns=s.short_answer_common_nouns,
                unit_weight=s.short_answer_unit_weight,
                bare_numbers=s.short_answer_bare_numbers,
                skip_datelines=s.short_answer_skip_datelines,
            )
        )

    @cached_property
    def llm(self) -> OpenAIAnswerer:
        return OpenAIAnswerer(self.settings, self.checker)

    def store_problem(self) -> str | None:
        """Why the last store call failed, if it did; never touches the store (or loads models)."""
        return self.store.problem

    def index_problem(self) -> str | None:
        """Why this node could not bring its own index up to date, if it could not (its disk)."""
        return self.lexical_manager.problem

    def warm_up(self) -> None:
        """Load the embedder, the NLP pipeline and the short answer's noun table, connect the
        store, load or build the BM25 index."""
        if isinstance(self.embedder, CachedEmbedder):
            self.embedder.load()
        if self.settings.nlp_annotate or self.settings.short_answer:
            self.annotator.load()
        if self.settings.short_answer and self.settings.short_answer_common_nouns:
            common_nouns.load()
        self.store.ping()
        self.lexical_index()

    # -- documents --------------------------------------------------------------------------
    def ingest_paths(
        self, paths: Sequence[Path], progress: Progress | None = None, root: Path | None = None
    ) -> IngestReport:
        """`root`: the folder the paths were found in (a watched one): ids and links are judged by it."""
        self.check_writable()
        with self._write_lock:
            report = self.ingester.ingest_paths(paths, progress, root)
        self._index_committed()
        return report

    def ingest_parsed(self, parsed: list[Parsed], progress: Progress | None = None) -> IngestReport:
        self.check_writable()  # before any embedding work
        with self._write_lock:
            report = self.ingester.ingest(parsed, progress)
        self._index_committed()
        return report

    def check_writable(self) -> None:
        """503 before a write reaches the store when the store's disk (embedded) or this node's
        own disk is too full: a write this node could not index is better not committed."""
        self.store.check_disk()
        self.lexical_manager.check_writable()

    def _index_committed(self) -> None:
        """Brings this node's index up to date after a committed write. Should its disk fill up in
        between, the write still stands (it is committed, and other nodes index it); this node
        answers 503 until it has caught up."""
        with contextlib.suppress(IndexUnavailable):
            self.lexical_index()

    def repair(self) -> int:
        """Remove chunks of writes that crashed before committing (older than the grace period)."""
        with self._write_lock:
            return self.store.repair()

    def prune_changes(self, keep_days: float) -> int:
        """Remove change-log entries older than `keep_days`. A node whose index applied less than
        that rebuilds on its next request (a node that was down for longer than `keep_days`)."""
        if keep_days < 1:
            raise InvalidRequest("keep_days must be at least 1: younger entries are what running nodes catch up from")
        return self.store.prune_changes(self.store.next_seq() - int(keep_days * 86_400 * 1e9))

    def list_documents(self, limit: int | None = None, offset: int = 0) -> list[DocumentInfo]:
        """A page of the documents in id order: the ids come from the lexical snapshot of the
        current generation, the records from one registry read of that page."""
        return self.document_page(limit, offset)[0]

    def document_page(self, limit: int | None = None, offset: int = 0) -> tuple[list[DocumentInfo], int]:
        """(the page, the total number of documents)."""
        ids = self.lexical_index().sorted_doc_ids
        page = ids[offset : None if limit is None else offset + limit]
        records = self.store.doc_records(page)
        return [info_from_metadata(i, records[i]) for i in page if i in records], len(ids)

    def outlets(self) -> list[str]:
        """Outlet names for filters. The registry is read again only when the index's set of
        outlet keys changed (an outlet's first or last document), not on every write: a read is
        a scan of the whole registry."""
        keys = frozenset(self.lexical_index().outlet_terms)
        cached = self._outlets
        if cached is None or cached[0] != keys:
            cached = (keys, self.store.outlets())
            self._outlets = cached
        return cached[1]

    def count_documents(self) -> int:
        return self.store.count_docs()

    def get_document(self, doc_id: str) -> DocumentDetail:
        return self.store.get_doc(doc_id)

    def delete_document(self, doc_id: str) -> int:
        self.lexical_manager.check_writable()
        with self._write_lock:
            n = self.store.delete_document(doc_id)
        self._index_committed()
        return n

    # -- retrieval --------------------------------------------------------------------------
    def lexical_index(self) -> LexicalIndex:
        return self.lexical_manager.current()

    def corrected(self, question: str, index: LexicalIndex) -> str:
        """Fix words the archive has never seen when one edit away from a word it has."""

        def sub(m: re.Match[str]) -> str:
            w = m.group(0)
            if "'" in w or "’" in w:
                return w
            fixed = index.correct(w)  # word by word: the two tokenisations never get misaligned
            if len(fixed) != 1 or fixed == words(w):  # as the analyser reads it ("US": "america")
                return w
            return fixed[0].capitalize() if w[0].isupper() else fixed[0]

        return _WORD.sub(sub, question)

    def retrieve(
        self,
        query: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        mode: str | None = None,
        index: LexicalIndex | None = None,
        as_of: dt.date | None = None,
        recency: bool = True,
    ) -> list[Passage]:
        """`index`: the snapshot the caller already holds, so one ask reads the generation once.
        `as_of`: nothing published after it; `recency`: fuse the recency prior (off when the
        question or the filters name a time)."""
        s = self.settings
        k = top_k or s.top_k
        mode = mode or s.retrieval
        depth = max(s.candidate_depth, 4 * k)
        index = self.lexical_index() if index is None else index
        # Bound retrieval by as_of only when it excludes something: an unneeded filter costs time.
        bound = as_of if as_of is not None and day_number(as_of) < index.latest_day else None
        # The lexical index knows which committed chunks a filter keeps; when they are few they are
        # scored by their memory-mapped embeddings (a filtered Chroma search costs several unfiltered).
        selection = index.select(filters, bound, s.filter_direct_max)
        among = (index, selection) if selection is not None and selection.rows is not None else None
        exact = index if len(index.vectors) <= s.exact_dense_max_rows else None
        overfetch = None
        if exact is None and selection is not None and selection.rows is None and s.filter_overfetch > 1:
            # Chroma's search, a broad filter: the nearest chunks, unfiltered, hold the filtered
            # top `depth` when taken in inverse proportion to the share of the archive it keeps.
            share = selection.count / max(1, len(index))
            overfetch = min(s.filter_overfetch_max, max(2, math.ceil(2 / max(share, 1e-9))))
        dense = (
            DenseRetriever(
                self.store, self.embedder, depth, filters, bound, among, overfetch, len(index) or None, exact
            )
            if mode != "lexical"
            else None
        )
        lexical = LexicalRetriever(index, self.store.chunk_rows, depth, filters, bound) if mode != "dense" else None
        prior = RankingPrior(
            as_of=as_of,
            recency_weight=s.recency_weight if recency else 0.0,
            recency_half_life_days=s.recency_half_life_days,
        )
        hybrid = HybridRetriever(
            dense,
            lexical,
            index.embeddings,  # near-duplicate grouping reads the memory-mapped embeddings
            self.store.committed_versions,
            top_k=k,
            rrf_k=s.rrf_k,
            dedup_threshold=s.dedup_threshold,
            prior=prior,
        )
        return hybrid.retrieve(query)

    def search(
        self,
        query: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        as_of: dt.date | dt.datetime | None = None,
    ) -> SearchResult:
        """Retrieval only, with the same spelling repair, time reading and prior as `ask`."""
        index = self.lexical_index()
        fixed = self.corrected(query, index)
        day = as_of_day(as_of)
        info = analyze(fixed, day, self.settings.day_lag_days)
        info.time_window = within_archive(info.time_window, _latest_day(index))
        passages = self._retrieve_in_time(info, top_k or self.settings.top_k, filters, index, day)
        return SearchResult(passages=passages, as_of=day, time_window=info.time_window)

    def _retrieve_in_time(
        self, info: Question, k: int, filters: Filters | None, index: LexicalIndex, as_of: dt.date
    ) -> list[Passage]:
        """Passages published in the question's time window. A day ("on October 27") is also
        answered by later articles that name it: those are retrieved from the day to as_of and
        kept only when the passage mentions the day. A thing of a month or year asked for (a
        figure, a name, a place): see `_retrieve_period`."""
        window = info.time_window
        if window is not None and window.period is not None and _asks_a_thing(info) and window.to < as_of:
            return self._retrieve_period(info, window, k, filters, index, as_of)
        scoped = _within(filters, window)
        found = []
        if scoped is not EMPTY_WINDOW:
            found = self.retrieve(info.text, k, scoped, index=index, as_of=as_of, recency=_untimed(scoped))
        if window is not None and window.day is not None:
            later = _within(filters, window.model_copy(update={"to": as_of}))
            if later is not EMPTY_WINDOW:
                seen = {p.chunk_id for p in found}
                found += [
                    p
                    for p in self.retrieve(info.text, k, later, index=index, as_of=as_of, recency=False)
                    if p.chunk_id not in seen and p.duplicate_of is None and mentions_day(p.text, window.day)
                ]
        return found

    def _retrieve_period(
        self, info: Question, window: TimeWindow, k: int, filters: Filters | None, index: LexicalIndex, as_of: dt.date
    ) -> list[Passage]:
        """A figure for a past month or year ("the median home price in June", "acres burned last
        year") is published after the period ends, and a detail of its events is retold later with
        its month ("stopped at a Moscow airport in February", in a July timeline of the case), as
        a day is. What someone said in a month ("What did China say in October 2023?"), what
        happened in it, and a search keep the strict window. Passages from the window's start to
        as_of, ranked together, that were published in the window or name it."""
        extended = _within(filters, window.model_copy(update={"to": as_of}))
        if extended is EMPTY_WINDOW:
            return []
        ranked = self.retrieve(info.text, 3 * k, extended, index=index, as_of=as_of, recency=False)
        kept = [
            p
            for p in ranked
            if (p.published is not None and p.published <= window.to) or mentions_period(p.text, window, p.published)
        ]
        return _first_leaders(kept, k)

    # -- answering --------------------------------------------------------------------------
    def ask(
        self,
        question: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        answerer: str | None = None,
        exclude: set[str] | None = None,
        as_of: dt.date | dt.datetime | None = None,
    ) -> AskResponse:
        """The whole answer at once: `ask_stream` run to its end."""
        parts = AnswerParts(self.ask_stream(question, top_k, filters, answerer, exclude, as_of))
        for _ in parts:
            pass
        return parts.response

    def ask_stream(
        self,
        question: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        answerer: str | None = None,
        exclude: set[str] | None = None,
        as_of: dt.date | dt.datetime | None = None,
    ) -> Generator[Rendered, None, AskResponse]:
        """Each answer sentence as soon as it is final, with the citations it numbers first (so a
        client can show sources before the text that cites them); returns the whole response.
        The OpenAI-compatible answerer's sentences come as the model writes them, each checked
        against its passages before it is sent; the extractive answerer's once it has chosen them.

        analyse -> scope -> retrieve -> answer -> render, one method each."""
        question = " ".join(question.split())
        if not question:
            raise InvalidRequest("question must not be empty", loc=["body", "question"])
        name = answerer or self.settings.answerer
        if name not in ANSWERERS:
            raise InvalidRequest(
                f"unknown answerer {name!r}; choose one of {', '.join(ANSWERERS)}", loc=["body", "answerer"]
            )
        day = as_of_day(as_of)
        t0 = time.perf_counter()
        index = self.lexical_index()
        info, warnings = self._analyse(question, day, index)
        asked_filters = filters
        filters, scoped = self._scope(info, filters)
        missing, passages, used = self._retrieve(info, top_k, filters, index, day)
        t1 = time.perf_counter()
        answering = _Answering(warnings=list(warnings))
        yield from self._answer(info, name, missing, used, scoped, exclude, answering)
        window, retried = info.time_window, 0.0
        if answering.draft.abstained and not answering.sent and self._widens(window):
            # Nothing in a window of news framing ("this week") answers: every article up to
            # as_of may (an earlier report of the same story), and the window's note says so. A
            # refusal sends nothing, so the retry's sentences are the first a client sees.
            wider = replace(info, time_window=None)
            filters, scoped = self._scope(wider, asked_filters)
            t_retry = time.perf_counter()
            missing, widened, used = self._retrieve(wider, top_k, filters, index, day)
            retried = time.perf_counter() - t_retry
            retry = _Answering(warnings=list(warnings))
            yield from self._answer(wider, name, missing, used, scoped, exclude, retry)
            if not retry.draft.abstained and window is not None:
                answering, passages = retry, widened
                info.time_window = widened_window(window)
        draft, sent, renderer = answering.draft, answering.sent, answering.renderer
        if draft.abstained or not sent:
            sent = [abstain_text(draft.abstain_reason)]
            renderer = Renderer()
            yield Rendered(sent[0], [])
        text, citations = " ".join(sent), renderer.citations
        t2 = time.perf_counter()
        return AskResponse(
            answer=text,
            short_answer=short_answer_of(draft, citations),
            citations=citations,
            abstained=draft.abstained or not citations,
            refused_by=(draft.abstain_rule or None) if draft.abstained or not citations else None,
            answerer=answering.answerer or name,
            as_of=day,
            time_window=info.time_window,
            timings=Timings(
                retrieve_ms=round((t1 - t0 + retried) * 1000, 2), answer_ms=round((t2 - t1 - retried) * 1000, 2)
            ),
            warnings=answering.warnings + draft.warnings,
            passages=passages,
        )

    def _widens(self, window: TimeWindow | None) -> bool:
        """Whether a refusal in `window` is tried again over every article up to as_of."""
        return self.settings.relative_window_fallback and window is not None and window.relative

    def _analyse(self, question: str, day: dt.date, index: LexicalIndex) -> tuple[Question, list[str]]:
        """The question, its spelling repaired against the archive's vocabulary, as one typed
        `Question` (rag/analysis/question.py); its time window kept within what the archive covers,
        the outlets it names read from the index."""
        warnings: list[str] = []
        fixed = self.corrected(question, index)
        if fixed != question:
            warnings.append(f"searched for: {fixed}")
        info = analyze(fixed, day, self.settings.day_lag_days)
        info.time_window = within_archive(info.time_window, _latest_day(index))
        outlets = self._mentioned_outlets(info.text, index)
        if outlets:
            info.outlets = outlets
            outlet_words = {w for o in outlets for w in terms(o)}
            info.entities = [e for e in info.entities if not set(terms(e)) <= outlet_words]
            info.content_terms = [t for t in info.content_terms if t not in outlet_words]
        info.name_shares = {t: index.share(t) for e in info.entities for t in terms(e)}
        if self.settings.short_answer and self.settings.short_answer_parsed_head:
            info.asked_head = asked_head(cased_focus(info.text))
        return info, warnings

    @staticmethod
    def _scope(info: Question, filters: Filters | None) -> tuple[Filters | None, Filters | None]:
        """The filters the search runs under: the caller's, plus the outlets the question names;
        and those with the question's time window, which abstention names when nothing is in it."""
        if info.outlets and (filters is None or not filters.sources):
            filters = (filters or Filters()).model_copy(update={"sources": info.outlets})
        return filters, _within(filters, info.time_window)

    def _retrieve(
        self, info: Question, top_k: int | None, filters: Filters | None, index: LexicalIndex, day: dt.date
    ) -> tuple[dict[str, list[str]], list[Passage], list[Passage]]:
        """The names no article has, by the rule that found them (then nothing is searched), the
        ranking, and the passages the answer is made from."""
        missing = {rule.name: rule.missing(info, index) for rule in self.rules.before_retrieval}
        passages: list[Passage] = []
        if not any(missing.values()) and len(index):
            depth = max(top_k or self.settings.top_k, self.settings.ranking_depth)
            passages = self._retrieve_in_time(info, depth, filters, index, day)
        # "Which outlets reported X?" lists every article that reports it: the whole ranking, and
        # the best passages of each outlet the ranking did not reach.
        used = passages if info.wants_outlets else _first_leaders(passages, top_k or self.settings.top_k)
        if info.wants_outlets and passages:
            used = passages + self._unranked_outlets(info, passages, filters, index, day)
        return missing, passages, used

    def _answer(
        self,
        info: Question,
        name: str,
        missing: dict[str, list[str]],
        used: list[Passage],
        scoped: Filters | None,
        exclude: set[str] | None,
        out: _Answering,
    ) -> Generator[Rendered, None, None]:
        """Answers from the passages and renders each sentence as it is final, into `out`: the
        abstention rules first (both answerers), then the LLM's sentences as they come, or the
        extractive draft with its short answer first."""
        draft = abstention.before_answering(info, missing, used, scoped)
        # The articles' texts, read once: the answerer's sentences and the short answer's spans.
        texts = self.store.doc_texts([p.doc_id for p in used]) if draft is None else {}
        if draft is None and name == "openai":
            # The LLM answers only what the extractive answerer's abstention rules let through.
            draft = self.extractive.judge(info, used, texts, exclude, self._speaker_annotations(used, texts))
        if draft is None and name == "openai":
            claims = self.llm.answer_stream(
                info.text,
                [p for p in used if p.duplicate_of is None] + [p for p in used if p.duplicate_of is not None],
            )
            try:
                while True:
                    part = out.renderer.claim(next(claims))
                    out.sent.append(part.text)
                    yield part
            except StopIteration as done:
                draft = done.value
            except LLMUnavailable as e:
                if out.sent:  # what was sent stands (each sentence was checked); the rest is lost
                    out.warnings.append(f"openai answerer failed mid-answer ({e}); the answer may be incomplete")
                    draft = Draft(claims=[Claim(t) for t in out.sent])
                else:
                    out.warnings.append(f"openai answerer unavailable ({e}); answered extractively instead")
                    out.answerer = "extractive"
        if draft is None:
            draft = self._answer_first(info, self._extract(info, used, texts, exclude), texts)
            if not draft.abstained:
                lead = lead_of(draft)
                for i, claim in enumerate(draft.claims):
                    part = out.renderer.claim(claim, lead if i == 0 else None)
                    out.sent.append(part.text)
                    yield part
        else:  # the openai answer was sent as it came: its short answer is the field alone
            draft = replace(self._answer_first(info, draft, texts), leads_with_short_answer=False)
        out.draft = draft

    def _unranked_outlets(
        self, info: Question, ranked: list[Passage], filters: Filters | None, index: LexicalIndex, as_of: dt.date
    ) -> list[Passage]:
        """An outlet whose report ranks below the first `ranking_depth` articles is still one that
        reported it: each outlet the ranking did not reach (at most `outlet_search_max`) is
        searched on its own, and its best passages join the evidence; the answerer lists it only
        if they are as relevant as the others (its outlet floor)."""
        seen = {(p.source or "").lower() for p in ranked}
        wanted = {s.lower() for s in filters.sources} if filters and filters.sources else None
        others = [k for k in index.outlet_terms if k not in seen and (wanted is None or k in wanted)]
        found: list[Passage] = []
        for key in others[: self.settings.outlet_search_max]:
            scoped = (filters or Filters()).model_copy(update={"sources": [key]})
            found += [p for p in self._retrieve_in_time(info, 2, scoped, index, as_of) if p.duplicate_of is None]
        return found

    @staticmethod
    def _mentioned_outlets(question: str, index: LexicalIndex) -> list[str]:
        """Outlets named in the question ("How did Xinhua report ...") become a source filter."""
        q = " " + " ".join(terms(question, keep_stopwords=True)) + " "
        return [key for key, kt in index.outlet_terms.items() if kt and f" {kt} " in q]

    def _answer_first(self, info: Question, draft: Draft, texts: dict[str, str]) -> Draft:
        """A factoid answer opens with its short answer, read from the stored annotations of the
        cited articles (rag/answer/extractive/short_answer.py); any other draft is returned as it is.
        `texts`: the articles' texts already read (any cited article missing from it is read)."""
        if not self.settings.short_answer or draft.abstained or not draft.claims or asked_labels(info) is None:
            return draft
        supports = [s for c in draft.claims for s in c.supports]
        passages = [s.passage for s in supports]
        unread = [d for d in dict.fromkeys(p.doc_id for p in passages) if d not in texts]
        if unread:
            texts = {**texts, **self.store.doc_texts(unread)}
        pick = self.short_answers.select(info, draft, self._annotations(passages, texts), texts)
        if pick is None:
            return draft
        if not self.settings.short_answer_first:
            return replace(draft, short_answer=pick)  # the field only; the answer text as it was
        return self.short_answers.answer_first(draft, pick)

    def _annotations(self, passages: list[Passage], texts: dict[str, str]) -> dict[str, DocAnnotation]:
        """The stored NLP records of the passages' articles, for their committed versions."""
        versions = {p.doc_id: p.version for p in passages if p.version}
        unknown = list(dict.fromkeys(p.doc_id for p in passages if p.doc_id not in versions))
        if unknown:
            versions.update(self.store.committed_versions(unknown))
        return dict(self.annotations.get(versions, texts))

    def _speaker_annotations(self, passages: list[Passage], texts: dict[str, str]) -> dict[str, DocAnnotation] | None:
        """The records whose speech attributions join the answerer's speakers (`nlp_speakers`)."""
        return self._annotations(passages, texts) if self.settings.nlp_speakers and passages else None

    def _extract(
        self, info: Question, passages: list[Passage], texts: dict[str, str], exclude: set[str] | None
    ) -> Draft:
        return self.extractive.answer(info, passages, texts, exclude, self._speaker_annotations(passages, texts))
