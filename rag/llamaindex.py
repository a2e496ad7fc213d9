"""A llama-index `BaseRetriever` over a pipeline, for llama-index query engines and postprocessors.

Imported only by callers who want it: llama-index takes seconds to import, which the service's
own start path does not pay.

    from rag.llamaindex import NewsRetriever
    retriever = NewsRetriever(pipeline, top_k=6)
    nodes = retriever.retrieve("What did Oman say?")
"""

from __future__ import annotations

import datetime as dt

from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from rag.models import Filters
from rag.pipeline import RagPipeline


class NewsRetriever(BaseRetriever):
    """`pipeline.search` (spelling repair, time phrases, as_of, recency prior, hybrid fusion) as
    llama-index nodes; each node's metadata holds the passage's citation fields."""

    def __init__(
        self,
        pipeline: RagPipeline,
        top_k: int | None = None,
        filters: Filters | None = None,
        as_of: dt.date | None = None,
    ):
        super().__init__()
        self._pipeline, self._top_k, self._filters, self._as_of = pipeline, top_k, filters, as_of

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        result = self._pipeline.search(query_bundle.query_str, self._top_k, self._filters, self._as_of)
        return [
            NodeWithScore(
                node=TextNode(
                    id_=p.chunk_id, text=p.text, metadata=p.model_dump(mode="json", exclude={"text", "chunk_id"})
                ),
                score=p.score,
            )
            for p in result.passages
        ]
