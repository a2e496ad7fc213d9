"""OpenAI chat-completions wire format around `RagPipeline.ask`."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from api.schemas import ChatCompletionRequest
from api.sse import deltas
from rag.answer.render import sources_block
from rag.collections import CollectionManager
from rag.conversation import Turn, standalone_question
from rag.errors import InvalidRequest
from rag.models import AskResponse
from rag.pipeline import RagPipeline
from rag.settings import Settings

MODEL_PREFIX = "newsrag"


if TYPE_CHECKING:  # the openai SDK takes ~2 s to import: it loads after start (see api/app.py)
    from openai.types import CompletionUsage


def offered_models_for(settings: Settings, collections: list[str]) -> list[str]:
    """One model per collection and answerer ('newsrag-world', 'newsrag-world-openai'), after the
    default collection's historical names."""
    with_llm = bool(settings.openai_base_url or settings.openai_api_key or settings.answerer == "openai")
    models = offered_models(settings)
    for name in collections:
        models.append(f"{MODEL_PREFIX}-{name}")
        if with_llm:
            models.append(f"{MODEL_PREFIX}-{name}-openai")
    return models


def collection_for(model: str) -> str | None:
    """'newsrag-world[-extractive|-openai]' -> 'world'; the plain names -> None (the default)."""
    rest = model.removeprefix(f"{MODEL_PREFIX}-") if model.startswith(f"{MODEL_PREFIX}-") else ""
    for suffix in ("-extractive", "-openai"):
        rest = rest.removesuffix(suffix)
    return rest if rest and rest not in ("extractive", "openai") else None


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
    def __init__(self, collections: CollectionManager, settings: Settings):
        self._collections = collections
        self._settings = settings

    @property
    def _pipeline(self) -> RagPipeline:
        return self._collections.default

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
        pipeline = self._collections.get(collection_for(req.model))
        return pipeline.ask(
            standalone.question,
            answerer=answerer_for(req.model, self._settings),
            exclude=standalone.exclude,
            as_of=req.as_of,
        )

    @staticmethod
    def _extra(resp: AskResponse) -> dict[str, Any]:
        return {
            "citations": [c.model_dump(mode="json") for c in resp.citations],
            "rag": {
                "short_answer": resp.short_answer.model_dump(mode="json") if resp.short_answer else None,
                "abstained": resp.abstained,
                "as_of": resp.as_of.isoformat() if resp.as_of else None,
                "time_window": resp.time_window.model_dump(mode="json") if resp.time_window else None,
                "answerer": resp.answerer,
                "timings": resp.timings.model_dump(),
                "warnings": resp.warnings,
            },
        }

    def usage(self, req: ChatCompletionRequest, content: str) -> CompletionUsage:
        from openai.types import CompletionUsage

        """Tokens as the embedder's tokenizer counts them (what this service actually reads)."""
        count = self._pipeline.embedder.count_tokens
        prompt = sum(count([m.text()])[0] for m in req.messages if m.text())
        completion = count([content])[0] if content else 0
        return CompletionUsage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion)

    def completion(self, req: ChatCompletionRequest, resp: AskResponse) -> dict[str, Any]:
        from openai.types.chat import ChatCompletion, ChatCompletionMessage
        from openai.types.chat.chat_completion import Choice

        content = content_of(resp)
        body = ChatCompletion(
            id=f"chatcmpl-{uuid.uuid4().hex}",
            object="chat.completion",
            created=int(time.time()),
            model=req.model,
            choices=[
                Choice(
                    index=0,
                    message=ChatCompletionMessage(role="assistant", content=content),
                    finish_reason="stop",
                    logprobs=None,
                )
            ],
            usage=self.usage(req, content),
        )
        return {**body.model_dump(mode="json", exclude_none=True), **self._extra(resp)}

    def chunks(self, req: ChatCompletionRequest, resp: AskResponse) -> Iterator[str]:
        from openai.types.chat import ChatCompletionChunk
        from openai.types.chat.chat_completion_chunk import Choice as ChunkChoice
        from openai.types.chat.chat_completion_chunk import ChoiceDelta

        cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        content = content_of(resp)

        def chunk(choices: list[ChunkChoice], **extra: Any) -> str:
            body = ChatCompletionChunk(
                id=cid, object="chat.completion.chunk", created=created, model=req.model, choices=choices, **extra
            )
            data = body.model_dump(mode="json", exclude_none=True)
            data["choices"] = [{**c, "finish_reason": c.get("finish_reason")} for c in data["choices"]]
            return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

        yield chunk([ChunkChoice(index=0, delta=ChoiceDelta(role="assistant", content=""))])
        for piece in deltas(content):
            yield chunk([ChunkChoice(index=0, delta=ChoiceDelta(content=piece))])
        yield chunk([ChunkChoice(index=0, delta=ChoiceDelta(), finish_reason="stop")], **self._extra(resp))
        if req.stream_options is not None and req.stream_options.include_usage:
            yield chunk([], usage=self.usage(req, content))  # what Open WebUI asks for
        yield "data: [DONE]\n\n"
