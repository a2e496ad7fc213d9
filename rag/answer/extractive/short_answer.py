"""Answer first: the entity, number or date a factoid question asks for, from the best evidence.

"Which country won the final?" is answered "Portugal. The Portuguese side won the final 2-1
on Sunday [1].": the short answer is a named entity of the asked kind (spaCy's NER labels,
chosen by the words that ask, rag/resources/asked_labels.tsv; for "which country" or "which
state", one on that list first) that a cited sentence states and the question does not already
name, with its exact span in the document; for an open ask whose noun names a kind of common
thing ("which sea creature"), a noun of that kind (common_nouns.py). The sentence that
holds it comes first; further evidence follows while the answer stays within a word budget.

Annotations are the stored ones (rag.nlp.service): nothing about an article is recomputed here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache, lru_cache

from spacy.lang.en.lex_attrs import like_num

from rag.analysis.question import Question, asked_focus, asking_sentence
from rag.answer.extractive.common_nouns import COMMON_NOUN, asked_kind, nouns_of_kind
from rag.answer.render import Claim, Draft, Pick
from rag.nlp.records import DocAnnotation, Entity
from rag.nlp.text import STOPWORDS, fold, term_set, terms
from rag.resources import alternation, table
from rag.resources import words as resource_words

# The answer types a short answer exists for, and the labels that answer each when the words
# that ask say nothing more specific.
DEFAULT_LABELS: dict[str, tuple[str, ...]] = {
    "person": ("PERSON", "ORG", "NORP", "GPE"),
    "place": ("GPE", "LOC", "FAC"),
    "date": ("DATE", "TIME"),
    "number": ("CARDINAL", "MONEY", "PERCENT", "QUANTITY"),
    "name": (
        "ORG",
        "PERSON",
        "GPE",
        "PRODUCT",
        "WORK_OF_ART",
        "EVENT",
        "LAW",
        "FAC",
        "NORP",
        "LOC",
        "LANGUAGE",
    ),
}
_PERSON_NOUNS = resource_words("person_nouns")
_HOW = re.compile(r"^how\s+(?P<w>\w+)", re.I)
_WH = re.compile(
    r"^(?:(?:in|on|at|for|from|by|since|of)\s+)?(?P<wh>which|what|who|whom|whose|where|when)\b(?P<rest>.*)$", re.I
)
_WORD = re.compile(r"[a-z]+")
NOUN_CHUNK = "NOUN_CHUNK"  # the label of a short answer that is a noun chunk, not a named entity


def asked_labels(info: Question) -> tuple[str, ...] | None:
    """The entity labels that answer the question, most likely first; None when the question
    wants no short answer (what someone said, why, a list, which outlets, a role, a fact)."""
    kind = info.answer_type
    if kind not in DEFAULT_LABELS or info.is_speaker_question or info.wants_list or info.wants_outlets:
        return None
    if kind == "person" and info.asked_title:
        return ("PERSON",)  # "Who is Japan's prime minister?": whoever holds a title is a person
    focus = _focus(info.text)
    known = table("asked_labels")
    how = _HOW.match(focus)
    if how and f"how {how.group('w')}" in known:
        return known[f"how {how.group('w')}"]
    wh = _WH.match(focus)
    if wh and wh.group("wh") not in ("which", "what") and wh.group("wh") in known:
        return known[wh.group("wh")]
    noun = asked_noun(focus, info.asked_head)
    if noun in known:
        return known[noun]
    if noun in _PERSON_NOUNS:
        return ("PERSON",)
    return DEFAULT_LABELS[kind]


@lru_cache(maxsize=256)
def _focus(question: str) -> str:
    """The asking sentence from its question word on, in lower case (asked_focus): read once per
    question by the labels, the place list and the asked kind."""
    return cased_focus(question).lower()


def cased_focus(question: str) -> str:
    """The asking sentence from its question word on, as written (what the parse reads)."""
    return asked_focus(asking_sentence(question)).strip()


def asked_noun(focus: str, head: str | None = None) -> str | None:
    """The noun of "which/what <noun> ...?" that the labels table or the person nouns know, in
    lower case ("which chinese province ..." -> "province"), or None: the parsed `head`
    (Question.asked_head: "which island nation" -> "nation") when they know it, else the first
    known word of the asked phrase, which ends at its first function word ("which measure did
    lawmakers leave out?" asks a measure, not lawmakers; "which head of state" asks a head)."""
    known = table("asked_labels")
    if head is not None and (head in known or head in _PERSON_NOUNS):
        return head
    return next((w for w in asked_words(focus) if w in known or w in _PERSON_NOUNS), None)


def asked_words(focus: str) -> list[str]:
    """The words of the asked noun phrase of "which/what ...?", in lower case, up to its first
    function word (at most five): "which sea creature did ..." -> ["sea", "creature"]."""
    wh = _WH.match(focus.strip().lower())
    if not wh or wh.group("wh") not in ("which", "what"):
        return []
    out: list[str] = []
    for w in _WORD.findall(wh.group("rest"))[:5]:
        out.append(w)
        if w in STOPWORDS:
            break
    return out


_HOW_MANY = re.compile(r"^how\s+many\s+(?P<unit>[a-z-]+)")


def asked_unit(info: Question) -> str | None:
    """The term of what "how many ...?" counts, its first word ("how many seasons" -> "season").
    The first word, not the phrase's last: without a parse of the question the phrase's end is a
    guess, and the last word before a function word lost on the tuning weeks ("how many doses
    will be released" -> "will"); a modifier is then the unit ("how many baby swings" -> "baby")."""
    m = _HOW_MANY.match(_focus(info.text))
    found = terms(m.group("unit")) if m else []
    return found[0] if found else None


def _counts(text: str, entity: Entity, unit: str) -> bool:
    """Whether an entity is a number of the unit: it holds a number (spaCy's `like_num`: "23",
    "six", "2.5 million") and the unit ends its span ("six centuries", not "the final days") or
    is one of the two words after it ("23 NFL seasons")."""
    if not any(like_num(w) for w in entity.text.split()):
        return False
    return terms(entity.text)[-1:] == [unit] or unit in terms(text[entity.end : entity.end + 40])[:2]


def listed_places(info: Question) -> frozenset[str] | None:
    """The places a place question's noun asks for, each by its `place_key` ("which country" ->
    the countries of rag/resources/countries.txt), or None when its noun has no list."""
    noun = asked_noun(_focus(info.text), info.asked_head)
    listed = table("place_kinds").get(noun or "")
    if not listed:
        return None
    return _place_list(listed[0])


@cache
def _place_list(name: str) -> frozenset[str]:
    return frozenset(place_key(place) for place in resource_words(name))


_THE = re.compile(r"^the\s+")


def place_key(name: str) -> str:
    """A place name as its list writes it: lower case, no leading "the", no dots ("the U.S." ->
    "us"). Not its terms: those read a nationality as its country ("Ukrainian" -> "ukraine"),
    and a nationality is no answer to "which country"."""
    return " ".join(_THE.sub("", fold(name).lower().replace(".", "")).split())


@dataclass(frozen=True)
class ShortAnswerConfig:
    vote_weight: float  # per other cited sentence that states the same entity (at most 3)
    label_step: float  # less per place of the entity's label in the asked labels
    # A title question ("Who is the Omani foreign minister?"): times the share of the words right
    # before the entity that the question says. A place question: for a place after "in", "at".
    context_weight: float
    word_budget: int  # the answer keeps further claims while it stays within this many words (0: all)
    # Times the share of the asking sentence's content words the sentence holds: "Sweden and
    # Finland are on the cusp of joining NATO. Which country dropped its opposition?" is answered
    # by the sentence about dropping the opposition, not by the best retelling of the context.
    asking_weight: float
    # Less this per place of the sentence's claim in the answerer's order: the answerer ranked
    # the evidence with more than the short answer sees (eval/tune: tuning weeks).
    order_weight: float = 0.0
    # An open ask ("Which animal ...?", "Which menu item ...?": a noun the labels table does not
    # know) is answered by a named entity or by a stored noun chunk ("chicken nuggets"); a noun
    # chunk scores this less than a name of the same sentence. None: names only (the default:
    # settings.short_answer_chunk_penalty says what was measured).
    chunk_penalty: float | None = None
    # An answer that opens with its short answer keeps at most this many claims, the lead one
    # included (0: all): the short answer says what was asked, the claims after it corroborate.
    max_claims: int = 0
    # "Which country ...?": a candidate that is not on the asked noun's list of places
    # (rag/resources/place_kinds.tsv) scores this less ("Riyadh" for a country).
    unlisted_place_penalty: float = 0.0
    # An open ask whose noun is a kind of common thing ("which sea creature", "which disease") is
    # answered by a noun of that kind when a cited sentence has one (common_nouns.py).
    common_nouns: bool = False
    # "How many seasons ...?": a number the asked unit follows ("23 seasons") scores this more.
    unit_weight: float = 0.0
    # A number's approximator is no part of the number that answers "how many" ("more than 10,000"
    # -> "10,000"; rag/resources/approximators.txt): the sentence that follows keeps it.
    bare_numbers: bool = False
    # "(CNN) ...", "DENVER (AP) — ...": a dateline's outlet and place (marked at ingest,
    # rag/nlp/datelines.py) are no candidates.
    skip_datelines: bool = False


def _named_in_question(entity: Entity, question_terms: frozenset[str]) -> bool:
    own = set(terms(entity.text))
    return not own or own <= question_terms


_WORDS_BEFORE = 3
_PLACE_PREPOSITIONS = resource_words("place_prepositions")


def _introduced(text: str, start: int, question_terms: frozenset[str]) -> float:
    """Share of the few words right before an entity that the question says: the asked title
    introduces the name that answers ("Omani Foreign Minister Sayyid Badr Albusaidi" for "Who is
    the Omani foreign minister?", not the "Chinese Foreign Minister Wang Yi" beside him)."""
    before = text[max(0, start - 60) : start].split()[-_WORDS_BEFORE:]
    if not before:
        return 0.0
    return sum(1 for w in before if set(terms(w)) and set(terms(w)) <= question_terms) / _WORDS_BEFORE


_NUMBER_LABELS = frozenset(DEFAULT_LABELS["number"])


@cache
def _approximator() -> re.Pattern[str]:
    """The approximators that open a number ("more than 10,000"), a phrase's spaces as any space."""
    phrases = alternation("approximators").replace(r"\ ", r"\s+")
    return re.compile(rf"^(?:{phrases})\s+", re.I)


def bare_number(entity: Entity) -> Entity:
    """'more than 10,000' -> '10,000', 'about 8 million' -> '8 million': a number entity without
    the words before it that say how exact it is (rag/resources/approximators.txt), when a number
    follows them ("about half" stays)."""
    m = _approximator().match(entity.text) if entity.label in _NUMBER_LABELS else None
    rest = entity.text[m.end() :].split() if m else []
    if not m or not rest or not (rest[0][0].isdigit() or rest[0][0] in "$£€" or like_num(rest[0].strip(",."))):
        return entity
    return entity.model_copy(update={"text": entity.text[m.end() :], "start": entity.start + m.end()})


_LEADING_WORD = re.compile(r"\S+\s+")
_TRAILING_WORD = re.compile(r"\s+\S+$")


def _without_asked_words(entity: Entity, question_terms: frozenset[str], trailing: bool = False) -> Entity:
    """'Spokesperson Hua Chunying' for "Which spokesperson ...?" is 'Hua Chunying': leading words
    the question already says are not part of the answer (the span moves with them). With
    `trailing` (a noun chunk), so are the last words: "monkeypox outbreak" for "Which virus
    outbreak ...?" is "monkeypox" (a name keeps its own: "Tony Awards" for "which awards show")."""
    text, start = entity.text, entity.start
    while (m := _LEADING_WORD.match(text)) and set(terms(m.group(0))) and set(terms(m.group(0))) <= question_terms:
        text, start = text[m.end() :], start + m.end()
    while (
        trailing
        and (m := _TRAILING_WORD.search(text))
        and set(terms(m.group(0)))
        and set(terms(m.group(0))) <= question_terms
    ):
        text = text[: m.start()]
    if (start, len(text)) == (entity.start, len(entity.text)):
        return entity
    return entity.model_copy(update={"text": text, "start": start, "end": start + len(text)})


class ShortAnswerSelector:
    """Picks the short answer among the entities (and, for an open ask, common nouns of the asked
    kind or noun chunks) of the draft's cited sentences."""

    def __init__(self, config: ShortAnswerConfig):
        self._config = config

    def select(
        self,
        info: Question,
        draft: Draft,
        annotations: Mapping[str, DocAnnotation],
        texts: Mapping[str, str],
    ) -> Pick | None:
        labels = asked_labels(info)
        if labels is None or draft.abstained or not draft.claims:
            return None
        chunks = self._config.chunk_penalty is not None and info.answer_type == "name"
        any_name = DEFAULT_LABELS["name"]
        if self._config.common_nouns and info.answer_type == "name" and labels == any_name:
            # "Which sea creature ...?": a noun of the asked kind, if a cited sentence has one.
            kind = asked_kind(asked_words(_focus(info.text)))
            if kind is not None:
                found = self._select(info, labels, draft, annotations, texts, kind=kind)
                if found is not None:
                    return found
        found = self._select(info, labels, draft, annotations, texts, chunks and labels == any_name)
        if found is None and info.answer_type == "name" and labels != any_name:
            # "Which show ...?" answered by a name the NER did not label a work of art: any name
            # ("Which product ...?": or a noun chunk, "baby formula").
            found = self._select(info, any_name, draft, annotations, texts, chunks)
        return found

    def _select(
        self,
        info: Question,
        labels: tuple[str, ...],
        draft: Draft,
        annotations: Mapping[str, DocAnnotation],
        texts: Mapping[str, str],
        chunks: bool = False,
        kind: tuple[str, str] | None = None,
    ) -> Pick | None:
        """`kind`: (the asked kind, the asked noun): its common nouns are the candidates."""
        question_terms = term_set(info.text)
        asked_terms = info.asking_terms if info.asking else info.content_terms
        places = listed_places(info) if self._config.unlisted_place_penalty else None
        unit = asked_unit(info) if self._config.unit_weight else None
        supports = [s for c in draft.claims for s in c.supports]
        place = {id(s): k for k, c in enumerate(draft.claims) for s in c.supports}
        top = max((s.score for s in supports), default=0.0) or 1.0
        folded = [fold(s.quote) for s in supports]
        best: Pick | None = None
        for i, s in enumerate(supports):
            ann = annotations.get(s.passage.doc_id)
            text = texts.get(s.passage.doc_id, "")
            if ann is None or not text:
                continue
            quote_terms = term_set(s.quote)
            asked = sum(1 for t in asked_terms if t in quote_terms) / len(asked_terms) if asked_terms else 0.0
            found = (
                nouns_of_kind(text, s.start, s.end, *kind)
                if kind is not None
                else self._candidates(ann, s.start, s.end, labels, chunks)
            )
            if unit is not None:
                # "six centuries", "11 minutes": a date or time that counts the asked unit.
                found += [
                    e
                    for e in ann.entities_in(s.start, s.end)
                    if e.label not in labels and terms(e.text)[-1:] == [unit] and _counts(text, e, unit)
                ]
            for e in found:
                if _named_in_question(e, question_terms):
                    continue
                if self._config.skip_datelines and ann.in_dateline(e):
                    continue
                e = _without_asked_words(e, question_terms, trailing=e.label == NOUN_CHUNK)
                if self._config.bare_numbers:
                    e = bare_number(e)
                if text[e.start : e.end] != e.text:  # an annotation of another text: never quoted
                    continue
                name = fold(e.text)
                votes = sum(1 for j, f in enumerate(folded) if j != i and name in f)
                # A question that opens with context is judged by its asking sentence alone: the
                # whole question's score ranks first the reports that retell the context.
                relevance = asked if info.asking else s.score / top + self._config.asking_weight * asked
                score = (
                    relevance
                    - self._config.order_weight * place[id(s)]
                    + self._config.vote_weight * min(votes, 3)
                    - self._label_cost(labels, e.label)
                    + self._config.context_weight * self._context(info, text, e.start, question_terms)
                )
                if unit is not None and _counts(text, e, unit):
                    score += self._config.unit_weight
                if places is not None and place_key(e.text) not in places:
                    score -= self._config.unlisted_place_penalty
                if best is None or score > best.score + 1e-9:
                    best = Pick(e.text, e.start, e.end, s, e.label, score)
        return best

    def _candidates(
        self, ann: DocAnnotation, start: int, end: int, labels: tuple[str, ...], chunks: bool
    ) -> list[Entity]:
        """The entities of the asked labels inside [start, end); with `chunks`, also the noun
        chunks there that are no such entity and hold a content word (label NOUN_CHUNK)."""
        inside = ann.entities_in(start, end)
        found = [e for e in inside if e.label in labels]
        if not chunks:
            return found
        for c in ann.noun_chunks_in(start, end):
            if any(e.start < c.end and c.start < e.end for e in inside) or not terms(c.text):
                continue
            found.append(Entity(start=c.start, end=c.end, text=c.text, label=NOUN_CHUNK))
        return found

    def _label_cost(self, labels: tuple[str, ...], label: str) -> float:
        if label == COMMON_NOUN:
            return 0.0
        if label == NOUN_CHUNK:
            return self._config.chunk_penalty or 0.0
        return self._config.label_step * (labels.index(label) if label in labels else len(labels))

    @staticmethod
    def _context(info: Question, text: str, start: int, question_terms: frozenset[str]) -> float:
        if info.asked_title:
            return _introduced(text, start, question_terms)
        if info.answer_type == "place":
            before = text[max(0, start - 20) : start].split()
            return 1.0 if before and before[-1].lower() in _PLACE_PREPOSITIONS else 0.0
        return 0.0

    def answer_first(self, draft: Draft, pick: Pick) -> Draft:
        """The claim holding the pick first; the others follow, in their order, while the answer
        stays within the word budget and the claim limit (the first claim is always kept)."""
        lead = next(c for c in draft.claims if pick.support in c.supports)
        claims: list[Claim] = [lead]
        used = len(pick.text.split()) + len(lead.text.split())
        for c in draft.claims:
            if c is lead:
                continue
            if self._config.max_claims and len(claims) >= self._config.max_claims:
                break
            n = len(c.text.split())
            if self._config.word_budget and used + n > self._config.word_budget:
                break
            claims.append(c)
            used += n
        return replace(draft, claims=claims, short_answer=pick, leads_with_short_answer=True)
