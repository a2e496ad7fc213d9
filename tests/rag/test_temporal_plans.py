"""Time phrases that date something else (a plan, a schedule), and days or months without a year
that the archive does not reach."""

from __future__ import annotations

import datetime as dt

import pytest

from rag.analysis.temporal import find_time_window, within_archive
from tests.conftest import make_settings

D = dt.date


@pytest.mark.parametrize(
    ("question", "as_of"),
    [
        ("Which two airlines plan to merge in 2027?", D(2025, 6, 1)),
        ("Which city's new stadium opens in 2026?", D(2025, 3, 1)),
        ("In 2027, which airlines will merge?", D(2025, 6, 1)),
        ("Which country is scheduled to host the summit in March 2026?", D(2025, 11, 2)),
        ("Which law takes effect on January 1, 2026?", D(2025, 11, 2)),
    ],
)
def test_a_date_of_a_plan_ahead_is_no_window(question: str, as_of: dt.date) -> None:
    assert find_time_window(question, as_of) is None


@pytest.mark.parametrize(
    ("question", "start"),
    [
        ("Which airlines merged in 2024?", D(2024, 1, 1)),  # a past year still dates the reporting
        ("Which airlines planned to merge in 2024?", D(2024, 1, 1)),  # a past plan too
        ("What happened in 2027?", D(2027, 1, 1)),  # nothing can answer it yet: an empty window
    ],
)
def test_other_years_keep_their_window(question: str, start: dt.date) -> None:
    window = find_time_window(question, D(2025, 6, 1))
    assert window is not None and window.from_ == start


ARCHIVE_ENDS = D(2023, 11, 30)


def test_a_day_the_archive_does_not_reach_is_its_latest_such_day() -> None:
    window = within_archive(find_time_window("What happened on October 27?", D(2026, 1, 10)), ARCHIVE_ENDS)
    assert window is not None and (window.from_, window.to, window.day) == (
        D(2023, 10, 27),
        D(2023, 10, 28),
        D(2023, 10, 27),
    )
    assert window.note and "2023" in window.note
    assert window.model_dump(mode="json")["note"] == window.note


def test_a_month_the_archive_does_not_reach_is_its_latest_such_month() -> None:
    window = within_archive(find_time_window("What happened in December?", D(2026, 1, 10)), ARCHIVE_ENDS)
    assert window is not None and (window.from_, window.to) == (D(2022, 12, 1), D(2022, 12, 31))


@pytest.mark.parametrize(
    ("question", "as_of"),
    [
        ("What happened on October 27, 2025?", D(2026, 1, 10)),  # a year given: read as written
        ("What happened on October 27?", D(2023, 11, 1)),  # the archive reaches it
    ],
)
def test_other_windows_are_left_as_they_are(question: str, as_of: dt.date) -> None:
    window = find_time_window(question, as_of)
    assert within_archive(window, ARCHIVE_ENDS) == window
    assert window is not None and "note" not in window.model_dump(mode="json")


def test_ask_reads_a_bare_day_as_the_archives_and_says_so(seeded_pipeline, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from rag.pipeline import RagPipeline
    from tests.rag.test_answers import archive

    pipeline = RagPipeline(make_settings(tmp_path / "data"), embedder=seeded_pipeline.embedder)
    archive(
        pipeline,
        (
            "harbour",
            "Harbour bridge",
            "The harbour bridge of Port Quill was closed by the city council today.",
            D(2023, 10, 27),
        ),
        ("later", "Budget", "The council of Port Quill passed its budget for the next year.", D(2023, 11, 30)),
    )
    resp = pipeline.ask("What did the council of Port Quill close on October 27?", as_of=D(2026, 1, 10))
    assert resp.time_window is not None and resp.time_window.from_ == D(2023, 10, 27) and resp.time_window.note
    assert not resp.abstained and "harbour bridge" in resp.answer


def _strike_archive(pipeline) -> None:  # type: ignore[no-untyped-def]
    from tests.rag.test_answers import archive

    archive(
        pipeline,
        (
            "strike",
            "Pension strike",
            "A second mass strike by the Quill Dockers Union over pension reforms brought Port Quill to a standstill.",
            D(2023, 1, 4),
        ),
        ("budget", "Budget", "The council of Marrow Bay passed its budget for the next year.", D(2023, 1, 30)),
        *(
            (f"week{i}", f"Week {i}", f"{town} opened a new {thing} on {day}.", D(2023, 1, 27 + i % 5))
            for i, (town, thing, day) in enumerate(
                [
                    ("Elm Ridge", "library", "Monday"),
                    ("Cobalt Falls", "bridge", "Tuesday"),
                    ("Saltmere", "school", "Wednesday"),
                    ("Ferngate", "clinic", "Thursday"),
                    ("Dunmore Vale", "market", "Friday"),
                    ("Ashby Cross", "museum", "Saturday"),
                    ("Kestrel Point", "harbour", "Sunday"),
                ]
            )
        ),
    )


QUESTION = "Which union's mass strike over pension reforms brought Port Quill to a standstill this week?"


def test_news_framing_with_nothing_in_its_window_widens_to_the_archive_and_says_so(seeded_pipeline, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """ "This week" frames a quiz's question: when the week's articles leave it refused (none names
    Port Quill), an earlier report of the same story answers, and time_window.note says so."""
    from rag.pipeline import RagPipeline

    pipeline = RagPipeline(make_settings(tmp_path / "data"), embedder=seeded_pipeline.embedder)
    _strike_archive(pipeline)
    resp = pipeline.ask(QUESTION, as_of=D(2023, 2, 2))
    assert not resp.abstained and "Quill Dockers Union" in resp.answer
    assert resp.time_window is not None and resp.time_window.phrase == "this week" and resp.time_window.note
    assert resp.time_window.model_dump(mode="json")["note"] == resp.time_window.note
    assert "strike" in {p.doc_id for p in resp.passages}
    off = RagPipeline(
        make_settings(tmp_path / "data", relative_window_fallback=False), embedder=seeded_pipeline.embedder
    )
    refused = off.ask(QUESTION, as_of=D(2023, 2, 2))
    assert refused.abstained and refused.time_window is not None and refused.time_window.note is None


def test_a_window_that_is_no_news_framing_is_not_widened(seeded_pipeline, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from rag.pipeline import RagPipeline

    pipeline = RagPipeline(make_settings(tmp_path / "data"), embedder=seeded_pipeline.embedder)
    _strike_archive(pipeline)
    dated = pipeline.ask(QUESTION.replace("this week", "in January 2022"), as_of=D(2023, 2, 2))
    assert dated.abstained and dated.time_window is not None and dated.time_window.note is None
    late = pipeline.ask(QUESTION, as_of=D(2022, 12, 1))  # as_of still binds: the strike is not yet reported
    assert late.abstained
