"""Runs gold questions through the pipeline and scores every answer the same way."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np

from eval.gold import SPLITS, GoldItem, split_of
from eval.metrics import (
    answer_containment,
    bootstrap_ci,
    first_rank,
    hit_at_k,
    key_fact_recall,
    mean,
    mrr_at_k,
    ndcg_at_k,
    percentile,
    recall_at_k,
    rouge_l,
    token_f1,
)
from rag.answer.render import sources_block, split_cited
from rag.models import AskResponse, Passage
from rag.pipeline import RagPipeline

HEADLINE = (
    "key_fact_recall",
    "answer_containment",
    "citation_precision",
    "citation_recall",
    "faithfulness",
    "abstention_accuracy",
    "hit@5",
    "mrr@10",
)
RETRIEVAL_DEPTH = 10
# Every metric a run can report; a run leaves out those its gold set cannot define.
METRICS = frozenset(
    {
        *HEADLINE,
        *(f"hit@{k}" for k in (1, 3, 5, 10)),
        "ndcg@10",
        "recall@10",
        "token_f1",
        "rouge_l",
        "embedding_similarity",
        "abstention_precision",
        "abstention_recall",
    }
)


def _citation_scores(pipeline: RagPipeline, resp: AskResponse) -> tuple[float | None, float | None]:
    """(citation precision, faithfulness) from the shared CitationChecker."""
    if resp.abstained or not resp.citations:
        return None, None
    by_n = {c.n: c for c in resp.citations}
    pairs: list[tuple[int, str, Passage]] = []
    sentences = split_cited(resp.answer)
    for idx, (sentence, numbers) in enumerate(sentences):
        for n in numbers:
            c = by_n.get(n)
            if c is None:
                continue
            passage = Passage(
                chunk_id=c.chunk_id, doc_id=c.doc_id, text=c.quote, start=c.start, end=c.end, title=c.title
            )
            pairs.append((idx, sentence, passage))
    if not pairs:
        return 0.0, 0.0
    supports = pipeline.checker.check_many([(s, p) for _, s, p in pairs])
    precision = mean([1.0 if s.supported else 0.0 for s in supports])
    supported_sentences = {idx for (idx, _, _), s in zip(pairs, supports, strict=True) if s.supported}
    return precision, len(supported_sentences) / len(sentences)


def score_one(
    pipeline: RagPipeline, item: GoldItem, resp: AskResponse, ranked_docs: list[str], retrieve_ms: float
) -> dict[str, Any]:
    gold = item.gold_docs()
    visible = resp.answer + ("\n" + sources_block(resp) if resp.citations else "")
    row: dict[str, Any] = {
        "id": item.id,
        "question": item.question,
        "type": item.type,
        "answerable": item.answerable,
        "answer": resp.answer,
        "abstained": resp.abstained,
        "answerer": resp.answerer,
        "cited_docs": sorted({c.doc_id for c in resp.citations}),
        "retrieved_docs": ranked_docs,
        "gold_docs": sorted(gold),
        "warnings": resp.warnings,
        "retrieve_ms": resp.timings.retrieve_ms,
        "answer_ms": resp.timings.answer_ms,
        "search_ms": retrieve_ms,
        "abstention_correct": 1.0 if resp.abstained == (not item.answerable) else 0.0,
    }
    if gold:
        for k in (1, 3, 5, 10):
            row[f"hit@{k}"] = hit_at_k(ranked_docs, gold, k)
        row["mrr@10"] = mrr_at_k(ranked_docs, gold, 10)
        row["ndcg@10"] = ndcg_at_k(ranked_docs, gold, 10)
        row["recall@10"] = recall_at_k(ranked_docs, gold, 10)
        row["first_rank"] = first_rank(ranked_docs, gold)
    if item.answerable:
        text = "" if resp.abstained else visible
        if item.key_facts:
            row["key_fact_recall"] = key_fact_recall(text, item.key_facts)
        if item.answers:
            row["answer_containment"] = answer_containment(text, item.answers)
        if item.reference_answer:
            row["token_f1"] = token_f1(resp.answer if not resp.abstained else "", item.reference_answer)
            row["rouge_l"] = rouge_l(resp.answer if not resp.abstained else "", item.reference_answer)
            vecs = pipeline.embedder.embed([resp.answer, item.reference_answer])
            row["embedding_similarity"] = float(np.clip(vecs[0] @ vecs[1], 0, 1))
        if gold:
            row["citation_recall"] = len(gold & set(row["cited_docs"])) / len(gold)
        precision, faithfulness = _citation_scores(pipeline, resp)
        if precision is not None:
            row["citation_precision"] = precision
            row["faithfulness"] = faithfulness
    return row


def aggregate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    metrics: dict[str, Any] = {}
    keys = sorted(
        {
            k
            for r in rows
            for k, v in r.items()
            if isinstance(v, float) and k not in ("retrieve_ms", "answer_ms", "search_ms")
        }
    )
    for k in keys:
        values = [r[k] for r in rows if isinstance(r.get(k), float)]
        metrics[k] = round(mean(values), 4)
    metrics["abstention_accuracy"] = metrics.pop("abstention_correct", 0.0)
    # Undefined ratios (nothing abstained; no unanswerable questions) are left out, not faked as 1.0.
    abstained = [r for r in rows if r["abstained"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    if abstained:
        metrics["abstention_precision"] = round(mean([0.0 if r["answerable"] else 1.0 for r in abstained]), 4)
    if unanswerable:
        metrics["abstention_recall"] = round(mean([1.0 if r["abstained"] else 0.0 for r in unanswerable]), 4)
    latency = {}
    for stage in ("retrieve_ms", "answer_ms"):
        values = [r[stage] for r in rows]
        latency[stage] = {"p50": round(percentile(values, 50), 2), "p95": round(percentile(values, 95), 2)}
    ci = {}
    for k in HEADLINE:
        source = "abstention_correct" if k == "abstention_accuracy" else k
        values = [r[source] for r in rows if isinstance(r.get(source), float)]
        if values:
            lo, hi = bootstrap_ci(values)
            ci[k] = [round(lo, 4), round(hi, 4)]
    by_type: dict[str, dict[str, float]] = defaultdict(dict)
    for t in sorted({r["type"] for r in rows}):
        sub = [r for r in rows if r["type"] == t]
        by_type[t]["n"] = len(sub)
        for k in ("key_fact_recall", "answer_containment", "citation_precision", "hit@5", "abstention_correct"):
            values = [r[k] for r in sub if isinstance(r.get(k), float)]
            if values:
                by_type[t]["abstention_accuracy" if k == "abstention_correct" else k] = round(mean(values), 4)
    return {"metrics": metrics, "ci95": ci, "latency_ms": latency, "by_type": dict(by_type), "n": len(rows)}


def run(
    pipeline: RagPipeline,
    items: list[GoldItem],
    answerer: str | None = None,
    top_k: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Retrieval mode and every other knob come from `pipeline.settings`."""
    rows = []
    started = time.perf_counter()
    weeks = sorted({i.question_date for i in items if i.question_date})
    for i, item in enumerate(items, 1):
        # One retrieval per question: the ranking the answer was made from is the one scored.
        resp = pipeline.ask(
            item.question, top_k=top_k, filters=item.filters, answerer=answerer, as_of=item.as_of_date()
        )
        ranked = list(dict.fromkeys(p.doc_id for p in resp.passages))
        row = score_one(pipeline, item, resp, ranked, resp.timings.retrieve_ms)
        row["split"] = split_of(item, weeks)
        rows.append(row)
        if progress:
            progress(i)
    summary = aggregate(rows)
    splits = {name: aggregate(part) for name in SPLITS if (part := [r for r in rows if r.get("split") == name])}
    if splits:
        summary["by_split"] = {name: {"metrics": agg["metrics"], "n": agg["n"]} for name, agg in splits.items()}
    summary["seconds"] = round(time.perf_counter() - started, 2)
    return {"summary": summary, "questions": rows}
