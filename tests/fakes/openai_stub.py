"""A stand-in for a hosted LLM that speaks the real OpenAI chat-completions HTTP protocol.

It answers by quoting the passage that contains `needle`, citing it by the number the
prompt gave it, so tests exercise the real parsing and post-checking paths. In mode "judge" it
grades as an LLM judge would (`VERDICT: yes|no`): an answer that holds the reference's words, a
quote that holds most of the claim's words. `fail_when` / `slow_when`: a prompt containing that
text gets a 500 error / an answer after `delay` seconds (for the eval judge's error paths).
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from rag.nlp.text import split_sentences

PASSAGE = re.compile(r'<passage n="(\d+)"[^>]*>\n(.*?)\n</passage>', re.S)
HELD_AFTER = re.compile(r"\[\d+\](?:\s*\[\d+\])*\s+\S+")  # a marker group and the next word


@dataclass
class StreamGate:
    """Holds a streamed reply after its first sentence (and the first word of the next) until
    `release` is set; `finished` is set just before the last piece of the reply is sent. A test
    can so tell whether a client saw the first sentence while the model was still writing."""

    release: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    timeout_s: float = 20.0


TAGGED = re.compile(r"<(reference|answer|claim|quote)>(.*?)</\1>", re.S)


def _judge(prompt: str) -> str:
    from rag.nlp.text import terms

    parts = dict(TAGGED.findall(prompt))
    if "reference" in parts:
        wanted, have = set(terms(parts["reference"])), set(terms(parts.get("answer", "")))
        ok = bool(wanted) and wanted <= have
    else:
        claim, quote = set(terms(parts.get("claim", ""))), set(terms(parts.get("quote", "")))
        ok = bool(claim) and len(claim & quote) >= len(claim) / 2
    return f"VERDICT: {'yes' if ok else 'no'}"


def create_stub(
    mode: str = "good",
    needle: str = "appreciates",
    gate: StreamGate | None = None,
    second: str = "dialogue",
    chunk_delay_s: float = 0.0,
    fail_when: str | None = None,
    slow_when: str | None = None,
    delay: float = 5.0,
) -> tuple[FastAPI, list[dict[str, Any]]]:
    """`mode` "two" answers with two cited sentences: the one holding `needle`, then one holding
    `second`. `chunk_delay_s`: a pause before each streamed piece, as a model writing (bench/)."""
    app = FastAPI()
    seen: list[dict[str, Any]] = []

    def reply(messages: list[dict[str, Any]]) -> str:
        user = messages[-1]["content"]
        if mode == "judge":
            return _judge(user)
        passages = {int(n): text for n, text in PASSAGE.findall(user)}
        hit = next((n for n, t in passages.items() if needle in t), 1)
        sentence = next((s.text for s in split_sentences(passages.get(hit, "")) if needle in s.text), "Nothing.")
        if mode == "bogus_citation":
            return f"{sentence} [{hit}][99]"
        if mode == "unsupported":
            return f"{sentence} [{hit}] The moon is made of green cheese and Oman bought it in 1850. [{hit}]"
        if mode == "abstain":
            return "NOT_IN_ARCHIVE"
        if mode == "two":
            hit2 = next((n for n, t in passages.items() if second in t and n != hit), hit)
            other = next((s.text for s in split_sentences(passages.get(hit2, "")) if second in s.text), "Nothing.")
            return f"{sentence} [{hit}] {other} [{hit2}]"
        return f"{sentence} [{hit}]"

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Any:
        body = await request.json()
        seen.append(body)
        prompt = str(body["messages"][-1]["content"])
        if slow_when and slow_when in prompt:
            await asyncio.sleep(delay)
        if mode == "fail" or (fail_when and fail_when in prompt):
            return JSONResponse({"error": {"message": "upstream exploded", "type": "server_error"}}, status_code=500)
        text = reply(body["messages"])
        base = {"id": "chatcmpl-stub", "created": int(time.time()), "model": body["model"]}
        if not body.get("stream"):
            return {
                **base,
                "object": "chat.completion",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }

        # With a gate, the reply is held after the first marker group and the first word after it
        # ("said. [1] Oman"), wherever the 7-character pieces fall: only then is the first sentence
        # known to be finished (after "said. [1] " another marker may still follow).
        first = HELD_AFTER.search(text) if gate is not None else None
        held = first.end() if first is not None else len(text)
        pieces = [text[i : min(i + 7, held)] for i in range(0, held, 7)]
        rest = [text[i : i + 7] for i in range(held, len(text), 7)]

        def events() -> Any:
            for n, piece in enumerate(pieces + rest):
                if gate is not None and first is not None and n == len(pieces):
                    gate.release.wait(gate.timeout_s)
                if gate is not None and n == len(pieces) + len(rest) - 1:
                    gate.finished.set()  # before the last piece: no client can have the whole answer yet
                if chunk_delay_s:
                    time.sleep(chunk_delay_s)
                chunk = {
                    **base,
                    "object": "chat.completion.chunk",
                    "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
                }
                yield f"data: {json.dumps(chunk)}\n\n"
            yield f"data: {json.dumps({**base, 'object': 'chat.completion.chunk', 'choices': [{'index': 0, 'delta': {}, 'finish_reason': 'stop'}]})}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return app, seen
