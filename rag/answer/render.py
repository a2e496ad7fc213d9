"""One place that turns claims and their supports into answer text with [n] markers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rag.answer.citations import Support
from rag.answer.safety import neutralise, safe_link
from rag.models import AskResponse, Citation, ShortAnswer

_MARKERS = re.compile(r"(?:\s*\[\d+\])+")
_MARKER = re.compile(r"\[(\d+)\]")


@dataclass
class Claim:
    text: str
    supports: list[Support] = field(default_factory=list)


@dataclass(frozen=True)
class Pick:
    """A short answer (rag/answer/short_answer.py): `text` is `document.text[start:end]`, inside
    the quote of `support`, which is cited by the answer's first claim."""

    text: str
    start: int
    end: int
    support: Support
    label: str
    score: float


@dataclass
class Draft:
    claims: list[Claim] = field(default_factory=list)
    abstained: bool = False
    abstain_reason: str = ""
    warnings: list[str] = field(default_factory=list)
    short_answer: Pick | None = None
    leads_with_short_answer: bool = False  # the answer text opens with it ("China [1]. ...")


def abstain_text(reason: str) -> str:
    text = "The indexed articles don't cover this"
    return f"{text}: {neutralise(reason)}" if reason else f"{text}."


def render(draft: Draft) -> tuple[str, list[Citation]]:
    if draft.abstained or not draft.claims:
        return abstain_text(draft.abstain_reason), []
    citations: list[Citation] = []
    numbers: dict[tuple[str, int, int], int] = {}
    parts: list[str] = []
    for claim in draft.claims:
        marks: list[int] = []
        for s in claim.supports:
            key = (s.passage.chunk_id, s.start, s.end)
            if key not in numbers:
                numbers[key] = len(citations) + 1
                p = s.passage
                citations.append(
                    Citation(
                        n=numbers[key],
                        doc_id=p.doc_id,
                        chunk_id=p.chunk_id,
                        title=p.title,
                        source=p.source,
                        published=p.published,
                        url=safe_link(p.url),
                        path=p.path,
                        text=p.text,
                        quote=s.quote,
                        start=s.start,
                        end=s.end,
                        score=s.score,
                    )
                )
            if numbers[key] not in marks:
                marks.append(numbers[key])
        text = neutralise(claim.text)
        parts.append(text + (" " + "".join(f"[{n}]" for n in marks) if marks else ""))
    short = short_answer_of(draft, citations)
    if short is not None and draft.leads_with_short_answer:
        # Its own sentence, cited like every sentence of an answer: "Portugal [1]. The ... [1]".
        parts.insert(0, f"{neutralise(short.text).rstrip('.')} [{short.citation}].")
    return " ".join(parts), citations


def short_answer_of(draft: Draft, citations: list[Citation]) -> ShortAnswer | None:
    """The draft's short answer with the number of the citation whose quote holds it."""
    pick = draft.short_answer
    if pick is None or draft.abstained:
        return None
    s = pick.support
    n = next(
        (c.n for c in citations if (c.chunk_id, c.start, c.end) == (s.passage.chunk_id, s.start, s.end)),
        None,
    )
    if n is None:
        return None
    return ShortAnswer(text=pick.text, doc_id=s.passage.doc_id, start=pick.start, end=pick.end, citation=n)


def split_cited(answer: str) -> list[tuple[str, list[int]]]:
    """Answer text -> (sentence, its marker numbers). Markers attach to the text before them."""
    from rag.text import split_sentences

    out: list[tuple[str, list[int]]] = []
    pos = 0
    for m in _MARKERS.finditer(answer):
        segment = answer[pos : m.start()]
        nums = [int(n) for n in _MARKER.findall(m.group(0))]
        sentences = [s.text for s in split_sentences(segment)]
        for s in sentences[:-1]:
            out.append((s, []))
        if sentences:
            out.append((sentences[-1], nums))
        elif out:
            out[-1] = (out[-1][0], out[-1][1] + nums)
        pos = m.end()
    for tail in split_sentences(answer[pos:]):
        cleaned = tail.text.strip()
        if cleaned and cleaned not in ".!?":
            out.append((cleaned, []))
    return [(re.sub(r"\s+([.!?,;:])", r"\1", s).strip(), n) for s, n in out if s.strip(" .")]


def sources_block(resp: AskResponse) -> str:
    """One line per cited article, with every marker that points into it."""
    by_doc: dict[str, list[int]] = {}
    first: dict[str, Any] = {}
    for c in resp.citations:
        by_doc.setdefault(c.doc_id, []).append(c.n)
        first.setdefault(c.doc_id, c)
    lines = ["Sources:"]
    for doc_id, numbers in by_doc.items():
        c = first[doc_id]
        date = c.published.isoformat() if c.published else "undated"
        marks = "".join(f"[{n}]" for n in numbers)
        where = safe_link(c.url) or neutralise(c.path or doc_id)
        lines.append(f"{marks} {neutralise(c.title)} — {neutralise(c.source or 'unknown outlet')}, {date} ({where})")
    return "\n".join(lines)
