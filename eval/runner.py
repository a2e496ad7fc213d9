"""Runs gold questions through the pipeline and scores every answer the same way."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from eval.backends import Answered, Backend, InProcess
from eval.gold import SPLITS, GoldItem, question_weeks, split_of
from eval.metrics import (
    answer_containment,
    bootstrap_ci,
    exact_match,
    first_bearing_rank,
    first_rank,
    first_sentence,
    hit_at_k,
    key_fact_recall,
    mean,
    mrr_at_k,
    ndcg_at_k,
    percentile,
    recall_at_k,
    rouge_l,
    strict_containment,
    token_f1,
    word_count,
)
from eval.outcomes import classify
from rag.answer.render import sources_block, split_cited, without_label
from rag.models import AskResponse, Passage

if TYPE_CHECKING:
    from rag.answer.citations import CitationChecker
    from rag.index.embed import Embedder
    from rag.pipeline import RagPipeline

HEADLINE = (
    "key_fact_recall",
    "answer_containment",
    "strict_containment",
    "first_sentence_containment",
    "short_answer_em",
    "citation_precision",
    "citation_recall",
    "faithfulness",
    "abstention_accuracy",
    "hit@5",
    "mrr@10",
    "answer_doc_hit@1",
    "answer_doc_hit@5",
    "answer_doc_mrr@10",
)
RETRIEVAL_DEPTH = 10
# Every metric a run can report; a run leaves out those its gold set cannot define.
METRICS = frozenset(
    {
        *HEADLINE,
        *(f"hit@{k}" for k in (1, 3, 5, 10)),
        *(f"answer_doc_hit@{k}" for k in (1, 3, 5, 10)),
        "ndcg@10",
        "recall@10",
        "token_f1",
        "rouge_l",
        "embedding_similarity",
        "abstention_precision",
        "abstention_recall",
        "answer_when_retrieved",
        "answerable_refused",
        "answer_words_p50",
        "answer_words_p90",
    }
)
# What each metric means, for the reports: the loose historical figures beside the strict ones.
GLOSSARY = {
    "answer_containment": "loose (historical): an acceptable answer in the answer text or the titles of its "
    "Sources list, or all of its words anywhere, one by one",
    "strict_containment": "an acceptable answer (normalised: case, punctuation, articles) as a whole phrase "
    "in the answer text itself",
    "first_sentence_containment": "the same, in the answer text before its first [n] marker",
    "short_answer_em": "the response's short_answer equals an acceptable answer (normalised); null counts 0",
    "answer_doc_hit@k": "an article holding an acceptable answer among the first k of the answer's passages' "
    "articles (the gold-document hit@k counts only the labelled article)",
    "answer_doc_mrr@10": "reciprocal rank of the first answer-bearing article, in the answer's passages order",
    "answer_when_retrieved": "of the questions whose answer passages include an answer-bearing article, the "
    "share whose answer text holds the answer (strict)",
    "answerable_refused": "share of answerable questions that were refused",
    "answer_words_p50": "answer length in words (answered questions, markers not counted), median",
    "answer_words_p90": "the same, 90th percentile",
}


class Scorer(Protocol):
    """What scoring needs locally: the citation check and the embedder (a pipeline has both)."""

    @property
    def checker(self) -> CitationChecker: ...

    embedder: Embedder


def _citation_scores(pipeline: Scorer, resp: AskResponse) -> tuple[float | None, float | None]:
    """(citation precision, faithfulness) from the shared CitationChecker."""
    if resp.abstained or not resp.citations:
        return None, None
    by_n = {c.n: c for c in resp.citations}
    pairs: list[tuple[int, str, Passage]] = []
    sentences = split_cited(_without_lead(resp))
    for idx, (sentence, numbers) in enumerate(sentences):
        # "Xinhua: Wang Yi said ... [1]." is judged as its quote: the outlet that opens it is the
        # answerer's label of the cited article (a "which outlets" answer), not a claim of it.
        sentence = without_label(sentence, [by_n[n].source or "" for n in numbers if n in by_n])
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


def _without_lead(resp: AskResponse) -> str:
    """The answer without its short-answer opening ("Portugal. The ... [1]."): that opening is
    judged by its exact span inside the cited quote, not as a sentence of its own."""
    short = getattr(resp, "short_answer", None)
    if short is not None:
        opening = short.text.rstrip(".")
        lead = f"{opening[:1].upper()}{opening[1:]}. "
        if resp.answer.startswith(lead):
            return resp.answer[len(lead) :]
    return resp.answer


def _refusal_reason(resp: AskResponse) -> str:
    """The reason the answerer gave ("… don't cover this: <reason>")."""
    head, sep, reason = resp.answer.partition(": ")
    return reason.strip() if sep and "cover this" in head else resp.answer.strip()


def score_one(
    pipeline: Scorer,
    item: GoldItem,
    resp: AskResponse,
    ranked_docs: list[str],
    retrieve_ms: float,
    document_text: Callable[[str], str | None] | None = None,
    short_answer: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`document_text`: an article's text, to find the retrieved articles that hold an acceptable
    answer; `short_answer`: the response's `short_answer` field, when it has one."""
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
        "short_answer": short_answer,
        "time_window": resp.time_window.model_dump(mode="json") if resp.time_window else None,
        "refusal_reason": _refusal_reason(resp) if resp.abstained else None,
        "refusal_rule": resp.refused_by if resp.abstained else None,
        "expected_refusal": item.refusal,
        "citations": [
            {"n": c.n, "doc_id": c.doc_id, "title": c.title, "source": c.source, "quote": c.quote, "text": c.text}
            for c in resp.citations
        ],
    }
    if not resp.abstained:
        row["answer_words"] = word_count(resp.answer)
    if item.answers and document_text is not None:
        bearing = [d for d in ranked_docs if strict_containment(document_text(d) or "", item.answers)]
        row["bearing_docs"] = bearing
        rank = first_bearing_rank(ranked_docs, set(bearing))
        row["answer_doc_rank"] = rank
        for k in (1, 3, 5, 10):
            row[f"answer_doc_hit@{k}"] = 1.0 if rank is not None and rank <= k else 0.0
        row["answer_doc_mrr@10"] = 1.0 / rank if rank is not None and rank <= RETRIEVAL_DEPTH else 0.0
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
        row["answerable_refused"] = 1.0 if resp.abstained else 0.0
        if item.answers:
            row["answer_containment"] = answer_containment(text, item.answers)
            said = "" if resp.abstained else resp.answer
            row["strict_containment"] = strict_containment(said, item.answers)
            row["first_sentence_containment"] = strict_containment(first_sentence(said), item.answers)
            short = (short_answer or {}).get("text") or ""
            row["short_answer_em"] = exact_match(short, item.answers)
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
    if short_answer and not resp.abstained:
        # How many cited articles state the short answer: how far a reader may trust it.
        stated = set(short_answer.get("stated_in") or [short_answer.get("citation")])
        row["short_answer_articles"] = len({c.doc_id for c in resp.citations if c.n in stated})
    row["outcome"], row["outcome_detail"] = classify(row)
    return row


