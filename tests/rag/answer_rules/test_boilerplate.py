from rag.answer.rules.boilerplate import Boilerplate
from tests.rag.answer_rules.helpers import ask, quoted

FURNITURE = "Hide Caption 7 of 16 Photos: the harbour board meets on Tuesday night."
ARTICLE = [FURNITURE, "The harbour board approved the dredging budget on Tuesday night."]


def test_page_furniture_is_no_candidate() -> None:
    assert not Boilerplate().keep(FURNITURE) and Boilerplate().keep(ARTICLE[1])
    assert FURNITURE not in quoted(ask("When does the harbour board meet?", ARTICLE))


def test_switched_off_page_furniture_is_quoted() -> None:
    assert FURNITURE in quoted(ask("When does the harbour board meet?", ARTICLE, rules_off="boilerplate"))
