"""Turn files and records into `Document`s: title, body text, outlet, date, url/path.

The body text is what chunk and quote offsets index, so parsers never rewrite it beyond
stripping header blocks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import ValidationError

from rag.errors import InvalidDocument
from rag.ingest import html_text
from rag.ingest.dates import leading_date, parse_date
from rag.json_depth import describe, too_deep
from rag.models import Document
from rag.nlp.text import split_sentences

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text", ".news"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
JSON_SUFFIXES = frozenset({".json"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
FEED_SUFFIXES = frozenset({".xml", ".rss", ".atom"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | JSONL_SUFFIXES | JSON_SUFFIXES | HTML_SUFFIXES | FEED_SUFFIXES

_HEADER_FIELD = re.compile(r"^(?P<key>[A-Z][A-Za-z ]{1,30}?)(?: \d+)?:\s?(?P<value>.*)$")
_DATE_PREFIX = re.compile(r"^\s*date\s+(?P<date>\d{4}-\d{2}-\d{2})\s+(?P<rest>.*)$")
# "BEIJING, Nov. 1 (Xinhua) --", "WIMBLEDON, England (AP) —"
_DATELINE_PAREN = re.compile(
    r"^(?P<place>[A-Z][A-Z .'\-]+(?:, [A-Z][\w.]*(?: \d{1,2})?(?:, \d{4})?)?) \((?P<source>[A-Za-z][A-Za-z .&\-]{0,30})\) ?(?:--|—|–|-)\s*"
)
# "BEIJING, November 1. /TASS/."
_DATELINE_SLASH = re.compile(
    r"^(?P<place>[A-Z][A-Z .'\-]+, [A-Z][a-z]+\.? \d{1,2})\. /(?P<source>[A-Za-z][A-Za-z .&\-]{0,30})/\.\s*"
)
_NOT_FOUND = re.compile(r"not (found|available)|unknown|^n/?a$", re.I)
_DOC_ID = re.compile(r"[^A-Za-z0-9_.\-]+")
_OUTLET_NAMES = {"ap": "AP", "afp": "AFP", "upi": "UPI", "tass": "TASS", "cnn": "CNN", "bbc": "BBC"}


@dataclass(frozen=True)
class ParseLimits:
    """Budgets one input is parsed under (RAG_MAX_HTML_BYTES, RAG_MAX_JSON_DEPTH)."""

    max_html_bytes: int = 5_000_000
    max_json_depth: int = 32


@dataclass(frozen=True)
class RecordError:
    """A record inside a multi-record file that could not be parsed."""

    input: str
    reason: str


DOC_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,120}$")
# Characters that print nothing: C0 controls (but tab and newlines), DEL, zero-width and
# directional marks, the BOM and the soft hyphen. Text made only of these (and spaces) is blank.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
# The host part: no whitespace and no control character (C0, DEL, C1). Spelled out because "\s"
# means more in Python than in the JSON Schema (ECMA) pattern of api/schemas.py, which says the same.
SAFE_URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s\x00-\x1f\x7f-\x9f/?#]+"
_SAFE_URL = re.compile(SAFE_URL_PATTERN)


def make_doc_id(value: str) -> str:
    """A stable, URL-safe id from a file stem. A stem that is already a valid id is kept; any
    other is cleaned and suffixed with a hash of the original, so `a b` and `a-b` never collide."""
    value = value.strip()
    if DOC_ID.fullmatch(value):
        return value
    cleaned = _DOC_ID.sub("-", value).strip("-.")[:100]
    digest = hashlib.sha1(value.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{cleaned}-{digest}" if cleaned else digest


def file_doc_id(name: str) -> str:
    """The id of a file's document from its path relative to the folder it was found in (or an
    upload's file name). A file at the top keeps its stem (`000_c52a582f011e3939.txt` ->
    `000_c52a582f011e3939`, ids of flat folders stay as they were); a nested one keeps its whole
    relative path, suffix included, so `2023/report.txt`, `2024/report.txt` and `2024/report.md`
    are three documents."""
    rel = PurePosixPath(name.replace("\\", "/"))
    parts = [p for p in rel.parts if p not in ("", ".", "/")]
    if len(parts) <= 1:
        return make_doc_id(Path(name).stem)
    return make_doc_id("/".join(parts))


def content_id(title: str, text: str) -> str:
    return hashlib.sha1(f"{title}\n{text}".encode("utf-8", "surrogatepass")).hexdigest()[:16]


def is_blank(text: str) -> bool:
    """True when nothing visible is left once invisible characters are removed."""
    return not _INVISIBLE.sub("", text).strip()


def clean_text(text: str) -> str:
    """Body text as stored: newlines normalised, NUL bytes dropped (SQLite and clients choke on them)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def safe_url(url: str | None, where: str) -> str | None:
    """Only http(s) URLs are stored: a `javascript:` or `data:` URL from an article must never
    reach a client as a link."""
    if url is None or not url.strip():
        return None
    if not _SAFE_URL.match(url.strip()):
        raise InvalidDocument("field 'url' must be an http(s) URL", loc=["url"])
    return url.strip()


