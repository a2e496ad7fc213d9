"""Does a cited passage support a claim? Shared by both answerers and the eval harness.

Support = the best-matching sentence (or pair of adjacent sentences) of the passage,
scored by embedding similarity plus lexical cues (content-word coverage, numbers that
must agree, negation that must agree). The quote and its char span in the document are
recorded so anyone can verify the citation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from rag.index.embed import Embedder
from rag.models import Passage
from rag.nlp.text import split_sentences, term_set

_NUMBER = re.compile(r"\b\d[\d,.]*\b")
_NEGATION = re.compile(r"\b(?:not|no|never|neither|nor|without|n't|cannot|denied|denies)\b", re.I)


@dataclass(frozen=True)
class Support:
    passage: Passage
    quote: str
    start: int  # in the document text
    end: int
    score: float
    supported: bool


def lexical_support(claim: str, evidence: str) -> float:
    """Share of the claim's content terms found in the evidence, with number/negation checks."""
    ct = term_set(claim)
    if not ct:
        return 0.0
    coverage = len(ct & term_set(evidence)) / len(ct)
    numbers = {n.rstrip(".,") for n in _NUMBER.findall(claim)}
    if numbers and not numbers <= {n.rstrip(".,") for n in _NUMBER.findall(evidence)}:
        coverage -= 0.25
    if bool(_NEGATION.search(claim)) != bool(_NEGATION.search(evidence)):
        coverage -= 0.15
    return max(0.0, coverage)


class CitationChecker:
    def __init__(self, embedder: Embedder, threshold: float = 0.5):
        self._embedder = embedder
        self.threshold = threshold

    def _candidates(self, passage: Passage) -> list[tuple[str, int, int]]:
        sentences = split_sentences(passage.text, offset=passage.start)
        spans = [(s.text, s.start, s.end) for s in sentences]
        for a, b in zip(sentences, sentences[1:], strict=False):
            spans.append((passage.text[a.start - passage.start : b.end - passage.start], a.start, b.end))
        return spans or [(passage.text, passage.start, passage.end)]

    def check(self, claim: str, passage: Passage) -> Support:
        return self.check_many([(claim, passage)])[0]

    def check_many(self, pairs: list[tuple[str, Passage]]) -> list[Support]:
        if not pairs:
            return []
        candidates = [self._candidates(p) for _, p in pairs]
        texts = [c for c, _ in pairs] + [t for cands in candidates for t, _, _ in cands]
        vectors = self._embedder.embed(texts)
        claims, rest = vectors[: len(pairs)], vectors[len(pairs) :]
        out: list[Support] = []
        pos = 0
        for (claim, passage), cands, cv in zip(pairs, candidates, claims, strict=True):
            sims = rest[pos : pos + len(cands)] @ cv
            pos += len(cands)
            best: tuple[float, str, int, int] | None = None
            for (text, start, end), sim in zip(cands, sims, strict=True):
                if text.strip() == claim.strip():
                    score = 1.0
                else:
                    score = 0.5 * float(np.clip(sim, 0, 1)) + 0.5 * lexical_support(claim, text)
                # Prefer the single sentence when a pair adds little.
                if best is None or score > best[0] + (0.02 if end - start > len(best[1]) else 0):
                    best = (score, text, start, end)
            assert best is not None
            score, text, start, end = best
            out.append(Support(passage, text, start, end, round(score, 4), score >= self.threshold))
        return out
