"""News-native ingestion: saved article pages (trafilatura), RSS/Atom feeds (feedparser), `rag watch`."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

from rag.ingest.parsers import RecordError, parse_bytes
from tests.conftest import ROOT, SHARED_CACHE

CNN_STYLE = b"""<!DOCTYPE html><html lang="en"><head>
<title>Port of Northhaven reopens after storm | CNN</title>
<meta property="og:site_name" content="CNN"><meta property="og:title" content="Port of Northhaven reopens after storm">
<meta property="article:published_time" content="2024-03-05T08:00:00Z"><meta name="author" content="Jane Reporter">
<link rel="canonical" href="https://www.cnn.com/2024/03/05/world/northhaven-port-reopens/index.html">
<script>window.analytics = {track: function(){}};</script></head>
<body><nav class="header__nav"><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li>
<li><a href="/politics">Politics</a></li><li><a href="/business">Business</a></li></ul></nav>
<div id="onetrust-banner" class="cookie-banner"><p>We use cookies to personalise content and ads. Accept all cookies?</p>
<button>Accept</button></div>
<main><article>
<h1 class="headline">Port of Northhaven reopens after storm</h1>
<div class="byline">By Jane Reporter, CNN</div><div class="timestamp">Updated 8:00 AM EST, Tue March 5, 2024</div>
<div class="social-share"><a href="#">Share on Facebook</a><a href="#">Share on X</a><a href="#">Email</a></div>
<div class="article__content">
<p class="paragraph">The port of Northhaven reopened on Tuesday after a storm closed it for three days, the harbour master said.</p>
<p class="paragraph">Ferries resumed their timetable at noon, and about 40 fishing boats returned to their moorings.</p>
<p class="paragraph">"We expect full traffic by Friday," harbour master Ana Silva told reporters.</p>
</div>
<div class="related-content"><h2>Related stories</h2><ul>
<li><a href="/a">Storm warning issued for the northern coast</a></li>
<li><a href="/b">Fishermen count the cost of a wet winter</a></li></ul></div>
</article></main>
<footer><p>\xc2\xa9 2024 Cable News Network. All Rights Reserved. Terms of Use | Privacy Policy</p></footer>
</body></html>"""

FEED = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Harbour Post</title><link>https://harbourpost.example</link><description>News from the coast</description>
<item><title>Port reopens after storm</title><link>https://harbourpost.example/port-reopens</link>
<guid>hp-1</guid><pubDate>Tue, 05 Mar 2024 08:00:00 GMT</pubDate><description>The port reopened.</description>
<content:encoded><![CDATA[<p>The port of Northhaven reopened on Tuesday after three days.</p><p>Ferries resumed at noon.</p>]]></content:encoded></item>
<item><title>Storm warning for the coast</title><link>https://harbourpost.example/storm-warning</link>
<guid>hp-2</guid><pubDate>Mon, 04 Mar 2024 08:00:00 GMT</pubDate>
<description>A storm warning was issued for the northern coast on Monday.</description></item>
<item><title>Empty entry</title><guid>hp-3</guid><description></description></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Coast Daily</title>
<entry><title>Bridge reopens</title><id>cd-1</id><link href="https://coastdaily.example/bridge"/>
<updated>2024-03-06T09:00:00Z</updated><summary>The coast bridge reopened on Wednesday morning.</summary></entry></feed>"""


def test_news_page_yields_only_the_article() -> None:
    [doc] = list(parse_bytes(CNN_STYLE, "northhaven.html"))
    assert not isinstance(doc, RecordError)
    assert doc.title == "Port of Northhaven reopens after storm"
    assert doc.published == dt.date(2024, 3, 5)
    assert doc.source == "CNN"
    assert doc.url == "https://www.cnn.com/2024/03/05/world/northhaven-port-reopens/index.html"
    assert doc.text.split("\n\n") == [
        "The port of Northhaven reopened on Tuesday after a storm closed it for three days, the harbour master said.",
        "Ferries resumed their timetable at noon, and about 40 fishing boats returned to their moorings.",
        '"We expect full traffic by Friday," harbour master Ana Silva told reporters.',
    ]
    for noise in ("cookies", "Share on", "Related stories", "Storm warning", "Privacy", "Politics", "analytics"):
        assert noise not in doc.text


def test_rss_feed_one_article_per_entry() -> None:
    items = list(parse_bytes(FEED, "harbour.xml"))
    docs = [i for i in items if not isinstance(i, RecordError)]
    errors = [i for i in items if isinstance(i, RecordError)]
    assert [d.title for d in docs] == ["Port reopens after storm", "Storm warning for the coast"]
    assert docs[
        0
    ].text == "The port of Northhaven reopened on Tuesday after three days.\n\nFerries resumed at noon." or (
        "Ferries resumed at noon." in docs[0].text and "<p>" not in docs[0].text
    )
    assert docs[1].text == "A storm warning was issued for the northern coast on Monday."
    assert {d.source for d in docs} == {"Harbour Post"}
    assert [d.published for d in docs] == [dt.date(2024, 3, 5), dt.date(2024, 3, 4)]
    assert docs[0].url == "https://harbourpost.example/port-reopens"
    assert len({d.doc_id for d in docs}) == 2 and errors and "no content" in errors[0].reason
    # Stable ids: the same entry parsed again is the same document (an update, not a duplicate).
    assert [d.doc_id for d in parse_bytes(FEED, "harbour.xml") if not isinstance(d, RecordError)] == [
        d.doc_id for d in docs
    ]


def test_atom_feed() -> None:
    [doc] = list(parse_bytes(ATOM, "coast.atom"))
    assert not isinstance(doc, RecordError)
    assert (doc.title, doc.source, doc.published) == ("Bridge reopens", "Coast Daily", dt.date(2024, 3, 6))


def test_rag_watch_picks_up_a_dropped_file(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    env = {**os.environ, "RAG_DATA_DIR": str(tmp_path / "data"), "RAG_EMBED_CACHE": str(SHARED_CACHE)}
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", "rag.cli", "watch", str(inbox), "--interval", "0.3"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert "watching" in proc.stdout.readline()
        (inbox / "bad.txt").write_bytes(b"\x00\x01")
        (inbox / "northhaven.html").write_bytes(CNN_STYLE)
        deadline = time.time() + 120
        lines: list[str] = []
        while time.time() < deadline and not any(x.startswith("added 1 /") for x in lines):
            lines.append(proc.stdout.readline())
        assert any(x.startswith("added 1 /") for x in lines), lines
        assert sum(int(x.split("failed ")[1].split(";")[0]) for x in lines) == 1, lines  # bad.txt, reported
        (inbox / "harbour.xml").write_bytes(FEED)
        line = ""
        while time.time() < deadline and not line.startswith("added"):
            line = proc.stdout.readline()
        assert line.startswith("added 2 /"), line
        assert proc.poll() is None, "the watcher survives bad files"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    docs = subprocess.run(
        [sys.executable, "-m", "rag.cli", "docs", "--json"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert {d["title"] for d in __import__("json").loads(docs.stdout)} >= {
        "Port of Northhaven reopens after storm",
        "Storm warning for the coast",
    }
