"""The local lexical index follows the store's change log: a write or delete costs its own
documents, a restart resumes from the applied sequence number, and only a missing or corrupt
index is rebuilt."""

from __future__ import annotations

import datetime as dt
import json
import shutil

from rag.ingest.ingester import Parsed
from rag.models import Document
from rag.pipeline import RagPipeline


def _doc(i: int, text: str | None = None) -> Parsed:
    d = Document(
        doc_id=f"harbour-{i:03d}",
        title=f"Harbour bulletin {i}",
        text=text or f"The ferry to island {i} resumed sailing after storm repairs to pier {i}.",
        source="Harbour Post",
        published=dt.date(2023, 3, 1) + dt.timedelta(days=i),
    )
    return Parsed(d.doc_id, doc=d)


def _ids(pipeline: RagPipeline, query: str) -> set[str]:
    return {cid.split(":")[0] for cid, _ in pipeline.lexical_index().search(query, 50)}


def test_writes_and_deletes_are_applied_without_rebuilding(fresh_pipeline: RagPipeline) -> None:
    fresh_pipeline.ingest_parsed([_doc(i) for i in range(5)])
    manager = fresh_pipeline.lexical_manager
    assert manager.rebuilds == 1, "an empty data dir builds its index once"
    assert len(fresh_pipeline.lexical_index()) == 5
    fresh_pipeline.ingest_parsed([_doc(2, "The lighthouse keeper retired after forty winters.")])
    assert "harbour-002" in _ids(fresh_pipeline, "lighthouse keeper")
    assert "harbour-002" not in _ids(fresh_pipeline, "ferry resumed sailing"), "the replaced version is gone"
    fresh_pipeline.delete_document("harbour-004")
    assert "harbour-004" not in _ids(fresh_pipeline, "ferry island")
    index = fresh_pipeline.lexical_index()
    assert index.sorted_doc_ids == ["harbour-000", "harbour-001", "harbour-002", "harbour-003"]
    assert manager.rebuilds == 1, "no write or delete rebuilt the index"


def test_restart_resumes_from_the_applied_sequence_and_rebuilds_only_a_missing_index(
    fresh_pipeline: RagPipeline,
) -> None:
    fresh_pipeline.ingest_parsed([_doc(i) for i in range(3)])
    settings = fresh_pipeline.settings
    fresh_pipeline.lexical_manager.close()
    fresh_pipeline.store.close()

    again = RagPipeline(settings, embedder=fresh_pipeline.embedder)
    again.ingest_parsed([_doc(7)])
    assert "harbour-007" in _ids(again, "island 7 pier")
    assert again.lexical_manager.rebuilds == 0, "a restart applies the log, it does not rebuild"
    again.lexical_manager.close()
    again.store.close()

    shutil.rmtree(settings.data_dir / "lexical")
    third = RagPipeline(settings, embedder=fresh_pipeline.embedder)
    assert len(third.lexical_index()) == 4 and third.lexical_manager.rebuilds == 1
    third.lexical_manager.close()
    third.store.close()


def test_an_index_whose_terms_came_from_other_word_tables_is_rebuilt(fresh_pipeline: RagPipeline) -> None:
    """Editing rag/resources/demonyms.tsv (or the stop words, or a new stemmer) changes the terms
    questions become; an index of the old terms would silently miss them."""
    fresh_pipeline.ingest_parsed([_doc(i) for i in range(3)])
    settings = fresh_pipeline.settings
    fresh_pipeline.lexical_manager.close()
    fresh_pipeline.store.close()
    (state_file,) = (settings.data_dir / "lexical").rglob("state.json")
    state = json.loads(state_file.read_text())
    state["analyser"] = "other-tables"
    state_file.write_text(json.dumps(state))

    again = RagPipeline(settings, embedder=fresh_pipeline.embedder)
    assert len(again.lexical_index()) == 3
    assert again.lexical_manager.rebuilds == 1
    assert "harbour-001" in _ids(again, "island 1 pier")
    again.lexical_manager.close()
    again.store.close()


def test_a_change_logged_before_a_commit_that_never_happened_changes_nothing(fresh_pipeline: RagPipeline) -> None:
    """The log entry is an intent written before the registry commit: a writer that died between
    the two leaves an entry whose documents are unchanged in the registry."""
    fresh_pipeline.ingest_parsed([_doc(1)])
    store = fresh_pipeline.store
    store._log_change(store._h(), store.next_seq(), "crashed-writer", "write", ["harbour-001", "never-written"])
    store._bump(store._h())
    index = fresh_pipeline.lexical_index()
    assert index.sorted_doc_ids == ["harbour-001"] and "harbour-001" in _ids(fresh_pipeline, "ferry island")


def test_an_interrupted_rebuild_is_retried_and_never_served_half_built(fresh_pipeline: RagPipeline) -> None:
    from collections.abc import Iterator

    import pytest

    from rag.errors import StoreUnavailable
    from rag.lexical import LexicalIndexManager
    from rag.store import StoredChunk

    fresh_pipeline.ingest_parsed([_doc(i) for i in range(4)])
    settings, store = fresh_pipeline.settings, fresh_pipeline.store
    fresh_pipeline.lexical_manager.close()
    shutil.rmtree(settings.data_dir / "lexical")

    class LosesTheStoreOnce:
        """The real store, whose connection drops once in the middle of the full read."""

        failed = False

        def __getattr__(self, name: str) -> object:
            return getattr(store, name)

        def committed_chunks(self) -> Iterator[StoredChunk]:
            for i, chunk in enumerate(store.committed_chunks()):
                if i == 2 and not self.failed:
                    self.failed = True
                    raise StoreUnavailable("vector store unavailable: connection lost")
                yield chunk

    directory = settings.data_dir / "lexical" / settings.collection
    manager = LexicalIndexManager(directory, LosesTheStoreOnce(), store.dim, 30.0, 5.0)  # type: ignore[arg-type]
    with pytest.raises(StoreUnavailable):
        manager.current()
    assert not (directory / "slot-0" / "state.json").exists(), "a half-built index must not look complete"
    index = manager.current()
    assert len(index) == 4 and index.sorted_doc_ids == [f"harbour-{i:03d}" for i in range(4)]
    manager.close()
