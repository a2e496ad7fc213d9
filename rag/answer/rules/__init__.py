"""Every rule of the answerer, by name, in the order it runs (see base.py for the kinds).

    RAG_RULES_OFF=holder,restated      # switch any of them off
    rag eval --ablate ...              # what each one earns (README: the ablation table)

Both answerers run the abstention rules (unknown_names before retrieval; the evidence rules
before the extractive answerer quotes or the LLM is asked).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rag.answer.rules.answer_type import AnswerTypeBonus
from rag.answer.rules.asked_claim import AskedClaim
from rag.answer.rules.asked_kind import AskedKind
from rag.answer.rules.base import (
    Abstention,
    Asked,
    Bonus,
    Candidate,
    ClaimRule,
    Evidence,
    EvidenceFilter,
    EvidenceRule,
    IndexAbstention,
    Rule,
    SentenceFilter,
)
from rag.answer.rules.boilerplate import Boilerplate
from rag.answer.rules.holder import HolderBonus
from rag.answer.rules.list_names import ListBonus
from rag.answer.rules.measure_named import MeasureNamed
from rag.answer.rules.names_in_article import NamesInArticle
from rag.answer.rules.outcome_not_yet import OutcomeNotYet
from rag.answer.rules.outlets_naming import OutletsNaming
from rag.answer.rules.restated import Restated
from rag.answer.rules.role import RoleBonus
from rag.answer.rules.short_sentence import ShortSentence
from rag.answer.rules.speaker_quoted import SpeakerQuoted
from rag.answer.rules.speaker_topic import SpeakerTopic
from rag.answer.rules.unknown_names import UnknownNames

if TYPE_CHECKING:
    from rag.settings import Settings

# The run order: the one table a newcomer reads. Within a kind, rules run top to bottom.
RULES: tuple[type[Rule], ...] = (
    UnknownNames,  # before retrieval
    ShortSentence,  # sentences of the retrieved passages ...
    Boilerplate,
    AnswerTypeBonus,  # ... scored, then put in order by the bonuses
    ListBonus,
    RoleBonus,
    HolderBonus,
    SpeakerQuoted,  # the evidence narrowed, in this order; any may abstain
    SpeakerTopic,
    NamesInArticle,
    MeasureNamed,
    AskedKind,
    OutcomeNotYet,
    Restated,
    OutletsNaming,  # which articles a "which outlets" answer lists
    AskedClaim,  # after the sentences are chosen
)
RULE_NAMES: tuple[str, ...] = tuple(r.name for r in RULES)


@dataclass(frozen=True)
class RuleSet:
    """The rules that run, built once from the settings, by kind."""

    rules: tuple[Rule, ...]

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.rules]

    @property
    def before_retrieval(self) -> list[IndexAbstention]:
        return [r for r in self.rules if isinstance(r, IndexAbstention)]

    @property
    def sentence_filters(self) -> list[SentenceFilter]:
        return [r for r in self.rules if isinstance(r, SentenceFilter)]

    @property
    def bonuses(self) -> list[Bonus]:
        return [r for r in self.rules if isinstance(r, Bonus)]

    @property
    def evidence(self) -> list[EvidenceRule]:
        return [r for r in self.rules if isinstance(r, EvidenceRule)]

    @property
    def claims(self) -> list[ClaimRule]:
        return [r for r in self.rules if isinstance(r, ClaimRule)]


def build_rules(settings: Settings, off: frozenset[str] | None = None) -> RuleSet:
    """The rules of RULES not switched off (`off`, else `settings.rules_off`), each configured
    from its settings section."""
    off = settings.rules_off_set if off is None else off
    unknown = sorted(off - set(RULE_NAMES))
    if unknown:
        raise ValueError(f"unknown rule(s) {', '.join(unknown)}; known: {', '.join(RULE_NAMES)}")
    return RuleSet(tuple(r.from_settings(settings) for r in RULES if r.name not in off))


__all__ = [
    "RULES",
    "RULE_NAMES",
    "Abstention",
    "Asked",
    "Bonus",
    "Candidate",
    "ClaimRule",
    "Evidence",
    "EvidenceFilter",
    "EvidenceRule",
    "IndexAbstention",
    "Rule",
    "RuleSet",
    "SentenceFilter",
    "build_rules",
]
