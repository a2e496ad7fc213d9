"""Time phrases in a question ("in October 2023", "last week", "two days ago", "since October 7")
resolved against the question's `as_of` into a published-date window.

dateparser resolves the dates themselves (month names, formats, relative words, the year of a
bare "October 27" as the latest one before `as_of`); this module only finds the phrase and
decides how wide the window is: a day, a week, a month, a year, or "since".
A day-sized event is reported that day or the next, so a day window spans `day_lag_days` more.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from rag.nlp.text import asking_start
from rag.resources import alternation, month_pattern, table

_MONTH = month_pattern()
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d{2}"
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a couple of": 2, "a few": 3, "several": 3,
}  # fmt: skip
_COUNT = r"(?P<n>\d{1,3}|a couple of|a few|several|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_UNIT = r"(?P<unit>day|week|month|year)s?"


class TimeWindow(BaseModel):
    """How a question was read in time: articles published from `from` to `to` (inclusive). A day,
    or the month or year of a thing asked for ("the median price in June", "the airport where she
    was stopped in February"), is also answered by articles published later, up to as_of, that
    name it."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)
    from_: dt.date | None = Field(default=None, alias="from", description="Earliest publication date.")
    to: dt.date = Field(description="Latest publication date (never after as_of).")
    phrase: str = Field(description="The words of the question the window comes from.")
    day: dt.date | None = Field(
        default=None,
        exclude=True,
        description="Set when the phrase names one day: articles published later that mention that day also answer.",
    )
    note: str | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="Set when the window is not the plain reading of the phrase: a day or month without a "
        "year that the archive does not reach is read as the latest one it covers; a window of news framing "
        "('this week') in which nothing answers is widened to every article up to as_of.",
    )
    yearless: bool = Field(default=False, exclude=True, description="The phrase names a day or month, no year.")
    relative: bool = Field(
        default=False,
        exclude=True,
        description="The phrase frames the news relative to as_of ('this week', 'yesterday', 'in the past "
        "3 days'): it says when the question is asked more than when its answer was reported.",
    )
    period: Literal["month", "year"] | None = Field(
        default=None,
        exclude=True,
        description="Set when the phrase names a calendar month or year: for a question asking for a thing "
        "(a figure, a name, a place), articles published after it that name it also answer "
        "('the median price in June', asked in July).",
    )


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    kind: str


def _rx(body: str) -> re.Pattern[str]:
    return re.compile(rf"\b(?:{body})(?![\w-])", re.I)


# Most specific first; the first rule that matches wins.
_RULES = [
    _Rule(
        _rx(
            rf"(?:since|from)\s+(?P<date>{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?|{_DAY}\s+{_MONTH}(?:\s+{_YEAR})?|\d{{4}}-\d{{2}}-\d{{2}})"
        ),
        "since",
    ),
    _Rule(_rx(rf"(?:since|from)\s+(?P<date>{_MONTH}(?:\s+{_YEAR})?)"), "since_month"),
    _Rule(_rx(r"(?P<date>\d{4}-\d{2}-\d{2})"), "day"),
    _Rule(_rx(rf"(?:on\s+)?(?P<date>(?:{_MONTH}\s+{_DAY}|{_DAY}\s+(?:of\s+)?{_MONTH})(?:,?\s+{_YEAR})?)"), "day"),
    _Rule(_rx(rf"(?:in\s+|during\s+)?(?P<date>{_MONTH}(?:\s+of)?\s+{_YEAR})"), "month"),
    _Rule(_rx(rf"(?:in|during|throughout)\s+(?P<date>{_MONTH})"), "month"),
    _Rule(_rx(rf"(?:in|during|throughout)\s+(?P<date>{_YEAR})"), "year"),
    _Rule(_rx(rf"(?:in\s+|over\s+|during\s+)?the\s+(?:last|past|previous)\s+{_COUNT}\s+{_UNIT}"), "last_n"),
    _Rule(_rx(rf"{_COUNT}\s+{_UNIT}\s+ago"), "ago"),
    _Rule(_rx(r"yesterday"), "yesterday"),
    _Rule(_rx(r"today|tonight|this (?:morning|afternoon|evening)"), "today"),
    _Rule(_rx(r"(?:this|the)\s+past\s+week|(?:in\s+|over\s+)?the\s+past\s+week"), "past_week"),
    _Rule(_rx(r"this\s+week(?:end)?"), "this_week"),
    _Rule(_rx(r"last\s+week(?:end)?"), "last_week"),
    _Rule(_rx(r"this\s+month"), "this_month"),
    _Rule(_rx(r"last\s+month"), "last_month"),
    _Rule(_rx(r"this\s+year"), "this_year"),
    _Rule(_rx(r"last\s+year"), "last_year"),
]


