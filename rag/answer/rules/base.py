"""What every answer rule is, and what it reads: one scored candidate sentence, the evidence the
answerer holds, and the question's terms computed once.

A rule is one small class with a `name` (RAG_RULES_OFF=name switches it off), a docstring with
one example, and its settings section (rag/settings.py, `Settings.rules.<name>`). Its kind says
where the answerer runs it (rag/answer/extractive/answerer.py); the order of RULES (rules/__init__.py) is
the run order within a kind.

- SentenceFilter: a sentence of a retrieved passage never becomes a candidate (before scoring).
- Bonus: adds to a candidate's score, which orders the evidence; relevance, which abstention
  judges, is left as it was.
- EvidenceFilter: narrows the evidence; when nothing is left it abstains or falls back to what
  it had. `coverage=True`: the sentences it takes out still count as coverage (relevance,
  previews), they are only not quoted.
- Abstention: refuses to answer from the evidence, with a reason a reader can check.
- ClaimRule: adds a claim to the chosen ones.
- IndexAbstention: runs before retrieval, on the question and the lexical index.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Protocol

import numpy as np

from rag.analysis.question import Question
from rag.answer.render import Claim, Draft
from rag.models import Passage

if TYPE_CHECKING:
    from rag.settings import Settings


class Vocabulary(Protocol):
    """What the rules that run before retrieval read of the index (rag.index.lexical.LexicalIndex)."""

    def has_term(self, term: str) -> bool: ...


@dataclass
class Candidate:
    text: str
    start: int
    end: int
    passage: Passage
    rank: int
    speakers: list[str]
    speaker: float = 0.0
    semantic: float = 0.0
    lexical: float = 0.0
    score: float = 0.0
    relevance: float = 0.0  # the score before the bonuses
    asked: float = 0.0  # relevance to the asking sentence alone (a question that opens with context)
    of_kind: bool | None = None  # holds a thing of the asked kind (None: any sentence may answer)
    # The stored named entity the sentence opens with ("Michigan's governor signed ..."): a
    # capitalised first word is no sign of a name, the NER can tell (abstention.has_asked_kind).
    opening_name: str = ""
    vector: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))


@dataclass(frozen=True)
class Asked:
    """The question and the terms the rules read from it, computed once per answer."""

    question: Question
    question_names: frozenset[str] = frozenset()  # terms of the question's own names
    role_terms: tuple[str, ...] = ()  # "What is X's position?": the terms of X


@dataclass
class Evidence:
    """What the evidence rules narrow. `pool`: the sentences that count as coverage (relevance,
    previews); `quotable`: those that may be quoted (a subset of the pool)."""

    candidates: list[Candidate]
    doc_terms: dict[str, frozenset[str]]
    pool: list[Candidate]
    quotable: list[Candidate]
    speaker_q: bool
    # Scores every candidate as a fact question (rules/speaker_quoted.py's fallback).
    rescore_as_fact: Callable[[], None] = lambda: None
    texts: dict[str, str] = field(default_factory=dict)  # the retrieved articles' texts
    # "Which outlets reported X?": the articles that report it, when a rule decided which
    # (rules/outlets_naming.py); else an outlet is listed by the relevance of its article.
    reporting: frozenset[str] | None = None


class Rule:
    name: ClassVar[str]
    kind: ClassVar[str]

    @classmethod
    def from_settings(cls, settings: Settings) -> Rule:
        return cls()


class SentenceFilter(Rule):
    kind = "sentence filter"

    def keep(self, text: str) -> bool:
        raise NotImplementedError


class Bonus(Rule):
    kind = "bonus"

    def bonus(self, c: Candidate, asked: Asked) -> float:
        raise NotImplementedError


class EvidenceRule(Rule):
    def apply(self, asked: Asked, ev: Evidence) -> Draft | None:
        raise NotImplementedError


class EvidenceFilter(EvidenceRule):
    kind = "filter"
    coverage: ClassVar[bool] = False

    def applies(self, asked: Asked, ev: Evidence) -> bool:
        return True

    def keep(self, c: Candidate, asked: Asked, ev: Evidence) -> bool:
        raise NotImplementedError

    def when_empty(self, asked: Asked, ev: Evidence) -> Draft | None:
        """The abstention when nothing is left; None keeps the evidence as it was."""
        return None

    def apply(self, asked: Asked, ev: Evidence) -> Draft | None:
        if not self.applies(asked, ev):
            return None
        quotable = [c for c in ev.quotable if self.keep(c, asked, ev)]
        if not quotable:
            return self.when_empty(asked, ev)
        ev.quotable = quotable
        if not self.coverage:
            ev.pool = [c for c in ev.pool if self.keep(c, asked, ev)]
        return None


class Abstention(EvidenceRule):
    kind = "abstention"

    def check(self, asked: Asked, ev: Evidence) -> Draft | None:
        raise NotImplementedError

    def apply(self, asked: Asked, ev: Evidence) -> Draft | None:
        return self.check(asked, ev)


class ClaimRule(Rule):
    kind = "claim"

    def add(self, asked: Asked, ev: Evidence, claims: list[Claim]) -> list[Claim]:
        raise NotImplementedError


class IndexAbstention(Rule):
    kind = "abstention before retrieval"

    def missing(self, question: Question, index: Vocabulary) -> list[str]:
        raise NotImplementedError
