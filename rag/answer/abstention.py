"""Why the service answers "the indexed articles don't cover this": the reasons, in one place,
and the detectors the rules share (has the sentence a thing of the asked kind, does it report or
preview the asked outcome).

The pipeline asks `before_answering` (nothing to answer from); the named rules of
rag/answer/rules/ decide when the evidence falls short, and each abstains with one of the Drafts
below, with a reason a reader can check.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rag.answer.prompts import ABSTAIN_TOKEN
from rag.answer.render import Draft
from rag.models import Filters, Passage
from rag.nlp.text import STOPWORDS, terms, words
from rag.resources import alternation, month_pattern
from rag.resources import words as resource_words

if TYPE_CHECKING:
    from rag.analysis.question import Question
    from rag.answer.rules.base import Vocabulary


def _abstain(reason: str, by: str = "") -> Draft:
    return Draft(abstained=True, abstain_reason=reason, abstain_rule=by)


def unknown_entities(question: Question, index: Vocabulary) -> list[str]:
    """Names in the question that no indexed article contains at all. An acronym ("AP-NORC")
    may be written out in every article that has it ("Associated Press-NORC"): it is left to the
    answerer, which reads the articles' spelled-out names."""
    return [
        e
        for e in question.required_names
        if e not in STOPWORDS and e not in question.acronyms and not all(index.has_term(t) for t in terms(e))
    ]


def before_answering(
    question: Question, missing: dict[str, list[str]], passages: list[Passage], filters: Filters | None
) -> Draft | None:
    """`missing`: the names each rule that runs before retrieval found in no article."""
    for rule, names in missing.items():
        if names:
            return _abstain("no indexed article mentions " + ", ".join(names) + ".", rule)
    if passages:
        return None
    window = question.time_window
    if window is not None:
        since = window.from_.isoformat() if window.from_ else "the beginning"
        return _abstain(
            f"no indexed article published from {since} to {window.to.isoformat()} ({window.phrase!r}) matches.",
            "time_window",
        )
    return _abstain(
        "no indexed article matches this question" + (" and filters." if filters and not filters.is_empty() else "."),
        "retrieval",
    )


def no_candidates() -> Draft:
    return _abstain("no passage was retrieved for this question.", "retrieval")


def speaker_not_quoted(question: Question) -> Draft:
    return _abstain(f"no retrieved article reports what {question.speaker or 'that speaker'} said.")


def topic_not_quoted(question: Question) -> Draft:
    return _abstain(
        f"no retrieved article reports what {question.speaker or 'that speaker'} said about {question.topic}."
    )


def names_absent(question: Question) -> Draft:
    return _abstain("no retrieved article mentions " + ", ".join(question.required_names) + ".")


def nothing_of_asked_kind(question: Question) -> Draft:
    kinds = {
        "number": "a number",
        "date": "a date",
        "place": "a place",
        "person": "a name",
        "name": "a name",
        "role": "a title or role",
    }
    what = kinds.get(question.answer_type, "an answer")
    return _abstain(f"the retrieved articles give no {what} for this question.")


def llm_declined(text: str) -> Draft | None:
    if ABSTAIN_TOKEN in text:
        return _abstain("the passages do not answer the question.", "llm")
    return None


# -- evidence of the asked kind -----------------------------------------------------------------
_NUMBER = re.compile(
    r"\b\d[\d,.]*\b|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|hundreds?|"
    r"thousands?|millions?|billions?|half|halved|twice|double[ds]?|triple[ds]?|quadruple[ds]?)\b",
    re.I,
)


def _count_verbs() -> dict[str, frozenset[str]]:
    """verb term -> the terms of its group (rag/resources/count_verbs.txt)."""
    table: dict[str, frozenset[str]] = {}
    for line in resource_words("count_verbs"):
        group = frozenset(t for w in line.split() for t in terms(w))
        for t in group:
            table[t] = group
    return table


_COUNT_VERBS = _count_verbs()
_MONTHS = month_pattern()
_DATE = re.compile(rf"\b(?:{_MONTHS}|{alternation('date_words')}|(?:19|20)\d{{2}})(?!\w)", re.I)
# Numbers that are dates or times answer "when", not "how many": they are taken out first.
_DATE_NUMBERS = re.compile(
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTHS}(?:,?\s+\d{{4}})?|\b{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    r"|\b(?:19|20)\d{2}\b|\b\d{1,2}:\d{2}\b|\b\d{1,2}(?:st|nd|rd|th)\b",
    re.I,
)
_CAUSAL = re.compile(rf"\b(?:{alternation('causal_markers')})\b", re.I)
_CLAUSES = re.compile(r"[;,]|\s(?:and|but|when|while|after|before|as)\s", re.I)
# Day and month names are capitalised but answer no "who", "where" or "which": they are times.
_TIME_WORDS = resource_words("time_words")
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*")


