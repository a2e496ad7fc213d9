"""Answers from any OpenAI-compatible chat endpoint, post-checked before anyone sees them.

Markers must point at passages that were given; every sentence must be supported by a
passage it cites. Unsupported sentences are dropped (with a warning), and any upstream
failure raises LLMUnavailable so the pipeline can fall back to the extractive answerer.
"""

from __future__ import annotations

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

    def complete(self, messages: list[dict[str, str]]) -> str:
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
                parts = [c.choices[0].delta.content or "" for c in stream if c.choices]
                return "".join(parts)
            resp = self._client.chat.completions.create(
                model=s.llm_model,
                messages=cast("list[ChatCompletionMessageParam]", messages),
                temperature=0,
                max_tokens=s.llm_max_tokens,
            )
            return resp.choices[0].message.content or ""
        except OpenAIError as e:
            raise LLMUnavailable(f"{type(e).__name__}: {e}") from e
        except (IndexError, AttributeError, ValueError) as e:
            raise LLMUnavailable(f"malformed response from the LLM endpoint: {e}") from e

    def answer(self, question: str, passages: list[Passage]) -> Draft:
        if not passages:
            return abstention.no_candidates()
        text = self.complete(build_messages(question, passages, self._settings.max_answer_sentences))
        if not text.strip():
            raise LLMUnavailable("the LLM returned an empty answer")
        declined = abstention.llm_declined(text)
        if declined is not None:
            return declined
        draft = Draft()
        pairs: list[tuple[int, str, Passage]] = []
        for idx, (sentence, numbers) in enumerate(split_cited(text)):
            valid = []
            for n in dict.fromkeys(numbers):
                if 1 <= n <= len(passages):
                    valid.append(n)
                else:
                    draft.warnings.append(f"removed citation [{n}]: no such passage was given")
            draft.claims.append(Claim(sentence))
            pairs += [(idx, sentence, passages[n - 1]) for n in valid]
        supports = self._checker.check_many([(s, p) for _, s, p in pairs])
        for (idx, _, _), sup in zip(pairs, supports, strict=True):
            if sup.supported:
                draft.claims[idx].supports.append(sup)
        kept = []
        for claim in draft.claims:
            if claim.supports:
                kept.append(claim)
            else:
                draft.warnings.append(f"dropped a sentence no cited passage supports: {claim.text!r}")
        draft.claims = kept
        if not kept:
            raise LLMUnavailable("no sentence of the LLM answer was supported by the passages")
        return draft
