"""The default answerer: picks the sentences that answer the question, cites every outlet.

No model beyond the embedder. A sentence is scored on semantic similarity to the question,
coverage of the question's content words, and, for "what did X say" questions, whether X is
its speaker. Near-identical sentences from other outlets are merged into one claim that
cites them all.
"""

from __future__ import annotations

import math
import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from rag.answer import abstention
from rag.answer.attribution import ROLE_WORDS, attribute, speaker_match
from rag.answer.citations import Support
from rag.answer.question import TIME_TERMS, Question
from rag.answer.render import Claim, Draft
from rag.embed import Embedder
from rag.models import Passage
from rag.resources import words as resource_words
from rag.text import Sentence, fold, split_sentences, term_set, terms


@dataclass
class Candidate:
    text: str
    start: int
    end: int
    passage: Passage
    rank: int
    speakers: list[str]
    speaker: float = 0.0
    semantic: float = 0.0
    lexical: float = 0.0
    score: float = 0.0
    relevance: float = 0.0  # the score before the answer-type bonuses
    asked: float = 0.0  # relevance to the asking sentence alone (a question that opens with context)
    of_kind: bool | None = None  # holds a thing of the asked kind (None: any sentence may answer)
    # The sentence asks a question itself ("Who will win the Stanley Cup: Colorado or Tampa
    # Bay?", a teaser or a rhetorical question): quoted only for "what did X say", never as the
    # answer to a fact, however close it is; it still shows what the archive previews
    # (abstention.outcome_not_yet).
    asks: bool = False
    vector: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))


@dataclass(frozen=True)
class ExtractiveConfig:
    """Weights of the sentence score. No defaults here: the values live in Settings alone (one
    home), are built into this record by the pipeline and recorded with every eval run."""

    max_sentences: int
    abstain_threshold: float
    answer_type_weight: float  # a sentence holding a thing of the asked kind (number, date, ...)
    list_weight: float  # "which ministers ...": a sentence that enumerates three or more names
    role_weight: float  # "What is X's position?": a sentence stating X's title
    holder_weight: float  # "Which response coordinator ...?": a sentence with the title right before a new name
    fact_sentences: int  # sentences quoted for a question that is not about a speaker
    fact_floor: float  # ... each scoring at least this share of the best one
    echo_overlap: float  # a sentence this much made of the question's words only restates it
    semantic_weight: float  # a sentence's relevance: this share similarity, the rest word coverage
    rank_penalty: float  # ... less this per rank of its passage (up to rank 10)
    speaker_weights: tuple[float, float, float]  # "what did X say": similarity, topic words, X is the speaker
    other_speaker_penalty: float  # ... when somebody else is quoted saying it
    speaker_floor: float  # sentences quoted for a speaker question: at least this share of the best
    outlet_floor: float  # "which outlets": an outlet's best sentence at least this share of the best
    duplicate_similarity: float  # sentences this similar are one claim (cited from every outlet)
    redundancy_penalty: float  # per unit of similarity above 0.5 to a sentence already chosen
    entity_share: float  # a question with three or more name words: this share must be in the article
    name_variant_prefix: int  # letters two forms of a name share at least (names_term)
    min_words: int  # shorter sentences (captions, bylines) are not candidates
    asked_claim: bool  # a question opening with context also quotes the best answer to its asking sentence


_BOILERPLATE = re.compile("|".join(re.escape(m) for m in sorted(resource_words("boilerplate_markers"))))
# A sentence that ends in a question mark (Candidate.asks).
_ASKS = re.compile(r"\?[\"'”’)\]]*$")
_NAME_GROUP = re.compile(r"\b[A-Z][\w'’\-]+(?:\s+(?:[A-Z][\w'’\-]+|de|al|bin|van|von))*")


_LIST_SHAPE = re.compile(r"N(?:,\s*N)+,?\s+(?:and|or)\s+N|N(?:,\s*N){2,}")
# News gives ages after names ("Neil Gorsuch, age 54, Brett Kavanaugh, 57, and ..."): not list items.
_AGE = re.compile(r",\s*(?:age[ds]?\s+)?\d{1,3}(?=\s*,|\s+(?:and|or)\b|\s*[.;]|$)")


