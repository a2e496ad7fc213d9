"""Citations in the forms chat clients render: Open WebUI `source` events and OpenAI
`url_citation` annotations.

Open WebUI shows a `source` event as a citation chip and numbers the `[n]` markers of the text
by the n-th distinct `metadata.source`, so each citation gets its own id. It cuts names at about
30 characters ("Xinhua · 2023-11-02" fits), shows an `http(s)` id as the name, and renders the
passage as Markdown: passage text is article data, so its markup is neutralised and escaped, and
only the cited quote is marked (bold).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from rag.answer.safety import neutralise, safe_link
from rag.models import Citation

NAME_CHARS = 30
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-!|~>])")

DocumentUrl = Callable[[str], str]


def short_name(c: Citation) -> str:
    """'Xinhua · 2023-11-02': the outlet (cut to fit) and the day."""
    date = c.published.isoformat() if c.published else "undated"
    room = NAME_CHARS - len(date) - 3
    outlet = neutralise(c.source or "Unknown outlet")
    if len(outlet) > room:
        outlet = outlet[: room - 1].rstrip() + "…"
    return f"{outlet} · {date}"


def _markdown_text(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", neutralise(text))


def passage_markdown(c: Citation) -> str:
    """The title, then the passage with the cited quote in bold; nothing in it is live markup."""
    at = c.text.find(c.quote) if c.quote else -1
    if at < 0:
        body = f"**{_markdown_text(c.quote)}**\n\n{_markdown_text(c.text)}" if c.quote else _markdown_text(c.text)
    else:
        before, after = c.text[:at], c.text[at + len(c.quote) :]
        body = " ".join(
            p for p in (_markdown_text(before), f"**{_markdown_text(c.quote)}**", _markdown_text(after)) if p
        )
    return f"{_markdown_text(c.title)}\n\n{body}"


def link_for(c: Citation, document_url: DocumentUrl) -> str:
    """The article's own URL, else the service's copy of the document."""
    return safe_link(c.url) or document_url(c.doc_id)


def source_event(c: Citation, document_url: DocumentUrl) -> dict[str, Any]:
    """One citation as Open WebUI's `source` event (the `event` of a stream chunk)."""
    name, url = short_name(c), link_for(c, document_url)
    return {
        "type": "source",
        "data": {
            "source": {"id": f"newsrag-{c.n}", "name": name, "url": url},
            "document": [passage_markdown(c)],
            "metadata": [
                {
                    "source": f"newsrag:{c.doc_id}:{c.start}-{c.end}",
                    "name": name,
                    "url": url,
                    "title": neutralise(c.title),
                    "published": c.published.isoformat() if c.published else None,
                }
            ],
        },
    }


def url_citation(c: Citation, document_url: DocumentUrl, start: int, end: int) -> dict[str, Any]:
    """One citation as an OpenAI `url_citation` annotation over content[start:end] (its sentence)."""
    return {
        "type": "url_citation",
        "url_citation": {
            "url": link_for(c, document_url),
            "title": f"{neutralise(c.title)} ({short_name(c)})",
            "start_index": start,
            "end_index": end,
        },
    }