def _outlet(name: str) -> str:
    name = name.strip().strip("/").strip()
    return _OUTLET_NAMES.get(name.lower(), name)


def _headline_from_lead(lead: str) -> str:
    """A title for an article that has none: its lead sentence, cut before the attribution."""
    sentences = split_sentences(lead)
    first = sentences[0].text if sentences else lead.strip()
    if len(first) <= 120:
        return first.rstrip(".")
    cut = first.rfind(", ", 0, 120)
    if cut >= 40:
        return first[:cut]
    return first[:117].rsplit(" ", 1)[0] + "…"


def _dateline(body: str) -> tuple[str | None, int]:
    """The outlet named in an opening dateline, and where the dateline ends."""
    head = body.lstrip()
    skipped = len(body) - len(head)
    for rx in (_DATELINE_PAREN, _DATELINE_SLASH):
        m = rx.match(head)
        if m:
            return _outlet(m["source"]), skipped + m.end()
    return None, 0


def _signature(body: str) -> str | None:
    """A short outlet signature at the very end ('...the minister said.Global Times')."""
    sentences = split_sentences(body)
    if len(sentences) < 2:
        return None
    last = sentences[-1].text
    wordlist = last.split()
    if 1 <= len(wordlist) <= 4 and last[-1].isalnum() and all(w[0].isupper() for w in wordlist):
        return last
    return None


def _body_date(body: str) -> dt.date | None:
    paragraphs = [p for p in body.split("\n") if p.strip()][:6]
    for p in paragraphs:
        d = leading_date(p)
        if d:
            return d
    for p in paragraphs[:3]:
        d = parse_date(p)
        if d:
            return d
    return None


