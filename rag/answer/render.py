"""One place that turns claims and their supports into answer text with [n] markers."""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

from rag.answer.citations import Support
from rag.answer.safety import neutralise, safe_link
from rag.models import AskResponse, Citation, ShortAnswer
from rag.nlp.text import fold

_MARKERS = re.compile(r"(?:\s*\[\d+\])+")
_MARKER = re.compile(r"\[(\d+)\]")


@dataclass
class Claim:
    """A sentence of the answer and the quotes that support it. `lead`: words the answerer puts
    before it, not quoted from an article, e.g. the outlet of a "which outlets" answer
    ("Xinhua: Wang Yi held a phone call ... [1].")."""

    text: str
    supports: list[Support] = field(default_factory=list)
    lead: str = ""


@dataclass(frozen=True)
class Pick:
    """A short answer (rag/answer/extractive/short_answer.py): `text` is `document.text[start:end]`, inside
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
    # What refused: a rule's name (rag/answer/rules/), "time_window", "retrieval" or "llm".
    abstain_rule: str = ""
    warnings: list[str] = field(default_factory=list)
    short_answer: Pick | None = None
    leads_with_short_answer: bool = False  # the answer text opens with it ("China. China assumes ... [1].")


def abstain_text(reason: str) -> str:
    text = "The indexed articles don't cover this"
    return f"{text}: {neutralise(reason)}" if reason else f"{text}."


# A sentence's closing punctuation (and closing quotes): markers go before it, inside the
# sentence ("... the minister said [1]."), so a narrow screen never wraps one to the next line.
_CLOSING = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019\u00bb)\]]*$")
_INITIALISM = re.compile(r"(?:\b[A-Za-z]\.){2,}$")  # "U.S.": its last dot is the word's, not the sentence's
_LEADING_CLOSE = re.compile(r"^\s*[.!?\u2026]+[\"'\u201d\u2019\u00bb)\]]*")


def with_markers(text: str, marks: list[int]) -> str:
    """'He said.' + [1] -> 'He said [1].'"""
    if not marks:
        return text
    group = "".join(f"[{n}]" for n in marks)
    body = text.rstrip()
    end = _CLOSING.search(body)
    if end is None or _INITIALISM.search(body):
        return f"{body} {group}"
    return f"{body[: end.start()].rstrip()} {group}{end.group(0)}"


@dataclass
class Rendered:
    """One answer sentence with its markers, and the citations it numbered first."""

    text: str
    new_citations: list[Citation]


class AnswerParts:
    """An answer as it is made: iterate for its rendered sentences, then read `response` (the
    value the answering generator returns once it is done).

    >>> parts = AnswerParts(pipeline.ask_stream("What did Oman say?"))
    >>> for part in parts: send(part.text)
    >>> parts.response.citations
    """

    def __init__(self, parts: Generator[Rendered, None, AskResponse]) -> None:
        self._parts = parts
        self._response: AskResponse | None = None

    def __iter__(self) -> Iterator[Rendered]:
        self._response = yield from self._parts

    @property
    def response(self) -> AskResponse:
        if self._response is None:
            raise RuntimeError("the answer is read only once all of its parts were")
        return self._response


class Renderer:
    """Numbers citations in order of first use, one claim at a time, so that an answer can be
    sent sentence by sentence as it is produced and still read the same as `render`'s."""

    def __init__(self) -> None:
        self.citations: list[Citation] = []
        self._numbers: dict[tuple[str, int, int], int] = {}

    def claim(self, claim: Claim, lead: str | None = None) -> Rendered:
        new: list[Citation] = []
        marks: list[int] = []
        for s in claim.supports:
            key = (s.passage.chunk_id, s.start, s.end)
            if key not in self._numbers:
                self._numbers[key] = len(self.citations) + 1
                p = s.passage
                citation = Citation(
                    n=self._numbers[key],
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
                self.citations.append(citation)
                new.append(citation)
            if self._numbers[key] not in marks:
                marks.append(self._numbers[key])
        text = with_markers(neutralise(claim.text), marks)
        if claim.lead:
            text = labelled(claim.lead, text)
        if lead:
            # The short answer opens the sentence that states it: "Portugal. The ... won [1]."
            # Capitalised as a sentence's start ("the St. Louis Blues" -> "The St. Louis Blues");
            # the short_answer field keeps the document's exact span.
            opening = neutralise(lead).rstrip(".")
            text = f"{opening[:1].upper()}{opening[1:]}. {text}"
        return Rendered(text, new)


def labelled(label: str, sentence: str) -> str:
    """'Xinhua' + a rendered quote -> 'Xinhua: <quote> [1].' (the label is article data too)."""
    return f"{neutralise(label)}: {sentence}"


def without_label(sentence: str, labels: list[str]) -> str:
    """The sentence without the label `labelled` put before it, if one of `labels` opens it."""
    for label in labels:
        opening = labelled(label, "") if label else ""
        if opening and sentence.startswith(opening):
            return sentence[len(opening) :]
    return sentence


def render(draft: Draft) -> tuple[str, list[Citation]]:
    if draft.abstained or not draft.claims:
        return abstain_text(draft.abstain_reason), []
    renderer = Renderer()
    lead = lead_of(draft)
    parts = [renderer.claim(claim, lead if i == 0 else None).text for i, claim in enumerate(draft.claims)]
    return " ".join(parts), renderer.citations


def lead_of(draft: Draft) -> str | None:
    """The short answer the answer text opens with, if it opens with one."""
    if draft.short_answer is None or not draft.leads_with_short_answer or draft.abstained:
        return None
    return draft.short_answer.text


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
    return ShortAnswer(
        text=pick.text,
        doc_id=s.passage.doc_id,
        start=pick.start,
        end=pick.end,
        citation=n,
        stated_in=[n, *(c.n for c in citations if c.n != n and states(c.quote, pick.text))],
    )


def states(quote: str, phrase: str) -> bool:
    """Whether `quote` holds `phrase` as a whole phrase, in its case (accents aside), a sentence's
    first letter capitalised: "the Buffalo Bills won" states "Bills" and "Woolly mammoth DNA"
    "woolly mammoth"; "the bills were paid" and "Billsville" do not (a name's case tells it from
    the common word). How many cited reports agree on a short answer is how far a reader may
    trust it (`rag eval` reports exact match by that count)."""
    folded, text = fold(phrase).strip(), fold(quote)
    if not folded:
        return False
    if re.search(rf"(?<!\w){re.escape(folded)}(?!\w)", text):
        return True
    opening = folded[:1].upper() + folded[1:]
    return re.match(rf"\W*{re.escape(opening)}(?!\w)", text) is not None


def split_cited(answer: str) -> list[tuple[str, list[int]]]:
    """Answer text -> (sentence, its marker numbers). Markers attach to the text before them,
    whether they close the sentence ("said. [1]") or sit inside it ("said [1].")."""
    from rag.nlp.text import split_sentences

    out: list[tuple[str, list[int]]] = []

    def close_previous(segment: str) -> str:
        """Punctuation right after a marker ends the sentence the marker belongs to."""
        lead = _LEADING_CLOSE.match(segment)
        if lead is None or not out:
            return segment
        out[-1] = (out[-1][0] + lead.group(0).strip(), out[-1][1])
        return segment[lead.end() :]

    pos = 0
    for m in _MARKERS.finditer(answer):
        segment = close_previous(answer[pos : m.start()])
        nums = [int(n) for n in _MARKER.findall(m.group(0))]
        sentences = [s.text for s in split_sentences(segment)]
        for s in sentences[:-1]:
            out.append((s, []))
        if sentences:
            out.append((sentences[-1], nums))
        elif out:
            out[-1] = (out[-1][0], out[-1][1] + nums)
        pos = m.end()
    for tail in split_sentences(close_previous(answer[pos:])):
        cleaned = tail.text.strip()
        if cleaned and cleaned not in ".!?":
            out.append((cleaned, []))
    return [(re.sub(r"\s+([.!?,;:])", r"\1", s).strip(), n) for s, n in out if s.strip(" .")]


def sources_block(resp: AskResponse, document_url: Callable[[str], str] | None = None) -> str:
    """One line per cited article, with every marker that points into it, for readers that render
    no structured sources. It links the article (or, given `document_url`, the service's copy of
    it) and never shows internal file names."""
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
        where = safe_link(c.url) or (document_url(doc_id) if document_url else None)
        link = f" ({where})" if where else ""
        lines.append(f"{marks} {neutralise(c.title)} — {neutralise(c.source or 'unknown outlet')}, {date}{link}")
    return "\n".join(lines)