def enumerated_names(sentence: str) -> int:
    """How many names a sentence enumerates ('A, B and C' is 3; 'A and B' is not a list).
    Each capitalised name group becomes 'N' and the list shape is matched on that."""
    shape = _NAME_GROUP.sub("N", _AGE.sub("", sentence))
    return max((m.group(0).count("N") for m in _LIST_SHAPE.finditer(shape)), default=0)


def states_role(name_terms: list[str], sentence: str) -> bool:
    """'X, the assistant minister of ...' / 'Assistant Minister X': the sentence names X with a title.
    A later mention names the person by surname alone ('Dickman, a forest ecologist with ...'):
    the surname directly followed by an apposition counts too."""
    if not name_terms:
        return False
    st = term_set(sentence)
    if all(t in st for t in name_terms):
        return bool(re.search(r",\s+(?:the|a|an|who is|who was)\s+[a-z]", sentence) or ROLE_WORDS & st)
    surname = re.escape(name_terms[-1])
    return bool(re.search(rf"\b{surname}\w*,\s+(?:the|a|an)\s+[a-z]", fold(sentence), re.I))


@lru_cache(maxsize=256)
def _title_then_name(title: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(w) for w in title)
    return re.compile(
        rf"(?i:\b(?:{alternatives})\b)\s+(?:[A-Z][a-z]{{1,3}}\.\s+)?(?P<name>[A-Z][\w'’\-]+(?:\s+[A-Z][\w'’\-]+)*)"
    )


def names_holder(title: list[str], sentence: str, question_names: AbstractSet[str]) -> bool:
    """'response coordinator Dr. Ashish Jha', 'Prime Minister Fumio Kishida': a word of the asked
    title (Question.asked_title) right before a name the question does not already contain."""
    if not title:
        return False
    title_terms = {t for w in title for t in terms(w)}
    for m in _title_then_name(tuple(title)).finditer(sentence):
        named = {t for t in terms(m.group("name")) if t not in title_terms and t not in question_names}
        if named - TIME_TERMS:
            return True
    return False


@lru_cache(maxsize=2048)
def _analyse_document(text: str) -> tuple[list[Sentence], list[list[str]]]:
    """Sentences and their speakers depend on the article alone; popular articles recur across
    questions, so this is memoised (read-only results, shared between callers). 2,048 articles
    (about 40 MB) hold the ten articles of each of some two hundred recent questions: at 256 a
    warm server re-analysed nearly every article on a 100k-chunk archive (bench/scale.py)."""
    sentences = split_sentences(text)
    return sentences, attribute(sentences, text)


# A run of capitalised words, with the short function words names keep inside them.
_CAPITALISED_RUN = re.compile(r"[A-Z][\w'’\-]*(?:\s+(?:(?:of|for|and|the|on)\s+)?[A-Z][\w'’\-]*)+")
_NAME_FUNCTION_WORDS = frozenset({"of", "for", "and", "the", "on"})


@lru_cache(maxsize=2048)
def initials(text: str) -> frozenset[str]:
    """The acronyms a text spells out: "Associated Press-NORC poll" gives "ap", "Food and Drug
    Administration" gives "fda", so a question's "AP-NORC" or "FDA" finds the article that writes
    the name in full (every run of two to five capitalised words; memoised like the sentences)."""
    found: set[str] = set()
    for m in _CAPITALISED_RUN.finditer(text):
        heads = [w[0].lower() for w in m.group(0).split() if w not in _NAME_FUNCTION_WORDS]
        for i in range(len(heads)):
            for j in range(i + 2, min(i + 5, len(heads)) + 1):
                found.add("".join(heads[i:j]))
    return frozenset(found)


def names_term(term: str, text_terms: AbstractSet[str], prefix: int) -> bool:
    """Whether a text has a name term, or a form of it that extends it or that it extends: the
    question's "Revolutionary Guards" is the article's "Revolution Guards Corps" (stems "revolutionari"
    and "revolut"). Terms shorter than `prefix` letters must match exactly."""
    if term in text_terms:
        return True
    if len(term) < prefix:
        return False
    return any(len(t) >= prefix and (t.startswith(term) or term.startswith(t)) for t in text_terms if t[:1] == term[:1])