_MONTH_NAMES = list(table("months"))  # calendar order


def mentions_day(text: str, day: dt.date) -> bool:
    """Whether a text names `day` ("October 27", "Oct. 27", "27 October", "27th of October", "2023-10-27")."""
    month = _MONTH_NAMES[day.month - 1]
    mon = rf"{month[:3]}(?:{month[3:]}|\.)?" if len(month) > 4 else month
    d = rf"{day.day}(?:st|nd|rd|th)?"
    rx = rf"\b(?:{mon}\s+{d}\b|{d}\s+(?:of\s+)?{mon}\b)|{day.isoformat()}"
    return re.search(rx, text, re.I) is not None


def _parse(text: str, as_of: dt.date, prefer: str = "past") -> dt.date | None:
    import dateparser

    settings = {
        "RELATIVE_BASE": dt.datetime.combine(as_of, dt.time()),
        "PREFER_DATES_FROM": prefer,
        "PREFER_DAY_OF_MONTH": "first",
    }
    got = dateparser.parse(text, languages=["en"], settings=settings)  # type: ignore[arg-type]
    return got.date() if got else None


def _month_bounds(d: dt.date) -> tuple[dt.date, dt.date]:
    start = d.replace(day=1)
    nxt = (start + dt.timedelta(days=32)).replace(day=1)
    return start, nxt - dt.timedelta(days=1)


def _count(text: str) -> int:
    text = text.lower()
    return int(text) if text.isdigit() else _NUMBER_WORDS.get(text, 1)


def _shift_months(d: dt.date, months: int) -> dt.date:
    index = d.year * 12 + d.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


# A time phrase that dates something else than the reporting asked about is no window:
# "later/earlier this year" (the event's time, reported now), "compared to a year ago" (a
# comparison), "the insurrection on January 6, 2021" (a date inside a noun phrase names the event),
# "the three months ending June 30", "until July 4", "before June 1" (a bound, not a time of report).
_NOT_A_WINDOW_BEFORE = re.compile(
    r"(?:\b(?:later|earlier|compared\s+(?:to|with)|than|from|since|anniversary\s+of|ending|ended|through|"
    r"until|till|before|after|by)\s+$)",
    re.I,
)


# A bare date followed by a noun names a thing, not a time: "the January 6 committee", "the
# September 11 attacks". A function word after it ("October 27 in Gaza") leaves it a date.
_ATTRIBUTIVE_AFTER = re.compile(
    r"\s+(?!(?:in|on|at|of|and|or|to|for|by|with|from|after|before|is|was|were|are)\b)[a-z]+"
)
# Absolute periods ("in 2021", "in October") that date what a context sentence describes
# ("tax returns filed in 2021. How many ...?") are background, not the reporting asked about:
# only relative news framing ("this week") is read from a context sentence.
_ABSOLUTE = frozenset({"month", "year", "since_month"})


def _dates_the_reporting(question: str, m: re.Match[str], kind: str, context_end: int) -> bool:
    before = question[: m.start()]
    if kind in _ABSOLUTE and m.start() < context_end:
        return False
    if m.group(0).lower().startswith(("since", "from")):
        return True
    if re.match(r"(?:on|in|during|throughout)\b", m.group(0), re.I) and re.search(r"\bthe\s+\w+\s+$", before):
        return False  # "the insurrection on January 6"
    if kind == "day" and not re.match(r"on\b", m.group(0), re.I) and _ATTRIBUTIVE_AFTER.match(question, m.end()):
        return False  # "Monday's January 6 committee hearing"
    return not _NOT_A_WINDOW_BEFORE.search(before)


