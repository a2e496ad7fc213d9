"""Deterministic, offline metric functions (no LLM judge needed)."""

from __future__ import annotations

import math
import random
import re
import string
from collections import Counter
from collections.abc import Sequence

from rag.text import fold, terms

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
    """Normalised containment, or every content term of the phrase present in the answer."""
    na, np_ = normalize_answer(answer), normalize_answer(phrase)
    if np_ and f" {np_} " in f" {na} ":
        return True
    pt = set(terms(phrase))
    return bool(pt) and pt <= set(terms(answer))


def answer_containment(answer: str, acceptable: Sequence[str]) -> float:
    return 1.0 if any(contains(answer, a) for a in acceptable) else 0.0


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
