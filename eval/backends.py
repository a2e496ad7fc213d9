"""Where the answers come from: the library in this process, or a running server (eval/server.py).

Both give the runner the same thing per question (`Answered`), so metrics, reports, compare and
the gate are computed the same way whichever answered.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eval.gold import GoldItem
from rag.models import AskResponse

if TYPE_CHECKING:
    from rag.pipeline import RagPipeline


@dataclass
class Answered:
    """One question's response, the articles of the passages it was made from (in order), its
    short answer (the response's `short_answer` field, or None) and the client-side wall time."""

    response: AskResponse
    ranked_docs: list[str]
    short_answer: dict[str, Any] | None = None
    wall_ms: float | None = None


def short_answer_of(value: Any) -> dict[str, Any] | None:
    """`short_answer` as a plain dict, from a model, a dict or nothing (a server without it)."""
    if value is None:
        return None
    if hasattr(value, "model_dump"):
        dumped: dict[str, Any] = value.model_dump(mode="json")
        return dumped
    return dict(value) if isinstance(value, dict) else None


class Backend(ABC):
    """Answers gold questions; `scorer` holds the checker and embedder the scoring runs locally."""

    scorer: Any

    def __init__(self) -> None:
        self._texts: dict[str, str | None] = {}
        self._lock = threading.Lock()

    @abstractmethod
    def ask(self, item: GoldItem, answerer: str | None = None, top_k: int | None = None) -> Answered: ...

    @abstractmethod
    def _fetch_text(self, doc_id: str) -> str | None: ...

    def document_text(self, doc_id: str) -> str | None:
        """An article's text, read once per run (answer-bearing articles are found in it)."""
        with self._lock:
            if doc_id in self._texts:
                return self._texts[doc_id]
        text = self._fetch_text(doc_id)
        with self._lock:
            self._texts[doc_id] = text
        return text


class InProcess(Backend):
    def __init__(self, pipeline: RagPipeline):
        super().__init__()
        self.pipeline = pipeline
        self.scorer = pipeline

    def ask(self, item: GoldItem, answerer: str | None = None, top_k: int | None = None) -> Answered:
        resp = self.pipeline.ask(
            item.question, top_k=top_k, filters=item.filters, answerer=answerer, as_of=item.as_of_date()
        )
        ranked = list(dict.fromkeys(p.doc_id for p in resp.passages))
        return Answered(resp, ranked, short_answer_of(getattr(resp, "short_answer", None)))

    def _fetch_text(self, doc_id: str) -> str | None:
        from rag.errors import RagError

        try:
            return str(self.pipeline.get_document(doc_id).text)
        except RagError:
            return None
