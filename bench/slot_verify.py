"""What verifying a node's slot costs when it opens (rag.index.lexical: every embedding row is checked
against the crc32 its index entry keeps, or a sample of them on large slots).

    .venv/bin/python bench/slot_verify.py [--chunks 20000 100000]

Builds a slot of N synthetic chunks (random unit 384-dim embeddings, short texts) from an
in-memory change source, closes it, then times opening it again: the whole open, and the
verification alone. Writes bench/results/slot_verify.json.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from _results import write_result

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.index.lexical import LexicalIndexManager  # noqa: E402
from rag.store.chroma import ChunkMeta, StoredChunk  # noqa: E402

DIM = 384


class SyntheticArchive:
    """The change source of an archive that never changes after it is built."""

    def __init__(self, n: int):
        rng = np.random.default_rng(7)
        vectors = rng.standard_normal((n, DIM)).astype(np.float32)
        self._vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        self._n = n

    def generation(self) -> str:
        return "built"

    def changes_since(self, seq: int) -> list[tuple[int, list[str]]]:
        return []

    def pruned_before(self) -> int:
        return 0

    def doc_records(self, doc_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        return {}

    def doc_chunks(self, versions: Mapping[str, str]) -> list[StoredChunk]:
        return []

    def committed_chunks(self) -> Iterator[StoredChunk]:
        for i in range(self._n):
            meta = ChunkMeta(doc_id=f"doc-{i // 4}", chunk_index=i % 4, title=f"Bulletin {i}", write_id="w")
            yield StoredChunk(
                f"doc-{i // 4}:w:{i % 4}", f"The ferry to island {i} resumed sailing.", meta, self._vectors[i]
            )


def measure(n: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        source = SyntheticArchive(n)
        built = LexicalIndexManager(Path(tmp), source, DIM, 30.0, 3600.0)
        started = time.perf_counter()
        built.current()
        build_s = time.perf_counter() - started
        built.close()
        again = LexicalIndexManager(Path(tmp), source, DIM, 30.0, 3600.0)
        started = time.perf_counter()
        again.current()
        open_s = time.perf_counter() - started
        assert again.rebuilds == 0, "the slot did not verify"
        started = time.perf_counter()
        assert again._mismatch(again._index.searcher(), again._vectors) is None
        verify_s = time.perf_counter() - started
        again.close()
    return {"chunks": n, "build_s": round(build_s, 2), "open_s": round(open_s, 3), "verify_s": round(verify_s, 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, nargs="+", default=[20_000, 100_000])
    args = parser.parse_args()
    write_result("slot_verify", {"runs": [measure(n) for n in args.chunks]})


if __name__ == "__main__":
    main()