def parse_news_text(text: str, name: str, path: str | None = None) -> Document:
    """Plain-text / Markdown news article in any of the three header styles we meet."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    title: str | None = None
    published: dt.date | None = None
    source: str | None = None
    categories: list[str] = []
    body = text

    first_idx = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first_idx is None:
        raise InvalidDocument("empty document")
    first = lines[first_idx]

    header: dict[str, str] = {}
    if _HEADER_FIELD.match(first) and not _DATE_PREFIX.match(first):
        # Style 1: "Published Time: / Title: / Category 1: ... / Author: / Text:" block.
        body_start = None
        offset = 0
        for line in lines:
            offset += len(line) + 1
            m = _HEADER_FIELD.match(line)
            if not m:
                if line.strip():
                    break
                continue
            key = m["key"].strip().lower()
            if key == "text":
                body_start = offset - len(line) - 1 + m.start("value")
                break
            if key == "category":
                categories += [c.split(":", 1)[-1].strip() for c in line.split(";") if c.split(":", 1)[-1].strip()]
            else:
                header.setdefault(key, m["value"].strip())
        if body_start is not None and header:
            body = text[body_start:]
            title = header.get("title")
            published = parse_date(header.get("published time") or header.get("published") or header.get("date"))
            for key in ("source", "publisher", "author"):
                value = header.get(key)
                if value and not _NOT_FOUND.search(value):
                    source = _outlet(value)
                    break
    elif m := _DATE_PREFIX.match(first):
        # Style 2: " date YYYY-MM-DD Title" (the "title" may really be a dateline + lead).
        published = parse_date(m["date"])
        rest = m["rest"]
        outlet, _ = _dateline(rest)
        if outlet:
            # No headline: the line is the article's opening. Keep it in the body.
            start = text.index(rest, text.index(first))
            body = text[start:]
        else:
            title = rest.strip()
            body = "\n".join(lines[first_idx + 1 :])
    else:
        # Style 3: a bare title line (or "# Title"), the date somewhere in the body.
        candidate = first.strip().lstrip("#").strip()
        rest = "\n".join(lines[first_idx + 1 :])
        looks_like_title = len(candidate) <= 200 and not candidate.endswith((".", "?", "!"))
        if rest.strip() and (looks_like_title or first.lstrip().startswith("#")):
            title = candidate
            body = rest
        # else: a one-paragraph note has no headline; it is all body, titled below.

    body = body.strip("\n")
    if not body.strip():
        raise InvalidDocument("document has a header but no body text")
    outlet, _ = _dateline(body)
    source = source or outlet or _signature(body)
    published = published or _body_date(body)
    if not title:
        lead = body[_dateline(body)[1] :]
        title = _headline_from_lead(lead.lstrip().lstrip("#").strip()) or Path(name).stem or "Untitled"
    return Document(
        doc_id=make_doc_id(name),
        title=title,
        text=body,
        source=source,
        published=published,
        path=path,
        categories=categories,
    )


def parse_html(html: str, name: str, path: str | None = None) -> Document:
    """A saved article page, through trafilatura: the main text without navigation, cookie
    banners, share buttons or related-story boxes; title, date (htmldate), site name as outlet,
    author and canonical URL from the page's metadata."""
    import trafilatura

    html_text.install()  # trafilatura's unwrapping made extraction quadratic in the page size
    extracted = trafilatura.bare_extraction(
        html, with_metadata=True, include_comments=False, include_tables=False, favor_precision=True
    )
    meta: dict[str, Any] = {}
    if extracted is not None:
        meta = extracted if isinstance(extracted, dict) else extracted.as_dict()
    text = str(meta.get("text") or "")
    title = str(meta.get("title") or "").strip() or None
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if title and lines and lines[0] == title:
        lines = lines[1:]  # the headline is the title, not the body
    text = clean_text("\n\n".join(lines))
    if is_blank(text):
        raise InvalidDocument("HTML has no readable article text")
    outlet, _ = _dateline(text)
    url = str(meta.get("url") or "").strip() or None
    return Document(
        doc_id=make_doc_id(name),
        title=title or _headline_from_lead(text),
        text=text,
        source=str(meta.get("sitename") or "").strip() or outlet,
        published=parse_date(str(meta.get("date") or "")) or _body_date(text),
        url=url if url and _SAFE_URL.match(url) else None,
        path=path,
        categories=[c for c in str(meta.get("categories") or "").split(";") if c.strip()],
    )


def _fragment_text(fragment: str) -> str:
    """A feed entry's HTML content as text, one paragraph a block (trafilatura wants whole pages)."""
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (ValueError, lxml.etree.ParserError):
        return ""
    for bad in root.xpath("//script|//style|//iframe|//noscript"):
        bad.drop_tree()
    blocks = [" ".join(b.text_content().split()) for b in root.xpath("//p|//li|//h1|//h2|//h3|//h4|//blockquote")]
    blocks = [b for b in blocks if b]
    return "\n\n".join(blocks) if blocks else " ".join(root.text_content().split())


