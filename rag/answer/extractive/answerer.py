"""The default answerer: picks the sentences that answer the question, cites every outlet.

No model beyond the embedder. A sentence is scored on semantic similarity to the question,
coverage of the question's content words, and, for "what did X say" questions, whether X is
its speaker. Near-identical sentences from other outlets are merged into one claim that
cites them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from functools import lru_cache

import numpy as np

from rag.analysis.question import Question
from rag.answer import abstention
from rag.answer.citations import Support
from rag.answer.extractive.attribution import attribute, speaker_match, with_parsed_speakers
from rag.answer.extractive.short_answer import DEFAULT_LABELS
from rag.answer.render import Claim, Draft
from rag.answer.rules import Asked, Candidate, Evidence, RuleSet
from rag.answer.rules.holder import names_holder
from rag.answer.rules.list_names import enumerated_names
from rag.answer.rules.names_in_article import initials, names_term
from rag.answer.rules.role import states_role
from rag.index.embed import Embedder
from rag.models import Passage
from rag.nlp.records import Attribution, DocAnnotation
from rag.nlp.text import Sentence, split_sentences, term_set, terms
from rag.settings import ScoringSettings, SelectionSettings

# Re-exported: the helpers of the rules that used to live here.
__all__ = [
    "Candidate",
    "ExtractiveAnswerer",
    "enumerated_names",
    "initials",
    "names_holder",
    "names_term",
    "states_role",
]


# The entity labels of names (OntoNotes): not the numbers, dates and times.
_NAME_LABELS = frozenset(DEFAULT_LABELS["name"])


@lru_cache(maxsize=2048)
def _analyse_document(text: str) -> tuple[list[Sentence], list[list[str]]]:
    """Sentences and their speakers depend on the article alone; popular articles recur across
    questions, so this is memoised (read-only results, shared between callers). 2,048 articles
    (about 40 MB) hold the ten articles of each of some two hundred recent questions: at 256 a
    warm server re-analysed nearly every article on a 100k-chunk archive (bench/scale.py)."""
    sentences = split_sentences(text)
    return sentences, attribute(sentences, text)


@lru_cache(maxsize=2048)
def _speakers_with_parse(text: str, attributions: tuple[Attribution, ...]) -> list[list[str]]:
    """The sentences' speakers joined by the stored parse's; memoised like `_analyse_document`
    (widening each parsed speaker to its fullest mention reads the whole article: 38 ms per
    question at 100k chunks before it was)."""
    sentences, speakers = _analyse_document(text)
    return with_parsed_speakers(sentences, speakers, attributions, text)


def coverage(question_terms: list[str], text_terms: AbstractSet[str]) -> float:
    if not question_terms:
        return 0.0
    return sum(1 for t in question_terms if t in text_terms) / len(question_terms)


class ExtractiveAnswerer:
    """Scores the sentences of the retrieved passages, lets the rules (rag/answer/rules/) narrow
    them or abstain, and quotes the best. `scoring` and `selection` are the settings sections of
    the score and of the choice of sentences; every other behaviour is a rule of `rules`."""

    name = "extractive"

    def __init__(
        self,
        embedder: Embedder,
        rules: RuleSet,
        scoring: ScoringSettings,
        selection: SelectionSettings,
        max_sentences: int,
    ):
        self._embedder = embedder
        self.rules = rules
        self._scoring = scoring
        self._selection = selection
        self._max_sentences = max_sentences

    # -- evidence ---------------------------------------------------------------------------
    def _candidates(
        self,
        passages: list[Passage],
        doc_texts: dict[str, str],
        exclude: set[str],
        annotations: Mapping[str, DocAnnotation],
    ) -> tuple[list[Candidate], dict[str, frozenset[str]]]:
        filters = self.rules.sentence_filters
        by_doc: dict[str, list[tuple[int, Passage]]] = {}
        for rank, p in enumerate(passages):
            by_doc.setdefault(p.doc_id, []).append((rank, p))
        out: list[Candidate] = []
        doc_terms: dict[str, frozenset[str]] = {}
        seen: set[tuple[str, int]] = set()
        for doc_id, items in by_doc.items():
            text = doc_texts.get(doc_id, "")
            if not text:
                continue
            doc_terms[doc_id] = term_set(items[0][1].title + "\n" + text) | initials(text)
            sentences, speakers = _analyse_document(text)
            ann = annotations.get(doc_id)
            opening: Mapping[int, str] = {}
            if ann is not None:
                speakers = _speakers_with_parse(text, tuple(ann.attributions))
                opening = ann.entity_starts(_NAME_LABELS)
            for rank, p in items:
                for s, sp in zip(sentences, speakers, strict=True):
                    if s.start < p.start or s.end > p.end or (doc_id, s.start) in seen:
                        continue
                    if " ".join(s.text.split()) in exclude or not all(f.keep(s.text) for f in filters):
                        continue
                    seen.add((doc_id, s.start))
                    name = opening.get(s.start, "") or opening.get(s.start + 1, "")  # after an opening quote
                    out.append(Candidate(s.text, s.start, s.end, p, rank, sp, opening_name=name))
        return out, doc_terms

    def _relevance(self, similarity: float, covered: float, rank: int) -> float:
        cfg = self._scoring
        return cfg.semantic_weight * similarity + (1 - cfg.semantic_weight) * covered - cfg.rank_penalty * min(rank, 10)

    def _score(self, info: Question, cands: list[Candidate], doc_terms: dict[str, frozenset[str]]) -> Asked:
        """Every candidate's relevance (what abstention judges) and score (relevance plus the
        bonuses: the order of evidence)."""
        cfg = self._scoring
        w_sim, w_topic, w_speaker = cfg.speaker_similarity_weight, cfg.speaker_topic_weight, cfg.speaker_match_weight
        q_vec, *vectors = self._embedder.embed([info.text] + [c.text for c in cands])
        topic_vec = self._embedder.embed([info.topic])[0] if info.topic else None
        topic_terms = terms(info.topic) if info.topic else []
        content = info.content_terms
        speaker_q = info.is_speaker_question
        # A question that opens with context is judged half by its asking sentence alone: the
        # context's words dilute both the similarity and the word coverage of the sentence that
        # answers ("Which animal was it?"), but a context the archive does not match at all must
        # still count. Only the relevance that abstention judges changes; the order of evidence
        # stays that of the whole question.
        asking_vec = self._embedder.embed([info.asking])[0] if info.asking and not speaker_q else None
        asked = Asked(
            info,
            frozenset(t for e in info.entities for t in terms(e)),
            tuple(terms(info.role_of)) if info.role_of else (),
        )
        bonuses = self.rules.bonuses
        for c, v in zip(cands, vectors, strict=True):
            c.vector = v
            c.semantic = float(np.clip(v @ (topic_vec if topic_vec is not None and speaker_q else q_vec), 0, 1))
            st = term_set(c.text) | {t for sp in c.speakers for t in terms(sp)}
            if speaker_q:
                c.speaker = speaker_match(info, c.speakers, doc_terms.get(c.passage.doc_id, frozenset()))
                c.lexical = coverage(topic_terms, st) if topic_terms else c.speaker
                c.score = w_sim * c.semantic + w_topic * c.lexical + w_speaker * c.speaker
                if c.speaker == 0 and c.speakers:
                    c.score -= cfg.other_speaker_penalty  # somebody else said it
                c.score -= cfg.rank_penalty * min(c.rank, 10)
            else:
                c.lexical = coverage(content, st)
                c.score = self._relevance(c.semantic, c.lexical, c.rank)
            c.relevance = c.score  # abstention judges relevance; the bonuses below only order evidence
            if asking_vec is not None:
                c.asked = self._relevance(float(np.clip(v @ asking_vec, 0, 1)), coverage(info.asking_terms, st), c.rank)
                c.relevance = max(c.relevance, (c.relevance + c.asked) / 2)
            c.of_kind = self._of_asked_kind(info, c, asked.question_names)
            bonus = 0.0
            for rule in bonuses:
                bonus += rule.bonus(c, asked)
            c.score += bonus
        return asked

    def _rescore_as_fact(self, info: Question, cands: list[Candidate]) -> None:
        """A speaker question nobody is quoted for is answered as a fact question."""
        for c in cands:
            c.lexical = coverage(info.content_terms, term_set(c.text))
            c.score = self._relevance(c.semantic, c.lexical, c.rank)
            c.relevance = c.score

    def _evidence(
        self,
        info: Question,
        passages: list[Passage],
        doc_texts: dict[str, str],
        exclude: set[str] | None,
        annotations: Mapping[str, DocAnnotation] | None,
    ) -> tuple[Asked, Evidence] | Draft:
        """The scored candidates, narrowed by the evidence rules; or the Draft of the rule that abstained."""
        cands, doc_terms = self._candidates(passages, doc_texts, exclude or set(), annotations or {})
        if not cands:
            return abstention.no_candidates()
        asked = self._score(info, cands, doc_terms)
        ev = Evidence(
            cands,
            doc_terms,
            pool=list(cands),
            quotable=list(cands),
            speaker_q=info.is_speaker_question,
            rescore_as_fact=lambda: self._rescore_as_fact(info, cands),
            texts=doc_texts,
        )
        for rule in self.rules.evidence:
            refused = rule.apply(asked, ev)
            if refused is not None:
                refused.abstain_rule = rule.name
                return refused
        return asked, ev

    def judge(
        self,
        info: Question,
        passages: list[Passage],
        doc_texts: dict[str, str],
        exclude: set[str] | None = None,
        annotations: Mapping[str, DocAnnotation] | None = None,
    ) -> Draft | None:
        """The abstention of the rules, or None when the evidence may be answered from (the LLM
        answerer runs the same rules before it is asked)."""
        found = self._evidence(info, passages, doc_texts, exclude, annotations)
        return found if isinstance(found, Draft) else None

    # -- answering --------------------------------------------------------------------------
    def answer(
        self,
        info: Question,
        passages: list[Passage],
        doc_texts: dict[str, str],
        exclude: set[str] | None = None,
        annotations: Mapping[str, DocAnnotation] | None = None,
    ) -> Draft:
        """`annotations`: the stored NLP records of the articles (rag/nlp/), whose speech
        attributions join the speakers found in each sentence; without them, those alone."""
        found = self._evidence(info, passages, doc_texts, exclude, annotations)
        if isinstance(found, Draft):
            return found
        asked, ev = found
        pool = ev.quotable
        if info.wants_outlets or len({c.passage.source for c in pool if c.passage.source}) > 1 and info.outlets:
            return Draft(claims=self._per_outlet(pool, ev.reporting))
        pool.sort(key=lambda c: -c.score)
        claims = self._select(pool, ev.speaker_q)
        for rule in self.rules.claims:
            claims += rule.add(asked, ev, claims)
        return Draft(claims=claims)

    @staticmethod
    def _of_asked_kind(info: Question, c: Candidate, question_names: frozenset[str]) -> bool | None:
        """Whether the sentence holds a thing of the asked kind; for "who said ...?" its quoted
        speaker counts, named in it or not."""
        if info.asks_who_said and any(set(terms(sp)) - question_names for sp in c.speakers):
            return True
        return abstention.has_asked_kind(info, c.text, question_names, c.opening_name)

    def _per_outlet(self, pool: list[Candidate], reporting: frozenset[str] | None) -> list[Claim]:
        """'Which outlets reported X?': every outlet whose article reports it, named, each with its
        best sentence, before a second article of an outlet already listed (up to max_sentences).
        Whether an article reports X is its relevance: the answer-type bonuses (a sentence that
        enumerates names) say nothing about which outlets reported it; unless a rule decided
        which articles report it (`reporting`, rules/outlets_naming.py), whose order of
        sentences stands. An article with no outlet is no answer to "which outlets" when one with
        an outlet is."""
        if reporting is None:
            pool = sorted(pool, key=lambda c: -c.relevance)
        floor = pool[0].relevance * self._selection.outlet_floor
        if any(c.passage.source for c in pool):
            pool = [c for c in pool if c.passage.source]
        first: dict[str, Candidate] = {}
        more: list[Candidate] = []
        seen_docs: set[str] = set()
        for c in pool:
            reports = c.passage.doc_id in reporting if reporting is not None else c.relevance >= floor
            if not reports or c.passage.doc_id in seen_docs:
                continue
            seen_docs.add(c.passage.doc_id)
            outlet = (c.passage.source or c.passage.doc_id).lower()
            if outlet not in first:
                first[outlet] = c
            else:
                more.append(c)
        chosen = list(first.values())
        chosen += more[: max(0, self._max_sentences - len(chosen))]
        # Each outlet is named in words before its own report: the answer, not only its Sources
        # list, says who reported it ("Xinhua: ... [1]. TASS: ... [2].").
        return [
            Claim(
                c.text,
                [Support(c.passage, c.text, c.start, c.end, round(c.score, 4), True)],
                lead=c.passage.source or "",
            )
            for c in chosen
        ]

    def _select(self, pool: list[Candidate], speaker_q: bool) -> list[Claim]:
        cfg = self._selection
        limit = self._max_sentences if speaker_q else min(cfg.fact_sentences, self._max_sentences)
        floor = pool[0].score * (cfg.speaker_floor if speaker_q else cfg.fact_floor)
        chosen: list[tuple[Candidate, list[Candidate]]] = []
        for c in pool:
            if c.score < floor:
                break
            dup_of = None
            redundancy = 0.0
            for lead, group in chosen:
                sim = float(lead.vector @ c.vector)
                if sim >= cfg.duplicate_similarity:
                    dup_of = (lead, group)
                    break
                redundancy = max(redundancy, sim)
            if dup_of is not None:
                lead, group = dup_of
                if all(g.passage.doc_id != c.passage.doc_id for g in [lead, *group]):
                    group.append(c)  # the same claim from another outlet: cite it too
                continue
            if len(chosen) >= limit or c.score - cfg.redundancy_penalty * max(0.0, redundancy - 0.5) < floor:
                continue
            chosen.append((c, []))
        # Readable order: articles in order of their best sentence, sentences in text order.
        doc_order: dict[str, int] = {}
        for lead, _ in chosen:
            doc_order.setdefault(lead.passage.doc_id, len(doc_order))
        chosen.sort(key=lambda lg: (doc_order[lg[0].passage.doc_id], lg[0].start))
        return [
            Claim(
                text=lead.text,
                supports=[Support(m.passage, m.text, m.start, m.end, round(m.score, 4), True) for m in [lead, *group]],
            )
            for lead, group in chosen
        ]
