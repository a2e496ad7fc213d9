"""The playground in a real headless browser: Debian's chromium driven by Playwright."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from tests.conftest import SEEDS, UvicornThread

pytestmark = pytest.mark.slow

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    exe = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.fail(
            "Debian's chromium is needed for the browser tests: `make test` installs it (apt-get install chromium)"
        )
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def server(fresh_pipeline) -> Iterator[UvicornThread]:  # type: ignore[no-untyped-def]
    fresh_pipeline.ingest_paths([SEEDS])
    with UvicornThread(create_app(fresh_pipeline.settings, fresh_pipeline)) as srv:
        yield srv


def test_ask_stream_and_open_a_citation(browser, server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(server.url + "/")
    page.get_by_label("Question", exact=True).fill("What did Oman say?")
    page.get_by_role("button", name="Ask", exact=True).click()
    page.wait_for_selector("#answer[data-done=true]", timeout=60_000)
    answer = page.inner_text("#answer")
    assert "Oman" in answer
    markers = page.locator("#answer button.marker")
    assert markers.count() >= 2
    # Markers sit inside the sentence, joined to its last word: "... minister said\u00a0[1]."
    assert re.search(r"\w\u00a0\[\d+\](?:\[\d+\])*[.!?]", answer), answer
    assert not re.search(r"[.!?][\"”’]?\s*\[\d+\]", answer), answer
    first = markers.first
    n = int(first.get_attribute("data-n") or "0")
    first.click()
    page.wait_for_selector("#citation .source mark", timeout=30_000)
    expected = httpx.post(f"{server.url}/v1/ask", json={"question": "What did Oman say?"}, timeout=60).json()
    quote = next(c["quote"] for c in expected["citations"] if c["n"] == n)
    assert page.locator(f"#citation .source[data-n='{n}'] mark").inner_text() == quote
    assert page.locator("#citation h3").first.inner_text().startswith(f"[{n}]")
    page.screenshot(path=str(tmp_path / "playground-answer.png"), full_page=True)
    # Keyboard only: focus the question, type, Enter; an abstention says so.
    page.get_by_label("Question", exact=True).fill("What did Japan say about the pier?")
    page.get_by_label("Question", exact=True).press("Enter")
    page.wait_for_selector("#answer .abstained", timeout=60_000)
    assert "does not cover this" in page.inner_text("#answer")
    # A narrow screen: the citation panel flows under the answer instead of beside it.
    page.set_viewport_size({"width": 380, "height": 800})
    page.screenshot(path=str(tmp_path / "playground-narrow.png"), full_page=True)
    page.close()


def test_upload_then_find_it_by_a_question(browser, server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    article = tmp_path / "lighthouse.txt"
    article.write_text(
        "Lighthouse of Quellport <img src=x onerror=alert(1)> restored\n\n"
        "The Quellport lighthouse was restored and relit on Saturday after two years of repairs, the town council said.\n"
    )
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server.url + "/")
    page.get_by_role("button", name="Documents").click()
    page.wait_for_selector("#docs-body tr", timeout=30_000)
    page.set_input_files("#upload-files", str(article))
    page.get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_selector("#upload-status:has-text('Added 1')", timeout=60_000)
    row = page.locator("#docs-body tr", has_text="Quellport")
    assert "<img src=x onerror=alert(1)>" in row.inner_text()  # shown as text, never as markup
    assert page.locator("#docs-body img").count() == 0
    row.get_by_role("button", name="Open").click()
    page.wait_for_selector("#doc-view h2")
    assert "relit on Saturday" in page.inner_text("#doc-view")
    page.get_by_role("button", name="Questions").click()
    page.get_by_label("Question", exact=True).fill("When was the Quellport lighthouse relit?")
    page.get_by_role("button", name="Ask", exact=True).click()
    page.wait_for_selector("#answer[data-done=true]", timeout=60_000)
    assert "relit on Saturday" in page.inner_text("#answer")
    page.locator("#answer button.marker").first.click()
    page.wait_for_selector("#citation mark")
    assert "Quellport" in page.inner_text("#citation")
    assert dialogs == []
    page.screenshot(path=str(tmp_path / "playground-upload.png"), full_page=True)
    page.close()


def test_a_bidi_spoofed_url_is_shown_as_text_not_a_link(browser, server) -> None:  # type: ignore[no-untyped-def]
    """Reported: a URL with U+202E (it reads as '...gpj.exe' backwards) was a live link."""
    spoofed = "https://harbour.example/news/\u202eexe.gpj"
    docs = [
        {"doc_id": "bidi-pier", "title": "Pier vote in Quellport", "text": "The Quellport council voted for the pier.",
         "url": spoofed},
        {"doc_id": "plain-pier", "title": "Ferry strike in Quellport", "text": "The Quellport ferry strike ended.",
         "url": "https://harbour.example/ferry"},
    ]  # fmt: skip
    assert httpx.post(f"{server.url}/v1/documents", json=docs, timeout=60).status_code == 200
    page = browser.new_page()
    page.goto(server.url + "/")
    page.get_by_role("button", name="Documents").click()
    for doc_id, link in (("plain-pier", 1), ("bidi-pier", 0)):
        page.locator(f"#docs-body tr[data-doc='{doc_id}']").get_by_role("button", name="Open").click()
        page.wait_for_selector(f"#doc-view p.muted:has-text('{doc_id}')")
        assert page.locator("#doc-view a").count() == link
    assert "<U+202E>" in page.inner_text("#doc-view")  # the address, its hidden character made visible
    page.close()


def _asked_as_of(browser, server, question: str, as_of: str):  # type: ignore[no-untyped-def]
    """A new playground page that has asked `question` as of the ISO day `as_of` and shown the answer."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(server.url + "/")
    page.get_by_label("Question", exact=True).fill(question)
    page.get_by_text("Filters", exact=True).click()
    page.get_by_label("As of").fill(as_of)
    page.get_by_role("button", name="Ask", exact=True).click()
    page.wait_for_selector("#answer[data-done=true]", timeout=60_000)
    return page


