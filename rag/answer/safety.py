"""Article text is data: what reaches a chat client as answer text must not become live markup.

Chat frontends render assistant content as Markdown (and some as HTML). A sentence quoted from
an article may carry an image (a tracking pixel), a link, an HTML tag, a `javascript:` URL or a
bracketed number that looks like one of our citation markers. `neutralise` keeps the words and
drops the markup. The structured citation fields (`quote`, `text`) stay verbatim: clients show
them as text, and `document.text[start:end] == quote` must keep holding.
"""

from __future__ import annotations

import re
import unicodedata

_MD_IMAGE = re.compile(r"!\[([^\]\n]*)\]\s*(?:\([^)\n]*\)|\[[^\]\n]*\])")
_MD_LINK = re.compile(r"\[([^\]\n]+)\]\s*(?:\([^)\n]*\)|\[[^\]\n]*\])")
_MD_REF = re.compile(r"^\s*\[[^\]\n]+\]:\s*\S+.*$", re.M)
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<[!?][^<>]*>")
_AUTOLINK = re.compile(r"<[A-Za-z][A-Za-z0-9+.\-]*:[^<>\s]*>")
_UNSAFE_SCHEME = re.compile(r"\b(?:javascript|vbscript|data|file)\s*:", re.I)
_FAKE_MARKER = re.compile(r"\[(\s*\d+\s*)\]")


def neutralise(text: str) -> str:
    """Words of `text` without live markup, unsafe URL schemes or citation-like markers."""
    text = _HTML_COMMENT.sub(" ", text)
    # Markers first: `[1][2][3]` read as a reference-style link `[1][2]` became "1(3)".
    text = _FAKE_MARKER.sub(lambda m: f"({m.group(1).strip()})", text)
    text = _MD_IMAGE.sub(lambda m: m.group(1), text)
    text = _MD_LINK.sub(lambda m: m.group(1), text)
    text = _MD_REF.sub(" ", text)
    text = _AUTOLINK.sub(" ", text)
    text = _HTML_TAG.sub(" ", text)
    text = text.replace("<", "‹").replace(">", "›")  # what is left of an unclosed tag stays inert
    text = _UNSAFE_SCHEME.sub("", text)
    return " ".join(text.split())


def safe_link(url: str | None) -> str | None:
    """An http(s) URL, or nothing (stores written before URLs were checked may hold others). A URL
    with a control or format character (U+202E and the other bidi controls, zero-width marks) is
    no link: shown, it reads as another address than it leads to."""
    if not url or not re.match(r"^https?://[^\s<>\"']+$", url, re.I):
        return None
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in url):
        return None
    return url
