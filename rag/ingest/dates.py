"""Date recognition for news headers, datelines and JSON fields."""

from __future__ import annotations

import datetime as dt
import re

from rag.resources import month_pattern, months

MONTHS = months()
_MONTH = rf"(?P<month>{month_pattern()})"
_ISO = re.compile(r"(?P<y>\d{4})[-/](?P<m>\d{1,2})[-/](?P<d>\d{1,2})")
_MDY = re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})\b", re.I)
_DMY = re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\s+(?P<year>\d{{4}})\b", re.I)


def _make(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def parse_date(value: str | None) -> dt.date | None:
    """The first full date (with a year) in `value`, or None."""
    if not value:
        return None
    value = value.strip()
    found: list[tuple[int, dt.date]] = []
    for m in _ISO.finditer(value):
        d = _make(int(m["y"]), int(m["m"]), int(m["d"]))
        if d:
            found.append((m.start(), d))
    for rx in (_MDY, _DMY):
        for m in rx.finditer(value):
            d = _make(int(m["year"]), MONTHS[m["month"].lower().rstrip(".")], int(m["day"]))
            if d:
                found.append((m.start(), d))
    return min(found)[1] if found else None


def leading_date(paragraph: str) -> dt.date | None:
    """A date that opens a paragraph as a dateline does: '21st November 2023 – (Beijing) ...'."""
    head = paragraph.strip()[:40]
    for rx in (_DMY, _MDY, _ISO):
        m = rx.match(head)
        if m:
            return parse_date(m.group(0))
    return None
