"""closeness: a question that opens with context is refused when no sentence is close enough to it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rag.answer import abstention
from rag.answer.render import Draft
from rag.answer.rules.base import Abstention, Asked, Evidence
from rag.answer.rules.role import states_role

if TYPE_CHECKING:
    from rag.settings import Settings


class Closeness(Abstention):
    """A question that opens with context ("Lawmakers in Florida spent the week arguing over a
    budget. Which animal was weighed?") over evidence that matches the context nowhere: the best
    sentence's relevance (similarity and word coverage of the whole question, half judged by the
    asking sentence alone; before bonuses) is under `threshold`, and the answer is "no passage
    answers the question closely enough". Only questions with context: for the others one
    threshold refused answers whose best article ranked first (the ablation in the README), and
    what their evidence lacks is judged by the rules that name it (names_in_article,
    measure_named, asked_kind, speaker_topic). A sentence that states exactly what was asked
    ("Dickman, a forest ecologist with ...") is never too weak. Settings:
    `rules.closeness.threshold` (RAG_ABSTAIN_THRESHOLD)."""

    name = "closeness"

    def __init__(self, threshold: float = 0.40):
        self.threshold = threshold

    @classmethod
    def from_settings(cls, settings: Settings) -> Closeness:
        return cls(settings.rules.closeness.threshold)

    def check(self, asked: Asked, ev: Evidence) -> Draft | None:
        if not ev.pool or not asked.question.asking:
            return None
        stated = bool(asked.role_terms) and any(states_role(asked.role_terms, c.text) for c in ev.quotable)
        return abstention.too_weak(max(c.relevance for c in ev.pool), self.threshold, stated)