def coverage(question_terms: list[str], text_terms: AbstractSet[str]) -> float:
    if not question_terms:
        return 0.0
    return sum(1 for t in question_terms if t in text_terms) / len(question_terms)


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, embedder: Embedder, config: ExtractiveConfig):
        self._embedder = embedder
        self._config = config

    # -- evidence ---------------------------------------------------------------------------
    def _candidates(
        self, passages: list[Passage], doc_texts: dict[str, str], exclude: set[str]
    ) -> tuple[list[Candidate], dict[str, frozenset[str]]]:
        min_words = self._config.min_words
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
            for rank, p in items:
                for s, sp in zip(sentences, speakers, strict=True):
                    if s.start < p.start or s.end > p.end or (doc_id, s.start) in seen:
                        continue
                    if len(s.text.split()) < min_words or " ".join(s.text.split()) in exclude:
                        continue
                    if _BOILERPLATE.search(s.text):
                        continue
                    seen.add((doc_id, s.start))
                    out.append(Candidate(s.text, s.start, s.end, p, rank, sp, asks=bool(_ASKS.search(s.text))))
        return out, doc_terms

    # -- answering --------------------------------------------------------------------------
    def answer(
        self,
        info: Question,
        passages: list[Passage],
        doc_texts: dict[str, str],
        exclude: set[str] | None = None,
    ) -> Draft:
        cands, doc_terms = self._candidates(passages, doc_texts, exclude or set())
        if not cands:
            return abstention.no_candidates()
        cfg = self._config
        w_sim, w_topic, w_speaker = cfg.speaker_weights

        def relevance(similarity: float, covered: float, rank: int) -> float:
            return (
                cfg.semantic_weight * similarity
                + (1 - cfg.semantic_weight) * covered
                - cfg.rank_penalty * min(rank, 10)
            )

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
        question_names = frozenset(t for e in info.entities for t in terms(e))
        role_terms = terms(info.role_of) if info.role_of else []
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
                c.score = relevance(c.semantic, c.lexical, c.rank)
            c.relevance = c.score  # abstention judges relevance; the bonus below only orders evidence
            if asking_vec is not None:
                asked = relevance(float(np.clip(v @ asking_vec, 0, 1)), coverage(info.asking_terms, st), c.rank)
                c.asked = asked
                c.relevance = max(c.relevance, (c.relevance + asked) / 2)
            c.of_kind = self._of_asked_kind(info, c, question_names)
            c.score += self._type_bonus(info, c, role_terms, question_names)

        pool = cands
        if speaker_q:
            pool = [c for c in cands if c.speaker > 0]
            if not pool:
                # Nobody is quoted as that speaker ("what did the session call for?"): answer as
                # a fact question, from sentences that name the speaker themselves.
                names = info.speaker_names | info.speaker_roles
                speaker_q = False
                for c in cands:
                    c.lexical = coverage(content, term_set(c.text))
                    c.score = relevance(c.semantic, c.lexical, c.rank)
                    c.relevance = c.score
                pool = [c for c in cands if names <= term_set(c.text)]
                if not pool:
                    return abstention.speaker_not_quoted(info)
        elif info.required_names:
            # The question's names must appear in the sentence's article: all of one or two names
            # ("What did Japan say?" is not answered from articles about Oman), three in four of a
            # long question's many capitalised words, where a paraphrase or a variant spelling
            # (LGBTQ / LGBTQ+) should not veto an article that names the rest.
            entity_terms = list(dict.fromkeys(t for e in info.required_names for t in terms(e)))
            need = len(entity_terms) if len(entity_terms) <= 2 else math.ceil(cfg.entity_share * len(entity_terms))
            prefix = cfg.name_variant_prefix
            named = {doc: sum(names_term(n, terms_, prefix) for n in entity_terms) for doc, terms_ in doc_terms.items()}
            pool = [c for c in cands if named.get(c.passage.doc_id, 0) >= need]
            if not pool:
                return abstention.names_absent(info)
        of_kind = [c for c in pool if c.of_kind is not False]
        # A sentence that asks shows, like one that restates the question, that the archive
        # covers it (it counts for relevance) but is not quoted; what someone asked is what they
        # said, though: a speaker question may quote a question.
        typed = [c for c in of_kind if not c.asks or info.is_speaker_question]
        if not typed:
            return abstention.nothing_of_asked_kind(info)
        role_stated = bool(role_terms) and any(states_role(role_terms, c.text) for c in typed)
        weak = abstention.too_weak(max(c.relevance for c in of_kind), cfg.abstain_threshold, role_stated)
        if weak is not None:
            return weak
        not_yet = abstention.outcome_not_yet(info, [c.text for c in of_kind])
        if not_yet is not None:
            return not_yet
        # A sentence that restates the question shows the archive covers it (it counts for the
        # relevance above) but is not quoted as the answer while other evidence remains.
        question_terms = term_set(info.text)
        # One that adds a thing of the asked kind ("... illegal in New Jersey since 1949" for
        # "Since what year has it been illegal in New Jersey?") answers, however many words it shares.
        pool = [c for c in typed if not self._restates(c.text, question_terms) or c.of_kind] or typed
        pool.sort(key=lambda c: -c.score)
        if info.wants_outlets or len({c.passage.source for c in pool if c.passage.source}) > 1 and info.outlets:
            return Draft(claims=self._per_outlet(pool))
        claims = self._select(pool, speaker_q)
        if info.asking and not speaker_q and cfg.asked_claim:
            claims += self._asked_claim(pool, claims)
        return Draft(claims=claims)

    @staticmethod
    def _asked_claim(pool: list[Candidate], claims: list[Claim]) -> list[Claim]:
        """A question that opens with context ("Sweden and Finland are set to join NATO. Which
        country dropped its opposition?") ranks first the reports that retell the context. The
        sentence closest to the asking sentence alone that holds a thing of the asked kind is
        quoted too, when no claim quotes it yet."""
        best = max((c for c in pool if c.of_kind), key=lambda c: c.asked, default=None)
        if best is None or any(best.text == s.quote for claim in claims for s in claim.supports):
            return []
        return [Claim(best.text, [Support(best.passage, best.text, best.start, best.end, round(best.score, 4), True)])]

    def _restates(self, text: str, question_terms: frozenset[str]) -> bool:
        """The sentence only repeats the question's context (a lead the question quotes)."""
        st = term_set(text)
        return len(st) >= 4 and len(st & question_terms) / len(st) >= self._config.echo_overlap

    @staticmethod
    def _of_asked_kind(info: Question, c: Candidate, question_names: frozenset[str]) -> bool | None:
        """Whether the sentence holds a thing of the asked kind; for "who said ...?" its quoted
        speaker counts, named in it or not."""
        if info.asks_who_said and any(set(terms(sp)) - question_names for sp in c.speakers):
            return True
        return abstention.has_asked_kind(info, c.text, question_names)

    def _type_bonus(self, info: Question, c: Candidate, role_terms: list[str], question_names: frozenset[str]) -> float:
        cfg = self._config
        text = c.text
        bonus = 0.0
        if c.of_kind:
            bonus += cfg.answer_type_weight
        if info.wants_list and enumerated_names(text) >= 3:
            bonus += cfg.list_weight
        if role_terms and states_role(role_terms, text):
            bonus += cfg.role_weight
        if info.asked_title and names_holder(info.asked_title, text, question_names):
            bonus += cfg.holder_weight
        return bonus

    def _per_outlet(self, pool: list[Candidate]) -> list[Claim]:
        """'Which outlets reported X?': every outlet whose article reports it, each with its best
        sentence, before a second article of an outlet already listed (up to max_sentences).
        Whether an article reports X is its relevance: the answer-type bonuses (a sentence that
        enumerates names) say nothing about which outlets reported it."""
        pool = sorted(pool, key=lambda c: -c.relevance)
        floor = pool[0].relevance * self._config.outlet_floor
        first: dict[str, Candidate] = {}
        more: list[Candidate] = []
        seen_docs: set[str] = set()
        for c in pool:
            if c.relevance < floor or c.passage.doc_id in seen_docs:
                continue
            seen_docs.add(c.passage.doc_id)
            outlet = (c.passage.source or c.passage.doc_id).lower()
            if outlet not in first:
                first[outlet] = c
            else:
                more.append(c)
        chosen = list(first.values())
        chosen += more[: max(0, self._config.max_sentences - len(chosen))]
        return [Claim(c.text, [Support(c.passage, c.text, c.start, c.end, round(c.score, 4), True)]) for c in chosen]

    def _select(self, pool: list[Candidate], speaker_q: bool) -> list[Claim]:
        cfg = self._config
        limit = cfg.max_sentences if speaker_q else min(cfg.fact_sentences, cfg.max_sentences)
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
