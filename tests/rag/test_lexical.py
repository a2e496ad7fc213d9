"""The local lexical index follows the store's change log: a write or delete costs its own
documents, a restart resumes from the applied sequence number, and only a missing or corrupt
index is rebuilt."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest

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
    from rag.index.lexical import LexicalIndexManager
    from rag.store.chroma import StoredChunk

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


def test_pruning_the_change_log_rebuilds_only_an_index_that_needed_the_pruned_entries(
    fresh_pipeline: RagPipeline,
) -> None:
    """Node X (one slot) stops after applying doc 0; node Y (another slot on the same store) writes
    doc 1, then doc 2. The log is pruned between docs 1 and 2: X, which never applied doc 1, rebuilds
    when it comes back and misses nothing; Y, which applied everything, goes on without a rebuild."""
    settings = fresh_pipeline.settings.model_copy(update={"change_overlap_s": 0.0, "resync_interval_s": 0.0})
    fresh_pipeline.lexical_manager.close()
    x = RagPipeline(settings, embedder=fresh_pipeline.embedder)
    x.ingest_parsed([_doc(0)])
    y = RagPipeline(settings, embedder=fresh_pipeline.embedder)  # takes the other slot
    assert y.lexical_index().sorted_doc_ids == ["harbour-000"]
    x.lexical_manager.close()  # X is down from here

    y.ingest_parsed([_doc(1)])
    cutoff = y.store.next_seq()
    y.ingest_parsed([_doc(2)])
    y_rebuilds = y.lexical_manager.rebuilds
    assert y.store.prune_changes(cutoff) == 2, "the entries of docs 0 and 1 are older than the cutoff"
    assert [c.doc_ids for c in y.store.changes_since(0)] == [("harbour-002",)]
    assert y.store.prune_changes(cutoff) == 0, "pruning again below the watermark changes nothing"

    y.ingest_parsed([_doc(3)])
    assert y.lexical_manager.rebuilds == y_rebuilds, "an index that applied past the cutoff needs no rebuild"
    everything = [f"harbour-{i:03d}" for i in range(4)]
    assert y.lexical_index().sorted_doc_ids == everything

    x_again = RagPipeline(settings, embedder=fresh_pipeline.embedder)  # X's slot, applied up to doc 0
    assert x_again.lexical_index().sorted_doc_ids == everything, "X missed a change whose entry was pruned"
    assert x_again.lexical_manager.rebuilds == 1
    for p in (x_again, y):
        p.lexical_manager.close()
        p.store.close()


def test_prune_changes_refuses_to_cut_into_what_running_nodes_catch_up_from(fresh_pipeline: RagPipeline) -> None:
    from rag.errors import InvalidRequest

    fresh_pipeline.ingest_parsed([_doc(0)])
    with pytest.raises(InvalidRequest):
        fresh_pipeline.prune_changes(0.5)
    assert fresh_pipeline.prune_changes(30) == 0, "a fresh entry is kept"


def test_outlets_follow_writes_and_deletes_and_read_the_registry_only_when_the_set_changes(
    fresh_pipeline: RagPipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[int] = []
    registry_outlets = fresh_pipeline.store.outlets

    def counted() -> list[str]:
        reads.append(1)
        return registry_outlets()

    monkeypatch.setattr(fresh_pipeline.store, "outlets", counted)
    fresh_pipeline.ingest_parsed([_doc(0), _doc(1)])
    assert fresh_pipeline.outlets() == ["Harbour Post"]
    fresh_pipeline.ingest_parsed([_doc(2)])
    assert fresh_pipeline.outlets() == ["Harbour Post"] and len(reads) == 1, "same outlets: no registry scan"

    other = _doc(3).doc
    assert other is not None
    fresh_pipeline.ingest_parsed([Parsed(other.doc_id, doc=other.model_copy(update={"source": "Coast Daily"}))])
    assert fresh_pipeline.outlets() == ["Coast Daily", "Harbour Post"]
    fresh_pipeline.delete_document("harbour-003")
    assert fresh_pipeline.outlets() == ["Harbour Post"], "the last article of an outlet went"
    assert len(reads) == 3


def test_a_write_whose_commit_lands_after_later_writes_is_applied_on_every_index(
    fresh_pipeline: RagPipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer's registry commit is held back while another writer's entries move both
    indexes' applied numbers past its log entry (no overlap at all): it is still applied."""
    import threading

    settings = fresh_pipeline.settings.model_copy(update={"change_overlap_s": 0.0, "resync_interval_s": 0.0})
    fresh_pipeline.lexical_manager.close()
    writer = RagPipeline(settings, embedder=fresh_pipeline.embedder)
    writer.ingest_parsed([_doc(0)])
    other = RagPipeline(settings, embedder=fresh_pipeline.embedder)  # another slot on the same store
    logged, commit = threading.Event(), threading.Event()
    registry = writer.store._h().docs
    upsert = registry.upsert

    def late_upsert(*args: object, **kwargs: object) -> object:
        logged.set()  # chunks and log entry are in
        assert commit.wait(60)
        return upsert(*args, **kwargs)

    monkeypatch.setattr(registry, "upsert", late_upsert)
    thread = threading.Thread(target=writer.ingest_parsed, args=([_doc(1)],))
    thread.start()
    assert logged.wait(60)
    for p in (writer, other):
        assert "harbour-001" not in p.lexical_index().sorted_doc_ids, "read the entry before its commit"
    other.ingest_parsed([_doc(2)])
    assert writer.lexical_index().sorted_doc_ids == ["harbour-000", "harbour-002"]
    commit.set()
    thread.join()
    everything = ["harbour-000", "harbour-001", "harbour-002"]
    for p in (writer, other):
        assert p.lexical_index().sorted_doc_ids == everything
        assert "harbour-001" in _ids(p, "island 1 pier")
        assert p.lexical_manager._pending == {}, "a committed entry is no longer pending"
    for p in (writer, other):
        p.lexical_manager.close()
        p.store.close()


def test_an_entry_whose_write_never_commits_is_pending_only_until_its_chunks_are_repaired(
    fresh_pipeline: RagPipeline,
) -> None:
    from rag.store.chroma import ChunkMeta

    fresh_pipeline.ingest_parsed([_doc(1)])
    store = fresh_pipeline.store
    h = store._h()
    meta = ChunkMeta(doc_id="harbour-009", title="Harbour bulletin 9", write_id="crashed", written_at=1.0)
    h.chunks.add(ids=["harbour-009:crashed:0"], documents=["Pier 9 reopened."], metadatas=[meta.to_chroma()],
                 embeddings=[[0.1] * store.dim])  # fmt: skip
    store._log_change(h, store.next_seq(), "crashed", "write", ["harbour-009"])
    store._bump(h)
    manager = fresh_pipeline.lexical_manager
    assert fresh_pipeline.lexical_index().sorted_doc_ids == ["harbour-001"]
    assert [c.doc_ids for c in manager._pending.values()] == [("harbour-009",)], "it may still commit"
    assert store.repair(grace_s=0) == 1  # the crashed writer's chunk goes: the write can never commit
    store._bump(h)
    assert fresh_pipeline.lexical_index().sorted_doc_ids == ["harbour-001"]
    assert manager._pending == {}
