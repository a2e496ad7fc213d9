"""OpenAI chat-completions wire format around `RagPipeline.ask`."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from api.chat_sources import source_event, url_citation
from api.metrics import Metrics
from api.schemas import ChatCompletionRequest
from rag.answer.render import AnswerParts, Rendered, sources_block
from rag.chat.conversation import Turn, standalone_question
from rag.chat.tasks import TaskPrompt, answer_task, task_prompt
from rag.errors import InvalidRequest, RagError
from rag.models import AskResponse, Citation
from rag.pipeline import RagPipeline
from rag.settings import Settings
from rag.store.collections import CollectionManager

MODEL_PREFIX = "newsrag"
log = logging.getLogger("newsrag.chat")


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


@dataclass
class ChatQuestion:
    """A chat request made into one archive question."""

    question: str
    exclude: set[str]
    pipeline: RagPipeline
    answerer: str


class ChatService:
    """Chat completions over the pipeline: task prompts answered from the history, questions
    answered sentence by sentence, with sources in the form `settings.chat_sources` names."""

    def __init__(self, collections: CollectionManager, settings: Settings, metrics: Metrics, base_url: str):
        self._collections = collections
        self._settings = settings
        self._metrics = metrics
        self._base_url = (settings.public_url or base_url).rstrip("/")

    @property
    def _pipeline(self) -> RagPipeline:
        return self._collections.default

    def document_url(self, doc_id: str) -> str:
        return f"{self._base_url}/v1/documents/{quote(doc_id, safe='')}"

    # -- what the request is ---------------------------------------------------------------

    @staticmethod
    def task(req: ChatCompletionRequest) -> TaskPrompt | None:
        """The frontend task the request is (a title, tags, follow-ups ...), or None."""
        users = [m for m in req.messages if m.role == "user"]
        if not users:
            return None
        system = [m.text() for m in req.messages if m.role in ("system", "developer")]
        return task_prompt(system, users[-1].text())

    def question_of(self, req: ChatCompletionRequest) -> ChatQuestion:
        """The archive question of a chat request; InvalidRequest (422) before anything is sent."""
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
        return ChatQuestion(
            standalone.question,
            standalone.exclude,
            self._collections.get(collection_for(req.model)),
            answerer_for(req.model, self._settings),
        )

    def task_reply(self, req: ChatCompletionRequest, task: TaskPrompt) -> str:
        self._metrics.task_prompts.labels(task.kind).inc()
        outlets = self._collections.get(collection_for(req.model)).outlets()
        return answer_task(task, outlets)

    def _parts(self, req: ChatCompletionRequest, asked: ChatQuestion) -> Generator[Rendered, None, AskResponse]:
        resp = yield from asked.pipeline.ask_stream(
            asked.question, answerer=asked.answerer, exclude=asked.exclude, as_of=req.as_of
        )
        self._metrics.answers.labels(resp.answerer, str(resp.abstained).lower()).inc()
        return resp

    def _sources_text(self, resp: AskResponse) -> str:
        """The plain Sources list, for clients that render no structured sources."""
        if self._settings.chat_sources != "text" or not resp.citations:
            return ""
        return "\n\n" + sources_block(resp, self.document_url)

    # -- the wire --------------------------------------------------------------------------

    @staticmethod
    def _extra(resp: AskResponse) -> dict[str, Any]:
        return {
            "citations": [c.model_dump(mode="json") for c in resp.citations],
            "rag": {
                "short_answer": resp.short_answer.model_dump(mode="json") if resp.short_answer else None,
                "abstained": resp.abstained,
                "refused_by": resp.refused_by,
                "as_of": resp.as_of.isoformat() if resp.as_of else None,
                "time_window": resp.time_window.model_dump(mode="json") if resp.time_window else None,
                "answerer": resp.answerer,
                "timings": resp.timings.model_dump(),
                "warnings": resp.warnings,
            },
        }

    def usage(self, req: ChatCompletionRequest, content: str) -> CompletionUsage:
        """Tokens as the embedder's tokenizer counts them (what this service actually reads)."""
        from openai.types import CompletionUsage

        count = self._pipeline.embedder.count_tokens
        prompt = sum(count([m.text()])[0] for m in req.messages if m.text())
        completion = count([content])[0] if content else 0
        return CompletionUsage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion)

    def completion(self, req: ChatCompletionRequest) -> dict[str, Any]:
        """The whole reply as one `chat.completion` (raises InvalidRequest / RagError)."""
        from openai.types.chat import ChatCompletion, ChatCompletionMessage
        from openai.types.chat.chat_completion import Choice

        task = self.task(req)
        extra: dict[str, Any] = {}
        annotations: list[dict[str, Any]] = []
        if task is not None:
            content = self.task_reply(req, task)
        else:
            parts = AnswerParts(self._parts(req, self.question_of(req)))
            content = ""
            for part in parts:
                start = len(content) + (1 if content else 0)
                content += (" " if content else "") + part.text
                annotations += self._annotations(part.new_citations, start, len(content))
            content += self._sources_text(parts.response)
            extra = self._extra(parts.response)
            if self._settings.chat_sources == "events":
                extra["sources"] = [source_event(c, self.document_url)["data"] for c in parts.response.citations]
        message = ChatCompletionMessage.model_validate(
            {"role": "assistant", "content": content, **({"annotations": annotations} if annotations else {})}
        )
        body = ChatCompletion(
            id=f"chatcmpl-{uuid.uuid4().hex}",
            object="chat.completion",
            created=int(time.time()),
            model=req.model,
            choices=[Choice(index=0, message=message, finish_reason="stop", logprobs=None)],
            usage=self.usage(req, content),
        )
        return {**body.model_dump(mode="json", exclude_none=True), **extra}

    def _annotations(self, citations: list[Citation], start: int, end: int) -> list[dict[str, Any]]:
        if self._settings.chat_sources != "text":
            return []
        return [url_citation(c, self.document_url, start, end) for c in citations]

    def chunks(self, req: ChatCompletionRequest, asked: ChatQuestion | None, task: TaskPrompt | None) -> Iterator[str]:
        """The reply as `chat.completion.chunk`s, each sent as soon as it exists: for a question,
        each cited source (as an Open WebUI `source` event) before the first sentence that cites
        it, then the sentence, with its url_citation annotations. A failure after the first chunk
        arrives as an `error` chunk, never as a broken stream."""
        from openai.types.chat import ChatCompletionChunk
        from openai.types.chat.chat_completion_chunk import Choice as ChunkChoice
        from openai.types.chat.chat_completion_chunk import ChoiceDelta

        cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

        def chunk(choices: list[ChunkChoice], **extra: Any) -> str:
            body = ChatCompletionChunk(
                id=cid, object="chat.completion.chunk", created=created, model=req.model, choices=choices, **extra
            )
            data = body.model_dump(mode="json", exclude_none=True)
            data["choices"] = [{**c, "finish_reason": c.get("finish_reason")} for c in data["choices"]]
            return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

        def text(piece: str, **delta: Any) -> str:
            return chunk([ChunkChoice(index=0, delta=ChoiceDelta(content=piece, **delta))])

        yield chunk([ChunkChoice(index=0, delta=ChoiceDelta(role="assistant", content=""))])
        extra: dict[str, Any] = {}
        if task is not None or asked is None:
            content = self.task_reply(req, task) if task is not None else ""
            yield text(content)
        else:
            content = ""
            parts = AnswerParts(self._parts(req, asked))
            try:
                for part in parts:
                    if self._settings.chat_sources == "events":
                        for c in part.new_citations:
                            yield chunk(
                                [ChunkChoice(index=0, delta=ChoiceDelta(content=""))],
                                event=source_event(c, self.document_url),
                            )
                    piece = (" " if content else "") + part.text
                    start = len(content) + (1 if content else 0)
                    content += piece
                    notes = self._annotations(part.new_citations, start, len(content))
                    yield text(piece, annotations=notes) if notes else text(piece)
            except RagError as e:
                yield f"data: {json.dumps({'error': {'message': str(e), 'type': e.code}})}\n\n"
                yield "data: [DONE]\n\n"
                return
            except Exception:
                log.exception("chat stream failed")
                yield f"data: {json.dumps({'error': {'message': 'unexpected server error', 'type': 'internal_error'}})}\n\n"
                yield "data: [DONE]\n\n"
                return
            tail = self._sources_text(parts.response)
            if tail:
                content += tail
                yield text(tail)
            extra = self._extra(parts.response)
        yield chunk([ChunkChoice(index=0, delta=ChoiceDelta(), finish_reason="stop")], **extra)
        if req.stream_options is not None and req.stream_options.include_usage:
            yield chunk([], usage=self.usage(req, content))  # what Open WebUI asks for
        yield "data: [DONE]\n\n"
