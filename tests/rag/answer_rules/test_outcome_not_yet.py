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
