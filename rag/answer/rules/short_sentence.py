"""short_sentence: captions, bylines and datelines are never quoted."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rag.answer.rules.base import SentenceFilter

if TYPE_CHECKING:
    from rag.settings import Settings


class ShortSentence(SentenceFilter):
    """A sentence of fewer than `min_words` words ("Photo: Reuters.", "By Jane Doe.") is no
    candidate. Settings: `rules.short_sentence.min_words` (RAG_MIN_SENTENCE_WORDS)."""

    name = "short_sentence"

    def __init__(self, min_words: int = 5):
        self.min_words = min_words

    @classmethod
    def from_settings(cls, settings: Settings) -> ShortSentence:
        return cls(settings.rules.short_sentence.min_words)

    def keep(self, text: str) -> bool:
        return len(text.split()) >= self.min_words