def _entry_key(entry: Any, text: str) -> str:
    """What identifies a feed entry: its guid / Atom id, else its link, title and date together
    (items that share a `<link>`, a section page, stay distinct), else its text."""
    guid = str(entry.get("id") or "").strip()
    if guid:
        return guid
    parts = [str(entry.get(k) or "").strip() for k in ("link", "title", "published", "updated")]
    return "\n".join(parts) if any(parts) else text[:2000]


def parse_feed(raw: str, name: str, base_id: str | None = None) -> Iterator[Document | RecordError]:
    """An RSS or Atom feed file: one article per entry, with its full content when the feed
    carries it (else its summary), its link and date, and the feed's title as outlet."""
    import feedparser

    feed = feedparser.parse(raw)
    if not feed.entries:
        reason = f"not a readable feed ({feed.bozo_exception})" if feed.bozo else "the feed has no entries"
        yield RecordError(name, reason)
        return
    outlet = str(feed.feed.get("title") or "").strip() or None
    prefix = base_id or make_doc_id(Path(name).stem)
    for i, entry in enumerate(feed.entries):
        where = f"{name}#{i + 1}"
        content = [c.get("value", "") for c in entry.get("content", []) if c.get("value")]
        body_html = max(content, key=len) if content else str(entry.get("summary") or "")
        text = clean_text(_fragment_text(body_html) if "<" in body_html else body_html).strip()
        if is_blank(text):
            yield RecordError(where, "entry has no content or summary")
            continue
        link = str(entry.get("link") or "").strip()
        key = _entry_key(entry, text)
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        title = " ".join(str(entry.get("title") or "").split())
        yield Document(
            doc_id=f"{prefix}-{hashlib.sha1(key.encode('utf-8', 'surrogatepass')).hexdigest()[:12]}",
            title=title or _headline_from_lead(text),
            text=text,
            source=outlet,
            published=dt.date(*stamp[:3]) if stamp else _body_date(text),
            url=link if _SAFE_URL.match(link) else None,
            path=name,
            categories=[str(t.get("term")) for t in entry.get("tags", []) if t.get("term")],
        )


def _optional_str(record: dict[str, Any], key: str, where: str) -> str | None:
    value = record.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidDocument(f"field '{key}' must be a string, got {type(value).__name__}", loc=[key])
    return value


def parse_record(record: Any, where: str) -> Document:
    """A JSON record `{doc_id?, title, text, source?, published?, url?, categories?}`. Each field
    is type-checked here, so one bad record is one failure with its reason, never a lost batch."""
    if not isinstance(record, dict):
        raise InvalidDocument(f"expected a JSON object, got {type(record).__name__}")
    text = _optional_str(record, "text", where)
    if text is None or is_blank(text):
        raise InvalidDocument("field 'text' is missing or has no visible characters", loc=["text"])
    text = clean_text(text).strip("\n")
    title = _optional_str(record, "title", where)
    title = " ".join(title.split()) if title and not is_blank(title) else None
    raw_id = record.get("doc_id", record.get("id"))
    if raw_id is not None and not (isinstance(raw_id, int) and not isinstance(raw_id, bool)):
        raw_id = _optional_str(record, "doc_id" if "doc_id" in record else "id", where)
    if raw_id is not None and not DOC_ID.fullmatch(str(raw_id)):
        raise InvalidDocument(
            f"field 'doc_id' {str(raw_id)[:40]!r} must be 1-120 letters, digits, '_', '.' or '-'",
            loc=["doc_id"],
        )
    doc_id = str(raw_id) if raw_id is not None else content_id(title or "", text)
    outlet, start = _dateline(text)
    source = _optional_str(record, "source", where)
    categories = record.get("categories") or []
    if isinstance(categories, str):
        categories = [categories]
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        raise InvalidDocument("field 'categories' must be a list of strings", loc=["categories"])
    date_key = "published" if record.get("published") is not None else "date"
    published_raw = _optional_str(record, date_key, where)
    try:
        return Document(
            doc_id=doc_id,
            title=title or _headline_from_lead(text[start:]),
            text=text,
            source=source.strip() or None if source else outlet,
            published=parse_date(published_raw) if published_raw else _body_date(text),
            url=safe_url(_optional_str(record, "url", where), where),
            path=_optional_str(record, "path", where) or None,
            categories=[c for c in categories if c.strip()],
        )
    except ValidationError as e:  # a last guard: never let one record escape as a crash
        first = e.errors()[0]
        field = ".".join(str(x) for x in first.get("loc", ()))
        raise InvalidDocument(f"field '{field}': {first.get('msg')}", loc=[field]) from None


