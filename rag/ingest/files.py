"""Which files `rag ingest` and `rag watch` read, and reading them without following links.

Why: anyone who can drop a file into a watched folder could drop `notes.txt -> /etc/shadow`, and
the service served the target's content through the API. Only regular files are read. A symlink
is refused (reported as a failure with its reason) unless `RAG_FOLLOW_SYMLINKS` is on and it
resolves inside the folder it was found under; nothing outside the given roots is ever read. The
read itself opens with `O_NOFOLLOW`, so a file swapped for a link after the scan is refused too.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from rag.ingest.parsers import SUPPORTED_SUFFIXES

NOT_FOLLOWED = "symbolic link, not followed (RAG_FOLLOW_SYMLINKS=true reads links that stay inside the folder)"


@dataclass(frozen=True)
class FoundFile:
    """A file to ingest. `name` is its path relative to the folder it was found in (its id comes
    from it); `refused` says why it will not be read; `target` is what an allowed link points to."""

    path: Path
    name: str
    refused: str | None = None
    target: Path | None = None


class Unreadable(Exception):
    """A file that is not read, and why (the message)."""


def _inside(target: Path, root: Path) -> bool:
    return target == root or target.is_relative_to(root)


def _judge(path: Path, name: str, root: Path, follow_symlinks: bool) -> FoundFile | None:
    """A found entry as a file to read, a refusal, or None (not a file we ingest)."""
    try:
        st = path.lstat()
    except OSError as e:
        return FoundFile(path, name, refused=f"cannot read: {e.strerror or e}")
    if stat.S_ISLNK(st.st_mode):
        if not follow_symlinks:
            return FoundFile(path, name, refused=NOT_FOLLOWED)
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return FoundFile(path, name, refused="symbolic link to nothing (or a loop)")
        if not _inside(target, root):
            return FoundFile(path, name, refused=f"symbolic link resolves outside {root}: not read")
        if not target.is_file():
            return FoundFile(path, name, refused="symbolic link to something other than a regular file")
        return FoundFile(path, name, target=target)
    if stat.S_ISDIR(st.st_mode):
        return None
    if not stat.S_ISREG(st.st_mode):
        return FoundFile(path, name, refused="not a regular file (a pipe, socket or device)")
    return FoundFile(path, name)


def find_files(
    paths: Sequence[Path], skip: Path | None = None, follow_symlinks: bool = False, root: Path | None = None
) -> Iterator[FoundFile]:
    """Files under `paths` (directories recursively, in name order), refused ones included.
    Hidden entries and the store's own data dir (`skip`) are never ingested. A directory named in
    `paths` is a root; a file named there is its own root, its name relative to `root` when
    given (the watched folder), else its bare name."""
    skip_resolved = skip.resolve() if skip is not None else None
    for given in paths:
        found_in_root = root is not None and given.is_relative_to(root) and given != root
        if given.is_dir() and not (found_in_root and given.is_symlink()):
            top = given.resolve()  # a root the user named may itself be a link: that is their choice
            yield from _walk(given, top, skip_resolved, follow_symlinks)
            continue
        base = root if found_in_root and root is not None else given.parent
        name = given.relative_to(base).as_posix()
        if given.is_symlink() or given.exists():
            judged = _judge(given, name, base.resolve(), follow_symlinks)
            if judged is not None:
                yield judged


def _walk(given: Path, top: Path, skip: Path | None, follow_symlinks: bool) -> Iterator[FoundFile]:
    for dirpath, dirnames, filenames in os.walk(given, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        entries = sorted(filenames) + [d for d in dirnames if (here / d).is_symlink()]
        for entry in sorted(entries):
            if entry.startswith("."):
                continue
            path = here / entry
            if skip is not None and path.resolve().is_relative_to(skip):
                continue
            is_link = path.is_symlink()
            if not is_link and path.suffix.lower() not in SUPPORTED_SUFFIXES:
                continue
            if is_link and path.suffix.lower() not in SUPPORTED_SUFFIXES and not path.is_dir():
                continue  # a link we would not read even as a file: not worth a failure line
            judged = _judge(path, path.relative_to(given).as_posix(), top, follow_symlinks)
            if judged is not None:
                yield judged


def read_regular(found: FoundFile, max_bytes: int) -> bytes:
    """The bytes of a found file, never through a link it was not allowed to be."""
    if found.refused:
        raise Unreadable(found.refused)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(found.target or found.path, flags)
    except OSError as e:
        if e.errno == getattr(os, "ELOOP", -1) or found.path.is_symlink() and found.target is None:
            raise Unreadable(NOT_FOLLOWED) from None
        raise Unreadable(f"cannot read: {e.strerror or e}") from None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise Unreadable("not a regular file (a pipe, socket or device)")
        if st.st_size > max_bytes:
            raise Unreadable(f"file too large ({st.st_size} bytes > {max_bytes})")
        return f.read(max_bytes + 1)
