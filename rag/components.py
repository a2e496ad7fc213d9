"""The composition root: every long-lived part of a pipeline is built here, once.

Tests and benchmarks swap a part by passing it in (`build_components(settings, embedder=...)`),
never by writing into a pipeline's attributes. Building is cheap: the model loads on its first
use, the store connects on its first call, the lexical index opens on its first read.
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.index.embed import Embedder, build_embedder, force_offline
from rag.index.lexical import LexicalIndexManager
from rag.nlp.annotate import Annotator
from rag.settings import Settings
from rag.store.chroma import ChromaStore


@dataclass(frozen=True)
class Components:
    embedder: Embedder
    store: ChromaStore
    lexical: LexicalIndexManager
    annotator: Annotator


def build_components(
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    store: ChromaStore | None = None,
    lexical: LexicalIndexManager | None = None,
    annotator: Annotator | None = None,
) -> Components:
    """The parts for `settings`; any part given is used as it is (a loaded model shared by
    several stores, a store shared by two pipelines, one lexical index for both)."""
    force_offline()
    embedder = embedder if embedder is not None else build_embedder(settings)
    dim = lambda: embedder.dim  # noqa: E731 - read on first connect: an API embedder's dim is known late
    store = store if store is not None else ChromaStore(settings, embedder.name, dim)
    if lexical is None:
        lexical = LexicalIndexManager(
            settings.data_dir / "lexical" / settings.collection,
            store,
            dim,
            settings.change_overlap_s,
            settings.resync_interval_s,
            orphan_grace_s=settings.orphan_grace_s,
            min_free_bytes=settings.min_free_disk_mb * 1024 * 1024,
        )
    if annotator is None:
        # Noun chunks are stored only where the short answer reads them (its opt-in candidates).
        annotator = Annotator(settings.nlp_batch_size, settings.short_answer_chunk_penalty >= 0, settings.nlp_workers)
    return Components(embedder, store, lexical, annotator)
