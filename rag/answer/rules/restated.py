"""restated: a sentence that only restates the question is not quoted while other evidence remains."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from rag.answer.rules.base import Asked, Candidate, Evidence, EvidenceFilter
from rag.nlp.text import term_set

if TYPE_CHECKING:
    from rag.settings import Settings


@lru_cache(maxsize=64)
def _question_terms(text: str) -> frozenset[str]:
    return term_set(text)


def restates(sentence: str, question_terms: frozenset[str], overlap: float) -> bool:
    """The sentence only repeats the question's context (a lead the question quotes)."""
    st = term_set(sentence)
    return len(st) >= 4 and len(st & question_terms) / len(st) >= overlap


class Restated(EvidenceFilter):
    """ "... the most infectious variant yet has arrived. What is it called?": the lead the
    question quotes shows the archive covers it (it counts for relevance) but is not the answer.
    One that adds a thing of the asked kind ("... illegal in New Jersey since 1949" for "Since
    what year has it been illegal in New Jersey?") answers, however many words it shares.
    Nothing else left, the restating sentences stay. Settings: `rules.restated.overlap`
    (RAG_ECHO_OVERLAP; above 1 turns it off)."""

    name = "restated"
    coverage = True

    def __init__(self, overlap: float = 0.8):
        self.overlap = overlap

    @classmethod
    def from_settings(cls, settings: Settings) -> Restated:
        return cls(settings.rules.restated.overlap)

    def keep(self, c: Candidate, asked: Asked, ev: Evidence) -> bool:
        return bool(c.of_kind) or not restates(c.text, _question_terms(asked.question.text), self.overlap)