_NOT_YET = re.compile(rf"(?<![\w'])(?:{alternation('future_markers', 'unrealised_markers')})\b")
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_OUTCOME_CLAUSES = re.compile(r"[;,:()]|\s[-–—]+\s|\s(?:but|while|and)\s", re.I)


def _outcome_forms(sentence: str, forms: frozenset[str], about: frozenset[str]) -> list[bool]:
    """For each form of `forms` in a clause that names what the outcome is of (a term of `about`,
    when given): whether something before it in its clause puts it in the future or makes it
    conditional ("whoever wins", "is favoured to win", "will be sold")."""
    found = []
    for clause in _OUTCOME_CLAUSES.split(sentence):
        if about and not about & set(terms(clause)):
            continue
        # Hyphenated forms are adjectives ("Stanley Cup-winning coach"), not reports.
        tokens = re.findall(r"[a-z'][a-z'-]*", clause.lower())
        for i, token in enumerate(tokens):
            if token in forms:
                found.append(_NOT_YET.search(" ".join(tokens[:i])) is not None)
    return found


def reports_outcome(question: Question, sentence: str) -> bool:
    """Whether a sentence reports the asked outcome as having happened: a form like "won" or
    "sold" that nothing before it in its clause makes future or conditional; and, when the
    sentence gives years, one of them is the year asked in ("the last year the Avalanche won the
    Stanley Cup", in a sentence about 2001, reports an earlier final)."""
    outcome = question.asked_outcome
    if outcome is None or outcome.names and not outcome.names & set(terms(sentence)):
        return False
    if question.as_of is not None:
        years = set(_YEAR.findall(sentence))
        if years and str(question.as_of.year) not in years:
            return False
    return any(not ahead for ahead in _outcome_forms(sentence, outcome.done, outcome.names or outcome.about))


def previews_outcome(question: Question, sentence: str) -> bool:
    """Whether a sentence speaks of the asked outcome as still to come ("will face whoever wins",
    "is expected to fetch $5 million", "will be auctioned this month")."""
    outcome = question.asked_outcome
    if outcome is None or not (outcome.names | outcome.about) & set(terms(sentence)):
        return False
    return any(_outcome_forms(sentence, outcome.ahead, frozenset()))


def outcome_not_yet(question: Question, evidence: list[str]) -> Draft | None:
    """An outcome question ("Who won this year's final?") whose evidence previews the outcome
    and nowhere reports it: asked before the event, it is refused rather than answered with the
    preview. Evidence that neither previews nor reports it is judged as any other."""
    if question.asked_outcome is None or any(reports_outcome(question, s) for s in evidence):
        return None
    if not any(previews_outcome(question, s) for s in evidence):
        return None
    when = f" as of {question.as_of.isoformat()}" if question.as_of else ""
    return _abstain(f"the retrieved articles do not report this outcome{when}, only what leads up to it.")


def has_asked_kind(
    question: Question, sentence: str, question_names: frozenset[str], opening_name: str = ""
) -> bool | None:
    """Whether a sentence holds something of the kind the question asks for (None: any sentence
    may answer). Names the question itself contains do not count as answers. `opening_name`: the
    stored entity the sentence opens with, which the capitalised-word test cannot see."""
    kind = question.answer_type
    if kind == "number":
        clauses = _CLAUSES.split(_DATE_NUMBERS.sub(" ", sentence))
        if not question.counted:
            return any(_NUMBER.search(c) for c in clauses)
        # "How many people died?": a clause with a number that says the verb, or its like
        # ("left seven dead"); the counted noun may be left out, the event may not.
        verbs = _COUNT_VERBS.get(question.counted[-1], frozenset({question.counted[-1]}))
        return any(_NUMBER.search(c) and verbs & set(terms(c)) for c in clauses)
    if kind == "date":
        return bool(_DATE.search(sentence))
    if kind == "reason":  # causes are phrased too many ways to refuse a sentence without a marker
        return True if _CAUSAL.search(sentence) else None
    if kind in ("place", "person", "name"):
        found = {w for m in _CAPITALISED.finditer(sentence) for w in words(m.group(0)) if w not in _TIME_WORDS}
        found |= {w for w in words(opening_name) if w not in _TIME_WORDS}
        named = bool({t for w in found for t in terms(w)} - question_names)
        # "Which supplement ...?" is often answered by a common noun ("beta carotene"): a name
        # helps a sentence, but only a person or a place question refuses one without any.
        return True if named else (None if kind == "name" else False)
    return None