def aggregate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    metrics: dict[str, Any] = {}
    keys = sorted(
        {
            k
            for r in rows
            for k, v in r.items()
            if isinstance(v, float) and k not in ("retrieve_ms", "answer_ms", "search_ms", "wall_ms")
        }
    )
    for k in keys:
        values = [r[k] for r in rows if isinstance(r.get(k), float)]
        metrics[k] = round(mean(values), 4)
    metrics["abstention_accuracy"] = metrics.pop("abstention_correct", 0.0)
    metrics.pop("answer_doc_rank", None)
    retrieved = [r for r in rows if r.get("bearing_docs") and "strict_containment" in r]
    if retrieved:
        metrics["answer_when_retrieved"] = round(mean([r["strict_containment"] for r in retrieved]), 4)
    words = [float(r["answer_words"]) for r in rows if "answer_words" in r]
    if words:
        metrics["answer_words_p50"] = round(percentile(words, 50), 1)
        metrics["answer_words_p90"] = round(percentile(words, 90), 1)
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
        for k in (
            "key_fact_recall",
            "answer_containment",
            "strict_containment",
            "citation_precision",
            "hit@5",
            "answer_doc_hit@5",
            "abstention_correct",
        ):
            values = [r[k] for r in sub if isinstance(r.get(k), float)]
            if values:
                by_type[t]["abstention_accuracy" if k == "abstention_correct" else k] = round(mean(values), 4)
    outcomes: dict[str, int] = defaultdict(int)
    for r in rows:
        if "outcome" in r:
            outcomes[r["outcome"]] += 1
    return {
        "metrics": metrics,
        "ci95": ci,
        "latency_ms": latency,
        "by_type": dict(by_type),
        "outcomes": dict(sorted(outcomes.items(), key=lambda kv: -kv[1])),
        "n": len(rows),
    }


def run(
    pipeline: RagPipeline | Backend,
    items: list[GoldItem],
    answerer: str | None = None,
    top_k: int | None = None,
    progress: Callable[[int], None] | None = None,
    concurrency: int = 1,
    weeks: list[str] | None = None,
) -> dict[str, Any]:
    """Retrieval mode and every other knob come from the pipeline's (or the server's) settings.
    `pipeline`: a RagPipeline (in-process) or any Backend (a running server). `weeks`: the whole
    benchmark's question weeks (`question_weeks`) when `items` is a part of it, else their own."""
    backend: Backend = pipeline if isinstance(pipeline, Backend) else InProcess(pipeline)
    started = time.perf_counter()
    weeks = weeks if weeks is not None else question_weeks(items)
    done = 0

    def one(item: GoldItem) -> dict[str, Any]:
        # One retrieval per question: the ranking the answer was made from is the one scored.
        got: Answered = backend.ask(item, answerer=answerer, top_k=top_k)
        row = score_one(
            backend.scorer,
            item,
            got.response,
            got.ranked_docs,
            got.response.timings.retrieve_ms,
            document_text=backend.document_text,
            short_answer=got.short_answer,
        )
        row["split"] = split_of(item, weeks)
        if got.wall_ms is not None:
            row["wall_ms"] = got.wall_ms
        return row

    rows: list[dict[str, Any]] = []
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        for row in pool.map(one, items):  # in question order, whatever order they finish in
            rows.append(row)
            done += 1
            if progress:
                progress(done)
    summary = aggregate(rows)
    splits = {name: aggregate(part) for name in SPLITS if (part := [r for r in rows if r.get("split") == name])}
    if splits:
        summary["by_split"] = {
            name: {"metrics": agg["metrics"], "n": agg["n"], "outcomes": agg["outcomes"]}
            for name, agg in splits.items()
        }
    summary["seconds"] = round(time.perf_counter() - started, 2)
    return {"summary": summary, "questions": rows}
