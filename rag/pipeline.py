"""The service behind the CLI, the API and the eval harness: ingest, search, ask."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

from rag.answer.analysis import QuestionInfo, analyze
from rag.answer.citations import CitationChecker
from rag.answer.extractive import ExtractiveAnswerer, ExtractiveConfig
from rag.answer.llm import OpenAIAnswerer
from rag.answer.render import Draft, render
from rag.embed import CachedEmbedder, build_embedder, force_offline
from rag.errors import InvalidRequest, LLMUnavailable
from rag.ingest.chunker import SentenceChunker
from rag.ingest.ingester import Ingester, Parsed, Progress
from rag.lexical import LexicalIndex, LexicalIndexManager
from rag.models import (
    AskResponse,
    DocumentDetail,
    DocumentInfo,
    Filters,
    IngestReport,
    Passage,
    Timings,
)
from rag.retrieve import DenseRetriever, HybridRetriever, LexicalRetriever, to_passage
from rag.settings import Settings
from rag.store import ChromaStore
from rag.text import STOPWORDS, terms

ANSWERERS = ("extractive", "openai")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")


class RagPipeline:
    """Construction is cheap; models and the store load on first use (or `warm_up`)."""

    def __init__(self, settings: Settings, *, embedder: CachedEmbedder | None = None, store: ChromaStore | None = None):
        """`embedder` / `store`: parts built elsewhere (tests share one loaded model across stores)."""
        force_offline()
        self.settings = settings
        self._write_lock = threading.Lock()  # one writer at a time per process
        if embedder is not None:
            self.__dict__["embedder"] = embedder
        if store is not None:
            self.__dict__["store"] = store

    # -- parts, built once ------------------------------------------------------------------
    @cached_property
    def embedder(self) -> CachedEmbedder:
        return build_embedder(self.settings)

    @cached_property
    def store(self) -> ChromaStore:
        return ChromaStore(self.settings, self.embedder.name, self.embedder.dim)

    @cached_property
    def chunker(self) -> SentenceChunker:
        return SentenceChunker(self.embedder.count_tokens, self.settings.chunk_size, self.settings.chunk_overlap)

    @cached_property
    def ingester(self) -> Ingester:
        return Ingester(self.settings, self.store, self.embedder, self.chunker)

    @cached_property
    def lexical_manager(self) -> LexicalIndexManager:
        return LexicalIndexManager(self.settings.data_dir / "bm25" / self.settings.collection)

    @cached_property
    def checker(self) -> CitationChecker:
        return CitationChecker(self.embedder, self.settings.support_threshold)

    @cached_property
    def extractive(self) -> ExtractiveAnswerer:
        cfg = ExtractiveConfig(self.settings.max_answer_sentences, self.settings.abstain_threshold)
        return ExtractiveAnswerer(self.embedder, cfg)

    @cached_property
    def llm(self) -> OpenAIAnswerer:
        return OpenAIAnswerer(self.settings, self.checker)

    def store_problem(self) -> str | None:
        """Why the last store call failed, if it did; never touches the store (or loads models)."""
        store = self.__dict__.get("store")
        return store.problem if isinstance(store, ChromaStore) else None

    def warm_up(self) -> None:
        """Load the embedder, connect the store, load or build the BM25 index."""
        self.embedder.load()
        self.store.ping()
        self.lexical_index()

    # -- documents --------------------------------------------------------------------------
    def ingest_paths(self, paths: Sequence[Path], progress: Progress | None = None) -> IngestReport:
        self.store.check_disk()
        with self._write_lock:
            report = self.ingester.ingest_paths(paths, progress)
        self.lexical_index()
        return report

    def ingest_parsed(self, parsed: list[Parsed], progress: Progress | None = None) -> IngestReport:
        self.store.check_disk()  # before any embedding work
        with self._write_lock:
            report = self.ingester.ingest(parsed, progress)
        self.lexical_index()
        return report

    def repair(self) -> int:
        """Remove chunks of writes that crashed before committing (older than the grace period)."""
        with self._write_lock:
            return self.store.repair()

    def list_documents(self, limit: int | None = None, offset: int = 0) -> list[DocumentInfo]:
        return self.store.list_docs(limit, offset)

    def count_documents(self) -> int:
        return self.store.count_docs()

    def get_document(self, doc_id: str) -> DocumentDetail:
        return self.store.get_doc(doc_id)

    def delete_document(self, doc_id: str) -> int:
        with self._write_lock:
            n = self.store.delete_document(doc_id)
        self.lexical_index()
        return n

    # -- retrieval --------------------------------------------------------------------------
    def lexical_index(self) -> LexicalIndex:
        return self.lexical_manager.current(self.store.generation(), self.store.committed_chunks)

    def corrected(self, question: str, index: LexicalIndex) -> str:
        """Fix words the archive has never seen when one edit away from a word it has."""
        fixes = dict(zip((w.lower() for w in _WORD.findall(question)), index.correct(question), strict=False))

        def sub(m: re.Match[str]) -> str:
            w = m.group(0)
            fixed = fixes.get(w.lower(), w.lower())
            if fixed == w.lower() or "'" in w or "’" in w:
                return w
            return fixed.capitalize() if w[0].isupper() else fixed

        return _WORD.sub(sub, question)

    def retrieve(
        self,
        query: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        mode: str | None = None,
        index: LexicalIndex | None = None,
    ) -> list[Passage]:
        """`index`: the snapshot the caller already holds, so one ask reads the generation once."""
        k = top_k or self.settings.top_k
        mode = mode or self.settings.retrieval
        depth = max(self.settings.candidate_depth, 4 * k)
        index = self.lexical_index() if index is None else index
        dense = DenseRetriever(self.store, self.embedder, depth, filters) if mode != "lexical" else None
        lexical = LexicalRetriever(index, self.store.chunk_rows, depth, filters) if mode != "dense" else None
        hybrid = HybridRetriever(
            dense,
            lexical,
            self.store.chunk_embeddings,
            self.store.committed_versions,
            top_k=k,
            rrf_k=self.settings.rrf_k,
            dedup_threshold=self.settings.dedup_threshold,
        )
        return [to_passage(n) for n in hybrid.retrieve(query)]

    def search(self, query: str, top_k: int | None = None, filters: Filters | None = None) -> list[Passage]:
        """Retrieval only, with the same spelling repair as `ask`."""
        index = self.lexical_index()
        return self.retrieve(self.corrected(query, index), top_k, filters, index=index)

    # -- answering --------------------------------------------------------------------------
    def ask(
        self,
        question: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        answerer: str | None = None,
        exclude: set[str] | None = None,
    ) -> AskResponse:
        question = " ".join(question.split())
        if not question:
            raise InvalidRequest("question must not be empty", loc=["body", "question"])
        name = answerer or self.settings.answerer
        if name not in ANSWERERS:
            raise InvalidRequest(
                f"unknown answerer {name!r}; choose one of {', '.join(ANSWERERS)}", loc=["body", "answerer"]
            )
        t0 = time.perf_counter()
        index = self.lexical_index()
        fixed = self.corrected(question, index)
        warnings: list[str] = []
        if fixed != question:
            warnings.append(f"searched for: {fixed}")
        info = analyze(fixed)
        outlets = self._mentioned_outlets(fixed, index)
        if outlets:
            info.outlets = outlets
            outlet_words = {w for o in outlets for w in terms(o)}
            info.entities = [e for e in info.entities if not set(terms(e)) <= outlet_words]
            info.content_terms = [t for t in info.content_terms if t not in outlet_words]
            if filters is None or not filters.sources:
                filters = (filters or Filters()).model_copy(update={"sources": outlets})
        missing = [e for e in info.entities if e not in STOPWORDS and not all(t in index.terms for t in terms(e))]
        passages = [] if missing or not len(index) else self.retrieve(fixed, top_k, filters, index=index)
        t1 = time.perf_counter()
        draft: Draft
        if missing:
            draft = Draft(abstained=True, abstain_reason="no indexed article mentions " + ", ".join(missing) + ".")
        elif not passages:
            draft = Draft(
                abstained=True,
                abstain_reason="no indexed article matches this question"
                + (" and filters." if filters and not filters.is_empty() else "."),
            )
        elif name == "openai":
            try:
                draft = self.llm.answer(
                    fixed,
                    [p for p in passages if p.duplicate_of is None]
                    + [p for p in passages if p.duplicate_of is not None],
                )
            except LLMUnavailable as e:
                warnings.append(f"openai answerer unavailable ({e}); answered extractively instead")
                name = "extractive"
                draft = self._extract(info, passages, exclude)
        else:
            draft = self._extract(info, passages, exclude)
        text, citations = render(draft)
        t2 = time.perf_counter()
        return AskResponse(
            answer=text,
            citations=citations,
            abstained=draft.abstained or not citations,
            answerer=name,
            timings=Timings(retrieve_ms=round((t1 - t0) * 1000, 2), answer_ms=round((t2 - t1) * 1000, 2)),
            warnings=warnings + draft.warnings,
        )

    @staticmethod
    def _mentioned_outlets(question: str, index: LexicalIndex) -> list[str]:
        """Outlets named in the question ("How did Xinhua report ...") become a source filter."""
        q = " " + " ".join(terms(question, keep_stopwords=True)) + " "
        return [key for key, kt in index.outlet_terms.items() if kt and f" {kt} " in q]

    def _extract(self, info: QuestionInfo, passages: list[Passage], exclude: set[str] | None) -> Draft:
        texts = self.store.doc_texts([p.doc_id for p in passages])
        return self.extractive.answer(info, passages, texts, exclude)
