"""Chroma persistence: a chunk collection plus a document registry.

A document becomes visible only when its registry record is written, after all of its
chunks: the record is the commit point, so a crash leaves no half-ingested document.
Chunks whose (doc_id, content_hash) match no record are invisible and removed by `repair`.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ParamSpec, TypeVar

import numpy as np

from rag.errors import DocumentNotFound, EmbedderMismatch, RagError, StoreUnavailable
from rag.models import Chunk, Document, DocumentDetail, DocumentInfo, Filters
from rag.settings import Settings

P = ParamSpec("P")
R = TypeVar("R")
PAGE = 1000


def _unavailable(fn: Callable[P, R]) -> Callable[P, R]:
    """Connection failures become StoreUnavailable; the next call reconnects."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except RagError:
            raise
        except Exception as e:  # chromadb raises many types for a lost server or a broken database
            name = type(e).__name__
            text = str(e)
            if isinstance(e, ConnectionError | OSError | TimeoutError) or any(
                s in name + text
                for s in ("Connect", "connect", "Timeout", "Remote", "Protocol", "tenant", "HTTP", "InternalError")
            ):
                self = args[0]
                if isinstance(self, ChromaStore):
                    self._reset()
                raise StoreUnavailable(f"vector store unavailable: {name}: {text}") from e
            raise

    return wrapper


def day_number(d: dt.date | None) -> int:
    """Dates as sortable ints (YYYYMMDD) because Chroma compares only numbers."""
    return d.year * 10000 + d.month * 100 + d.day if d else 0


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) and value else None


def where_clause(filters: Filters | None) -> dict[str, Any] | None:
    if filters is None or filters.is_empty():
        return None
    parts: list[dict[str, Any]] = []
    if filters.sources:
        parts.append({"source_key": {"$in": [s.lower() for s in filters.sources]}})
    if filters.doc_ids:
        parts.append({"doc_id": {"$in": list(filters.doc_ids)}})
    if filters.published_from:
        parts.append({"published_day": {"$gte": day_number(filters.published_from)}})
    if filters.published_to:
        parts.append({"published_day": {"$lte": day_number(filters.published_to)}})
    if filters.published_from or filters.published_to:
        parts.append({"published_day": {"$gt": 0}})
    return parts[0] if len(parts) == 1 else {"$and": parts}


def doc_metadata(doc: Document, content_hash: str, chunks: int) -> dict[str, Any]:
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
    }


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


