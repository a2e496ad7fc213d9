from __future__ import annotations

import datetime as dt
import json

import pytest

from rag.errors import InvalidDocument
from rag.ingest.parsers import RecordError, parse_bytes
from rag.nlp.text import split_sentences
from tests.conftest import SEEDS

EXPECTED = {
    "000_c52a582f011e3939": (
        "China backs an international peace conference to push the Palestinian issue back to the track of two-state solution: top diplomat",
        dt.date(2023, 11, 2),
        "Global Times",
    ),
    "001_27f4805873241f1d": (
        "Chinese, Omani FMs discuss Israeli-Palestinian conflict over phone",
        dt.date(2023, 11, 2),
        "Xinhua",
    ),
    "002_ccaf567ea2104754": (
        "China Urges Ceasefire Between Palestine and Israel, Calls for International Support",
        dt.date(2023, 10, 10),
        None,
    ),
    "003_7b0557956f3372bd": (
        "Beijing has urged the international community to convene a credible international conference on Palestine",
        dt.date(2023, 11, 1),
        "TASS",
    ),
    "004_ab5f22e0f36654c7": (
        "China leads diplomatic push for immediate ceasefire in the Gaza strip",
        dt.date(2023, 11, 21),
        None,
    ),
}


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_seed_metadata(stem: str) -> None:
    path = SEEDS / f"{stem}.txt"
    [doc] = list(parse_bytes(path.read_bytes(), path.name, path.name))
    title, published, source = EXPECTED[stem]
    assert (doc.doc_id, doc.title, doc.published, doc.source) == (stem, title, published, source)
    assert doc.path == path.name
    assert "Published Time:" not in doc.text and not doc.text.startswith(" date")


def test_header_block_categories_and_body() -> None:
    [doc] = list(parse_bytes((SEEDS / "000_c52a582f011e3939.txt").read_bytes(), "000_c52a582f011e3939.txt"))
    assert doc.categories == ["CHINA", "DIPLOMACY"]
    assert doc.text.startswith("China supports the convening")


def test_glued_sentences_are_split_with_exact_offsets() -> None:
    text = "Wang held a call with Albusaidi.Wang noted the crisis. Mr. Smith said U.S. aid continues."
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == [
        "Wang held a call with Albusaidi.",
        "Wang noted the crisis.",
        "Mr. Smith said U.S. aid continues.",
    ]
    assert all(text[s.start : s.end] == s.text for s in sentences)


def test_jsonl_records_and_malformed_lines() -> None:
    lines = [
        json.dumps(
            {
                "doc_id": "a1",
                "title": "T1",
                "text": "WASHINGTON (AP) — Body one.",
                "source": None,
                "published": "2022/06/17",
                "url": "https://example.org/a1",
            }
        ),
        "{not json",
        json.dumps({"title": "no text"}),
        json.dumps({"title": "T2", "text": "Body two."}),
    ]
    out = list(parse_bytes("\n".join(lines).encode(), "c.jsonl"))
    docs = [o for o in out if not isinstance(o, RecordError)]
    errors = [o for o in out if isinstance(o, RecordError)]
    assert [d.title for d in docs] == ["T1", "T2"]
    assert docs[0].source == "AP" and docs[0].published == dt.date(2022, 6, 17) and docs[0].url
    assert [e.input for e in errors] == ["c.jsonl:2", "c.jsonl:3"]
    assert "malformed JSON" in errors[0].reason and "text" in errors[1].reason


def test_html_main_text_and_metadata() -> None:
    html = b"""<!doctype html><html><head><title>Site | x</title><meta property="og:title" content="Ministers meet">
    <meta property="og:site_name" content="Daily News"><meta property="article:published_time" content="2024-02-03T10:00:00Z">
    <script>var x = 1;</script></head><body><nav>Home | World</nav><article><h1>Ministers meet</h1>
    <p>The ministers met on Friday.</p><p>They agreed to talk again.</p></article><footer>(c)</footer></body></html>"""
    [doc] = list(parse_bytes(html, "page.html"))
    assert doc.title == "Ministers meet" and doc.source == "Daily News" and doc.published == dt.date(2024, 2, 3)
    assert "ministers met on Friday" in doc.text and "var x" not in doc.text and "Home | World" not in doc.text


@pytest.mark.parametrize(
    ("raw", "reason"),
    [(b"", "empty file"), (b"   \n", "empty file"), (b"abc\x00def", "binary"), (b"caf\xe9 au lait", "UTF-8")],
)
def test_bad_files_have_clear_reasons(raw: bytes, reason: str) -> None:
    with pytest.raises(InvalidDocument, match=reason):
        list(parse_bytes(raw, "bad.txt"))


def test_one_paragraph_note_is_all_body() -> None:
    """A single line is a note, not a headline without a story: it is kept, titled from its lead."""
    [doc] = list(parse_bytes(b"The ferry strike ended on Tuesday, the union said.", "note.txt"))
    assert doc.text == "The ferry strike ended on Tuesday, the union said." and doc.title
    [untitled] = list(parse_bytes(b"...", "memo.txt"))
    assert untitled.title == "memo" and untitled.text == "..."
    with pytest.raises(InvalidDocument, match="no body"):
        list(parse_bytes(b"Title: Only a header\nText:\n", "h.txt"))


@pytest.mark.parametrize(
    "html",
    [
        "<div>lead <b>bold <i>it <b>deep</b> x</i> y</b> tail <span>s<span>t</span></span>. end</div>",
        "<div><span>only</span></div>",
        "<div>a<span></span>b<!-- c --><span>d<p>kept <span>in</span> p</p>e</span>f</div>",
        "<div>" + "".join(f"<span>w{i} </span>" for i in range(300)) + "</div>",
    ],
)
def test_linear_strip_tags_unwraps_as_lxml_does(html: str) -> None:
    """rag/ingest/html_text.strip_tags replaces lxml's inside trafilatura (which read its split
    text nodes quadratically): the tree it leaves must serialise the same."""
    import lxml.etree
    import lxml.html

    from rag.ingest import html_text

    ours, theirs = lxml.html.fromstring(html), lxml.html.fromstring(html)
    html_text.strip_tags(ours, "span", "b")
    lxml.etree.strip_tags(theirs, "span", "b")
    assert lxml.etree.tostring(ours) == lxml.etree.tostring(theirs)
