"""Chroma persistence: a chunk collection plus a document registry.

A document becomes visible only when its registry record is written, after all of its
chunks: the record is the commit point, so a crash leaves no half-ingested document.
Chunks whose (doc_id, content_hash) match no record are invisible and removed by `repair`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import functools
import json
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import numpy as np

from rag.errors import CollectionNotFound, DocumentNotFound, EmbedderMismatch, RagError, StoreUnavailable
from rag.models import Chunk, Document, DocumentDetail, DocumentInfo, Filters, Passage
from rag.nlp.records import DocAnnotation
from rag.retrieval.filtering import conditions, day_number, matches, to_where
from rag.settings import Settings

P = ParamSpec("P")
R = TypeVar("R")
PAGE = 1000


_LOST_CONNECTION = ("Connect", "connect", "Timeout", "Remote", "Protocol", "tenant", "HTTP")
_DISK_FULL = ("disk is full", "database or disk is full", "No space left", "ENOSPC", "(code: 13)")


class _CollectionReplaced(Exception):
    """The store's collection of this name is not the one these handles opened (deleted and
    created again, through any node)."""


def _vanished(e: Exception) -> bool:
    """Chroma's answer for a collection that was deleted under an open handle."""
    return isinstance(e, _CollectionReplaced) or type(e).__name__ == "NotFoundError" or "does not exist" in str(e)


def _store_call(*, read: bool) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Store failures become StoreUnavailable (503), never a 500.

    Only a lost connection (or a call that got no answer within `store_timeout_s`) drops the
    handles, and only the handles this call started with (compare-and-swap), so one request's
    failure never pulls the client out from under requests that are using it. A full disk or a
    broken database keeps the handles: the client still works for reads, and reconnecting would
    only block inside Chroma.

    A collection deleted through another node drops the handles too: the call is retried once
    on fresh ones when it only reads (a collection created again under the same name then works
    at once), and a missing collection is CollectionNotFound (404). A write is not retried: the
    archive it was writing to is gone."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            self = args[0]
            assert isinstance(self, ChromaStore)
            before = self._handles
            try:
                try:
                    result = fn(*args, **kwargs)
                except Exception as e:
                    if isinstance(e, RagError) or not _vanished(e):
                        raise
                    self._invalidate(before or self._handles)
                    if not read:
                        raise CollectionNotFound(
                            f"collection {self._settings.collection!r} was deleted while this request wrote to it"
                        ) from e
                    result = fn(*args, **kwargs)
            except StoreUnavailable as e:
                self.problem = str(e)
                raise
            except RagError:
                raise
            except Exception as e:  # chromadb raises many types for a lost server or a broken database
                name = type(e).__name__
                text = str(e)
                if any(s in text for s in _DISK_FULL) or (isinstance(e, OSError) and e.errno == errno.ENOSPC):
                    self.problem = f"vector store cannot write: disk is full ({name})"
                    raise StoreUnavailable(self.problem) from e
                if _vanished(e):  # deleted again between the retry's reconnect and its call
                    self._invalidate(self._handles)
                    raise CollectionNotFound(f"collection {self._settings.collection!r} was deleted") from e
                lost = isinstance(e, ConnectionError | TimeoutError) or any(s in name + text for s in _LOST_CONNECTION)
                if lost or isinstance(e, OSError) or "InternalError" in name + text:
                    if lost:
                        self._invalidate(before)
                    self.problem = f"vector store unavailable: {name}: {text}"
                    raise StoreUnavailable(self.problem) from e
                raise
            self.problem = None
            return result

        return wrapper

    return decorate


_read = _store_call(read=True)
_write = _store_call(read=False)


def _open_embedded(path: Path, settings: Any) -> Any:
    """chromadb.PersistentClient, minus a failed open left in Chroma's process-wide cache.

    Chroma caches one System per path before starting it. When starting fails (its SQLite
    migration meets a full disk), the half-built System stays cached, and every later open of
    the path raises AttributeError ('RustBindingsAPI' object has no attribute 'bindings'): a 500
    on every request, still after space is freed. It is dropped, so the next connect starts
    afresh (chromadb 1.5.9's private cache; a System that did start is never touched)."""
    import chromadb
    from chromadb.api import ServerAPI
    from chromadb.api.shared_system_client import SharedSystemClient

    try:
        return chromadb.PersistentClient(path=str(path), settings=settings)
    except Exception:
        key = str(path)
        system = SharedSystemClient._identifier_to_system.get(key)
        if system is not None and not hasattr(system.instance(ServerAPI), "bindings"):  # type: ignore[type-abstract]
            SharedSystemClient._identifier_to_system.pop(key, None)
            SharedSystemClient._identifier_to_refcount.pop(key, None)
        raise


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) and value else None


