"""The gold Q&A format (JSON Lines), documented in the README."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from rag.ingest.parsers import make_doc_id
from rag.models import Filters


class GoldItem(BaseModel):
    id: str
    question: str
    reference_answer: str | None = None
    answers: list[str] = Field(default_factory=list)
    key_facts: list[list[str]] = Field(default_factory=list)
    gold_doc_ids: list[str] = Field(default_factory=list)
    answerable: bool = True
    type: str = "fact"
    filters: Filters | None = None
    question_date: str | None = None
    as_of: str | None = None  # ISO date the question is asked on; benchmarks give `question_date`
    # Unanswerable: what the archive lacks ('name', 'date', 'kind', 'outcome'); a refusal for
    # another reason is the outcome class wrong_refusal_kind.
    refusal: Literal["name", "date", "kind", "outcome"] | None = None

    def as_of_date(self) -> dt.date | None:
        """The day the question was asked: `as_of`, else `question_date` (YYYY/MM/DD or ISO)."""
        raw = self.as_of or self.question_date
        return dt.date.fromisoformat(raw.replace("/", "-")[:10]) if raw else None

    def gold_docs(self) -> set[str]:
        """Seed file names ('000_x.txt') and plain ids both map to stored doc ids."""
        return {
            make_doc_id(Path(d).stem if d.endswith((".txt", ".md", ".html", ".json")) else d) for d in self.gold_doc_ids
        }


class GoldError(ValueError):
    pass


def load_gold(path: Path) -> list[GoldItem]:
    items: list[GoldItem] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            items.append(GoldItem.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as e:
            raise GoldError(f"{path}:{lineno}: {e}") from None
    if not items:
        raise GoldError(f"{path}: no questions")
    return items


SPLITS = ("tuning", "validation")


def split_of(item: GoldItem, weeks: list[str]) -> str | None:
    """Benchmarks split by week: the earlier half of the question weeks tunes, the later validates."""
    if not item.question_date:
        return None
    return "tuning" if weeks.index(item.question_date) < (len(weeks) + 1) // 2 else "validation"


def question_weeks(items: list[GoldItem]) -> list[str]:
    """The question weeks of a whole benchmark, which `split_of` halves: taken before any
    `--split` or `--limit`, so that a tuning week is one in every run."""
    return sorted({i.question_date for i in items if i.question_date})


def split_items(items: list[GoldItem], split: str | None) -> list[GoldItem]:
    weeks = question_weeks(items)
    return items if split is None else [i for i in items if split_of(i, weeks) == split]


def deterministic_subset(items: list[GoldItem], limit: int | None) -> list[GoldItem]:
    if not limit or limit >= len(items):
        return items
    return sorted(items, key=lambda g: hashlib.sha1(g.id.encode()).hexdigest())[:limit]
