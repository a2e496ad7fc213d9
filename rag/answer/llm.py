"""Answers from any OpenAI-compatible chat endpoint, post-checked before anyone sees them.

Markers must point at passages that were given; every sentence must be supported by a
passage it cites. Unsupported sentences are dropped (with a warning), and any upstream
failure raises LLMUnavailable so the pipeline can fall back to the extractive answerer.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, cast

from rag.answer import abstention
from rag.answer.citations import CitationChecker
from rag.answer.prompts import (
    ABSTAIN_TOKEN,
    ANSWER_SYSTEM,
    ANSWER_USER,
    PASSAGE,
    escape_attr,
    escape_data,
)
from rag.answer.render import Claim, Draft, split_cited
from rag.errors import LLMUnavailable
from rag.models import Passage
from rag.settings import Settings

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletionMessageParam

_OPEN_MARKER = re.compile(r"\s*\[\d*$")  # a marker still being written: "said. [1"


def build_messages(question: str, passages: list[Passage], max_sentences: int) -> list[dict[str, str]]:
    blocks = "\n\n".join(
        PASSAGE.substitute(
            n=i,
            source=escape_attr(p.source or "unknown"),
            published=p.published.isoformat() if p.published else "unknown",
            title=escape_attr(p.title),
            text=escape_data(p.text),
        )
        for i, p in enumerate(passages, 1)
    )
    return [
        {"role": "system", "content": ANSWER_SYSTEM.substitute(abstain=ABSTAIN_TOKEN, max_sentences=max_sentences)},
        {"role": "user", "content": ANSWER_USER.substitute(passages=blocks, question=question)},
    ]


class OpenAIAnswerer:
    name = "openai"

    def __init__(self, settings: Settings, checker: CitationChecker):
        from openai import OpenAI

        self._settings = settings
        self._checker = checker
        self._client = OpenAI(
            api_key=settings.openai_api_key or "not-needed",
            base_url=settings.openai_base_url or None,
            timeout=settings.llm_timeout_s,
            max_retries=0,
        )

    @property
    def model(self) -> str:
        return self._settings.llm_model

    def stream_text(self, messages: list[dict[str, str]]) -> Iterator[str]:
        """The model's text as it arrives (in one piece when `llm_stream` is off)."""
        import httpx
        from openai import OpenAIError

        s = self._settings
        try:
            if s.llm_stream:
                stream = self._client.chat.completions.create(
                    model=s.llm_model,
                    messages=cast("list[ChatCompletionMessageParam]", messages),
                    temperature=0,
                    max_tokens=s.llm_max_tokens,
                    stream=True,
                )
                for c in stream:
                    if c.choices and c.choices[0].delta.content:
                        yield c.choices[0].delta.content
                return
            resp = self._client.chat.completions.create(
                model=s.llm_model,
                messages=cast("list[ChatCompletionMessageParam]", messages),
                temperature=0,
                max_tokens=s.llm_max_tokens,
            )
            yield resp.choices[0].message.content or ""
        except OpenAIError as e:
            raise LLMUnavailable(f"{type(e).__name__}: {e}") from e
        except httpx.HTTPError as e:  # the SDK wraps only the request: a stream's read timeout is httpx's own
            raise LLMUnavailable(f"the LLM stream broke off: {type(e).__name__}: {e}") from e
        except (IndexError, AttributeError, ValueError) as e:
            raise LLMUnavailable(f"malformed response from the LLM endpoint: {e}") from e

    def complete(self, messages: list[dict[str, str]]) -> str:
        return "".join(self.stream_text(messages))

    def answer_stream(self, question: str, passages: list[Passage]) -> Generator[Claim, None, Draft]:
        """Each supported sentence as soon as the model has finished it (a sentence is finished
        once the next one begins, or the reply ends); returns the draft of all of them."""
        if not passages:
            return abstention.no_candidates()
        draft = Draft()
        text, judged = "", 0
        for piece in self.stream_text(build_messages(question, passages, self._settings.max_answer_sentences)):
            text += piece
            sentences = split_cited(_OPEN_MARKER.sub("", text))
            for sentence, numbers in sentences[judged:-1]:
                if (claim := self._checked(sentence, numbers, passages, draft)) is not None:
                    yield claim
            judged = max(judged, len(sentences) - 1)
        if not text.strip():
            raise LLMUnavailable("the LLM returned an empty answer")
        for sentence, numbers in split_cited(text)[judged:]:
            if (claim := self._checked(sentence, numbers, passages, draft)) is not None:
                yield claim
        if not draft.claims:
            declined = abstention.llm_declined(text)
            if declined is not None:
                return declined
            raise LLMUnavailable("no sentence of the LLM answer was supported by the passages")
        return draft

    def _checked(self, sentence: str, numbers: list[int], passages: list[Passage], draft: Draft) -> Claim | None:
        """The sentence with the cited passages that support it, added to `draft`; None (and a
        warning) when none does. Markers to passages that were not given are removed."""
        valid = []
        for n in dict.fromkeys(numbers):
            if 1 <= n <= len(passages):
                valid.append(n)
            else:
                draft.warnings.append(f"removed citation [{n}]: no such passage was given")
        claim = Claim(sentence)
        for sup in self._checker.check_many([(sentence, passages[n - 1]) for n in valid]):
            if sup.supported:
                claim.supports.append(sup)
        if not claim.supports:
            if not abstention.llm_declined(sentence):
                draft.warnings.append(f"dropped a sentence no cited passage supports: {sentence!r}")
            return None
        draft.claims.append(claim)
        return claim