def _too_deep_reason(text: str, limit: int, root: str = "") -> str | None:
    path = too_deep(text, limit)
    if path is None:
        return None
    return f"field '{describe(path, root)}': JSON nested deeper than {limit} levels (RAG_MAX_JSON_DEPTH)"


def parse_records_text(
    raw: str, name: str, jsonl: bool, limits: ParseLimits | None = None
) -> Iterator[Document | RecordError]:
    """A JSONL file is judged line by line (a bad line fails alone); a JSON file as a whole."""
    limits = limits or ParseLimits()
    if jsonl:
        for lineno, line in enumerate(raw.splitlines(), 1):
            if not line.strip():
                continue
            where = f"{name}:{lineno}"
            if reason := _too_deep_reason(line, limits.max_json_depth):
                yield RecordError(where, reason)
                continue
            try:
                yield parse_record(json.loads(line), where)
            except json.JSONDecodeError as e:
                yield RecordError(where, f"malformed JSON: {e.msg} at column {e.colno}")
            except InvalidDocument as e:
                yield RecordError(where, str(e))
        return
    if reason := _too_deep_reason(raw, limits.max_json_depth):
        yield RecordError(name, reason)
        return
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as e:
        yield RecordError(name, f"malformed JSON: {e.msg} at line {e.lineno} column {e.colno}")
        return
    records = data if isinstance(data, list) else [data]
    for i, record in enumerate(records):
        where = f"{name}[{i}]" if isinstance(data, list) else name
        try:
            yield parse_record(record, where)
        except InvalidDocument as e:
            yield RecordError(where, str(e))


def decode_bytes(raw: bytes) -> str:
    """UTF-8 text or a clear reason why not."""
    if not raw.strip():
        raise InvalidDocument("empty file")
    if b"\x00" in raw[:8192]:
        raise InvalidDocument("binary file (contains NUL bytes)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InvalidDocument(f"not valid UTF-8 text (bad byte at offset {e.start})") from None


def parse_bytes(
    raw: bytes, filename: str, path: str | None = None, limits: ParseLimits | None = None
) -> Iterator[Document | RecordError]:
    """Dispatch on the file name's suffix; text is the default. `filename` is the file's path
    relative to the folder it was found in (or an upload's name): it gives the id (`file_doc_id`)."""
    limits = limits or ParseLimits()
    suffix = Path(filename).suffix.lower()
    text = decode_bytes(raw)
    if is_blank(text):
        raise InvalidDocument("no visible text (only whitespace, control or zero-width characters)")
    base_id = file_doc_id(filename)
    if suffix in JSONL_SUFFIXES or suffix in JSON_SUFFIXES:
        yield from parse_records_text(text, filename, jsonl=suffix in JSONL_SUFFIXES, limits=limits)
    elif suffix in FEED_SUFFIXES:
        yield from parse_feed(text, filename, base_id)
    elif suffix in HTML_SUFFIXES or text.lstrip()[:15].lower().startswith(("<!doctype html", "<html")):
        if len(raw) > limits.max_html_bytes:
            raise InvalidDocument(
                f"HTML page too large to extract ({len(raw)} bytes > {limits.max_html_bytes}, RAG_MAX_HTML_BYTES)"
            )
        yield parse_html(text, base_id, path)
    else:
        yield parse_news_text(text, base_id, path)
