"""The local lexical index: tantivy (BM25, incremental, crash-safe commits) plus the committed
chunks' embeddings, kept in step with the store through its change log.

Each process keeps its own copy on local disk (one *slot* per process, under
`<data_dir>/lexical/<collection>/`). A write anywhere appends an entry to the store's change
log; before serving, a process applies the entries it has not applied yet, document by
document, at a cost proportional to the change. Applying is idempotent (a document's chunks are
made to match its committed registry record), so entries are re-read over a short overlap
window without harm. A full rebuild happens only when the slot is missing, corrupt, of another
format, or mostly dead rows, with a progress bar and a log line saying why.

The slot is derived data, so it checks itself: every index entry carries the checksum of its
embedding row, and the rows are compared with them whenever the slot is opened (at start, and
again after any failed write), so a torn or shifted `vectors.f32` is rebuilt from the store
instead of silently pairing chunks with other chunks' embeddings. A node whose disk is too full
to keep its slot up to date answers 503 (IndexUnavailable) and catches up by itself once space
is freed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import logging
import os
import shutil
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import tantivy
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from rag.errors import IndexUnavailable, RagError
from rag.models import Filters
from rag.nlp.text import STOPWORDS, analyser_fingerprint, normalize_word, terms, words
from rag.retrieval.filtering import conditions, to_tantivy
from rag.store.chroma import Change, StoredChunk, version_key

log = logging.getLogger(__name__)

FORMAT = 6  # 4: tantivy segments + an append-only embedding file, applied from the change log;
# 5: the embedding row is indexed (exact dense search finds the live chunk of a row);
# 6: each entry carries its embedding row's checksum (the slot verifies itself when opened)
_MAX_TERM = 100  # longer "words" (scraped garbage) are not indexed
_WRITER_HEAP = 50_000_000
_NO_INDEX = "no lexical index yet"
# Opening a slot compares embedding rows with their checksums: every row while the index holds at
# most _CHECK_ALL chunks, else the _CHECK_SAMPLE newest rows (where a torn append shifts
# everything after it) plus _CHECK_SAMPLE spread over the file: 0.16 s at 20k chunks, 0.07 s at
# 100k (bench/slot_verify.py).
_CHECK_ALL = 20_000
_CHECK_SAMPLE = 2_000
_MB = 1024 * 1024


class ChangeSource(Protocol):
    """What the index reads from the store (ChromaStore implements it)."""

    def generation(self) -> str: ...
    def archive_id(self) -> str: ...
    def changes_since(self, seq: int) -> list[Change]: ...
    def unfinished_writes(self, writes: Sequence[tuple[str, str]]) -> set[tuple[str, str]]: ...
    def pruned_before(self) -> int: ...
    def doc_records(self, doc_ids: Sequence[str]) -> dict[str, dict[str, Any]]: ...
    def doc_chunks(self, versions: Mapping[str, str]) -> list[StoredChunk]: ...
    def committed_chunks(self) -> Iterator[StoredChunk]: ...


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("chunk_id", stored=True, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("doc_id", stored=True, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("version", stored=True, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("source_key", tokenizer_name="raw", index_option="basic")
    sb.add_integer_field("published_day", indexed=True, fast=True)
    sb.add_integer_field("row", fast=True, stored=True, indexed=True)
    sb.add_integer_field("vector_crc", fast=True)  # crc32 of the row's bytes (row_checksum)
    sb.add_text_field("body", tokenizer_name="whitespace", index_option="freq")  # normalised BM25 terms
    sb.add_text_field("surface", tokenizer_name="whitespace", index_option="basic")  # words, for spelling
    return sb.build()


def tokenize(title: str, text: str) -> tuple[str, str]:
    """(BM25 terms, distinct surface words) of a chunk, space-joined: the same normalisation as
    the questions' (stems, demonyms, outlet words)."""
    surface = [w for w in words(f"{title}\n{text}") if len(w) <= _MAX_TERM]
    body = [normalize_word(w) for w in surface if w not in STOPWORDS] or ["∅"]
    return " ".join(body), " ".join(sorted(set(surface)))


