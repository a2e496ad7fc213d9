"""Datelines: the outlet and place that open a report, marked once per article at ingest.

"(CNN) The rideshare company Lyft settled ...", "DENVER (AP) — Andre Burakovsky scored ...",
"NORTH CHARLESTON, S.C. − Tim Scott declared ...": the outlet in brackets and the place in
capitals say who filed a report and where, not what it reports, so they are no answer to "Who
scored?". `dateline_entities` finds those entities; the record keeps their spans
(DocAnnotation.datelines) and the answerer reads them, never the text again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.nlp.records import Entity, Span

# A dateline opens its sentence: at most this many characters come before its outlet or place.
_MAX_HEAD = 40
# What follows the place of a dateline: ", S.C." or ", England" at most, then a dash or "(AP)".
_DATELINE_END = re.compile(r"^\s*(?:,\s*[A-Z][\w.]*(?:\s+[A-Z][\w.]*)?\s*)?(?:[–—−-]|\()")


def in_dateline(text: str, sentence_start: int, entity: Entity) -> bool:
    """Whether `entity`, in the sentence of `text` that starts at `sentence_start`, is a
    dateline's outlet in brackets ("(CNN)", "London (CNN)") or its place in capitals ("DENVER
    (AP) —"). An acronym that opens a sentence ("NASA said ...") and a bracketed one after a
    name ("The World Health Organization (WHO) said ...") are no dateline."""
    head = text[sentence_start : entity.start]
    if len(head) > _MAX_HEAD:
        return False
    if text[entity.start - 1 : entity.start] == "(" and text[entity.end : entity.end + 1] == ")":
        place = head[:-1].replace(",", " ").split()
        return len(place) <= 3 and all(w[:1].isupper() for w in place)
    if not entity.text.isupper() or len(entity.text) < 3 or head.strip():
        return False
    return _DATELINE_END.match(text[entity.end : entity.end + 30]) is not None


def dateline_entities(text: str, sentences: Sequence[tuple[int, int]], entities: Sequence[Entity]) -> list[Span]:
    """The spans of the entities of `text` that a sentence's dateline names (in_dateline)."""
    out: list[Span] = []
    ordered = sorted(entities, key=lambda e: e.start)
    i = 0
    for start, end in sentences:
        while i < len(ordered) and ordered[i].start < start:
            i += 1
        j = i
        while j < len(ordered) and ordered[j].start < min(end, start + _MAX_HEAD + 1):
            e = ordered[j]
            if e.end <= end and in_dateline(text, start, e):
                out.append(Span(start=e.start, end=e.end, text=e.text))
            j += 1
    return out
