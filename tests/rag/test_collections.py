"""A collection deleted through one node is gone on every node, not only the one that deleted it
(two nodes, each with its own data dir, over one `chroma run` server)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from rag.ingest.ingester import Parsed
from rag.models import Document
from rag.pipeline import RagPipeline
from rag.store.collections import CollectionManager, CollectionNotFound
from tests.conftest import make_settings

pytestmark = [pytest.mark.slow, pytest.mark.chroma_server]


def _node(seeded_pipeline: RagPipeline, data_dir: Path, port: int) -> CollectionManager:
    settings = make_settings(data_dir, chroma_host="127.0.0.1", chroma_port=port, resync_interval_s=0.0)
    return CollectionManager(RagPipeline(settings, embedder=seeded_pipeline.embedder))


def test_a_collection_deleted_on_another_node_is_forgotten_here(
    seeded_pipeline: RagPipeline,
    chroma_server,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    node_a = _node(seeded_pipeline, tmp_path / "a", chroma_server.port)
    node_b = _node(seeded_pipeline, tmp_path / "b", chroma_server.port)
    assert node_a.create("world")
    doc = Document(
        doc_id="w1",
        title="Valdora",
        text="Valdora opened its new harbour to ferries on Monday.",
        published=dt.date(2023, 5, 1),
    )
    node_b.get("world").ingest_parsed([Parsed("w1", doc=doc)])
    assert node_b.get("world").lexical_index().sorted_doc_ids == ["w1"]
    b_index = tmp_path / "b" / "lexical" / "world"
    assert b_index.exists()

    node_a.delete("world")
    with pytest.raises(CollectionNotFound):
        node_b.get("world")
    assert not b_index.exists(), "node B kept its index of an archive that no longer exists"

    # A new archive of the same name starts empty on node B: nothing of the old index survives.
    assert node_a.create("world")
    assert len(node_b.get("world").lexical_index()) == 0
