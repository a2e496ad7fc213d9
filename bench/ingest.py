"""Ingest throughput vs the raw embedder on the same texts, in the same run.

    .venv/bin/python bench/ingest.py [--corpus FILE.jsonl] [--docs N]

Writes bench/results/ingest.json. The figure to keep small is the pipeline's overhead over
the raw embedder (parsing, chunking, the NLP layer's annotation, Chroma writes, BM25 rebuild);
`rate_vs_embedder` is the whole ingest's chunks/s as a share of the raw embedder's (issue 20
asks at least 0.6 with the NLP layer), and `annotate_seconds` the spaCy pass alone (in
`nlp_workers` processes, started before the timed ingest as a server's start-up does; their
start is `nlp_start_seconds`, once per process).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _results import write_result

from rag.ingest.ingester import embed_text
from rag.pipeline import RagPipeline
from rag.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared/datasets/realtimeqa-dev/corpus.jsonl")
    ap.add_argument("--docs", type=int, default=100)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "bench.jsonl"
        if args.corpus.exists():
            lines = args.corpus.read_text(encoding="utf-8").splitlines()[: args.docs]
            src.write_text("\n".join(lines), encoding="utf-8")
        else:
            src = ROOT / "seeds"
        settings = Settings(_env_file=None, data_dir=Path(tmp) / "data")  # type: ignore[call-arg]
        pipeline = RagPipeline(settings)
        pipeline.embedder.load()
        t_start = time.perf_counter()
        pipeline.annotator.load()  # the pipeline and its worker processes, as a server's start-up does
        start_s = time.perf_counter() - t_start
        t0 = time.perf_counter()
        report = pipeline.ingest_paths([src])
        ingest_s = time.perf_counter() - t0
        chunks = list(pipeline.store.committed_chunks())
        texts = [embed_text(c.meta.title, c.text) for c in chunks]
        inner = pipeline.embedder._inner
        t1 = time.perf_counter()
        for i in range(0, len(texts), 128):
            inner.embed(texts[i : i + 128])
        raw_s = time.perf_counter() - t1
        t2 = time.perf_counter()
        again = pipeline.ingest_paths([src])
        reingest_s = time.perf_counter() - t2
        doc_texts = list(pipeline.store.doc_texts(pipeline.lexical_index().sorted_doc_ids).values())
        t3 = time.perf_counter()
        pipeline.annotator.annotate(doc_texts)
        annotate_s = time.perf_counter() - t3
    result = {
        "documents": len(report.items),
        "chunks": report.chunks,
        "ingest_seconds": round(ingest_s, 2),
        "ingest_chunks_per_s": round(report.chunks / ingest_s, 2),
        "raw_embedder_seconds": round(raw_s, 2),
        "raw_embedder_chunks_per_s": round(len(texts) / raw_s, 2),
        "overhead_pct": round(100 * (ingest_s - raw_s) / raw_s, 1),
        "rate_vs_embedder": round(raw_s / ingest_s, 3),
        "nlp_annotate": settings.nlp_annotate,
        "nlp_workers": settings.nlp_workers,
        "nlp_start_seconds": round(start_s, 2),
        "annotate_seconds": round(annotate_s, 2),
        "reingest_seconds": round(reingest_s, 2),
        "reingest_embedded": again.embedded,
    }
    write_result("ingest", result)


if __name__ == "__main__":
    main()
