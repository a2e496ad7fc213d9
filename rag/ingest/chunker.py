"""Sentence-aware chunking sized in the embedder's own tokens."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rag.models import Chunk, Document
from rag.nlp.text import Sentence, split_sentences

TokenCounter = Callable[[Sequence[str]], list[int]]


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    tokens: int


class SentenceChunker:
    """Packs whole sentences into chunks of at most `chunk_size` tokens, repeating up to
    `chunk_overlap` tokens of trailing sentences at the start of the next chunk.

    Every chunk is a verbatim slice of the document text (`text[start:end]`).
    """

    def __init__(self, count_tokens: TokenCounter, chunk_size: int = 200, chunk_overlap: int = 40):
        if chunk_size < 16:
            raise ValueError("chunk_size must be at least 16 tokens")
        if chunk_overlap >= chunk_size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        self._count = count_tokens
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap

    @property
    def fingerprint(self) -> str:
        return f"sentence-v1:{self.chunk_size}:{self.chunk_overlap}"

    def _spans(self, text: str, sentences: list[Sentence]) -> list[_Span]:
        counts = self._count([s.text for s in sentences]) if sentences else []
        spans: list[_Span] = []
        for s, n in zip(sentences, counts, strict=True):
            if n <= self.chunk_size:
                spans.append(_Span(s.start, s.end, n))
                continue
            # An over-long "sentence" (tables, lists): cut at word boundaries.
            words = s.text.split(" ")
            per_word = max(1.0, n / max(1, len(words)))
            step = max(1, int(self.chunk_size / per_word))
            pos = s.start
            for i in range(0, len(words), step):
                piece = " ".join(words[i : i + step])
                start = text.index(piece, pos)
                spans.append(_Span(start, start + len(piece), min(self.chunk_size, int(per_word * step))))
                pos = start + len(piece)
        return spans

    def chunk(self, doc: Document, version: str) -> list[Chunk]:
        """`version` (a write id) goes into every chunk id, so two writes never share chunk ids."""
        spans = self._spans(doc.text, split_sentences(doc.text))
        groups: list[list[_Span]] = []
        current: list[_Span] = []
        size = 0
        for span in spans:
            if current and size + span.tokens > self.chunk_size:
                groups.append(current)
                carry: list[_Span] = []
                carried = 0
                for prev in reversed(current):
                    if carried + prev.tokens > self.chunk_overlap:
                        break
                    carry.insert(0, prev)
                    carried += prev.tokens
                current, size = carry, carried
            current.append(span)
            size += span.tokens
        if current:
            groups.append(current)
        prefix = version[:16]
        return [
            Chunk(
                chunk_id=f"{doc.doc_id}:{prefix}:{i:04d}",
                doc_id=doc.doc_id,
                index=i,
                text=doc.text[g[0].start : g[-1].end],
                start=g[0].start,
                end=g[-1].end,
            )
            for i, g in enumerate(groups)
        ]


def document_hash(doc: Document, chunker_fingerprint: str, embedder_name: str) -> str:
    """Changes whenever anything that shapes the stored chunks changes."""
    h = hashlib.sha256()
    for part in (
        doc.title,
        doc.text,
        doc.source or "",
        doc.published.isoformat() if doc.published else "",
        doc.url or "",
        doc.path or "",
        "|".join(doc.categories),
        chunker_fingerprint,
        embedder_name,
    ):
        h.update(part.encode())
        h.update(b"\x1f")
    return h.hexdigest()
