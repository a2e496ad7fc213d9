"""closeness: refuses when no sentence is close enough to the question."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rag.answer import abstention
from rag.answer.render import Draft
from rag.answer.rules.base import Abstention, Asked, Evidence
from rag.answer.rules.role import states_role

if TYPE_CHECKING:
    from rag.settings import Settings


class Closeness(Abstention):
    """ "Who won the 2022 World Cup?" over an archive of Gulf diplomacy: the best sentence's
    relevance (similarity and word coverage, before bonuses) is under `threshold`, and the
    answer is "no passage answers the question closely enough". A sentence that states exactly
    what was asked ("Dickman, a forest ecologist with ..." for "What is Garrett Dickman's job?")
    shares few words with a four-word question: never too weak. Settings:
    `rules.closeness.threshold` (RAG_ABSTAIN_THRESHOLD)."""

    name = "closeness"

    def __init__(self, threshold: float = 0.40):
        self.threshold = threshold

    @classmethod
    def from_settings(cls, settings: Settings) -> Closeness:
        return cls(settings.rules.closeness.threshold)

    def check(self, asked: Asked, ev: Evidence) -> Draft | None:
        if not ev.pool:
            return None
        stated = bool(asked.role_terms) and any(states_role(asked.role_terms, c.text) for c in ev.quotable)
        return abstention.too_weak(max(c.relevance for c in ev.pool), self.threshold, stated)
