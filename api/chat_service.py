"""OpenAI chat-completions wire format around `RagPipeline.ask`."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

from api.schemas import ChatCompletionRequest
from api.sse import deltas
from rag.answer.render import sources_block
from rag.conversation import Turn, standalone_question
from rag.errors import InvalidRequest
from rag.models import AskResponse
from rag.pipeline import RagPipeline
from rag.settings import Settings

MODEL_PREFIX = "newsrag"


def offered_models(settings: Settings) -> list[str]:
    models = [f"{MODEL_PREFIX}-extractive"]
    if settings.openai_base_url or settings.openai_api_key or settings.answerer == "openai":
        models.append(f"{MODEL_PREFIX}-openai")
    return models


def answerer_for(model: str, settings: Settings) -> str:
    """'newsrag-openai' -> openai; 'newsrag-extractive' -> extractive; anything else -> default."""
    if model.endswith("-openai"):
        return "openai"
    if model.endswith("-extractive"):
        return "extractive"
    return settings.answerer


def content_of(resp: AskResponse) -> str:
    return resp.answer + ("\n\n" + sources_block(resp) if resp.citations else "")


class ChatService:
    def __init__(self, pipeline: RagPipeline, settings: Settings):
        self._pipeline = pipeline
        self._settings = settings

    def answer(self, req: ChatCompletionRequest) -> AskResponse:
        limit = self._settings.max_question_chars
        for i, m in enumerate(req.messages):
            if m.role == "user" and any(len(t) > limit for t in m.text_parts()):
                longest = max(len(t) for t in m.text_parts())
                raise InvalidRequest(
                    f"user message text is {longest} characters; the limit is {limit}",
                    loc=["body", "messages", i, "content"],
                )
        turns = [Turn(m.role, m.text()) for m in req.messages if m.role in ("user", "assistant")]
        if not any(t.role == "user" and t.content.strip() for t in turns):
            raise InvalidRequest("messages must contain a user message with text", loc=["body", "messages"])
        standalone = standalone_question(turns)
        return self._pipeline.ask(
            standalone.question, answerer=answerer_for(req.model, self._settings), exclude=standalone.exclude
        )

    @staticmethod
    def _extra(resp: AskResponse) -> dict[str, Any]:
        return {
            "citations": [c.model_dump(mode="json") for c in resp.citations],
            "rag": {
                "abstained": resp.abstained,
                "answerer": resp.answerer,
                "timings": resp.timings.model_dump(),
                "warnings": resp.warnings,
            },
        }

    def completion(self, req: ChatCompletionRequest, resp: AskResponse) -> dict[str, Any]:
        content = content_of(resp)
        prompt_tokens = sum(len(m.text().split()) for m in req.messages)
        completion_tokens = len(content.split())
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": req.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
            **self._extra(resp),
        }

    def chunks(self, req: ChatCompletionRequest, resp: AskResponse) -> Iterator[str]:
        cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

        def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
            body = {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": req.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
                **extra,
            }
            return f"data: {json.dumps(body, ensure_ascii=False, default=str)}\n\n"

        yield chunk({"role": "assistant", "content": ""})
        for piece in deltas(content_of(resp)):
            yield chunk({"content": piece})
        yield chunk({}, "stop", **self._extra(resp))
        yield "data: [DONE]\n\n"