def test_a_widened_window_says_so_beside_the_answer(browser, server, fresh_pipeline) -> None:  # type: ignore[no-untyped-def]
    """A "this week" question that the week's articles leave refused is answered from an earlier
    report, and the status line shows the window's note, not only the window."""
    from tests.rag.test_temporal_plans import QUESTION, _strike_archive

    _strike_archive(fresh_pipeline)
    page = _asked_as_of(browser, server, QUESTION, "2023-02-02")
    assert "Quill Dockers Union" in page.inner_text("#answer")
    status = page.inner_text("#status")
    assert "read “this week” as 2023-01-27 to 2023-02-02" in status
    assert "nothing published in this window answers the question" in status


def test_the_status_line_says_how_many_cited_articles_state_the_short_answer(browser, server) -> None:  # type: ignore[no-untyped-def]
    """A factoid answer's status line counts the cited articles whose quotes state its short
    answer (`short_answer.stated_in`), so a reader sees how far the sources agree."""
    question = "Which country holds the rotating presidency of the UN Security Council in November?"
    body = {"question": question, "as_of": "2023-11-25"}
    expected = httpx.post(f"{server.url}/v1/ask", json=body, timeout=60).json()
    short = expected["short_answer"]
    agreeing = len({c["doc_id"] for c in expected["citations"] if c["n"] in short["stated_in"]})
    page = _asked_as_of(browser, server, question, "2023-11-25")
    word = "article" if agreeing == 1 else "articles"
    assert f"the short answer is stated in {agreeing} cited {word}" in page.inner_text("#status")
    page.get_by_label("Question", exact=True).fill("What did Oman say?")
    page.get_by_role("button", name="Ask", exact=True).click()
    page.wait_for_selector("#status:has-text('citation(s)')", timeout=60_000)  # the click reset it
    assert "short answer" not in page.inner_text("#status"), "no short answer, no count"
    page.close()
