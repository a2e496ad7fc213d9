"""Word lists and tables the library reads, shipped as package data (one word or row a line).

Every list that shapes answers lives here, not in code, so it can be read, reviewed and
recorded with an evaluation run (`eval` copies their checksums into results.json)."""

from __future__ import annotations

import hashlib
import re
from functools import cache
from importlib import resources


@cache
def words(name: str) -> frozenset[str]:
    """The words of `rag/resources/<name>.txt`; lines starting with '#' are comments."""
    raw = resources.files("rag").joinpath(f"resources/{name}.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in raw.splitlines() if line.strip() and not line.startswith("#"))


@cache
def table(name: str) -> dict[str, tuple[str, ...]]:
    """`rag/resources/<name>.tsv` as key -> the whitespace-separated values of its second column."""
    raw = resources.files("rag").joinpath(f"resources/{name}.tsv").read_text(encoding="utf-8")
    out: dict[str, tuple[str, ...]] = {}
    for line in raw.splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, values = line.partition("\t")
            out[key.strip()] = tuple(values.split())
    return out


@cache
def months() -> dict[str, int]:
    """Every written form of a month (lower case: "september", "sept", "sep") -> its number."""
    return {form: i for i, (name, abbr) in enumerate(table("months").items(), 1) for form in (name, *abbr)}


def month_pattern() -> str:
    """A regex alternation of every form of a month, longest first, with an optional full stop
    ("Sept."); match it case-insensitively."""
    forms = sorted(months(), key=lambda w: (-len(w), w))
    return rf"(?:{'|'.join(forms)})\.?"


def alternation(*names: str) -> str:
    """The words of one or more lists as a regex alternation, longest first (so "set to" is tried
    before "set"), each escaped."""
    listed = {w for name in names for w in words(name)}
    return "|".join(sorted((re.escape(w) for w in listed), key=lambda w: (-len(w), w)))


def fingerprints() -> dict[str, str]:
    """name -> short sha256 of every resource file, for results.json."""
    out: dict[str, str] = {}
    for entry in sorted(resources.files("rag").joinpath("resources").iterdir(), key=lambda e: e.name):
        if entry.name.endswith((".txt", ".tsv")):
            out[entry.name] = hashlib.sha256(entry.read_bytes()).hexdigest()[:12]
    return out
