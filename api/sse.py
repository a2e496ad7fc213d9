"""Server-Sent Events framing."""

from __future__ import annotations

import json
from typing import Any


def event(name: str, data: Any) -> str:
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, default=str)
    lines = "".join(f"data: {line}\n" for line in payload.split("\n"))
    return f"event: {name}\n{lines}\n"


def deltas(answer: str) -> list[str]:
    """The answer in small pieces (a word or a marker group each), as a model would stream it."""
    pieces: list[str] = []
    for i, word in enumerate(answer.split(" ")):
        pieces.append(word if i == 0 else " " + word)
    return pieces
