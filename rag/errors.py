"""Domain errors. `api/errors.py` and `rag/cli.py` translate them at the edges, once each."""

from __future__ import annotations


class RagError(Exception):
    """Base of every error this library raises on purpose.

    `loc` names the offending field (as a path, e.g. ["body", "filters", "doc_ids"]) so the
    edges can say which field is wrong without parsing the message."""

    code = "rag_error"

    def __init__(self, message: str, loc: list[str | int] | None = None):
        super().__init__(message)
        self.message = message
        self.loc = loc


class DocumentNotFound(RagError):
    code = "document_not_found"


class CollectionNotFound(DocumentNotFound):
    """An archive that does not exist, or was deleted (through any node) while it was open here."""

    code = "collection_not_found"


class EmbedderMismatch(RagError):
    code = "embedder_mismatch"


class StoreUnavailable(RagError):
    code = "store_unavailable"


class LLMUnavailable(RagError):
    code = "llm_unavailable"


class InvalidDocument(RagError):
    code = "invalid_document"


class InvalidRequest(RagError):
    code = "invalid_request"


class IndexUnavailable(RagError):
    """This node cannot bring its own derived data (lexical index, embedding rows) up to date,
    typically because its disk is full. Not the store's fault: other nodes keep serving, and this
    one recovers by itself once it can write again."""

    code = "index_unavailable"
