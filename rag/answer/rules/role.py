"""role: "What is X's position?" prefers the sentence that gives X's title."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rag.answer.extractive.attribution import ROLE_WORDS
from rag.answer.rules.base import Asked, Bonus, Candidate
from rag.nlp.text import fold, term_set

if TYPE_CHECKING:
    from rag.settings import Settings


def states_role(name_terms: list[str] | tuple[str, ...], sentence: str) -> bool:
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


class RoleBonus(Bonus):
    """ "What is Wang Yi's position?": "Wang Yi, the Chinese foreign minister, said ..." states
    his title and gains `weight`. Settings: `rules.role.weight` (RAG_ROLE_WEIGHT)."""

    name = "role"

    def __init__(self, weight: float = 0.3):
        self.weight = weight

    @classmethod
    def from_settings(cls, settings: Settings) -> RoleBonus:
        return cls(settings.rules.role.weight)

    def bonus(self, c: Candidate, asked: Asked) -> float:
        return self.weight if asked.role_terms and states_role(asked.role_terms, c.text) else 0.0
