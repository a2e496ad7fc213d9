"""measure_named: "What is the inflation rate?" is answered from an article that names inflation."""

from __future__ import annotations

import re

from rag.analysis.question import Question, asked_focus
from rag.answer import abstention
from rag.answer.render import Draft
from rag.answer.rules.base import Asked, Candidate, Evidence, EvidenceFilter
from rag.nlp.text import terms
from rag.resources import alternation

# "What is the <measure> rate/price/share ...?": up to three words before a number noun.
_MEASURE = re.compile(
    rf"^(?:what|which)\s+(?:is|was|are|were)\s+(?:the\s+)?(?P<measure>(?:(?!of\b|the\b|a\b)[\w'’-]+\s+){{1,3}}?)"
    rf"(?:{alternation('number_nouns')})\b",
    re.I,
)


def measure_terms(question: Question) -> frozenset[str]:
    """The terms of what a number question measures ("inflation" of "What is the inflation rate
    in China?"), empty when it names none."""
    if question.answer_type != "number":
        return frozenset()
    m = _MEASURE.match(asked_focus(question.asking or question.text))
    return frozenset(terms(m.group("measure"))) if m else frozenset()


class MeasureNamed(EvidenceFilter):
    """ "What is the inflation rate in China?" over articles about diplomacy is not answered by
    "... the two-state solution, said Wang Yi" (a number, of nothing asked): only sentences from
    articles that name what is measured ("inflation") are evidence; none left, it abstains."""

    name = "measure_named"

    def applies(self, asked: Asked, ev: Evidence) -> bool:
        return bool(measure_terms(asked.question))

    def keep(self, c: Candidate, asked: Asked, ev: Evidence) -> bool:
        return measure_terms(asked.question) <= ev.doc_terms.get(c.passage.doc_id, frozenset())

    def when_empty(self, asked: Asked, ev: Evidence) -> Draft | None:
        return abstention.nothing_of_asked_kind(asked.question)
