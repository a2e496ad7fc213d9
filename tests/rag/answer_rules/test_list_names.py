from rag.answer.rules.list_names import ListBonus, enumerated_names
from tests.rag.answer_rules.helpers import asked, candidate

LIST = "Spain, Italy and Greece joined the pact on Monday."


def test_a_list_question_prefers_a_sentence_that_enumerates_names() -> None:
    rule = ListBonus(weight=0.35)
    assert enumerated_names(LIST) == 3
    assert rule.bonus(candidate(LIST), asked("Which countries joined the pact?")) == 0.35
    assert (
        rule.bonus(
            candidate("Spain joined the pact on Monday after a vote."), asked("Which countries joined the pact?")
        )
        == 0.0
    )


def test_a_question_for_one_thing_gives_no_list_bonus() -> None:
    assert ListBonus(weight=0.35).bonus(candidate(LIST), asked("Which country joined the pact first?")) == 0.0
