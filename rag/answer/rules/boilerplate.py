"""boilerplate: page furniture (photo-gallery and video-player labels) is never quoted."""

from __future__ import annotations

import re

from rag.answer.rules.base import SentenceFilter
from rag.resources import words as resource_words

_BOILERPLATE = re.compile("|".join(re.escape(m) for m in sorted(resource_words("boilerplate_markers"))))


class Boilerplate(SentenceFilter):
    """A sentence holding a marker of rag/resources/boilerplate_markers.txt ("Hide Caption 7 of
    16 Photos: ...") is no candidate, however close it is to the question."""

    name = "boilerplate"

    def keep(self, text: str) -> bool:
        return not _BOILERPLATE.search(text)
