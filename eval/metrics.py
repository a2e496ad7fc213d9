"""Deterministic, offline metric functions (no LLM judge needed)."""

from __future__ import annotations

import math
import random
import re
import string
from collections import Counter
from collections.abc import Sequence

from rag.nlp.text import fold, terms

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans(dict.fromkeys(string.punctuation + "‘’“”–—", " "))


def normalize_answer(text: str) -> str:
    """SQuAD-style: lower case, no punctuation, no articles, single spaces."""
    text = fold(text).lower().translate(_PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def hit_at_k(ranked: Sequence[str], gold: set[str], k: int) -> float:
    return 1.0 if gold & set(ranked[:k]) else 0.0


def mrr_at_k(ranked: Sequence[str], gold: set[str], k: int) -> float:
    for i, d in enumerate(ranked[:k], 1):
        if d in gold:
            return 1.0 / i
    return 0.0


def ndcg_at_k(ranked: Sequence[str], gold: set[str], k: int) -> float:
    dcg = sum(1.0 / math.log2(i + 1) for i, d in enumerate(ranked[:k], 1) if d in gold)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(gold), k) + 1))
    return dcg / ideal if ideal else 0.0


def recall_at_k(ranked: Sequence[str], gold: set[str], k: int) -> float:
    return len(gold & set(ranked[:k])) / len(gold) if gold else 0.0


def first_rank(ranked: Sequence[str], gold: set[str]) -> int | None:
    return next((i for i, d in enumerate(ranked, 1) if d in gold), None)


def contains(answer: str, phrase: str) -> bool:
    """Loose containment (the historical `answer_containment`): the normalised phrase, or every
    content term of the phrase present anywhere in the text, one by one."""
    na, np_ = normalize_answer(answer), normalize_answer(phrase)
    if np_ and f" {np_} " in f" {na} ":
        return True
    pt = set(terms(phrase))
    return bool(pt) and pt <= set(terms(answer))


def answer_containment(answer: str, acceptable: Sequence[str]) -> float:
    return 1.0 if any(contains(answer, a) for a in acceptable) else 0.0


_CITATION_MARKER = re.compile(r"\[\d+\]")


def strip_markers(text: str) -> str:
    """The answer's words without its `[n]` citation markers."""
    return " ".join(_CITATION_MARKER.sub(" ", text).split())


def contains_phrase(text: str, phrase: str) -> bool:
    """Strict containment: the normalised phrase occurs as a whole, in order, word-bounded.
    'United States' is not found in 'the United Nations and the states of the region'."""
    np_ = normalize_answer(phrase)
    return bool(np_) and f" {np_} " in f" {normalize_answer(strip_markers(text))} "


def strict_containment(text: str, acceptable: Sequence[str]) -> float:
    return 1.0 if any(contains_phrase(text, a) for a in acceptable) else 0.0


def first_sentence(answer: str) -> str:
    """The answer up to its first `[n]` marker: what a reader sees first, whether the marker
    closes the sentence ('… won. [1]') or sits inside it ('… said [1].'). An answer without
    markers: its first sentence."""
    m = _CITATION_MARKER.search(answer)
    if m is not None:
        return answer[: m.start()]
    from rag.nlp.text import split_sentences

    sentences = split_sentences(answer)
    return sentences[0].text if sentences else answer


def exact_match(prediction: str, acceptable: Sequence[str]) -> float:
    """SQuAD exact match after normalisation, against any acceptable answer."""
    p = normalize_answer(prediction)
    return 1.0 if p and any(p == normalize_answer(a) for a in acceptable) else 0.0


_WORD = re.compile(r"\w[\w'’\-]*")


def word_count(answer: str) -> int:
    """Words a reader reads: markers and punctuation not counted."""
    return len(_WORD.findall(strip_markers(answer)))


def first_bearing_rank(ranked: Sequence[str], bearing: set[str]) -> int | None:
    """1-based rank of the first article in `ranked` that holds an acceptable answer."""
    return next((i for i, d in enumerate(ranked, 1) if d in bearing), None)


def key_fact_recall(answer: str, key_facts: Sequence[Sequence[str]]) -> float:
    if not key_facts:
        return 0.0
    return sum(1 for phrasings in key_facts if any(contains(answer, p) for p in phrasings)) / len(key_facts)


def token_f1(prediction: str, reference: str) -> float:
    p, r = normalize_answer(prediction).split(), normalize_answer(reference).split()
    common = Counter(p) & Counter(r)
    same = sum(common.values())
    if not p or not r or same == 0:
        return 0.0
    precision, recall = same / len(p), same / len(r)
    return 2 * precision * recall / (precision + recall)


def rouge_l(prediction: str, reference: str) -> float:
    """ROUGE-L F-measure from the longest common subsequence of tokens."""
    p, r = normalize_answer(prediction).split(), normalize_answer(reference).split()
    if not p or not r:
        return 0.0
    prev = [0] * (len(r) + 1)
    for a in p:
        cur = [0] * (len(r) + 1)
        for j, b in enumerate(r, 1):
            cur[j] = prev[j - 1] + 1 if a == b else max(prev[j], cur[j - 1])
        prev = cur
    lcs = prev[-1]
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(p), lcs / len(r)
    return 2 * precision * recall / (precision + recall)


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    pos = (len(s) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def bootstrap_ci(values: Sequence[float], n: int = 1000, seed: int = 13, alpha: float = 0.05) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean; the seed makes it deterministic."""
    if not values:
        return (0.0, 0.0)
    if len(values) == 1:
        return (values[0], values[0])
    rng = random.Random(seed)
    k = len(values)
    means = sorted(sum(values[rng.randrange(k)] for _ in range(k)) / k for _ in range(n))
    return (means[int(n * alpha / 2)], means[min(n - 1, int(n * (1 - alpha / 2)))])


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0
