"""The table of rules and RAG_RULES_OFF."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from rag.answer.rules import RULE_NAMES, RULES, build_rules
from rag.settings import Settings


def test_every_rule_has_a_unique_name_an_example_and_its_own_test() -> None:
    assert len(set(RULE_NAMES)) == len(RULES)
    here = Path(__file__).parent
    for rule in RULES:
        assert rule.__doc__ and ('"' in rule.__doc__ or "'" in rule.__doc__), rule.name
        assert (here / f"test_{rule.name}.py").exists(), rule.name


def test_rules_off_switches_rules_off_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_RULES_OFF", "holder, restated")
    names = build_rules(Settings(_env_file=None)).names  # type: ignore[call-arg]
    assert "holder" not in names and "restated" not in names
    assert names == [n for n in RULE_NAMES if n not in ("holder", "restated")]


def test_an_unknown_rule_name_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown rule"):
        Settings(_env_file=None, rules_off="holders")  # type: ignore[call-arg]


def test_flat_and_nested_names_set_one_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_HOLDER_WEIGHT", "0.5")
    monkeypatch.setenv("RAG_RULES__ROLE__WEIGHT", "0.6")
    s = Settings(_env_file=None, echo_overlap=0.7, asked_claim=False)  # type: ignore[call-arg]
    assert (s.rules.holder.weight, s.rules.role.weight, s.rules.restated.overlap) == (0.5, 0.6, 0.7)
    assert "asked_claim" in s.rules_off_set
    assert s.updated(fact_floor=0.6).selection.fact_floor == 0.6 and s.value("fact_floor") == 0.5


def test_a_legacy_switch_adds_to_rules_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_RULES_OFF", "holder")
    monkeypatch.setenv("RAG_ASKED_CLAIM", "false")
    monkeypatch.setenv("RAG_RULES__RESTATED__OVERLAP", "0.9")
    monkeypatch.setenv("RAG_ECHO_OVERLAP", "0.7")
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.rules_off_set == {"holder", "asked_claim"} and s.rules.restated.overlap == 0.9
