"""How deep a JSON text nests, found before it is parsed.

Why: Python's `json` (and pydantic after it) recurse once per level; 100,000 nested arrays raise
`RecursionError`, which surfaced as a 500 and, in a JSONL file, failed the good records with the
bad one. A scan of the text's tokens (linear, no recursion) finds the first value nested deeper
than the limit and the path to it, so the refusal can name the field.
"""

from __future__ import annotations

import json
import re

# A JSON string (escapes included) or one structural character; everything else is skipped.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},:]')

JsonPath = list[str | int]


def too_deep(text: str, limit: int) -> JsonPath | None:
    """The path (keys and indices) to the first container nested deeper than `limit`, or None.
    Malformed text is not judged here: the parser that runs next reports it."""
    stack: list[list[str | int | None]] = []  # [opening char, current key or index]
    last_string: str | None = None
    for m in _TOKEN.finditer(text):
        token = m.group()
        char = token[0]
        if char == '"':
            last_string = token
        elif char == ":":
            if stack and stack[-1][0] == "{" and last_string is not None:
                try:
                    stack[-1][1] = str(json.loads(last_string))
                except ValueError:
                    stack[-1][1] = last_string[1:-1]
        elif char in "[{":
            if len(stack) >= limit:
                return [frame[1] for frame in stack if frame[1] is not None]  # type: ignore[misc]
            stack.append([char, 0 if char == "[" else None])
        elif char in "]}":
            if stack:
                stack.pop()
        elif char == "," and stack and stack[-1][0] == "[":
            index = stack[-1][1]
            stack[-1][1] = index + 1 if isinstance(index, int) else 0
    return None


def describe(path: JsonPath, root: str = "", shown: int = 6) -> str:
    """`messages[0].content`, cut after `shown` steps (a path to depth 10,000 is not a name)."""
    out = root
    for step in path[:shown]:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    if len(path) > shown:
        out += "…"
    return out or "body"
