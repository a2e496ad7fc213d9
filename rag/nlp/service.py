"""Annotations at query time: read from the store, cached in memory, never recomputed per query.

Every node reads the same records (Chroma is the store of record), so an article is annotated
once, at ingest, by the node that wrote it. A document ingested before the NLP layer, or
annotated by another pipeline version, is annotated on its first use and the record is stored,
so that happens once for the whole deployment, not once per query.
"""

from __future__ import annotations

import logging
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from rag.errors import StoreUnavailable
from rag.nlp.annotate import Annotator
from rag.nlp.records import DocAnnotation
from rag.store.chroma import ChromaStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RefreshReport:
    """What `AnnotationService.refresh` did: the archive's documents and how many it annotated."""

    documents: int
    annotated: int


class AnnotationService:
    """doc id -> its annotation, for the committed version of each document.

    The cache is keyed by (doc id, version key), so an updated document is never served its old
    annotation, and bounded (least recently used first out) in two tiers: the `max_hot` most
    recent records as objects, and up to `max_cached` as compressed JSON. A parsed record takes
    about ten times its JSON (measured on RealTime QA articles: some 110 KB parsed, 11 KB of
    JSON, 3 KB compressed), so 4,096 parsed records would hold some 450 MB; 4,096 compressed
    ones hold some 12 MB, and reading one back costs about 0.15 ms."""

    def __init__(self, store: ChromaStore, annotator: Annotator, max_cached: int, max_hot: int = 256):
        self._store = store
        self._annotator = annotator
        self._max = max_cached
        self._max_hot = max(1, min(max_hot, max_cached))
        self._cache: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._hot: OrderedDict[tuple[str, str], DocAnnotation] = OrderedDict()
        self._lock = threading.Lock()
        self.annotated_lazily = 0  # documents this process had to annotate (legacy or stale records)

    def _cached(self, key: tuple[str, str]) -> DocAnnotation | None:
        with self._lock:
            found = self._hot.get(key)
            if found is not None:
                self._hot.move_to_end(key)
                self._cache.move_to_end(key)
                return found
            packed = self._cache.get(key)
            if packed is None:
                return None
            self._cache.move_to_end(key)
        record = DocAnnotation.model_validate_json(zlib.decompress(packed))
        with self._lock:
            self._keep_hot(key, record)
        return record

    def _keep_hot(self, key: tuple[str, str], value: DocAnnotation) -> None:
        self._hot[key] = value
        self._hot.move_to_end(key)
        while len(self._hot) > self._max_hot:
            self._hot.popitem(last=False)

    def _remember(self, key: tuple[str, str], value: DocAnnotation) -> None:
        packed = zlib.compress(value.model_dump_json().encode("utf-8"), 6)
        with self._lock:
            self._cache[key] = packed
            self._cache.move_to_end(key)
            while len(self._cache) > self._max:
                gone, _ = self._cache.popitem(last=False)
                self._hot.pop(gone, None)
            self._keep_hot(key, value)

    def _is_current(self, record: DocAnnotation | None, doc_version: str) -> bool:
        """A record made by this pipeline and schema for this version of its document."""
        return record is not None and record.version == self._annotator.version and record.doc_version == doc_version

    def refresh(self, batch_size: int = 64, on_batch: Callable[[int, int], None] | None = None) -> RefreshReport:
        """Annotate now every document whose record is missing or stale (a new pipeline or schema
        version, a document ingested with RAG_NLP_ANNOTATE=false), instead of on its first use:
        after an upgrade the first questions are then as fast as any. Resumable: a run that stops
        halfway leaves current records behind, and the next run skips them. A document rewritten
        while this runs keeps the record its own write made (its version is read again before
        storing). `on_batch(done, total)` reports progress."""
        versions = self._store.all_committed_versions()
        ids = sorted(versions)
        annotated = 0
        for i in range(0, len(ids), batch_size):
            page = ids[i : i + batch_size]
            stored = self._store.annotations(page)
            stale = [d for d in page if not self._is_current(stored.get(d), versions[d])]
            if stale:
                texts = self._store.doc_texts(stale)
                todo = [d for d in stale if texts.get(d)]
                made = self._annotator.annotate([texts[d] for d in todo], [versions[d] for d in todo])
                still = self._store.committed_versions(todo)
                fresh = {d: r for d, r in zip(todo, made, strict=True) if still.get(d) == versions[d]}
                self._store.put_annotations(fresh)
                annotated += len(fresh)
            if on_batch is not None:
                on_batch(min(i + batch_size, len(ids)), len(ids))
        return RefreshReport(documents=len(ids), annotated=annotated)

    def get(self, versions: Mapping[str, str], texts: Mapping[str, str]) -> dict[str, DocAnnotation]:
        """`versions`: doc id -> the committed version key (Passage.version); `texts`: the
        documents' texts, read by the caller already (used only for a document with no current record)."""
        out: dict[str, DocAnnotation] = {}
        missing: list[str] = []
        for doc_id, version in versions.items():
            hit = self._cached((doc_id, version))
            if hit is not None:
                out[doc_id] = hit
            else:
                missing.append(doc_id)
        if not missing:
            return out
        stored = self._store.annotations(missing)
        todo: list[str] = []
        for doc_id in missing:
            record = stored.get(doc_id)
            if record is not None and self._is_current(record, versions[doc_id]):
                out[doc_id] = record
                self._remember((doc_id, versions[doc_id]), record)
            elif texts.get(doc_id):
                todo.append(doc_id)
        if todo:
            made = self._annotator.annotate([texts[d] for d in todo], [versions[d] for d in todo])
            fresh = dict(zip(todo, made, strict=True))
            self.annotated_lazily += len(fresh)
            try:
                self._store.put_annotations(fresh)
            except StoreUnavailable as e:  # a read must not fail for a cache write; next node retries
                log.warning("could not store %d annotations: %s", len(fresh), e)
            for doc_id, record in fresh.items():
                out[doc_id] = record
                self._remember((doc_id, versions[doc_id]), record)
        return out
