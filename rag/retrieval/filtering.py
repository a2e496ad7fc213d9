"""Retrieval filters, expressed once: as conditions on the chunk metadata fields, from which the
Chroma `where` clause, the lexical index's tantivy query and a Python predicate are all derived."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from rag.models import Filters

Condition = tuple[str, str, Any]  # (metadata field, operator, value)


def day_number(d: dt.date | None) -> int:
    """Dates as sortable ints (YYYYMMDD) because Chroma compares only numbers; 0 is undated."""
    return d.year * 10000 + d.month * 100 + d.day if d else 0


def conditions(filters: Filters | None, as_of: dt.date | None = None) -> list[Condition]:
    """`as_of`: nothing published after it (undated articles, day 0, pass). An explicit date
    filter, by contrast, keeps dated articles only."""
    out: list[Condition] = []
    if as_of is not None:
        out.append(("published_day", "$lte", day_number(as_of)))
    if filters is None:
        return out
    if filters.sources:
        out.append(("source_key", "$in", [s.lower() for s in filters.sources]))
    if filters.doc_ids:
        out.append(("doc_id", "$in", list(filters.doc_ids)))
    if filters.published_from:
        out.append(("published_day", "$gte", day_number(filters.published_from)))
    if filters.published_to:
        out.append(("published_day", "$lte", day_number(filters.published_to)))
    if filters.published_from or filters.published_to:
        out.append(("published_day", "$gt", 0))
    return out


def to_tantivy(conds: list[Condition], schema: Any) -> Any:
    """The conditions as one tantivy query over the lexical index's fields (same names), or None."""
    import tantivy

    clauses = []
    for field, op, value in conds:
        if op == "$in":
            clauses.append(tantivy.Query.term_set_query(schema, field, list(value)))
        else:
            low, high = {"$gte": (value, None), "$gt": (value + 1, None), "$lte": (None, value)}[op]
            clauses.append(tantivy.Query.range_query(schema, field, tantivy.FieldType.Integer, low, high))
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else tantivy.Query.boolean_query([(tantivy.Occur.Must, c) for c in clauses])


def to_where(conds: list[Condition]) -> dict[str, Any] | None:
    parts = [{field: {op: value}} for field, op, value in conds]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"$and": parts}


_OPS = {
    "$in": lambda a, v: a in v,
    "$gte": lambda a, v: a >= v,
    "$lte": lambda a, v: a <= v,
    "$gt": lambda a, v: a > v,
}


def matches(meta: Mapping[str, Any], conds: list[Condition]) -> bool:
    for field, op, value in conds:
        actual = meta.get(field, 0 if field == "published_day" else "")
        if not _OPS[op](actual, value):
            return False
    return True