# -- embeddings: an append-only file of float32 rows ---------------------------------------
def row_checksum(row: np.ndarray) -> int:
    """crc32 of one embedding row's float32 bytes: what the index keeps to verify the file."""
    return zlib.crc32(np.ascontiguousarray(row, dtype=np.float32).tobytes())


class VectorRows:
    """Row `i` is the embedding of the chunk indexed with `row = i`. Rows are appended before the
    tantivy commit that references them, so a crash leaves at most unreferenced rows at the end.
    Rows of replaced chunks stay (dead) until the slot is compacted by a rebuild.

    An append is whole rows or nothing: the block is written right after the counted rows, made
    durable (fsync), and only then counted. A write that fails part-way (a full disk) is cut off
    again, so the next append starts on a row boundary. (Appending in "a" mode after a torn write
    shifted every later row by the torn bytes, pairing each new chunk with another's embedding.)"""

    def __init__(self, path: Path | None, dim: int):
        self._path, self.dim = path, dim
        self._row_bytes = 4 * dim
        self._memory = np.zeros((0, dim), dtype=np.float32)
        self._fd: int | None = None
        self.rows = 0
        if path is not None:
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            size = os.fstat(self._fd).st_size
            self.rows = size // self._row_bytes
            if size % self._row_bytes:  # a torn last row from a crash: never referenced, cut off
                os.ftruncate(self._fd, self.rows * self._row_bytes)

    def append(self, vectors: np.ndarray) -> int:
        """Appends, returns the first new row number. Raises OSError (nothing appended) when the
        rows cannot be written in full."""
        first = self.rows
        block = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        if self._fd is not None:
            data = memoryview(block.tobytes())
            offset = first * self._row_bytes
            try:
                while data:
                    written = os.pwrite(self._fd, data, offset)
                    if written <= 0:
                        raise OSError(errno.ENOSPC, "short write", str(self._path))
                    data, offset = data[written:], offset + written
                os.fsync(self._fd)
            except OSError:
                with contextlib.suppress(OSError):  # shrinking needs no space
                    os.ftruncate(self._fd, first * self._row_bytes)
                raise
        else:
            self._memory = np.concatenate([self._memory, block])
        self.rows += len(block)
        return first

    def view(self) -> np.ndarray:
        if self._path is None:
            return self._memory
        if self.rows == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.memmap(self._path, dtype=np.float32, mode="r", shape=(self.rows, self.dim))

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


@dataclass(frozen=True)
class Selection:
    """The committed chunks a filter keeps: how many, and (when few enough to score in memory)
    their embedding rows and index addresses."""

    count: int
    rows: np.ndarray | None = None
    addresses: list[Any] | None = None