class ChromaStore:
    """Embedded persistent Chroma under the data dir, or a Chroma server via HttpClient."""

    def __init__(self, settings: Settings, embedder_name: str, dim: int):
        self._settings = settings
        self.embedder_name = embedder_name
        self.dim = dim
        self._client: Any = None
        self._chunks: Any = None
        self._docs: Any = None

    # -- connection ---------------------------------------------------------------------
    def _reset(self) -> None:
        self._client = self._chunks = self._docs = None

    def _connect(self) -> None:
        if self._chunks is not None:
            return
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        s = self._settings
        if s.uses_chroma_server:
            client = chromadb.HttpClient(host=s.chroma_host, port=s.chroma_port, settings=chroma_settings)
        else:
            s.chroma_dir.mkdir(parents=True, exist_ok=True)
            client = chromadb.PersistentClient(path=str(s.chroma_dir), settings=chroma_settings)
        chunks = client.get_or_create_collection(
            f"{s.collection}_chunks",
            embedding_function=None,
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
        docs = client.get_or_create_collection(
            f"{s.collection}_docs",
            embedding_function=None,
            metadata={"generation": uuid.uuid4().hex},
        )
        self._client, self._chunks, self._docs = client, chunks, docs

    @_unavailable
    def ping(self) -> None:
        self._connect()
        self._client.heartbeat()

    # -- generation: a token that changes on every write, so readers know to refresh ------
    @_unavailable
    def generation(self) -> str:
        self._connect()
        col = self._client.get_collection(f"{self._settings.collection}_docs")
        return str((col.metadata or {}).get("generation", ""))

    def _bump(self) -> None:
        self._docs.modify(metadata={"generation": uuid.uuid4().hex})

    # -- reads ----------------------------------------------------------------------------
    @_unavailable
    def count_docs(self) -> int:
        self._connect()
        return int(self._docs.count())

    @_unavailable
    def doc_records(self, doc_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        self._connect()
        if not doc_ids:
            return {}
        got = self._docs.get(ids=list(dict.fromkeys(doc_ids)), include=["metadatas"])
        return {i: dict(m or {}) for i, m in zip(got["ids"], got["metadatas"], strict=True)}

    @_unavailable
    def list_docs(self, limit: int | None = None, offset: int = 0) -> list[DocumentInfo]:
        self._connect()
        infos: list[DocumentInfo] = []
        for ids, metas, _ in self._pages(self._docs, ["metadatas"], limit, offset):
            infos += [info_from_metadata(i, m) for i, m in zip(ids, metas, strict=True)]
        infos.sort(key=lambda d: d.doc_id)
        return infos

    @_unavailable
    def get_doc(self, doc_id: str) -> DocumentDetail:
        self._connect()
        got = self._docs.get(ids=[doc_id], include=["metadatas", "documents"])
        if not got["ids"]:
            raise DocumentNotFound(f"no document with id {doc_id!r}")
        text = got["documents"][0] or ""
        info = info_from_metadata(doc_id, got["metadatas"][0] or {}, len(text))
        return DocumentDetail(**info.model_dump(), text=text)

    @_unavailable
    def doc_texts(self, doc_ids: Sequence[str]) -> dict[str, str]:
        self._connect()
        if not doc_ids:
            return {}
        got = self._docs.get(ids=list(dict.fromkeys(doc_ids)), include=["documents"])
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

    @_unavailable
    def committed_chunks(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """Every visible chunk: (chunk_id, text, metadata)."""
        self._connect()
        committed = {
            i: m.get("content_hash")
            for ids, metas, _ in self._pages(self._docs, ["metadatas"])
            for i, m in zip(ids, metas, strict=True)
        }
        for ids, metas, texts in self._pages(self._chunks, ["metadatas", "documents"]):
            for cid, meta, text in zip(ids, metas, texts, strict=True):
                if committed.get(str(meta.get("doc_id"))) == meta.get("content_hash"):
                    yield cid, text, meta

    @_unavailable
    def query(
        self, embedding: np.ndarray, n: int, filters: Filters | None
    ) -> list[tuple[str, str, dict[str, Any], float]]:
        """Nearest chunks as (chunk_id, text, metadata, cosine similarity)."""
        self._connect()
        count = self._chunks.count()
        if count == 0:
            return []
        got = self._chunks.query(
            query_embeddings=[embedding.tolist()],
            n_results=min(n, count),
            where=where_clause(filters),
            include=["metadatas", "documents", "distances"],
        )
        return [
            (cid, text, dict(meta), 1.0 - float(dist))
            for cid, text, meta, dist in zip(
                got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0], strict=True
            )
        ]

    @_unavailable
    def chunk_rows(self, chunk_ids: Sequence[str]) -> dict[str, tuple[str, dict[str, Any]]]:
        self._connect()
        if not chunk_ids:
            return {}
        got = self._chunks.get(ids=list(dict.fromkeys(chunk_ids)), include=["documents", "metadatas"])
        return {
            i: (d or "", dict(m or {})) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        }

    @_unavailable
    def chunk_embeddings(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        self._connect()
        if not chunk_ids:
            return {}
        got = self._chunks.get(ids=list(dict.fromkeys(chunk_ids)), include=["embeddings"])
        return {i: np.asarray(e, dtype=np.float32) for i, e in zip(got["ids"], got["embeddings"], strict=True)}

    def committed_hashes(self, doc_ids: Sequence[str]) -> dict[str, str]:
        return {i: str(m.get("content_hash", "")) for i, m in self.doc_records(doc_ids).items()}

    # -- writes ---------------------------------------------------------------------------
    @_unavailable
    def write_documents(self, batch: Sequence[tuple[Document, str, list[Chunk], np.ndarray]]) -> None:
        """Chunks first, then the registry records (the commit), then stale chunks go."""
        self._connect()
        if not batch:
            return
        ids: list[str] = []
        texts: list[str] = []
        metas: list[dict[str, Any]] = []
        vectors: list[list[float]] = []
        for doc, content_hash, chunks, embeddings in batch:
            base = doc_metadata(doc, content_hash, len(chunks))
            for chunk, vector in zip(chunks, embeddings, strict=True):
                ids.append(chunk.chunk_id)
                texts.append(chunk.text)
                vectors.append(vector.tolist())
                metas.append(
                    {
                        **{
                            k: base[k]
                            for k in (
                                "title",
                                "source",
                                "source_key",
                                "published",
                                "published_day",
                                "url",
                                "path",
                                "content_hash",
                            )
                        },
                        "doc_id": doc.doc_id,
                        "chunk_index": chunk.index,
                        "start": chunk.start,
                        "end": chunk.end,
                    }
                )
        for i in range(0, len(ids), PAGE):
            self._chunks.upsert(
                ids=ids[i : i + PAGE],
                documents=texts[i : i + PAGE],
                metadatas=metas[i : i + PAGE],
                embeddings=vectors[i : i + PAGE],
            )
        self._docs.upsert(
            ids=[d.doc_id for d, _, _, _ in batch],
            documents=[d.text for d, _, _, _ in batch],
            metadatas=[doc_metadata(d, h, len(c)) for d, h, c, _ in batch],
            embeddings=[[0.0] for _ in batch],
        )
        for doc, content_hash, _, _ in batch:
            self._chunks.delete(where={"$and": [{"doc_id": doc.doc_id}, {"content_hash": {"$ne": content_hash}}]})
        self._bump()

    @_unavailable
    def delete_document(self, doc_id: str) -> int:
        self._connect()
        if not self._docs.get(ids=[doc_id], include=[])["ids"]:
            raise DocumentNotFound(f"no document with id {doc_id!r}")
        self._docs.delete(ids=[doc_id])  # un-commit first: the chunks become invisible at once
        stale = self._chunks.get(where={"doc_id": doc_id}, include=[])["ids"]
        if stale:
            self._chunks.delete(ids=stale)
        self._bump()
        return len(stale)

    @_unavailable
    def repair(self) -> int:
        """Remove chunks left behind by an interrupted write. Returns how many."""
        self._connect()
        committed = {
            i: m.get("content_hash")
            for ids, metas, _ in self._pages(self._docs, ["metadatas"])
            for i, m in zip(ids, metas, strict=True)
        }
        orphans = [
            cid
            for ids, metas, _ in self._pages(self._chunks, ["metadatas"])
            for cid, m in zip(ids, metas, strict=True)
            if committed.get(str(m.get("doc_id"))) != m.get("content_hash")
        ]
        for i in range(0, len(orphans), PAGE):
            self._chunks.delete(ids=orphans[i : i + PAGE])
        if orphans:
            self._bump()
        return len(orphans)
