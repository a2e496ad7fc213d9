"""Time phrases resolved against a fixed as_of (Wednesday 2023-11-01)."""

from __future__ import annotations

import datetime as dt

import pytest

from rag.analysis.temporal import find_time_window

AS_OF = dt.date(2023, 11, 1)
D = dt.date


@pytest.mark.parametrize(
    ("question", "start", "end", "phrase"),
    [
        ("What did China say on October 27?", D(2023, 10, 27), D(2023, 10, 28), "on October 27"),
        ("What did China say on Oct. 27, 2023?", D(2023, 10, 27), D(2023, 10, 28), "on Oct. 27, 2023"),
        ("What did China say in November 2023?", D(2023, 11, 1), D(2023, 11, 1), "in November 2023"),
        ("What did China say in October 2023?", D(2023, 10, 1), D(2023, 10, 31), "in October 2023"),
        ("What has Israel said since October 7?", D(2023, 10, 7), AS_OF, "since October 7"),
        ("What did Oman say last week?", D(2023, 10, 23), D(2023, 10, 29), "last week"),
        ("What did Oman say yesterday?", D(2023, 10, 31), AS_OF, "yesterday"),
        ("What happened this month?", D(2023, 11, 1), AS_OF, "this month"),
        ("What happened two days ago?", D(2023, 10, 30), D(2023, 10, 31), "two days ago"),
        ("What did Wang Yi say this week?", D(2023, 10, 26), AS_OF, "this week"),
        ("What happened in the past 3 days?", D(2023, 10, 29), AS_OF, "in the past 3 days"),
        ("What happened in May?", D(2023, 5, 1), D(2023, 5, 31), "in May"),
        ("What happened in 2022?", D(2022, 1, 1), D(2022, 12, 31), "in 2022"),
        ("What happened on 2023-10-20?", D(2023, 10, 20), D(2023, 10, 21), "2023-10-20"),
        ("What happened last month?", D(2023, 10, 1), D(2023, 10, 31), "last month"),
        ("What happened October 27 in Gaza?", D(2023, 10, 27), D(2023, 10, 28), "October 27"),
        ("Oman spoke this week. What did Oman say?", D(2023, 10, 26), AS_OF, "this week"),
        # After "the <noun> <verb>" the phrase still dates the reporting (it used to be dropped).
        ("What did the president say last week?", D(2023, 10, 23), D(2023, 10, 29), "last week"),
        ("What was the death toll this week?", D(2023, 10, 26), AS_OF, "this week"),
    ],
)
def test_time_phrases(question: str, start: dt.date, end: dt.date, phrase: str) -> None:
    window = find_time_window(question, AS_OF)
    assert window is not None
    assert (window.from_, window.to, window.phrase) == (start, end, phrase)


@pytest.mark.parametrize("question", ["What did Oman say?", "What may happen next?", "Who will march on Sunday?"])
def test_no_time_phrase_no_window(question: str) -> None:
    assert find_time_window(question, AS_OF) is None


@pytest.mark.parametrize(
    "question",
    [
        "How many minutes did violence play out during the insurrection on January 6, 2021?",
        "Which singer will launch a residency later this year?",
        "Which city saw the biggest increase compared to a year ago?",
        "The governor began sending buses earlier this year. Which city did he add?",
        # A date that names a thing, not a time.
        "Who testified at Monday's January 6 committee hearing?",
        # An absolute period in a context sentence dates what it describes, not the reporting.
        "The IRS will clear its backlog of tax returns filed in 2021. How many returns remain?",
    ],
)
def test_phrases_that_date_something_else_are_no_window(question: str) -> None:
    assert find_time_window(question, AS_OF) is None


@pytest.mark.parametrize(
    "question",
    [
        "Organizers in which state are on track to put an amendment before voters in November?",
        "Sotheby's will auction the skeleton on July 28. Which dinosaur is it?",
        "Which team is scheduled to play on July 4?",
    ],
)
def test_a_month_or_day_in_a_clause_about_the_future_dates_the_event(question: str) -> None:
    """Asked in June, 'in November' in a future clause is the coming November: no report of it
    exists yet, so it is no publication window (the past November would hide every report)."""
    assert find_time_window(question, D(2022, 6, 25)) is None


def test_a_future_clause_elsewhere_leaves_the_reporting_date() -> None:
    as_of = D(2022, 6, 25)
    assert find_time_window("What happened in November?", as_of).from_ == D(2021, 11, 1)  # type: ignore[union-attr]
    window = find_time_window("What did the Fed say it will do, in a statement on June 15?", as_of)
    assert window is not None and window.from_ == D(2022, 6, 15)


def test_a_month_after_as_of_is_an_empty_window() -> None:
    window = find_time_window("What did China say in October 2024?", AS_OF)
    assert window is not None and window.from_ is not None and window.from_ > window.to


def test_a_window_never_ends_after_as_of() -> None:
    window = find_time_window("What happened this year?", AS_OF)
    assert window is not None and window.to == AS_OF


def test_window_serialises_with_from() -> None:
    window = find_time_window("What did China say in October 2023?", AS_OF)
    assert window is not None
    assert window.model_dump(mode="json") == {"from": "2023-10-01", "to": "2023-10-31", "phrase": "in October 2023"}


def test_a_bound_is_not_a_time_of_report() -> None:
    assert find_time_window("How many subscribers did Netflix lose in the three months ending June 30?", AS_OF) is None
    assert find_time_window("Which countries must sign by October 30?", AS_OF) is None


def test_a_month_or_year_is_named_by_later_articles() -> None:
    from rag.analysis.temporal import mentions_period

    june = find_time_window("What was the median home price in June?", D(2023, 7, 21))
    assert june is not None and june.period == "month"
    assert mentions_period("The median price was $416,000 in June.", june, D(2023, 7, 20))
    assert mentions_period("Prices rose again last month.", june, D(2023, 7, 3))
    assert not mentions_period("Prices may rise, analysts said.", june, D(2023, 7, 20))  # "may", not "May"
    assert not mentions_period("The median price was $416,000 in June.", june, D(2023, 6, 20))  # in the window
    last_year = find_time_window("How many acres burned in California last year?", D(2023, 7, 9))
    assert last_year is not None and last_year.period == "year"
    assert mentions_period("More than 2.5 million acres burned last year.", last_year, D(2023, 7, 8))
    assert mentions_period("In 2022, 2.5 million acres burned.", last_year, D(2024, 1, 8))


@pytest.mark.parametrize(
    ("question", "phrase"),
    [
        ("Newspapers, including the USA TODAY Network, dropped which comic strip?", None),
        ("What did USA TODAY report about the strike?", None),  # an outlet, as questions name them
        ("What did the Today show host say this week?", "this week"),  # the name skipped, the phrase read
        ("Today, which team won the final?", "Today"),  # a capital at a sentence's start is no name
        ("Which team won the final today?", "today"),
    ],
)
def test_a_time_word_written_as_part_of_a_name_is_no_window(question: str, phrase: str | None) -> None:
    window = find_time_window(question, AS_OF)
    assert (window.phrase if window else None) == phrase
