"""`rag gold review`: walk through a drafted gold set in the terminal (keep / edit / drop)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

CHOICES = {"k": "keep", "e": "edit", "d": "drop", "q": "quit"}


def describe(item: dict[str, Any], i: int, n: int) -> str:
    lines = [
        f"[{i}/{n}] {item['id']} ({item.get('type', 'fact')}, {'answerable' if item.get('answerable', True) else 'unanswerable'})"
    ]
    lines.append(f"  question:  {item['question']}")
    if item.get("answers"):
        lines.append("  answers:   " + " | ".join(item["answers"]))
    if item.get("key_facts"):
        lines.append("  key facts: " + " | ".join(" / ".join(f) for f in item["key_facts"]))
    evidence = (item.get("draft") or {}).get("evidence")
    if evidence:
        lines.append(f"  from:      {evidence[:300]}")
    if item.get("gold_doc_ids"):
        lines.append("  gold docs: " + ", ".join(item["gold_doc_ids"]))
    return "\n".join(lines)


def _split(text: str, sep: str) -> list[str]:
    return [p.strip() for p in text.split(sep) if p.strip()]


def edit(item: dict[str, Any], prompt: Callable[..., Any]) -> dict[str, Any]:
    """Ask for each field, the current value as default (Enter keeps it)."""
    out = dict(item)
    out["question"] = prompt("question", default=item["question"])
    out["answers"] = _split(prompt("answers (separated by ' | ')", default=" | ".join(item.get("answers", []))), "|")
    facts = " | ".join(" / ".join(f) for f in item.get("key_facts", []))
    out["key_facts"] = [
        _split(f, "/") for f in _split(prompt("key facts (' | ' between, ' / ' phrasings)", default=facts), "|")
    ]
    answerable = prompt("answerable (y/n)", default="y" if item.get("answerable", True) else "n")
    out["answerable"] = str(answerable).strip().lower().startswith("y")
    return out


def review(
    items: list[dict[str, Any]], prompt: Callable[..., Any], echo: Callable[[str], Any]
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The kept and edited items (marked `reviewed`), and counts of each decision. 'quit' stops
    and leaves the rest out."""
    kept: list[dict[str, Any]] = []
    counts = {"keep": 0, "edit": 0, "drop": 0, "unreviewed": 0}
    for i, item in enumerate(items, 1):
        echo(describe(item, i, len(items)))
        choice = ""
        while choice not in CHOICES:
            choice = str(prompt("keep, edit, drop or quit [k/e/d/q]", default="k")).strip().lower()[:1]
        action = CHOICES[choice]
        if action == "quit":
            counts["unreviewed"] = len(items) - i + 1
            break
        counts[action] += 1
        if action == "drop":
            continue
        reviewed = edit(item, prompt) if action == "edit" else dict(item)
        reviewed["reviewed"] = "edited" if action == "edit" else "kept"
        kept.append(reviewed)
    return kept, counts


def load_items(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