class LexicalIndex:
    """One point-in-time view of the index (a tantivy searcher and the embeddings it references).
    Immutable: a request keeps using the view it started with while writes go on."""

    def __init__(self, searcher: Any, schema: tantivy.Schema, vectors: np.ndarray, applied_seq: int):
        self._searcher, self._schema, self.vectors, self.applied_seq = searcher, schema, vectors, applied_seq
        self._letters: dict[str, dict[str, int]] = {}

    def __len__(self) -> int:
        return int(self._searcher.num_docs)

    def _all(self, field: str) -> list[tuple[str, int]]:
        """Live terms of a field with their document counts (deleted chunks not counted)."""
        found = self._searcher.terms_with_prefix(field, "", filter_query=tantivy.Query.all_query())
        return [(t, int(c)) for t, c in found if c > 0]

    # -- vocabulary and spelling ------------------------------------------------------------
    def has_term(self, term: str) -> bool:
        return bool(self._searcher.doc_freq("body", term))

    def share(self, term: str) -> float:
        """The share of the archive's chunks that hold the term (0 for an empty index)."""
        n = len(self)
        return self._searcher.doc_freq("body", term) / n if n else 0.0

    def _vocabulary(self, letter: str) -> dict[str, int]:
        """Archive words starting with `letter` -> document frequency, read once per view."""
        found = self._letters.get(letter)
        if found is None:
            found = dict(self._searcher.terms_with_prefix("surface", letter))
            self._letters[letter] = found
        return found

    def correct(self, query: str) -> list[str]:
        """Surface words of the query, with words unknown to the archive replaced by the
        closest frequent archive word (one edit, two for long words)."""
        out: list[str] = []
        for w in words(query):
            if w in STOPWORDS or len(w) < 5 or not w.isalpha() or self._searcher.doc_freq("surface", w):
                out.append(w)
                continue
            vocab = self._vocabulary(w[0])
            limit = 1 if len(w) < 8 else 2
            matches = process.extract(w, vocab.keys(), scorer=Levenshtein.distance, score_cutoff=limit, limit=8)
            if matches:
                best = min(matches, key=lambda m: (m[1], -vocab[m[0]]))
                out.append(best[0])
            else:
                out.append(w)
        return out

    def query_terms(self, query: str) -> list[str]:
        return [normalize_word(w) for w in self.correct(query) if w not in STOPWORDS]

    # -- what the archive holds -------------------------------------------------------------
    @cached_property
    def outlet_terms(self) -> dict[str, str]:
        """Each outlet key in the index -> its normalised words (questions naming an outlet are
        matched against these on every ask)."""
        keys = [k for k, _ in self._all("source_key") if k]
        return {k: " ".join(terms(k, keep_stopwords=True)) for k in sorted(keys)}

    @cached_property
    def sorted_doc_ids(self) -> list[str]:
        """The committed documents in id order (every committed document has chunks): a page of
        the document list is a slice of this plus one registry read of that page."""
        return sorted(t for t, _ in self._all("doc_id"))

    @cached_property
    def latest_day(self) -> int:
        """The newest publication day in the index (YYYYMMDD), 0 when none is dated."""
        if not len(self):
            return 0
        hits = self._searcher.search(tantivy.Query.all_query(), 1, order_by_field="published_day").hits
        return int(hits[0][0]) if hits else 0

    def version_of(self, doc_id: str) -> str | None:
        """The version key of the document's chunks in this view, None when it has none."""
        hits = self._searcher.search(tantivy.Query.term_query(self._schema, "doc_id", doc_id), 1, count=False).hits
        if not hits:
            return None
        return str(self._searcher.doc(hits[0][1])["version"][0])

    # -- filters ------------------------------------------------------------------------------
    def _filter(self, filters: Filters | None, as_of: dt.date | None) -> Any:
        return to_tantivy(conditions(filters, as_of), self._schema)

    def select(self, filters: Filters | None, as_of: dt.date | None, limit: int) -> Selection | None:
        """What the filter keeps (None: no filter); the rows only when at most `limit` chunks."""
        query = self._filter(filters, as_of)
        if query is None:
            return None
        count = int(self._searcher.search(query, 1, count=True).count or 0)
        if count > limit:
            return Selection(count)
        if count == 0:
            return Selection(0, np.zeros(0, dtype=np.int64), [])
        addresses = [a for _, a in self._searcher.search(query, count, count=False, order_by_field="row").hits]
        rows = np.asarray(self._searcher.fast_field_values("row", addresses), dtype=np.int64)
        return Selection(count, rows, addresses)

    def embeddings(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The committed chunks' embeddings from the memory-mapped file (chunks not in this view
        are left out)."""
        if not chunk_ids or not len(self):
            return {}
        query = tantivy.Query.term_set_query(self._schema, "chunk_id", list(chunk_ids))
        addresses = [a for _, a in self._searcher.search(query, len(chunk_ids), count=False).hits]
        if not addresses:
            return {}
        rows = self._searcher.fast_field_values("row", addresses)
        ids = [str(self._searcher.doc(a)["chunk_id"][0]) for a in addresses]
        return {cid: np.asarray(self.vectors[row], dtype=np.float32) for cid, row in zip(ids, rows, strict=True)}

    def nearest(self, vector: np.ndarray, n: int, selection: Selection) -> list[tuple[str, float]]:
        """The `n` selected chunks most similar to `vector` (cosine; embeddings are normalised)."""
        if selection.rows is None or selection.addresses is None or not len(selection.rows):
            return []
        scores = np.asarray(self.vectors[selection.rows] @ vector, dtype=np.float32)
        top = np.argsort(-scores)[:n]
        addresses = selection.addresses
        return [(str(self._searcher.doc(addresses[i])["chunk_id"][0]), float(scores[i])) for i in top]

    def nearest_live(
        self, vector: np.ndarray, n: int, filters: Filters | None = None, as_of: dt.date | None = None
    ) -> list[tuple[str, float]]:
        """The `n` committed chunks that pass the filter most similar to `vector`, exactly.

        Every embedding row is scored (one matrix-vector product over the memory-mapped file);
        the best rows are then looked up in the index, which keeps only the rows of committed
        chunks that pass the filter (rows of replaced chunks stay in the file until compaction).
        When too few of the best rows qualify, four times as many are looked up, up to all.
        Why not Chroma's HNSW search: chromadb 1.5.9 can leave a stored record unreachable by
        any query (chroma-core/chroma#7758; bench/chroma_recall.py: 2-3% of one-chunk writes
        after an upserted batch), and an article that dense search never finds is an article
        lost to paraphrased questions."""
        total = len(self.vectors)
        if n <= 0 or not total or not len(self):
            return []
        scores = np.asarray(self.vectors @ np.asarray(vector, dtype=np.float32), dtype=np.float32)
        condition = self._filter(filters, as_of)
        live: dict[int, str] = {}
        looked: set[int] = set()
        m = min(total, max(2 * n, n + 32))
        while True:
            if m >= total:
                best = np.argsort(-scores, kind="stable")
            else:
                part = np.argpartition(-scores, m - 1)[:m]
                best = part[np.argsort(-scores[part], kind="stable")]
            rows = [int(r) for r in best]
            live.update(self._live_rows([r for r in rows if r not in looked], condition))
            looked.update(rows)
            kept = [r for r in rows if r in live]
            if len(kept) >= n or m >= total:
                return [(live[r], float(scores[r])) for r in kept[:n]]
            m = min(total, m * 4)

    def _live_rows(self, rows: list[int], condition: Any) -> dict[int, str]:
        """row -> chunk id, for the rows held by committed chunks that pass `condition`."""
        if not rows:
            return {}
        query = tantivy.Query.term_set_query(self._schema, "row", rows)
        if condition is not None:
            query = tantivy.Query.boolean_query([(tantivy.Occur.Must, query), (tantivy.Occur.Must, condition)])
        out: dict[int, str] = {}
        for _, address in self._searcher.search(query, len(rows), count=False).hits:
            doc = self._searcher.doc(address)
            out[int(doc["row"][0])] = str(doc["chunk_id"][0])
        return out

    def search(
        self, query: str, k: int, filters: Filters | None = None, as_of: dt.date | None = None
    ) -> list[tuple[str, float]]:
        """BM25 over the normalised terms; a repeated query term counts again, as before."""
        wanted = [t for t in self.query_terms(query) if len(t) <= _MAX_TERM and self.has_term(t)]
        if not wanted or not len(self):
            return []
        should = tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy.Query.term_query(self._schema, "body", t)) for t in wanted]
        )
        keep = self._filter(filters, as_of)
        if keep is not None:  # the filter narrows, it does not score
            should = tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, should), (tantivy.Occur.Must, tantivy.Query.const_score_query(keep, 0.0))]
            )
        hits = self._searcher.search(should, k, count=False).hits
        return [(str(self._searcher.doc(a)["chunk_id"][0]), float(s)) for s, a in hits if s > 0]


def _change(saved: Mapping[str, Any]) -> Change:
    """A pending change-log entry as `_save_state` wrote it."""
    return Change(
        seq=int(saved["seq"]),
        doc_ids=tuple(saved.get("doc_ids", ())),
        op=str(saved.get("op", "write")),
        write_id=str(saved.get("write_id", "")),
        version=str(saved.get("version", "")),
    )


# -- one process's slot on disk -------------------------------------------------------------
class _Slot:
    """A directory this process holds an exclusive lock on (released when the process dies)."""

    def __init__(self, base: Path):
        base.mkdir(parents=True, exist_ok=True)
        for n in range(64):
            lock = open(base / f"slot-{n}.lock", "a")  # noqa: SIM115 - held for the process's life
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                lock.close()
                continue
            self.lock, self.path = lock, base / f"slot-{n}"
            self.path.mkdir(exist_ok=True)
            return
        raise OSError(f"no free lexical index slot under {base}")


class LexicalIndexManager:
    """Keeps this process's lexical index in step with the store.

    `current()` costs one generation read when nothing changed; after a change anywhere (or every
    `resync_s`, which heals a writer that died between its commit and its generation bump) it
    reads the change log from `overlap_s` before the last applied sequence number and applies
    what differs from the registry.

    A write to the slot that fails (a full disk) is never half-served: the writer and the
    embedding file are dropped, requests get IndexUnavailable (503), and the next request after
    space is freed reopens the slot from disk, verifies it (rebuilding it when it does not
    verify) and applies what it missed.

    A write's entry is logged before its commit, and the commit may reach the store any time
    later (a slow network, a paused writer). So an entry whose commit is not in the registry yet
    stays *pending*, saved with the applied number, and its documents are checked again on every
    sync until the commit is seen, or the write is proven over: its chunks are gone (replaced or
    repaired), or it is older than `orphan_grace_s` (a crashed writer's leftovers are removed
    then). A delete stays pending while the registry still holds the version it removes. The
    applied number can then advance past any entry: none is skipped, whatever the delay."""

    def __init__(
        self,
        directory: Path | None,
        source: ChangeSource,
        dim: int | Callable[[], int],
        overlap_s: float,
        resync_s: float,
        min_free_bytes: int = 0,
        orphan_grace_s: float = 3600.0,
    ):
        """`dim`: the embedding size, or how to learn it when the index first opens.
        `min_free_bytes`: the slot is not written while its disk has less free (0: no guard)."""
        self._base, self._source, self._dim_source = directory, source, dim
        self._overlap_ns = int(overlap_s * 1e9)
        self._grace_ns = int(orphan_grace_s * 1e9)
        self._resync_s = resync_s
        self._pending: dict[str, Change] = {}  # entry key -> the entry, with its unresolved documents
        self._archive: str | None = None  # the collection incarnation the index was built from
        self._lock = threading.Lock()
        self._view: LexicalIndex | None = None
        self._generation: str | None = None
        self._synced_at = 0.0
        self._opened = False
        self._pending_rebuild: str | None = None
        self._min_free = min_free_bytes
        self._writer: Any = None
        self._vectors = VectorRows(None, 0)
        self._slot: _Slot | None = None
        # Why the open writer and embedding file cannot be trusted (a write to them failed): they
        # are reopened from disk and verified before anything is served again.
        self._broken: str | None = None
        self.problem: str | None = None  # why this node cannot bring its index up to date now
        self.rebuilds = 0  # how many full rebuilds this process did (tests and benchmarks read it)

    # -- opening ------------------------------------------------------------------------------
    def _open(self) -> None:
        """Once per process: the slot, then its contents."""
        self._dim = self._dim_source() if callable(self._dim_source) else self._dim_source
        self._schema = _schema()
        if self._base is not None:
            try:
                self._slot = _Slot(self._base)
            except OSError as e:  # a read-only data dir: serve from memory
                log.warning("lexical index kept in memory: %s", e)
        self._opened = True
        self._load()

    def _load(self) -> None:
        """Opens the slot's index and embedding file and checks them against each other; a slot
        that does not verify is set to be rebuilt."""
        schema = self._schema
        reason = None
        state: dict[str, Any] = {}
        if self._slot is None:
            index = tantivy.Index(schema)
            vectors = VectorRows(None, self._dim)
            reason = "no index on disk"
        else:
            path = self._slot.path
            try:
                state = json.loads((path / "state.json").read_text(encoding="utf-8"))
            except FileNotFoundError:
                reason = _NO_INDEX
            except ValueError as e:
                reason = f"its state file is unreadable ({e})"
            if reason is None and (state.get("format") != FORMAT or state.get("dim") != self._dim):
                reason = f"it has format {state.get('format')}/dim {state.get('dim')}, not {FORMAT}/{self._dim}"
            if reason is None and state.get("analyser") != analyser_fingerprint():
                reason = "its terms came from other word tables (rag/resources) or another stemmer"
            if reason is not None:
                shutil.rmtree(path / "tantivy", ignore_errors=True)
                with contextlib.suppress(FileNotFoundError):
                    (path / "vectors.f32").unlink()
            (path / "tantivy").mkdir(exist_ok=True)
            try:
                index = tantivy.Index(schema, path=str(path / "tantivy"), reuse=True)
            except Exception as e:  # corrupt segments: start over from the store
                reason = f"it could not be opened ({e})"
                shutil.rmtree(path / "tantivy", ignore_errors=True)
                (path / "tantivy").mkdir()
                index = tantivy.Index(schema, path=str(path / "tantivy"), reuse=False)
            vectors = VectorRows(path / "vectors.f32", self._dim)
        index.config_reader("Manual")
        self._index, self._vectors = index, vectors
        self._writer = index.writer(_WRITER_HEAP, 1)
        self._applied = int(state.get("applied_seq", 0)) if reason is None else 0
        if reason is None:
            reason = self._mismatch(index.searcher(), vectors)
        if reason is None:
            self._pending = {c.key: c for c in (_change(e) for e in state.get("pending", []))}
            self._archive = state.get("archive")
        if reason is None:
            live = int(index.searcher().num_docs)
            if vectors.rows > 2 * live + 10_000:
                reason = f"{vectors.rows - live} of its {vectors.rows} embedding rows are dead (compaction)"
        self._pending_rebuild = reason

    def _mismatch(self, searcher: Any, vectors: VectorRows) -> str | None:
        """Why the embedding file does not belong to the index (None: it does): a row the index
        references is missing, or holds other bytes than the checksum the index keeps for it."""
        live = int(searcher.num_docs)
        if not live:
            return None
        everything = tantivy.Query.all_query()
        newest = min(live, _CHECK_ALL if live <= _CHECK_ALL else _CHECK_SAMPLE)
        addresses = [a for _, a in searcher.search(everything, newest, count=False, order_by_field="row").hits]
        rows = [int(r) for r in searcher.fast_field_values("row", addresses)]
        top = max(rows)
        if top >= vectors.rows:
            return f"its index references embedding row {top}, but vectors.f32 holds {vectors.rows} rows"
        if live > _CHECK_ALL:
            spread = sorted({int(r) for r in np.linspace(0, top, _CHECK_SAMPLE)} - set(rows))
            query = tantivy.Query.term_set_query(self._schema, "row", spread)
            more = [a for _, a in searcher.search(query, len(spread), count=False).hits]
            addresses += more
            rows += [int(r) for r in searcher.fast_field_values("row", more)]
        sums = searcher.fast_field_values("vector_crc", addresses)
        matrix = vectors.view()
        bad = sum(1 for r, crc in zip(rows, sums, strict=True) if crc is None or row_checksum(matrix[r]) != crc)
        if bad:
            return f"{bad} of {len(rows)} embedding rows checked differ from their checksums (a torn or shifted vectors.f32)"
        return None

    def _reopen(self) -> None:
        """After a failed write: the tantivy writer may be dead (tantivy kills it on an I/O error)
        and the embedding file may end in a torn block, so both are dropped and the slot is
        opened again from what is on disk, and verified."""
        writer, self._writer = self._writer, None
        if writer is not None:
            with contextlib.suppress(Exception):
                writer.rollback()
            del writer  # releases tantivy's writer lock
        self._vectors.close()
        self._view = None  # republished from the reopened index before changes are applied
        self._load()

    def _check_space(self) -> None:
        """The slot is not written while its disk is nearly full: a write that meets a full disk
        kills tantivy's writer and tears the embedding file, so it is better not started."""
        if self._slot is None or not self._min_free:
            return
        free = shutil.disk_usage(self._slot.path).free
        if free < self._min_free:
            raise IndexUnavailable(
                f"this node cannot update its index: {free // _MB} MB free on its disk, "
                f"{self._min_free // _MB} MB needed (RAG_MIN_FREE_DISK_MB); it catches up once space is freed"
            )

    def check_writable(self) -> None:
        """Raises IndexUnavailable while this node could not index a write (its disk is nearly full,
        or its last update failed): writes through it are refused before they reach the store, and
        /readyz says not ready."""
        if self._broken is not None and self.problem:
            raise IndexUnavailable(self.problem)
        try:
            self._check_space()
        except IndexUnavailable as e:
            self.problem = str(e)
            raise

    def _save_state(self) -> None:
        if self._slot is None:
            return
        state = {
            "format": FORMAT,
            "dim": self._dim,
            "analyser": analyser_fingerprint(),
            "applied_seq": self._applied,
            "pending": [asdict(c) for c in self._pending.values()],
            "archive": self._archive,
        }
        tmp = self._slot.path / "state.json.tmp"
        tmp.write_text(json.dumps(state), encoding="utf-8")
        os.replace(tmp, self._slot.path / "state.json")

    def _add(self, chunks: Iterable[StoredChunk]) -> int:
        """Appends the chunks' embeddings, then adds their index documents (uncommitted)."""
        batch = list(chunks)
        if not batch:
            return 0
        block = np.ascontiguousarray(np.stack([c.vector for c in batch]), dtype=np.float32)
        first = self._vectors.append(block)
        for i, c in enumerate(batch):
            body, surface = tokenize(c.meta.title, c.text)
            self._writer.add_document(
                tantivy.Document(
                    chunk_id=c.chunk_id,
                    doc_id=c.meta.doc_id,
                    version=c.meta.version,
                    source_key=c.meta.source_key,
                    published_day=c.meta.published_day,
                    row=first + i,
                    vector_crc=row_checksum(block[i]),
                    body=body,
                    surface=surface,
                )
            )
        return len(batch)

    def _publish(self) -> None:
        self._index.reload()
        self._view = LexicalIndex(self._index.searcher(), self._schema, self._vectors.view(), self._applied)

    def _rebuild(self, reason: str) -> None:
        """Everything again from the store's committed chunks (only when the slot is unusable)."""
        from tqdm import tqdm

        first = reason == _NO_INDEX
        (log.info if first else log.warning)("rebuilding the lexical index from the store: %s", reason)
        self.rebuilds += 1
        start = time.time_ns()  # changes logged from here on are applied by the next sync
        if self._slot is not None:  # a crash from here on leaves "no index", never a partial one
            (self._slot.path / "state.json").unlink(missing_ok=True)
        self._writer.delete_all_documents()
        self._writer.commit()
        if self._slot is not None:
            self._vectors.close()
            (self._slot.path / "vectors.f32").unlink(missing_ok=True)
            self._vectors = VectorRows(self._slot.path / "vectors.f32", self._dim)
        else:
            self._vectors = VectorRows(None, self._dim)
        bar = tqdm(desc="lexical index", unit="chunk", file=sys.stderr, disable=not sys.stderr.isatty())
        pending: list[StoredChunk] = []
        for row in self._source.committed_chunks():
            pending.append(row)
            if len(pending) >= 1000:
                bar.update(self._add(pending))
                pending = []
        bar.update(self._add(pending))
        bar.close()
        self._writer.commit()
        self._applied = start - self._overlap_ns
        self._pending = {}
        self._publish()
        # Writes logged before the read whose commits had not landed yet: found in the log as far
        # back as a write can still commit, and kept pending like any other.
        since = max(start - self._grace_ns, self._source.pruned_before())
        self._apply(self._source.changes_since(since), force_save=True)

    # -- keeping in step ----------------------------------------------------------------------
    def _apply_changes(self) -> None:
        if self._source.pruned_before() > self._applied - self._overlap_ns + 1:
            # Entries this index still needs were pruned from the log: only a rebuild is exact.
            self._rebuild("the change log was pruned past what this index applied")
        self._apply(self._source.changes_since(self._applied - self._overlap_ns))

    def _apply(self, entries: list[Change], force_save: bool = False) -> None:
        """Makes the documents of these entries and of the pending ones match the registry, then
        keeps pending what is still unresolved."""
        view = self._view
        assert view is not None
        todo = dict(self._pending)
        for entry in entries:
            todo.setdefault(entry.key, entry)
        doc_ids = list(dict.fromkeys(d for entry in todo.values() for d in entry.doc_ids))
        wanted: dict[str, str | None] = {}
        if doc_ids:
            records = self._source.doc_records(doc_ids)
            wanted = {d: (version_key(records[d]) if d in records else None) for d in doc_ids}
            changed = [d for d in doc_ids if wanted[d] != view.version_of(d)]
            if changed:
                self._check_space()
                for d in changed:
                    self._writer.delete_documents_by_term("doc_id", d)
                self._add(self._source.doc_chunks({d: v for d in changed if (v := wanted[d]) is not None}))
                self._writer.commit()
                self._publish()
        pending = self._unresolved(list(todo.values()), wanted)
        newest = max((e.seq for e in entries), default=self._applied)
        moved = force_save or newest > self._applied or pending.keys() != self._pending.keys()
        self._applied, self._pending = max(self._applied, newest), pending
        if moved:
            self._save_state()

    def _unresolved(self, entries: list[Change], wanted: Mapping[str, str | None]) -> dict[str, Change]:
        """The entries (with the documents) whose change may still reach the registry."""
        oldest = time.time_ns() - self._grace_ns
        waiting: dict[str, list[str]] = {}
        maybe: list[tuple[Change, str]] = []
        for entry in entries:
            if entry.seq < oldest:
                continue  # a write this old that has not committed never will (its chunks are repaired)
            for d in entry.doc_ids:
                if entry.op == "write" and wanted.get(d) != entry.write_id:
                    maybe.append((entry, d))
                elif entry.op == "delete" and entry.version and wanted.get(d) == entry.version:
                    waiting.setdefault(entry.key, []).append(d)
        if maybe:
            alive = self._source.unfinished_writes([(e.write_id, d) for e, d in maybe])
            for entry, d in maybe:
                if (entry.write_id, d) in alive:
                    waiting.setdefault(entry.key, []).append(d)
        by_key = {e.key: e for e in entries}
        return {k: replace(by_key[k], doc_ids=tuple(docs)) for k, docs in waiting.items()}

    def current(self) -> LexicalIndex:
        """The view to serve from, after applying whatever changed in the store. Raises
        IndexUnavailable while this node cannot write its slot (503; it catches up by itself)."""
        generation = self._source.generation()
        view = self._view
        fresh = generation == self._generation and time.monotonic() - self._synced_at < self._resync_s
        if view is not None and self._broken is None and fresh:
            return view
        with self._lock:
            try:
                view = self._catch_up(generation)
            except IndexUnavailable as e:  # the disk guard: nothing was written
                self.problem = str(e)
                raise
            except RagError:  # the store failed midway: what this attempt queued is dropped
                if self._writer is not None:
                    with contextlib.suppress(Exception):
                        self._writer.rollback()
                raise
            except (OSError, ValueError, RuntimeError) as e:  # tantivy reports I/O errors as ValueError
                first = self.problem is None  # logged once per outage, not once per request
                self._broken = f"{type(e).__name__}: {e}"
                self.problem = f"this node cannot update its index ({self._broken}); it catches up once it can write"
                if first:
                    log.warning("writing the lexical index failed; requests get 503 until it can", exc_info=True)
                raise IndexUnavailable(self.problem) from e
            if self.problem is not None:
                log.warning("the lexical index caught up again after: %s", self.problem)
                self.problem = None
            return view

    def _catch_up(self, generation: str) -> LexicalIndex:
        if not self._opened:
            self._open()
        elif self._broken is not None:
            self._check_space()
            log.debug("reopening the lexical index after a failed write: %s", self._broken)
            self._reopen()
            self._broken = None
        archive = self._source.archive_id()
        if self._archive is not None and archive != self._archive:
            self._pending_rebuild = "its collection was deleted and created again"
        self._archive = archive
        if self._pending_rebuild is not None:
            # Retried on the next request if the store fails midway: a half-built index is
            # never served, and its state file is written only once the build is complete.
            self._check_space()
            self._rebuild(self._pending_rebuild)
            self._pending_rebuild = None
        stale = generation != self._generation or time.monotonic() - self._synced_at >= self._resync_s
        if self._view is None or stale:
            if self._view is None:
                self._publish()
            self._apply_changes()
            self._generation = generation
            self._synced_at = time.monotonic()
        assert self._view is not None
        return self._view

    def close(self) -> None:
        """Releases the slot (tests that reopen a data dir in one process)."""
        with self._lock:
            if self._opened:
                if self._writer is not None:
                    with contextlib.suppress(Exception):
                        self._writer.wait_merging_threads()
                    self._writer = None
                self._vectors.close()
                if self._slot is not None:
                    self._slot.lock.close()
                    self._slot = None
                self._opened = False
                self._view = None
