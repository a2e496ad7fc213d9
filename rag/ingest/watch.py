"""`rag watch DIR`: ingest files added to or changed in a folder until stopped.

Polls (no inotify dependency, works on network mounts too): a file is picked up once its size and
modification time have been stable for one interval, so a file still being copied in is not read
half-written. Bad files are reported in the batch's summary and never stop the watcher. Links and
anything but regular files are reported as refused (rag/ingest/files.py), never read through.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from rag.errors import RagError
from rag.ingest.files import find_files
from rag.models import IngestReport

Signature = tuple[int, int]  # (size, mtime_ns)


class FolderWatcher:
    def __init__(
        self,
        folder: Path,
        ingest: Callable[[list[Path]], IngestReport],
        skip: Path | None = None,
        interval_s: float = 2.0,
        follow_symlinks: bool = False,
    ):
        """`ingest` gets the ready files of a round; it should judge them against `folder` (their
        root), as `RagPipeline.ingest_paths(files, root=folder)` does."""
        self._folder, self._ingest, self._skip, self._interval = folder, ingest, skip, interval_s
        self._follow_symlinks = follow_symlinks
        self._done: dict[Path, Signature] = {}
        self._pending: dict[Path, Signature] = {}

    def _scan(self) -> dict[Path, Signature]:
        out: dict[Path, Signature] = {}
        for found in find_files([self._folder], self._skip, self._follow_symlinks):
            try:  # a link's own signature: its target is read only if allowed, then judged again
                st = (found.target or found.path).stat() if found.target else found.path.lstat()
            except OSError:
                continue
            out[found.path] = (st.st_size, st.st_mtime_ns)
        return out

    def poll(self) -> IngestReport | None:
        """One round: ingest the files that changed and then stayed still for one interval."""
        now = self._scan()
        ready = [f for f, sig in now.items() if self._done.get(f) != sig and self._pending.get(f) == sig]
        self._pending = {f: sig for f, sig in now.items() if self._done.get(f) != sig}
        if not ready:
            return None
        report = self._ingest(sorted(ready))
        for f in ready:
            self._done[f] = now[f]
            self._pending.pop(f, None)
        return report

    def run(
        self,
        on_batch: Callable[[IngestReport], None],
        on_error: Callable[[RagError], None],
        stop: threading.Event | None = None,
    ) -> None:
        """Until `stop`: a store outage is reported and the same files are tried again next round."""
        stop = stop or threading.Event()
        while not stop.is_set():
            try:
                report = self.poll()
            except RagError as e:
                on_error(e)
                report = None
            if report is not None:
                on_batch(report)
            stop.wait(self._interval)

    def mark_existing(self) -> None:
        """Treat what is in the folder now as done (for `--new-only`)."""
        self._done = self._scan()
