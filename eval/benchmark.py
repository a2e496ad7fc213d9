"""External benchmarks (corpus.jsonl + questions.jsonl) in a scratch store keyed by content."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from eval.gold import GoldItem, deterministic_subset, load_gold
from rag.ingest.ingester import Parsed
from rag.ingest.parsers import RecordError, parse_records_text
from rag.pipeline import RagPipeline
from rag.progress import IngestBar
from rag.settings import Settings


def _file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def select_docs(corpus: Path, items: list[GoldItem], max_docs: int | None) -> list[Parsed]:
    """Gold documents of the chosen questions first, then a deterministic sample of the rest."""
    docs = []
    for item in parse_records_text(corpus.read_text(encoding="utf-8"), corpus.name, jsonl=True):
        if isinstance(item, RecordError):
            continue
        docs.append(item)
    if not max_docs or max_docs >= len(docs):
        return [Parsed(d.doc_id, doc=d) for d in docs]
    gold = {d for it in items for d in it.gold_docs()}
    chosen = [d for d in docs if d.doc_id in gold]
    others = sorted(
        (d for d in docs if d.doc_id not in gold), key=lambda d: hashlib.sha1(d.doc_id.encode()).hexdigest()
    )
    chosen += others[: max(0, max_docs - len(chosen))]
    return [Parsed(d.doc_id, doc=d) for d in chosen]


def prepare(
    base: Settings,
    directory: Path,
    limit: int | None,
    max_docs: int | None,
    progress_factory: Callable[[int], IngestBar] | None = None,
    questions: Path | None = None,
) -> tuple[RagPipeline, list[GoldItem]]:
    """A pipeline over the benchmark's scratch store, ingested once per (corpus, selection, embedder, chunking).
    `questions`: another gold file over the same corpus (e.g. eval/gold/rtqa_dev_typed.jsonl)."""
    corpus, questions = directory / "corpus.jsonl", questions or directory / "questions.jsonl"
    if not corpus.exists() or not questions.exists():
        raise FileNotFoundError(f"{directory} needs corpus.jsonl and questions.jsonl")
    items = deterministic_subset(load_gold(questions), limit)
    parsed = select_docs(corpus, items, max_docs)
    key = hashlib.sha256(
        json.dumps(
            [_file_hash(corpus), sorted(p.input for p in parsed), base.embed_model, base.chunk_size, base.chunk_overlap]
        ).encode()
    ).hexdigest()[:16]
    scratch = base.data_dir / "benchmarks" / f"{directory.name}-{key}"
    settings = base.model_copy(
        update={
            "data_dir": scratch,
            "chroma_host": "",
            "embed_cache": base.embed_cache or base.data_dir / "embed_cache.sqlite",  # shared across stores
        }
    )
    pipeline = RagPipeline(settings)
    marker = scratch / "ready.json"
    if not marker.exists():
        if progress_factory is None:
            report = pipeline.ingest_parsed(parsed)
        else:
            with progress_factory(len(parsed)) as bar:
                report = pipeline.ingest_parsed(parsed, bar)
        marker.write_text(json.dumps({"documents": len(parsed), "summary": report.summary()}))
    return pipeline, items
