"""BM25 over the committed chunks, persisted beside the store and rebuilt when it changes."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import threading
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from rag.filtering import conditions, mask
from rag.models import Filters
from rag.text import STOPWORDS, normalize_word, terms, words

FORMAT = 3  # 3: chunk embeddings kept beside the terms (vectors.npy)


@dataclass
class LexicalIndex:
    """An immutable BM25 snapshot of one store generation."""

    generation: str
    chunk_ids: list[str]
    doc_ids: np.ndarray
    source_keys: np.ndarray
    published_days: np.ndarray
    vocabulary: dict[str, int]  # surface word -> document frequency, for spelling repair
    bm25: bm25s.BM25 | None
    terms: set[str] = field(default_factory=set)
    # The committed chunks' embeddings, row-aligned with chunk_ids (memory-mapped once saved):
    # a filter that keeps few chunks scores them here instead of a filtered search in Chroma.
    vectors: np.ndarray | None = None

    @classmethod
    def build(
        cls,
        generation: str,
        rows: Iterable[tuple[str, str, dict[str, Any], np.ndarray]],
        token_cache: dict[str, tuple[list[str], set[str]]] | None = None,
    ) -> LexicalIndex:
        """`token_cache` (chunk id + title -> BM25 terms, surface words) lets a rebuild after a
        write tokenise only the new chunks; it is pruned to the chunks of this build."""
        cache = token_cache if token_cache is not None else {}
        seen: set[str] = set()
        ids: list[str] = []
        docs: list[str] = []
        sources: list[str] = []
        days: list[int] = []
        corpus: list[list[str]] = []
        vocab: Counter[str] = Counter()
        vectors: list[np.ndarray] = []
        for chunk_id, text, meta, vector in rows:
            vectors.append(vector)
            ids.append(chunk_id)
            docs.append(str(meta.get("doc_id", "")))
            sources.append(str(meta.get("source_key", "")))
            days.append(int(meta.get("published_day", 0)))
            key = f"{chunk_id}\x00{meta.get('title', '')}"  # chunk ids change with the content
            seen.add(key)
            cached = cache.get(key)
            if cached is None:
                surface = words(f"{meta.get('title', '')}\n{text}")
                cached = ([normalize_word(w) for w in surface if w not in STOPWORDS] or ["∅"], set(surface))
                cache[key] = cached
            corpus.append(cached[0])
            vocab.update(cached[1])
        for stale in cache.keys() - seen:
            del cache[stale]
        bm25 = None
        if corpus:
            bm25 = bm25s.BM25()
            bm25.index(corpus, show_progress=False)
        return cls(
            generation=generation,
            chunk_ids=ids,
            doc_ids=np.asarray(docs, dtype=object),
            source_keys=np.asarray(sources, dtype=object),
            published_days=np.asarray(days, dtype=np.int64),
            vocabulary=dict(vocab),
            bm25=bm25,
            terms={t for doc in corpus for t in doc},
            vectors=np.stack(vectors).astype(np.float32) if vectors else None,
        )

    def __len__(self) -> int:
        return len(self.chunk_ids)

    # -- persistence ----------------------------------------------------------------------
    def save(self, directory: Path) -> None:
        """Writes a complete copy beside `directory`, then swaps it in. The temporary name is
        unique per process, so API workers sharing a data dir never interleave their files."""
        tmp = directory.with_name(f"{directory.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
        try:
            tmp.mkdir(parents=True)
            if self.bm25 is not None:
                self.bm25.save(str(tmp / "bm25"), show_progress=False)
            meta = {
                "format": FORMAT,
                "generation": self.generation,
                "chunk_ids": self.chunk_ids,
                "doc_ids": self.doc_ids.tolist(),
                "source_keys": self.source_keys.tolist(),
                "published_days": self.published_days.tolist(),
                "vocabulary": self.vocabulary,
            }
            if self.vectors is not None:
                np.save(tmp / "vectors.npy", np.ascontiguousarray(self.vectors))
            (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
            shutil.rmtree(directory, ignore_errors=True)
            tmp.rename(directory)  # fails (OSError) if another process swapped its copy in first
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex | None:
        try:
            meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
            if meta.get("format") != FORMAT:
                return None
            bm25 = (
                bm25s.BM25.load(str(directory / "bm25"), show_progress=False) if (directory / "bm25").exists() else None
            )
        except Exception:  # a missing, stale or half-replaced copy is rebuilt from the store
            return None
        return cls(
            generation=meta["generation"],
            chunk_ids=meta["chunk_ids"],
            doc_ids=np.asarray(meta["doc_ids"], dtype=object),
            source_keys=np.asarray(meta["source_keys"], dtype=object),
            published_days=np.asarray(meta["published_days"], dtype=np.int64),
            vocabulary=meta["vocabulary"],
            bm25=bm25,
            terms=set(bm25.vocab_dict) if bm25 is not None else set(),
            vectors=np.load(directory / "vectors.npy", mmap_mode="r") if (directory / "vectors.npy").exists() else None,
        )

    # -- querying -------------------------------------------------------------------------
    def correct(self, query: str) -> list[str]:
        """Surface words of the query, with words unknown to the archive replaced by the
        closest frequent archive word (one edit, two for long words)."""
        out: list[str] = []
        vocab = self.vocabulary
        for w in words(query):
            if w in vocab or w in STOPWORDS or len(w) < 5 or not w.isalpha():
                out.append(w)
                continue
            limit = 1 if len(w) < 8 else 2
            matches = process.extract(w, vocab.keys(), scorer=Levenshtein.distance, score_cutoff=limit, limit=8)
            matches = [m for m in matches if m[0][:1] == w[:1]]
            if matches:
                best = min(matches, key=lambda m: (m[1], -vocab[m[0]]))
                out.append(best[0])
            else:
                out.append(w)
        return out

    @cached_property
    def outlet_terms(self) -> dict[str, str]:
        """Each outlet key in the index -> its normalised words, computed once per snapshot
        (questions naming an outlet are matched against these on every ask)."""
        keys = {str(k) for k in np.unique(self.source_keys) if k} if len(self.source_keys) else set()
        return {k: " ".join(terms(k, keep_stopwords=True)) for k in sorted(keys)}

    def query_terms(self, query: str) -> list[str]:
        return [normalize_word(w) for w in self.correct(query) if w not in STOPWORDS]

    @cached_property
    def sorted_doc_ids(self) -> list[str]:
        """The committed documents in id order (every committed document has chunks), so a page
        of the document list costs one registry read of that page."""
        return sorted({str(d) for d in self.doc_ids})

    @cached_property
    def latest_day(self) -> int:
        """The newest publication day in the index (YYYYMMDD), 0 when none is dated."""
        return int(self.published_days.max()) if len(self.published_days) else 0

    def mask(self, filters: Filters | None, as_of: dt.date | None = None) -> np.ndarray | None:
        columns = {"source_key": self.source_keys, "doc_id": self.doc_ids, "published_day": self.published_days}
        return mask(columns, len(self), conditions(filters, as_of)) if len(self) else None

    def nearest(self, vector: np.ndarray, n: int, rows: np.ndarray) -> list[tuple[str, float]]:
        """The `n` chunks among row numbers `rows` most similar to `vector` (cosine; embeddings are
        normalised)."""
        if self.vectors is None or not len(rows):
            return []
        scores = np.asarray(self.vectors[rows] @ vector, dtype=np.float32)
        top = np.argsort(-scores)[:n]
        return [(self.chunk_ids[int(rows[i])], float(scores[i])) for i in top]

    def search(
        self, query: str, k: int, filters: Filters | None = None, as_of: dt.date | None = None
    ) -> list[tuple[str, float]]:
        if self.bm25 is None or not len(self):
            return []
        q = [t for t in self.query_terms(query) if t in self.terms]
        if not q:
            return []
        mask = self.mask(filters, as_of)
        if mask is not None and not mask.any():
            return []
        k = min(k, len(self))
        idx, scores = self.bm25.retrieve(
            [q], k=k, show_progress=False, weight_mask=None if mask is None else mask.astype(np.float32)
        )
        return [
            (self.chunk_ids[int(i)], float(s))
            for i, s in zip(idx[0], scores[0], strict=True)
            if s > 0 and (mask is None or mask[int(i)])
        ]


class LexicalIndexManager:
    """Keeps one LexicalIndex in step with the store's generation token."""

    def __init__(self, directory: Path):
        self._dir = directory
        self._index: LexicalIndex | None = None
        self._tokens: dict[str, tuple[list[str], set[str]]] = {}
        self._lock = threading.Lock()

    def current(self, generation: str, rows: Any) -> LexicalIndex:
        """The index for `generation`; `rows(known_vectors)` yields the store's chunks if a rebuild
        is due (fetching embeddings only for chunks not in `known_vectors`)."""
        index = self._index
        if index is not None and index.generation == generation:
            return index
        with self._lock:
            if self._index is not None and self._index.generation == generation:
                return self._index
            loaded = LexicalIndex.load(self._dir)
            if loaded is not None and loaded.generation == generation:
                self._index = loaded
                return loaded
            # The previous snapshot's embeddings are reused: a rebuild fetches only new chunks' vectors.
            previous = self._index or loaded
            known: dict[str, np.ndarray] = {}
            if previous is not None and previous.vectors is not None:
                known = {cid: previous.vectors[i] for i, cid in enumerate(previous.chunk_ids)}
            built = LexicalIndex.build(generation, rows(known), self._tokens)
            with contextlib.suppress(OSError):  # a read-only data dir still serves from memory
                built.save(self._dir)
            self._index = built
            return built
