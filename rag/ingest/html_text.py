"""Keep trafilatura linear in the size of the page.

Why this exists: trafilatura unwraps inline tags (`span`, `a`, `b`, `font`, its own `hi`/`ref`, ...)
with `lxml.etree.strip_tags`, which leaves the unwrapped text as many adjacent libxml2 text nodes.
lxml's `.text` / `.tail` getters join such runs with repeated `bytes +=`, so every later read of
that text costs (nodes x length): a paragraph of 20,000 `<span>`s read once takes 0.7 s, and
trafilatura reads it many times. That made a 2 MB page take 45 s where a 0.5 MB one took 3 s.

`strip_tags` below does the same unwrapping but writes each parent's text and each kept child's
tail once, as one joined string, so every text run is a single node again. `install()` points
trafilatura's modules at it; the extracted text is the same (tests/rag/test_parsers.py).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Any

from lxml import etree

_lxml_strip_tags = etree.strip_tags
# trafilatura modules that imported `strip_tags` by name (`from lxml.etree import strip_tags`)
_TRAFILATURA_MODULES = (
    "trafilatura.core",
    "trafilatura.main_extractor",
    "trafilatura.htmlprocessing",
    "trafilatura.external",
)


def _names(tags: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for tag in tags:
        if isinstance(tag, (list, tuple, set, frozenset)):
            out += _names(tag)
        else:
            out.append(tag)
    return out


def _rebuild(parent: etree._Element, targets: frozenset[str]) -> None:
    """Unwrap every child of `parent` (recursively) whose tag is in `targets`, in one pass."""
    kept: list[etree._Element] = []
    tails: list[list[str]] = []
    head: list[str] = [parent.text or ""]
    current = head

    def emit(text: str | None) -> None:
        if text:
            current.append(text)

    def visit(el: etree._Element) -> None:
        nonlocal current
        if isinstance(el.tag, str) and el.tag in targets:
            emit(el.text)
            for child in el:
                visit(child)
        else:
            kept.append(el)
            current = []
            tails.append(current)
        emit(el.tail)

    for child in list(parent):
        visit(child)
    for el in kept:
        el.tail = None  # the tail travels with the element; it is set again below
    parent[:] = kept
    parent.text = "".join(head) or None
    for el, tail in zip(kept, tails, strict=True):
        el.tail = "".join(tail) or None


def strip_tags(tree: Any, *tag_names: Any) -> None:
    """`lxml.etree.strip_tags` for plain tag names, linear in the size of the tree; anything else
    (namespaces, wildcards, comments) goes to lxml's own."""
    names = _names(tag_names)
    if not names or not all(isinstance(n, str) and n.isascii() and n.replace("-", "").isalnum() for n in names):
        _lxml_strip_tags(tree, *tag_names)
        return
    root = tree.getroot() if hasattr(tree, "getroot") else tree
    targets = frozenset(names)
    parents: dict[int, etree._Element] = {}
    for hit in root.iterdescendants(*targets):
        parent = hit.getparent()
        # a hit inside another hit is unwrapped with it, unless something kept lies between
        if parent is not None and (parent is root or parent.tag not in targets):
            parents.setdefault(id(parent), parent)
    for parent in parents.values():
        _rebuild(parent, targets)


def install() -> None:
    """Point trafilatura's modules at the linear `strip_tags` (idempotent)."""
    for name in _TRAFILATURA_MODULES:
        module = importlib.import_module(name)
        if getattr(module, "strip_tags", None) is _lxml_strip_tags:
            module.strip_tags = strip_tags  # type: ignore[attr-defined]
