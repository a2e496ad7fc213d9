import datetime as dt

from tests.rag.answer_rules.helpers import ask

Q = "Which team won this year's Harbour Cup?"
AS_OF = dt.date(2022, 6, 27)
PREVIEW = ["The Herons are favoured to win the Harbour Cup final on Sunday."]


def test_an_outcome_only_previewed_abstains() -> None:
    draft = ask(Q, PREVIEW, as_of=AS_OF)
    assert draft.abstained and "do not report this outcome" in draft.abstain_reason


def test_an_outcome_reported_answers() -> None:
    assert not ask(Q, ["The Herons won the Harbour Cup final on Sunday."], as_of=AS_OF).abstained


def test_switched_off_the_preview_answers() -> None:
    assert not ask(Q, PREVIEW, as_of=AS_OF, rules_off="outcome_not_yet").abstained


def test_an_outcome_of_an_event_no_sentence_names_abstains() -> None:
    """Articles about diplomacy name countries but no final: none of them won one."""
    diplomacy = ["China and Oman called for a ceasefire on Sunday, the foreign ministry said."]
    draft = ask("Which country won the final?", diplomacy, as_of=AS_OF)
    assert draft.abstained and "do not report this outcome" in draft.abstain_reason
    named = ["Portugal and Spain met in the final on Sunday, the federation said."]
    assert not ask("Which country won the final?", named, as_of=AS_OF).abstained
