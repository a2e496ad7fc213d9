from rag.answer.rules.role import RoleBonus, states_role
from tests.rag.answer_rules.helpers import asked, candidate

TITLE = "Wang Yi, the Chinese foreign minister, spoke to reporters on Monday."


def test_the_sentence_giving_the_title_gains_the_weight() -> None:
    q = asked("What is Wang Yi's position?")
    assert states_role(q.role_terms, TITLE)
    assert RoleBonus(weight=0.3).bonus(candidate(TITLE), q) == 0.3
    assert RoleBonus(weight=0.3).bonus(candidate("Wang Yi spoke to reporters on Monday."), q) == 0.0


def test_a_question_about_no_role_gives_no_bonus() -> None:
    assert RoleBonus(weight=0.3).bonus(candidate(TITLE), asked("What did Wang Yi say on Monday?")) == 0.0
