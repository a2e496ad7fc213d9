"""Month names are language data written once (rag/resources/months.tsv) and read by every
date pattern: the publication dates of ingest, the time phrases of questions, the "when" evidence."""

from __future__ import annotations

import datetime as dt

import pytest

from rag.analysis.temporal import find_time_window
from rag.ingest.dates import parse_date
from rag.resources import month_pattern, months


def test_every_form_of_a_month_maps_to_its_number() -> None:
    assert months()["january"] == 1 and months()["may"] == 5
    assert months()["sep"] == months()["sept"] == months()["september"] == 9
    assert len(set(months().values())) == 12
    assert "sept" in month_pattern() and month_pattern().endswith("\\.?")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sept. 4, 2022", dt.date(2022, 9, 4)),
        ("4 March 2021", dt.date(2021, 3, 4)),
        ("Dec 31, 2020", dt.date(2020, 12, 31)),
    ],
)
def test_ingest_reads_a_dateline_with_any_form_of_the_month(text: str, expected: dt.date) -> None:
    assert parse_date(f"LISBON, {text} - The mayor said") == expected


def test_a_question_names_a_month_in_any_form() -> None:
    for phrase in ("Sept. 2022", "September 2022", "sep 2022"):
        window = find_time_window(f"What did the council decide in {phrase}?", dt.date(2023, 1, 10))
        assert window is not None and (window.from_, window.to) == (dt.date(2022, 9, 1), dt.date(2022, 9, 30))