_FUTURE = re.compile(rf"(?<![\w'’])(?:{alternation('future_markers')})\b", re.I)
_PLAN = re.compile(rf"(?<![\w'’])(?:{alternation('future_markers', 'plan_markers')})\b", re.I)


def _in_future_clause(question: str, m: re.Match[str]) -> bool:
    """The phrase's clause (back to the last comma or sentence end) speaks of what is to come."""
    clause = re.split(r"[,;:.!?]", question[: m.start()])[-1]
    return _FUTURE.search(clause) is not None


def _in_plan_clause(question: str, m: re.Match[str]) -> bool:
    """The phrase's clause, on either side of it, is about a plan, a schedule or an outcome ahead
    ("plan to merge in 2027", "the stadium opens in 2026", "In 2027, which airlines will merge?")."""
    before = re.split(r"[,;:.!?]", question[: m.start()])[-1]
    after = re.split(r"[;.!?]", question[m.end() :])[0]
    return _PLAN.search(f"{before} … {after}") is not None


# The rules whose words are common words: written with a capital inside a sentence, they are
# part of a name ("the USA TODAY Network", ABC's "This Week"), not a time phrase.
_COMMON_WORD_KINDS = frozenset(
    {
        "last_n",
        "ago",
        "yesterday",
        "today",
        "past_week",
        "this_week",
        "last_week",
        "this_month",
        "last_month",
        "this_year",
        "last_year",
    }
)
# The rules that frame the news relative to as_of ("this week", "yesterday", "in the past 3 days").
_RELATIVE_KINDS = frozenset({"last_n", "yesterday", "today", "past_week", "this_week", "last_week"})
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\"“(]\s*)$")


def _names_something(question: str, m: re.Match[str], kind: str) -> bool:
    """The match is a capitalised common word inside a sentence: part of a name, no time."""
    return kind in _COMMON_WORD_KINDS and m.group(0)[:1].isupper() and not _SENTENCE_START.search(question[: m.start()])


def find_time_window(question: str, as_of: dt.date, day_lag_days: int = 1) -> TimeWindow | None:
    """The published-date window a question's time phrase asks for, or None when it names no time.
    A month or day without a year in a clause about the future ("to put it before voters in
    November", asked in June) names the next one: when that is after `as_of`, it dates the event,
    not the reporting, and gives no window (the recency prior still favours the latest reports)."""
    context_end = asking_start(question)
    for rule in _RULES:
        m = next((m for m in rule.pattern.finditer(question) if not _names_something(question, m, rule.kind)), None)
        if not m:
            continue
        if not _dates_the_reporting(question, m, rule.kind, context_end):
            return None
        ahead = rule.kind in ("day", "month") and not re.search(_YEAR, m.group(0)) and _in_future_clause(question, m)
        window = _resolve(rule.kind, m, as_of, day_lag_days, "future" if ahead else "past")
        if ahead and window is not None and window[0] is not None and window[0] > as_of:
            return None
        if window is None:
            continue
        if window[0] is not None and window[0] > as_of and _in_plan_clause(question, m):
            return None  # "plan to merge in 2027": the time of the plan, not of any report
        start, end = window  # a window after as_of stays empty (from > to): nothing can answer it yet
        day = start if rule.kind == "day" else None
        return TimeWindow.model_validate(
            {
                "from": start,
                "to": min(end, as_of),
                "phrase": m.group(0).strip(),
                "day": day,
                "period": _PERIODS.get(rule.kind),
                "yearless": rule.kind in ("day", "month") and not re.search(_YEAR, m.group(0)),
                "relative": rule.kind in _RELATIVE_KINDS,
            }
        )
    return None


def within_archive(window: TimeWindow | None, latest: dt.date | None) -> TimeWindow | None:
    """A day or month without a year ("on October 27", "in March") is read as the latest one
    before as_of; when the archive ends before it (its newest article is older), that window
    holds nothing, and the phrase is read as the latest such day or month the archive covers,
    with a note saying so. A window the archive reaches, or one with a year, is left as it is."""
    if window is None or not window.yearless or latest is None or window.from_ is None or window.from_ <= latest:
        return window
    start = window.from_
    for year in range(start.year - 1, start.year - 100, -1):
        try:
            moved = start.replace(year=year)
        except ValueError:  # February 29
            continue
        if moved > latest:
            continue
        end = _month_bounds(moved)[1] if window.day is None else moved + (window.to - start)
        note = (
            f"no indexed article is as recent as {start.isoformat()} (the newest is from {latest.isoformat()}): "
            f"{window.phrase!r} is read as {moved.year}'s"
        )
        return window.model_copy(
            update={"from_": moved, "to": end, "day": moved if window.day is not None else None, "note": note}
        )
    return window


