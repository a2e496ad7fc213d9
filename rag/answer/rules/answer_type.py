"""answer_type: a sentence holding a thing of the asked kind is put first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rag.answer.rules.base import Asked, Bonus, Candidate

if TYPE_CHECKING:
    from rag.settings import Settings


class AnswerTypeBonus(Bonus):
    """ "How many people died?": "The blast killed 12 people." holds a count and gains `weight`
    over "The blast shook the city." (Candidate.of_kind, read by the answerer). Settings:
    `rules.answer_type.weight` (RAG_ANSWER_TYPE_WEIGHT)."""

    name = "answer_type"

    def __init__(self, weight: float = 0.2):
        self.weight = weight

    @classmethod
    def from_settings(cls, settings: Settings) -> AnswerTypeBonus:
        return cls(settings.rules.answer_type.weight)

    def bonus(self, c: Candidate, asked: Asked) -> float:
        return self.weight if c.of_kind else 0.0