def doc_metadata(doc: Document, content_hash: str, chunks: int, write_id: str = "", seq: int = 0) -> dict[str, Any]:
    return {
        "title": doc.title,
        "source": doc.source or "",
        "source_key": (doc.source or "").lower(),
        "published": doc.published.isoformat() if doc.published else "",
        "published_day": day_number(doc.published),
        "url": doc.url or "",
        "path": doc.path or "",
        "categories": "|".join(doc.categories),
        "content_hash": content_hash,
        "chunks": chunks,
        "write_id": write_id,
        "seq": seq,
    }


def version_key(meta: dict[str, Any]) -> str:
    """Which write a chunk or a registry record belongs to. A chunk is visible only when its key
    equals its document record's key. Stores written before write ids existed fall back to the
    content hash, on both sides, so they stay readable."""
    return str(meta.get("write_id") or meta.get("content_hash") or "")


def info_from_metadata(doc_id: str, meta: dict[str, Any], chars: int = 0) -> DocumentInfo:
    return DocumentInfo(
        doc_id=doc_id,
        title=str(meta.get("title", "")),
        source=meta.get("source") or None,
        published=_date(meta.get("published")),
        url=meta.get("url") or None,
        path=meta.get("path") or None,
        categories=[c for c in str(meta.get("categories", "")).split("|") if c],
        chunks=int(meta.get("chunks", 0)),
        chars=chars,
    )


@dataclass(frozen=True, slots=True)
class ChunkMeta:
    """What the store keeps with every chunk: one typed record, converted to and from Chroma's
    metadata dict here and nowhere else (its field names are the filter fields)."""

    doc_id: str
    chunk_index: int = 0
    start: int = 0
    end: int = 0
    title: str = ""
    source: str | None = None
    published: dt.date | None = None
    url: str | None = None
    path: str | None = None
    content_hash: str = ""
    write_id: str = ""
    written_at: float = 0.0

    @property
    def source_key(self) -> str:
        return (self.source or "").lower()

    @property
    def published_day(self) -> int:
        return day_number(self.published)

    @property
    def version(self) -> str:
        return self.write_id or self.content_hash  # as version_key() reads a metadata dict

    def to_chroma(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "chunk_index": self.chunk_index,
            "start": self.start,
            "end": self.end,
            "title": self.title,
            "source": self.source or "",
            "source_key": self.source_key,
            "published": self.published.isoformat() if self.published else "",
            "published_day": self.published_day,
            "url": self.url or "",
            "path": self.path or "",
            "content_hash": self.content_hash,
            "write_id": self.write_id,
            "written_at": self.written_at,
        }

    @classmethod
    def from_chroma(cls, meta: Mapping[str, Any] | None) -> ChunkMeta:
        m = meta or {}
        return cls(
            doc_id=str(m.get("doc_id", "")),
            chunk_index=int(m.get("chunk_index", 0) or 0),
            start=int(m.get("start", 0) or 0),
            end=int(m.get("end", 0) or 0),
            title=str(m.get("title", "")),
            source=str(m.get("source") or "") or None,
            published=_date(m.get("published")),
            url=str(m.get("url") or "") or None,
            path=str(m.get("path") or "") or None,
            content_hash=str(m.get("content_hash", "")),
            write_id=str(m.get("write_id", "")),
            written_at=float(m.get("written_at", 0) or 0),
        )

    def passage(self, chunk_id: str, text: str, score: float = 0.0) -> Passage:
        return Passage(
            chunk_id=chunk_id,
            doc_id=self.doc_id,
            text=text,
            start=self.start,
            end=self.end,
            title=self.title,
            source=self.source,
            published=self.published,
            url=self.url,
            path=self.path,
            score=score,
            version=self.version,
        )


@dataclass(frozen=True, slots=True)
class StoredChunk:
    """A committed chunk as the lexical index takes it in: id, text, metadata, embedding."""

    chunk_id: str
    text: str
    meta: ChunkMeta
    vector: np.ndarray


@dataclass(frozen=True, slots=True)
class Change:
    """One change-log entry: a write, a delete, or a check of committed documents ("verify")."""

    seq: int
    doc_ids: tuple[str, ...]
    op: str = "write"
    write_id: str = ""
    version: str = ""  # of a delete: the version it removes

    @property
    def key(self) -> str:
        return f"{self.seq:020d}-{self.write_id}"


@dataclass(frozen=True)
class _Handles:
    """One connection's client and collections, replaced as a whole, never mutated."""

    client: Any
    chunks: Any
    docs: Any
    changes: Any
    nlp: Any


