"""holder: "Which response coordinator ...?" prefers the sentence with the title before a name."""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from functools import lru_cache
from typing import TYPE_CHECKING

from rag.analysis.question import TIME_TERMS
from rag.answer.rules.base import Asked, Bonus, Candidate
from rag.nlp.text import terms

if TYPE_CHECKING:
    from rag.settings import Settings


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


class HolderBonus(Bonus):
    """ "Which White House response coordinator urged boosters?": "... said response coordinator
    Dr. Ashish Jha." names the holder of the asked title and gains `weight`. Settings:
    `rules.holder.weight` (RAG_HOLDER_WEIGHT)."""

    name = "holder"

    def __init__(self, weight: float = 0.3):
        self.weight = weight

    @classmethod
    def from_settings(cls, settings: Settings) -> HolderBonus:
        return cls(settings.rules.holder.weight)

    def bonus(self, c: Candidate, asked: Asked) -> float:
        title = asked.question.asked_title
        return self.weight if title and names_holder(title, c.text, asked.question_names) else 0.0
