"""Bulk annotation in worker processes, because spaCy's pass runs on one core.

A batch of articles (an ingest, a re-annotation after a pipeline upgrade) is split by length
across the idle workers (`python -m rag.nlp.worker`), each of which loads the pipeline once and
keeps it. They are started as fresh interpreters, not forked (the writing process holds torch's
and Chroma's threads, which a fork would copy mid-state) and not through multiprocessing's spawn
(which runs the caller's `__main__` script again in every child). One pool serves the whole
process (every pipeline object in it), so its start (a few seconds, once) is not paid per write.

    pool = AnnotationPool(workers=2, noun_chunks=False)
    pool.annotate(["Portugal won the final.", "Oman said talks would resume."], ["", ""], version)

A worker that dies (killed, out of memory) or fails a batch makes `annotate` raise `PoolBroken`:
the caller annotates that batch itself, the dead worker is replaced on the next batch, and no
write fails for it.
"""

from __future__ import annotations

import atexit
import logging
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO, cast

from rag.nlp.records import DocAnnotation

log = logging.getLogger(__name__)

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])  # where `rag` is importable from


class PoolBroken(RuntimeError):
    """A worker died or failed while it held part of the batch."""


def split_by_length(texts: Sequence[str], parts: int) -> list[list[int]]:
    """Indices of `texts` in at most `parts` groups of about equal total length (longest first
    onto the lightest group), each group in text order; empty groups left out."""
    groups: list[list[int]] = [[] for _ in range(max(parts, 1))]
    loads = [0] * len(groups)
    for i in sorted(range(len(texts)), key=lambda i: -len(texts[i])):
        lightest = loads.index(min(loads))
        groups[lightest].append(i)
        loads[lightest] += len(texts[i])
    return [sorted(g) for g in groups if g]


class _Worker:
    def __init__(self, noun_chunks: bool):
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
        args = [sys.executable, "-m", "rag.nlp.worker"] + (["--noun-chunks"] if noun_chunks else [])
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)

    def send(self, texts: list[str], keys: list[str], version: str, batch_size: int) -> None:
        stdin = cast(IO[bytes], self.proc.stdin)
        pickle.dump((texts, keys, version, batch_size), stdin, protocol=pickle.HIGHEST_PROTOCOL)
        stdin.flush()

    def receive(self) -> list[DocAnnotation]:
        status, payload = pickle.load(cast(IO[bytes], self.proc.stdout))
        if status != "ok":
            raise PoolBroken(str(payload))
        return cast(list[DocAnnotation], payload)

    def stop(self) -> None:
        try:
            cast(IO[bytes], self.proc.stdin).close()  # the worker's cue to exit
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()


class AnnotationPool:
    def __init__(self, workers: int, noun_chunks: bool, batch_size: int = 16):
        self.workers = workers
        self._noun_chunks = noun_chunks
        self._batch_size = batch_size
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self._alive: list[_Worker] = []
        self._lock = threading.Lock()
        atexit.register(self.close)

    def _take(self, wanted: int) -> list[_Worker]:
        """Up to `wanted` idle workers (starting any that are missing), at least one: taking only
        the idle ones means two concurrent batches never wait on each other's workers."""
        self._refill()
        taken: list[_Worker] = []
        while not taken or len(taken) < wanted:
            try:
                worker = self._idle.get(block=not taken)
            except queue.Empty:
                break
            if worker.proc.poll() is None:  # one that died idle is dropped; its successor waits
                taken.append(worker)
            elif not taken:
                self._refill()
        return taken

    def _refill(self) -> None:
        """Start workers until `workers` are alive."""
        with self._lock:
            self._alive = [w for w in self._alive if w.proc.poll() is None]
            while len(self._alive) < self.workers:
                fresh = _Worker(self._noun_chunks)
                self._alive.append(fresh)
                self._idle.put(fresh)

    def _give_back(self, worker: _Worker) -> None:
        self._idle.put(worker)

    def _retire(self, worker: _Worker) -> None:
        with self._lock:
            if worker in self._alive:
                self._alive.remove(worker)
        worker.proc.kill()

    def start(self) -> None:
        """Start the workers and load the pipeline in each now (a server at start-up)."""
        taken = self._take(self.workers)
        for w in taken:
            w.send([], [], "", self._batch_size)
        for w in taken:
            w.receive()
            self._give_back(w)

    def annotate(self, texts: Sequence[str], keys: Sequence[str], version: str) -> list[DocAnnotation]:
        taken = self._take(min(self.workers, len(texts)))
        groups = split_by_length(texts, len(taken))
        out: list[DocAnnotation | None] = [None] * len(texts)
        failure: Exception | None = None
        sent: list[tuple[_Worker, list[int]]] = []
        for w, g in zip(taken, groups, strict=False):
            try:
                w.send([texts[i] for i in g], [keys[i] for i in g], version, self._batch_size)
                sent.append((w, g))
            except OSError as e:  # the worker is gone
                failure = e
                self._retire(w)
        for w in taken[len(groups) :]:
            self._give_back(w)
        for w, g in sent:
            try:
                records = w.receive()
            except PoolBroken as e:  # the worker is alive and said why
                failure = e
                self._give_back(w)
                continue
            except (EOFError, OSError, pickle.UnpicklingError) as e:
                failure = e
                self._retire(w)
                continue
            self._give_back(w)
            for i, record in zip(g, records, strict=True):
                out[i] = record
        if failure is not None:
            raise PoolBroken(f"{type(failure).__name__}: {failure}") from failure
        return cast(list[DocAnnotation], out)

    def pids(self) -> list[int]:
        """The live workers' process ids (tests, diagnostics); empty before the first batch."""
        with self._lock:
            return [w.proc.pid for w in self._alive if w.proc.poll() is None]

    def close(self) -> None:
        with self._lock:
            alive, self._alive = self._alive, []
        for w in alive:
            w.stop()


_pools: dict[tuple[int, bool, int], AnnotationPool] = {}
_pools_lock = threading.Lock()


def shared_pool(workers: int, noun_chunks: bool, batch_size: int) -> AnnotationPool:
    """The process's one pool for this configuration."""
    key = (workers, noun_chunks, batch_size)
    with _pools_lock:
        if key not in _pools:
            _pools[key] = AnnotationPool(workers, noun_chunks, batch_size)
        return _pools[key]