def widened_window(window: TimeWindow) -> TimeWindow:
    """`window` with the note that the answer was drawn from every article up to as_of: a window
    of news framing ("this week") in which nothing answered (the pipeline retries it so)."""
    note = "nothing published in this window answers the question: the answer draws on every article up to as_of"
    return window.model_copy(update={"note": note})


_PERIODS: dict[str, Literal["month", "year"]] = {
    "month": "month",
    "last_month": "month",
    "year": "year",
    "last_year": "year",
}


def mentions_period(text: str, window: TimeWindow, published: dt.date | None) -> bool:
    """Whether an article published after a month or year window names it: "June" (with its year
    when published in another year) or "last month"; "2021" or "last year" for a year."""
    start = window.from_
    if window.period is None or start is None or published is None or published <= window.to:
        return False
    if window.period == "year":
        if re.search(rf"\b{start.year}\b", text):
            return True
        return published.year == start.year + 1 and re.search(r"\blast\s+year\b", text, re.I) is not None
    month = _MONTH_NAMES[start.month - 1].capitalize()  # capitalised: "May", not "may"; "March", not "march"
    mon = rf"{month[:3]}(?:{month[3:]}|\.)?" if len(month) > 4 else month
    if _shift_months(published.replace(day=1), 1) == start and re.search(r"\blast\s+month\b", text, re.I):
        return True
    if not re.search(rf"\b{mon}(?![\w])", text):
        return False
    return published.year == start.year or re.search(rf"\b{start.year}\b", text) is not None


def _resolve(
    kind: str, m: re.Match[str], as_of: dt.date, lag: int, prefer: str = "past"
) -> tuple[dt.date | None, dt.date] | None:
    one = dt.timedelta(days=1)
    if kind in ("since", "day", "month", "since_month", "year"):
        raw = re.sub(r"(\d)(?:st|nd|rd|th)\b", r"\1", m.group("date"))
        d = _parse(raw, as_of, prefer)
        if d is None:
            return None
        if kind == "since":
            return d, as_of
        if kind == "since_month":
            return d.replace(day=1), as_of
        if kind == "day":
            return d, d + lag * one
        if kind == "month":
            return _month_bounds(d)
        return dt.date(d.year, 1, 1), dt.date(d.year, 12, 31)
    if kind in ("last_n", "ago"):
        n, unit = _count(m.group("n")), m.group("unit").lower()
        span = {"day": 1, "week": 7}.get(unit)
        if kind == "last_n":
            if span is not None:
                return as_of - n * span * one, as_of
            months = n * (12 if unit == "year" else 1)
            return _shift_months(as_of, months), as_of
        if unit == "day":
            d = as_of - n * one
            return d, d + lag * one
        if unit == "week":
            d = as_of - 7 * n * one
            return d - 3 * one, d + 3 * one
        first = _shift_months(as_of, n * (12 if unit == "year" else 1))
        return (
            (first, _month_bounds(first)[1])
            if unit == "month"
            else (dt.date(first.year, 1, 1), dt.date(first.year, 12, 31))
        )
    monday = as_of - as_of.weekday() * one  # "last week" is the calendar week before this one
    return {
        "yesterday": (as_of - one, as_of),
        "today": (as_of, as_of),
        "past_week": (as_of - 7 * one, as_of),
        # News-speak: "this week" is the last seven days (on a Monday the calendar week is one day).
        "this_week": (as_of - 6 * one, as_of),
        "last_week": (monday - 7 * one, monday - one),
        "this_month": (as_of.replace(day=1), as_of),
        "last_month": _month_bounds(_shift_months(as_of, 1)),
        "this_year": (dt.date(as_of.year, 1, 1), as_of),
        "last_year": (dt.date(as_of.year - 1, 1, 1), dt.date(as_of.year - 1, 12, 31)),
    }.get(kind)
