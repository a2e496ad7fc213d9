"""report.html in a real headless browser: filter the question table to the misses, expand one."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from eval.gold import load_gold
from eval.outcomes import is_miss
from eval.report import write_reports
from eval.runner import run
from tests.browser.test_playground import CHROMIUM_ARGS
from tests.conftest import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    exe = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.fail("Debian's chromium is needed for the browser tests (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def test_filter_to_misses_and_expand_a_row(browser, seeded_pipeline, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run(seeded_pipeline, load_gold(ROOT / "eval" / "gold" / "seeds.jsonl"))
    result["config"] = {"name": "seeds", "settings": {"top_k": 6}}
    write_reports(result, tmp_path)
    misses = [q for q in result["questions"] if is_miss(q["outcome"])]
    assert misses, "the seeds run has misses to look at"
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((tmp_path / "report.html").as_uri())
    rows = page.locator("#questions tr.q")
    assert rows.count() == len(result["questions"])
    assert page.locator("#questions tr.q:visible").count() == len(result["questions"])
    # The page reads top-down: headline, outcomes, plots, the table; the settings folded away.
    headings = page.locator("h2").all_inner_texts()
    assert headings[0] == "Headline" and headings[1].startswith("Outcomes") and "Questions" in headings
    assert not page.get_by_text('"top_k": 6').is_visible()
    page.get_by_label("Outcome", exact=True).select_option("misses")
    visible = page.locator("#questions tr.q:visible")
    assert visible.count() == len(misses)
    assert page.inner_text("#shown") == str(len(misses))
    first = visible.first
    row_id = first.get_attribute("data-row")
    assert row_id is not None
    miss = result["questions"][int(row_id)]
    detail = page.locator(f"#d-{row_id}")
    assert not detail.is_visible()
    first.get_by_role("button").click()
    assert detail.is_visible()
    text = detail.inner_text()
    assert miss["question"] in text and "Retrieved articles" in text
    if miss["abstained"]:
        assert miss["outcome_detail"] in text
    bearing = miss.get("bearing_docs") or miss["gold_docs"]
    assert any(d in text for d in bearing) or not bearing
    first.get_by_role("button").click()
    assert not detail.is_visible()
    page.get_by_label("Outcome", exact=True).select_option("")
    page.get_by_label("Type", exact=True).select_option("unanswerable")
    expected = sum(1 for q in result["questions"] if q["type"] == "unanswerable")
    assert page.locator("#questions tr.q:visible").count() == expected
    page.get_by_text("Settings", exact=True).click()
    assert page.get_by_text('"top_k": 6').is_visible()
    assert errors == []