class ChromaStore:
    """Embedded persistent Chroma under the data dir, or a Chroma server via HttpClient.

    Several processes may write through one Chroma server. Every write gets a fresh write id:
    its chunks carry it, and the document's registry record names it when the write commits.
    Nothing is ever deleted unless it provably belongs to no committed write: the chunks of
    the version a write replaced (ids are never reused, so no later write can need them), and
    chunks of uncommitted writes older than `orphan_grace_s` (crashed writers)."""

    def __init__(self, settings: Settings, embedder_name: str, dim: int | Callable[[], int]):
        """`dim`: the embedding size, or how to learn it when the store first connects."""
        self._settings = settings
        self.embedder_name = embedder_name
        self._dim = dim
        self._handles: _Handles | None = None
        self._connect_lock = threading.Lock()
        self.problem: str | None = None  # the last store call's failure, for /healthz
        # The first connect creates missing collections (a new archive); a later one only opens
        # them, so a node never re-creates an archive another node deleted.
        self.creates_collections = True
        self.vanished = False  # the last connect found the collection deleted

    @property
    def dim(self) -> int:
        if callable(self._dim):
            self._dim = int(self._dim())
        return self._dim

    # -- connection ---------------------------------------------------------------------
    def _invalidate(self, failed: _Handles | None) -> None:
        """Drop the handles only if they are still the ones that failed."""
        if failed is not None and self._handles is failed:
            self._handles = None

    def close(self) -> None:
        """Release the client (an embedded store can then be opened by another process)."""
        self._handles = None

    def _h(self) -> _Handles:
        handles = self._handles
        if handles is not None:
            return handles
        # One connect at a time; a caller that cannot get the lock soon answers 503 instead of
        # queueing every request thread behind a hung connect.
        if not self._connect_lock.acquire(timeout=self._settings.store_connect_timeout_s):
            raise StoreUnavailable("vector store unavailable: still connecting, try again")
        try:
            if self._handles is None:
                self._handles = self._connect()
                self.creates_collections = False
                self.vanished = False
            return self._handles
        finally:
            self._connect_lock.release()

    def _http_client(self) -> Any:
        """A Chroma server client whose every call gives up after `store_timeout_s`.

        chromadb's HTTP client waits forever (httpx with `timeout=None`): a stopped or wedged
        server would hold every request thread. Its constructor already makes calls (identity,
        tenant, database), so it runs in a thread that is abandoned when it does not answer in
        time; the client's session then gets the timeout for every later call."""
        import chromadb
        import httpx
        from chromadb.config import Settings as ChromaSettings

        s = self._settings
        made: dict[str, Any] = {}

        def construct() -> None:
            try:
                made["client"] = chromadb.HttpClient(
                    host=s.chroma_host, port=s.chroma_port, settings=ChromaSettings(anonymized_telemetry=False)
                )
            except Exception as e:  # re-raised in the caller's thread
                made["error"] = e

        thread = threading.Thread(target=construct, name="chroma-connect", daemon=True)
        thread.start()
        thread.join(s.store_timeout_s)
        if thread.is_alive():
            raise StoreUnavailable(
                f"vector store unavailable: Chroma at {s.chroma_host}:{s.chroma_port} did not answer "
                f"within {s.store_timeout_s:g} s (RAG_STORE_TIMEOUT_S)"
            )
        if "error" in made:
            raise made["error"]
        client = made["client"]
        session = getattr(getattr(client, "_server", None), "_session", None)
        if not isinstance(session, httpx.Client):  # a chromadb upgrade moved it: fail loudly, never hang
            raise RuntimeError("chromadb's HTTP client has no httpx session to put a timeout on")
        session.timeout = httpx.Timeout(s.store_timeout_s)
        return client

    def _connect(self) -> _Handles:
        from chromadb.config import Settings as ChromaSettings

        s = self._settings
        if s.uses_chroma_server:
            client = self._http_client()
        else:
            s.chroma_dir.mkdir(parents=True, exist_ok=True)
            client = _open_embedded(s.chroma_dir, ChromaSettings(anonymized_telemetry=False))
        chunks = self._collection(
            client,
            f"{s.collection}_chunks",
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"embedder": self.embedder_name, "dim": self.dim},
        )
        meta = chunks.metadata or {}
        if meta.get("embedder") != self.embedder_name or int(meta.get("dim", 0)) != self.dim:
            raise EmbedderMismatch(
                f"collection {chunks.name!r} was built with embedder {meta.get('embedder')!r} "
                f"(dim {meta.get('dim')}), but RAG_EMBED_MODEL gives {self.embedder_name!r} "
                f"(dim {self.dim}). Use the same embedder, another RAG_COLLECTION, or "
                "re-ingest into a fresh data dir."
            )
        docs = self._collection(client, f"{s.collection}_docs", metadata={"generation": uuid.uuid4().hex})
        # A store written before the change log (or the NLP layer) has none: created even on a reconnect.
        changes = self._collection(client, f"{s.collection}_changes", create=True, metadata={"role": "change log"})
        nlp = self._collection(client, f"{s.collection}_nlp", create=True, metadata={"role": "annotations"})
        return _Handles(client, chunks, docs, changes, nlp)

    def _collection(self, client: Any, name: str, create: bool | None = None, **options: Any) -> Any:
        """An existing collection is opened read-only (a reconnect on a full disk must not write);
        a missing one is created on the first connect only, and is CollectionNotFound after."""
        try:
            return client.get_collection(name, embedding_function=None)
        except Exception as e:
            if "does not exist" not in str(e) and "NotFound" not in type(e).__name__:
                raise
        if not (self.creates_collections if create is None else create):
            self.vanished = True
            raise CollectionNotFound(f"collection {self._settings.collection!r} was deleted")
        return client.get_or_create_collection(name, embedding_function=None, **options)

    @_read
    def archive_id(self) -> str:
        """Which incarnation of the collection the handles belong to (a deleted and re-created
        collection of the same name has another): derived data of the old one must go."""
        return str(self._h().docs.id)

    @_read
    def collection_names(self) -> list[str]:
        """The archives in this store: every `<name>_docs` collection that has its `<name>_chunks`."""
        names = {str(getattr(c, "name", c)) for c in self._h().client.list_collections()}
        return sorted(
            n[: -len("_docs")] for n in names if n.endswith("_docs") and n[: -len("_docs")] + "_chunks" in names
        )

    @_write
    def drop(self) -> None:
        """Delete this store's two collections (a whole archive: `DELETE /v1/collections/{name}`)."""
        h = self._h()
        self._handles = None
        for suffix in ("_chunks", "_docs", "_changes", "_nlp"):
            with contextlib.suppress(Exception):  # a store written before the change log has none
                h.client.delete_collection(f"{self._settings.collection}{suffix}")

    @_read
    def ping(self) -> None:
        self._h().client.heartbeat()

    # -- generation: a token that changes on every write, so readers know to refresh ------
    @_read
    def generation(self) -> str:
        """One call per request: also where a node learns that its collection was deleted (404)
        or deleted and created again (its handles are replaced, the call retried)."""
        h = self._h()
        col = h.client.get_collection(f"{self._settings.collection}_docs")
        if col.id != h.docs.id:
            raise _CollectionReplaced(self._settings.collection)
        return str((col.metadata or {}).get("generation", ""))

    @staticmethod
    def _bump(h: _Handles) -> None:
        h.docs.modify(metadata={"generation": uuid.uuid4().hex})

    # -- change log: every write and delete, by sequence number -----------------------------
    _seq_lock = threading.Lock()
    _last_seq = 0

    @classmethod
    def next_seq(cls) -> int:
        """A sequence number: nanoseconds since the epoch, strictly increasing within a process.
        Across processes it orders writes by their clocks; readers re-read a window of
        `change_overlap_s` behind what they applied, so a writer whose entry lands late (or whose
        clock lags a little) is still applied."""
        with cls._seq_lock:
            cls._last_seq = max(time.time_ns(), cls._last_seq + 1)
            return cls._last_seq

    @staticmethod
    def _log_change(h: _Handles, seq: int, write_id: str, op: str, doc_ids: Sequence[str], version: str = "") -> None:
        """Appended before the change it announces commits (an intent): a writer killed after its
        commit still leaves the entry, so every node learns of the change. A reader keeps an entry
        pending until its commit is seen or proven abandoned (see `LexicalIndexManager`), however
        long the commit takes to reach the store. `version`: the version a delete removes."""
        h.changes.add(
            ids=[f"{seq:020d}-{write_id}"],
            documents=[json.dumps(list(doc_ids))],
            metadatas=[{"seq": seq, "op": op, "write_id": write_id, "documents": len(doc_ids), "version": version}],
            embeddings=[[0.0]],
        )

    @_read
    def changes_since(self, seq: int) -> list[Change]:
        """Every change logged after `seq`, oldest first."""
        h = self._h()
        out: list[Change] = []
        for _, metas, docs in self._pages(h.changes, ["metadatas", "documents"], where={"seq": {"$gt": seq}}):
            out.extend(
                Change(
                    seq=int(m.get("seq", 0)),
                    doc_ids=tuple(json.loads(d or "[]")),
                    op=str(m.get("op", "write")),
                    write_id=str(m.get("write_id", "")),
                    version=str(m.get("version", "")),
                )
                for m, d in zip(metas, docs, strict=True)
            )
        return sorted(out, key=lambda e: e.seq)

    @_read
    def unfinished_writes(self, writes: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which of these (write id, doc id) pairs still have chunks in the store. A write's chunks
        are stored before its log entry, so an uncommitted write without them is over: it was
        committed and then replaced (the replacing write deleted them) or abandoned and repaired.
        One with them may still commit."""
        h = self._h()
        wanted = set(writes)
        found: set[tuple[str, str]] = set()
        write_ids = sorted({w for w, _ in wanted})
        for i in range(0, len(write_ids), 100):
            where = {"write_id": {"$in": write_ids[i : i + 100]}}
            for _, metas, _ in self._pages(h.chunks, ["metadatas"], where=where):
                found.update((str(m.get("write_id", "")), str(m.get("doc_id", ""))) for m in metas)
        return found & wanted

    @_write
    def announce(self, doc_ids: Sequence[str]) -> None:
        """Logs a check of these committed documents: every node makes its index of them match the
        registry again. A re-POST of an unchanged document does this, so a document that a node
        failed to index (an older node that skipped a late commit) is healed by sending it again."""
        if not doc_ids:
            return
        h = self._h()
        self._log_change(h, self.next_seq(), uuid.uuid4().hex, "verify", list(dict.fromkeys(doc_ids)))
        self._bump(h)

    @_read
    def pruned_before(self) -> int:
        """Every change logged before this sequence number may have been pruned (0: none was)."""
        col = self._h().client.get_collection(f"{self._settings.collection}_changes")
        return int((col.metadata or {}).get("pruned_before", 0))

    @_write
    def prune_changes(self, before_seq: int) -> int:
        """Remove log entries older than `before_seq`. The watermark is raised first, so a node
        never finds entries gone without knowing it: one whose index applied less than the
        watermark rebuilds instead of missing the pruned changes. Returns the entries removed."""
        h = self._h()
        col = h.client.get_collection(f"{self._settings.collection}_changes")
        if before_seq <= int((col.metadata or {}).get("pruned_before", 0)):
            return 0
        col.modify(metadata={"role": "change log", "pruned_before": before_seq})
        removed = 0
        while True:
            got = h.changes.get(where={"seq": {"$lt": before_seq}}, limit=PAGE, include=[])
            if not got["ids"]:
                return removed
            h.changes.delete(ids=got["ids"])
            removed += len(got["ids"])

    @_read
    def doc_chunks(self, versions: Mapping[str, str]) -> list[StoredChunk]:
        """The chunks of these document versions (doc id -> version key), with embeddings: what a
        lexical index applies for a logged change, at a cost proportional to the change."""
        h = self._h()
        out: list[StoredChunk] = []
        ids = list(versions)
        for i in range(0, len(ids), 100):
            got = h.chunks.get(
                where={"doc_id": {"$in": ids[i : i + 100]}}, include=["documents", "metadatas", "embeddings"]
            )
            for cid, text, meta, vector in zip(
                got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=True
            ):
                m = ChunkMeta.from_chroma(meta)
                if versions.get(m.doc_id) == m.version:
                    out.append(StoredChunk(cid, text or "", m, np.asarray(vector, dtype=np.float32)))
        return out

    # -- annotations: one record per document in `<name>_nlp`, beside its chunks ------------
    @_read
    def annotations(self, doc_ids: Sequence[str]) -> dict[str, DocAnnotation]:
        """The stored annotation records of these documents (of whatever version they were made
        for: the caller compares `doc_version` and `version` with what it needs)."""
        h = self._h()
        out: dict[str, DocAnnotation] = {}
        unique = list(dict.fromkeys(doc_ids))
        for i in range(0, len(unique), PAGE):
            got = h.nlp.get(ids=unique[i : i + PAGE], include=["documents"])
            for doc_id, raw in zip(got["ids"], got["documents"], strict=True):
                with contextlib.suppress(ValueError):  # a record of a schema this code cannot read is stale
                    out[doc_id] = DocAnnotation.model_validate_json(raw or "")
        return out

    @staticmethod
    def _put_annotations(h: _Handles, records: Mapping[str, DocAnnotation]) -> None:
        ids = list(records)
        for i in range(0, len(ids), PAGE):
            page = ids[i : i + PAGE]
            h.nlp.upsert(
                ids=page,
                documents=[records[d].model_dump_json() for d in page],
                metadatas=[
                    {"version": records[d].version, "doc_version": records[d].doc_version, "written_at": time.time()}
                    for d in page
                ],
                embeddings=[[0.0] for _ in page],
            )

    @_write
    def put_annotations(self, records: Mapping[str, DocAnnotation]) -> None:
        """Store annotations made after their documents were written (a document ingested before
        the NLP layer, or under another pipeline version): once, by the first node that needs them."""
        if records:
            self.check_disk()
            self._put_annotations(self._h(), records)

    # -- reads ----------------------------------------------------------------------------
    @_read
    def count_docs(self) -> int:
        return int(self._h().docs.count())

    @_read
    def doc_records(self, doc_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        h = self._h()
        out: dict[str, dict[str, Any]] = {}
        unique = list(dict.fromkeys(doc_ids))
        for i in range(0, len(unique), PAGE):  # SQLite caps the variables of one statement
            got = h.docs.get(ids=unique[i : i + PAGE], include=["metadatas"])
            out.update({d: dict(m or {}) for d, m in zip(got["ids"], got["metadatas"], strict=True)})
        return out

    @_read
    def outlets(self) -> list[str]:
        """Distinct outlet names of the registry, sorted case-insensitively."""
        h = self._h()
        names = {
            str(m.get("source")) for _, metas, _ in self._pages(h.docs, ["metadatas"]) for m in metas if m.get("source")
        }
        return sorted(names, key=str.lower)

    @_read
    def get_doc(self, doc_id: str) -> DocumentDetail:
        got = self._h().docs.get(ids=[doc_id], include=["metadatas", "documents"])
        if not got["ids"]:
            raise DocumentNotFound(f"no document with id {doc_id!r}")
        text = got["documents"][0] or ""
        info = info_from_metadata(doc_id, got["metadatas"][0] or {}, len(text))
        return DocumentDetail(**info.model_dump(), text=text)

    @_read
    def doc_texts(self, doc_ids: Sequence[str]) -> dict[str, str]:
        h = self._h()
        if not doc_ids:
            return {}
        got = h.docs.get(ids=list(dict.fromkeys(doc_ids)), include=["documents"])
        return {i: d or "" for i, d in zip(got["ids"], got["documents"], strict=True)}

    def _pages(
        self, col: Any, include: list[str], limit: int | None = None, offset: int = 0, where: Any = None
    ) -> Iterator[tuple[list[str], list[dict[str, Any]], list[str]]]:
        remaining = limit
        while remaining is None or remaining > 0:
            n = PAGE if remaining is None else min(PAGE, remaining)
            got = col.get(include=include, limit=n, offset=offset, where=where)
            ids = got["ids"]
            if not ids:
                return
            yield ids, got.get("metadatas") or [{}] * len(ids), got.get("documents") or [""] * len(ids)
            offset += len(ids)
            if remaining is not None:
                remaining -= len(ids)
            if len(ids) < n:
                return

    def _committed_keys(self, h: _Handles) -> dict[str, str]:
        return {
            i: version_key(m)
            for ids, metas, _ in self._pages(h.docs, ["metadatas"])
            for i, m in zip(ids, metas, strict=True)
        }

    @_read
    def committed_chunks(self) -> Iterator[StoredChunk]:
        """Every visible chunk with its embedding (a full read of the archive: only a lexical
        index that has to be rebuilt needs it)."""
        h = self._h()
        committed = self._committed_keys(h)
        offset = 0
        while True:
            got = h.chunks.get(include=["metadatas", "documents", "embeddings"], limit=PAGE, offset=offset)
            ids = got["ids"]
            if not ids:
                return
            for cid, meta, text, vector in zip(ids, got["metadatas"], got["documents"], got["embeddings"], strict=True):
                if committed.get(str((meta or {}).get("doc_id"))) == version_key(meta or {}):
                    yield StoredChunk(
                        cid, text or "", ChunkMeta.from_chroma(meta), np.asarray(vector, dtype=np.float32)
                    )
            offset += len(ids)
            if len(ids) < PAGE:
                return

    @_read
    def query(
        self,
        embedding: np.ndarray,
        n: int,
        filters: Filters | None,
        as_of: dt.date | None = None,
        overfetch: int | None = None,
        total: int | None = None,
    ) -> list[Passage]:
        """Nearest chunks, scored by cosine similarity. `overfetch`: how many times `n` to take
        unfiltered before filtering (the caller may know the filter's selectivity); `total`: how
        many chunks the collection holds, when the caller knows (counting costs ~17 ms at 100k)."""
        h = self._h()
        count = h.chunks.count() if total is None else total
        if count == 0:
            return []
        conds = conditions(filters, as_of)
        overfetch = overfetch or self._settings.filter_overfetch
        if conds and overfetch > 1:
            # Chroma's filtered search is several times slower than a plain one. Most filters (an
            # as_of bound, a date window) keep much of the archive: the nearest n*overfetch chunks,
            # filtered here, already hold the filtered top n. Only when they do not is the
            # filtered search run.
            hits = [p for p, m in self._nearest(h, embedding, min(n * overfetch, count), None) if matches(m, conds)]
            if len(hits) >= n or n * overfetch >= count:
                return hits[:n]
        return [p for p, _ in self._nearest(h, embedding, min(n, count), to_where(conds))]

    @staticmethod
    def _nearest(
        h: _Handles, embedding: np.ndarray, n: int, where: dict[str, Any] | None
    ) -> list[tuple[Passage, dict[str, Any]]]:
        got = h.chunks.query(
            query_embeddings=[embedding.tolist()],
            n_results=n,
            where=where,
            include=["metadatas", "documents", "distances"],
        )
        return [
            (ChunkMeta.from_chroma(meta).passage(cid, text or "", 1.0 - float(dist)), dict(meta or {}))
            for cid, text, meta, dist in zip(
                got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0], strict=True
            )
        ]

    @_read
    def chunk_rows(self, chunk_ids: Sequence[str]) -> dict[str, Passage]:
        """The chunks with these ids, as passages (score 0)."""
        h = self._h()
        if not chunk_ids:
            return {}
        got = h.chunks.get(ids=list(dict.fromkeys(chunk_ids)), include=["documents", "metadatas"])
        return {
            i: ChunkMeta.from_chroma(m).passage(i, d or "")
            for i, d, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        }

    @_read
    def all_committed_versions(self) -> dict[str, str]:
        """doc id -> committed version key, for every document of the archive (one pass over the registry)."""
        return self._committed_keys(self._h())

    def committed_versions(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """doc id -> the version key its visible chunks must carry."""
        return {i: version_key(m) for i, m in self.doc_records(doc_ids).items()}

    @_read
    def visible_chunk_counts(self, records: dict[str, dict[str, Any]]) -> dict[str, int]:
        """How many chunks of each committed record are actually stored (a write whose chunks
        went missing is re-written, not answered 'unchanged')."""
        h = self._h()
        counts = dict.fromkeys(records, 0)
        ids = list(records)
        for i in range(0, len(ids), 100):
            got = h.chunks.get(where={"doc_id": {"$in": ids[i : i + 100]}}, include=["metadatas"])
            for m in got["metadatas"]:
                d = str((m or {}).get("doc_id"))
                if d in records and version_key(m or {}) == version_key(records[d]):
                    counts[d] += 1
        return counts

    # -- writes ---------------------------------------------------------------------------
    def check_disk(self, write_bytes: int = 0) -> None:
        """Refuse a write while the embedded store's disk is (nearly) full: 503 until space is freed.
        A Chroma server guards its own disk."""
        if self._settings.uses_chroma_server:
            return
        path = self._settings.chroma_dir
        probe = path if path.exists() else path.parent
        if not probe.exists():
            return
        free = shutil.disk_usage(probe).free
        needed = self._settings.min_free_disk_mb * 1024 * 1024 + 4 * write_bytes
        if free < needed:
            self.problem = (
                f"vector store refuses writes: {free // (1024 * 1024)} MB free on its disk, "
                f"{needed // (1024 * 1024) + 1} MB needed (RAG_MIN_FREE_DISK_MB); reads still work"
            )
            raise StoreUnavailable(self.problem)

    @_write
    def write_documents(
        self,
        batch: Sequence[tuple[Document, str, list[Chunk], np.ndarray]],
        write_id: str,
        replaced: Mapping[str, str] | None = None,
        annotations: Mapping[str, DocAnnotation] | None = None,
    ) -> None:
        """Chunks and annotations first, then the registry records (the commit), then the
        replaced versions go.

        `annotations`: doc id -> its annotation, stored with `doc_version` = `write_id`; one left
        by a write that never committed names a version no record has, and readers ignore it.

        `write_id` must be the id the chunks were made with (their ids embed it). `replaced`: the
        version key each document had when the caller read its record (read here when absent). A
        version committed by another writer since then is not deleted here; repair takes it later."""
        h = self._h()
        if not batch:
            return
        self.check_disk(sum(len(d.text) * 3 + len(c) * self.dim * 8 for d, _, c, _ in batch))
        now = time.time()
        if replaced is None:
            replaced = {i: version_key(m) for i, m in self.doc_records([d.doc_id for d, _, _, _ in batch]).items()}
        before = {d.doc_id: replaced[d.doc_id] for d, _, _, _ in batch if d.doc_id in replaced}
        ids: list[str] = []
        texts: list[str] = []
        metas: list[dict[str, Any]] = []
        vectors: list[list[float]] = []
        for doc, content_hash, chunks, embeddings in batch:
            for chunk, vector in zip(chunks, embeddings, strict=True):
                ids.append(chunk.chunk_id)
                texts.append(chunk.text)
                vectors.append(vector.tolist())
                meta = ChunkMeta(
                    doc_id=doc.doc_id,
                    chunk_index=chunk.index,
                    start=chunk.start,
                    end=chunk.end,
                    title=doc.title,
                    source=doc.source,
                    published=doc.published,
                    url=doc.url,
                    path=doc.path,
                    content_hash=content_hash,
                    write_id=write_id,
                    written_at=now,
                )
                metas.append(meta.to_chroma())
        # `add`, not `upsert`: chunk ids embed the fresh write id, so none exists yet, and a batch
        # upserted into Chroma 1.5.9 can leave a later record unreachable by its HNSW search
        # (bench/chroma_recall.py: 2-3% of one-chunk writes after an upserted batch, 0% after add).
        for i in range(0, len(ids), PAGE):
            h.chunks.add(
                ids=ids[i : i + PAGE],
                documents=texts[i : i + PAGE],
                metadatas=metas[i : i + PAGE],
                embeddings=vectors[i : i + PAGE],
            )
        if annotations:
            self._put_annotations(
                h, {d: a.model_copy(update={"doc_version": write_id}) for d, a in annotations.items()}
            )
        seq = self.next_seq()
        self._log_change(h, seq, write_id, "write", [d.doc_id for d, _, _, _ in batch])
        h.docs.upsert(
            ids=[d.doc_id for d, _, _, _ in batch],
            documents=[d.text for d, _, _, _ in batch],
            metadatas=[doc_metadata(d, ch, len(c), write_id, seq) for d, ch, c, _ in batch],
            embeddings=[[0.0] for _ in batch],
        )
        self._bump(h)
        # The versions this write replaced can go, unless another writer committed them again
        # meanwhile (impossible with fresh write ids, but legacy content-hash keys can recur).
        after = self.committed_versions(list(before))
        for doc_id, old in before.items():
            if old and old != after.get(doc_id):
                self._delete_version(h, doc_id, old)

    @staticmethod
    def _delete_version(h: _Handles, doc_id: str, key: str) -> int:
        got = h.chunks.get(where={"doc_id": doc_id}, include=["metadatas"])
        stale = [cid for cid, m in zip(got["ids"], got["metadatas"], strict=True) if version_key(m or {}) == key]
        for i in range(0, len(stale), PAGE):
            h.chunks.delete(ids=stale[i : i + PAGE])
        return len(stale)

    @_write
    def delete_document(self, doc_id: str) -> int:
        h = self._h()
        got = h.docs.get(ids=[doc_id], include=["metadatas"])
        if not got["ids"]:
            raise DocumentNotFound(f"no document with id {doc_id!r}")
        key = version_key(got["metadatas"][0] or {})
        self.check_disk()
        self._log_change(h, self.next_seq(), uuid.uuid4().hex, "delete", [doc_id], version=key)
        h.docs.delete(ids=[doc_id])  # un-commit first: the chunks become invisible at once
        self._bump(h)
        got_nlp = h.nlp.get(ids=[doc_id], include=["metadatas"])
        if got_nlp["ids"] and (got_nlp["metadatas"][0] or {}).get("doc_version") == key:
            h.nlp.delete(ids=[doc_id])
        # Only the deleted version's chunks: a write of the same id in flight elsewhere keeps its own.
        return self._delete_version(h, doc_id, key)

    @_write
    def repair(self, grace_s: float | None = None) -> int:
        """Remove chunks of writes that never committed (a writer crashed), once they are older
        than the grace period: a younger one may belong to a write that is still in flight in
        another process. Returns how many were removed."""
        h = self._h()
        grace = self._settings.orphan_grace_s if grace_s is None else grace_s
        cutoff = time.time() - grace
        committed = self._committed_keys(h)
        orphans = [
            cid
            for ids, metas, _ in self._pages(h.chunks, ["metadatas"])
            for cid, m in zip(ids, metas, strict=True)
            if committed.get(str(m.get("doc_id"))) != version_key(m) and float(m.get("written_at", 0) or 0) < cutoff
        ]
        for i in range(0, len(orphans), PAGE):
            h.chunks.delete(ids=orphans[i : i + PAGE])
        if orphans:
            self._bump(h)
        # The annotation of a document whose first write never committed (a later commit replaces it).
        stray = [
            doc_id
            for ids, metas, _ in self._pages(h.nlp, ["metadatas"])
            for doc_id, m in zip(ids, metas, strict=True)
            if doc_id not in committed and float(m.get("written_at", 0) or 0) < cutoff
        ]
        for i in range(0, len(stray), PAGE):
            h.nlp.delete(ids=stray[i : i + PAGE])
        return len(orphans)
