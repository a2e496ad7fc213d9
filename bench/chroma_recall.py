"""How often Chroma's own HNSW search cannot reach a record it stores (chroma-core/chroma#7758).

    .venv/bin/python bench/chroma_recall.py [--trials 300]

Each trial is what a fresh archive sees: a new persistent Chroma collection (cosine, default
HNSW settings) gets the seeds' chunk embeddings (MiniLM) in one call, one query, then one more
one-chunk article; then a query asking for every record (n_results = count) with the new
article's own embedding must return it. The seeds go in with `upsert` (as the store wrote
chunks before this was measured) and with `add` (as it writes them now). A trial where it does not is a record that dense search through
Chroma would never find again (it stays unreachable after reopening the store). This is why
`rag.index.lexical.LexicalIndex.nearest_live` scores the embeddings itself (`exact_dense_max_rows`).
Writes bench/results/chroma_recall.json.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import chromadb
from _results import write_result
from chromadb.config import Settings as ChromaSettings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.pipeline import RagPipeline  # noqa: E402
from rag.settings import Settings  # noqa: E402

ARTICLES = [
    "Harbour council votes on the new pier. The harbour council voted on Tuesday to build a new pier, "
    "the mayor said. Residents welcomed the pier vote at the harbour council.",
    "The ferry to the island resumed sailing after storm repairs to the pier, the operator said.",
    "The city's library reopened after a two-year renovation, with a new reading room for children.",
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=300)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp) / "data")  # type: ignore[call-arg]
        pipeline = RagPipeline(settings)
        pipeline.ingest_paths([ROOT / "seeds"])
        got = pipeline.store._h().chunks.get(include=["embeddings"])
        seed_ids = list(got["ids"])
        seed_vectors = [[float(x) for x in e] for e in got["embeddings"]]
        articles = [v.tolist() for v in pipeline.embedder.embed(ARTICLES)]
        probe = pipeline.embedder.embed(["What did the harbour council vote on?"])[0].tolist()
        result: dict[str, object] = {
            "chromadb": chromadb.__version__,
            "seed_chunks": len(seed_ids),
            "trials": args.trials,
        }
        for op in ("upsert", "add"):  # the store now writes chunks with add
            lost = 0
            t0 = time.perf_counter()
            for trial in range(args.trials):
                client = chromadb.PersistentClient(
                    path=str(Path(tmp) / f"{op}-{trial}"), settings=ChromaSettings(anonymized_telemetry=False)
                )
                col = client.create_collection(
                    "chunks", embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
                )
                getattr(col, op)(ids=seed_ids, embeddings=seed_vectors)
                col.query(query_embeddings=[probe], n_results=3)
                vector = articles[trial % len(articles)]
                col.add(ids=["new"], embeddings=[vector])
                found = col.query(query_embeddings=[vector], n_results=col.count())["ids"][0]
                lost += "new" not in found
            result[f"seeds_written_with_{op}"] = {
                "unreachable_after_write": lost,
                "rate": round(lost / args.trials, 4),
                "seconds": round(time.perf_counter() - t0, 1),
            }
    write_result("chroma_recall", result)


if __name__ == "__main__":
    main()
