"""Several archives in one service ("world", "business"): one pipeline per collection, all sharing
the one loaded embedder. A collection is a pair of Chroma collections (`<name>_chunks`,
`<name>_docs`) plus its own lexical index, so documents, questions and deletes never cross."""

from __future__ import annotations

import re
import shutil
import threading
import time

from rag.errors import CollectionNotFound, InvalidRequest, RagError
from rag.index.embed import Embedder
from rag.pipeline import RagPipeline
from rag.settings import Settings

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
RESERVED = frozenset({"extractive", "openai"})  # answerer suffixes of chat model names


class CollectionConflict(RagError):
    """A name that is well-formed but cannot be used (reserved) or an archive that cannot go."""

    code = "collection_conflict"


def _reserved(name: str) -> bool:
    return name in RESERVED or name.endswith(("-extractive", "-openai"))


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise InvalidRequest(
            f"collection name {name[:70]!r} must be 1-63 lower-case letters, digits, '_' or '-'", loc=["collection"]
        )
    if _reserved(name):
        raise CollectionConflict(
            f"collection name {name!r} is reserved: chat model names end in -extractive / -openai", loc=["name"]
        )
    return name


class CollectionManager:
    def __init__(self, default: RagPipeline):
        self.default = default
        self._pipelines: dict[str, RagPipeline] = {default.settings.collection: default}
        self._confirmed: dict[str, float] = {}  # name -> when the store last listed it
        self._lock = threading.Lock()

    @property
    def settings(self) -> Settings:
        return self.default.settings

    @property
    def embedder(self) -> Embedder:
        return self.default.embedder

    def names(self) -> list[str]:
        """Every collection in the store (the default one even while it is empty)."""
        return sorted(set(self.default.store.collection_names()) | {self.settings.collection})

    def get(self, name: str | None) -> RagPipeline:
        """The pipeline of an existing collection (None: the default one)."""
        if name is None or name == self.settings.collection:
            return self.default
        if not NAME.fullmatch(name) or _reserved(name):
            raise CollectionNotFound(f"no collection named {name[:70]!r}")
        pipeline = self._pipelines.get(name)
        fresh = time.monotonic() - self._confirmed.get(name, 0.0) < self.settings.resync_interval_s
        if pipeline is not None and fresh and not pipeline.store.vanished:
            return pipeline
        # Another node may have deleted it: a cached archive is re-confirmed at most every
        # resync_interval_s, as the lexical index re-reads the change log, and at once when a call
        # found it gone (the store re-resolves it by name on every call that meets NotFound).
        if name not in self.default.store.collection_names():
            if pipeline is not None:
                self._forget(name, pipeline)
            raise CollectionNotFound(f"no collection named {name!r}; an admin creates it with POST /v1/collections")
        self._confirmed[name] = time.monotonic()
        return pipeline or self._open(name, create=False)

    def _open(self, name: str, create: bool) -> RagPipeline:
        """`create`: make the Chroma collections if they are missing (only POST /v1/collections
        does: a node must never bring back an archive that another node just deleted)."""
        with self._lock:
            if name not in self._pipelines:
                settings = self.settings.model_copy(update={"collection": name})
                pipeline = RagPipeline(settings, embedder=self.embedder)
                pipeline.store.creates_collections = create
                self._pipelines[name] = pipeline
            return self._pipelines[name]

    def create(self, name: str) -> bool:
        """Create a collection; False when it existed already."""
        check_name(name)
        existed = name == self.settings.collection or name in self.default.store.collection_names()
        stale = self._pipelines.get(name)
        if not existed and stale is not None:  # deleted through another node while open here
            self._forget(name, stale)
        self._open(name, create=not existed).store.ping()  # connecting creates the Chroma collections
        return not existed

    def delete(self, name: str) -> None:
        if name == self.settings.collection:
            raise CollectionConflict("the default collection cannot be deleted", loc=["name"])
        pipeline = self.get(name)  # unknown, malformed or reserved: 404
        with self._lock:
            pipeline.store.drop()
        self._forget(name, pipeline)

    def _forget(self, name: str, pipeline: RagPipeline) -> None:
        """Close a collection the store no longer has, and remove this node's index of it: derived
        data of an archive proven gone, which a later collection of the same name must not inherit."""
        with self._lock:
            if self._pipelines.get(name) is pipeline:
                del self._pipelines[name]
            self._confirmed.pop(name, None)
            pipeline.lexical_manager.close()
        shutil.rmtree(pipeline.settings.data_dir / "lexical" / name, ignore_errors=True)
