"""list_names: "which ministers ...?" prefers a sentence that enumerates names."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rag.answer.rules.base import Asked, Bonus, Candidate

if TYPE_CHECKING:
    from rag.settings import Settings

_NAME_GROUP = re.compile(r"\b[A-Z][\w'’\-]+(?:\s+(?:[A-Z][\w'’\-]+|de|al|bin|van|von))*")
_LIST_SHAPE = re.compile(r"N(?:,\s*N)+,?\s+(?:and|or)\s+N|N(?:,\s*N){2,}")
# News gives ages after names ("Neil Gorsuch, age 54, Brett Kavanaugh, 57, and ..."): not list items.
_AGE = re.compile(r",\s*(?:age[ds]?\s+)?\d{1,3}(?=\s*,|\s+(?:and|or)\b|\s*[.;]|$)")


def enumerated_names(sentence: str) -> int:
    """How many names a sentence enumerates ('A, B and C' is 3; 'A and B' is not a list).
    Each capitalised name group becomes 'N' and the list shape is matched on that."""
    shape = _NAME_GROUP.sub("N", _AGE.sub("", sentence))
    return max((m.group(0).count("N") for m in _LIST_SHAPE.finditer(shape)), default=0)


class ListBonus(Bonus):
    """ "Which countries joined the pact?": "Spain, Italy and Greece signed on Monday." lists
    three names and gains `weight`. Settings: `rules.list_names.weight` (RAG_LIST_WEIGHT)."""

    name = "list_names"

    def __init__(self, weight: float = 0.35):
        self.weight = weight

    @classmethod
    def from_settings(cls, settings: Settings) -> ListBonus:
        return cls(settings.rules.list_names.weight)

    def bonus(self, c: Candidate, asked: Asked) -> float:
        return self.weight if asked.question.wants_list and enumerated_names(c.text) >= 3 else 0.0
