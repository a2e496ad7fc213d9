from rag.answer.rules.holder import HolderBonus
from tests.rag.answer_rules.helpers import asked, candidate

Q = "Which White House response coordinator urged people to get boosters?"


def test_the_title_right_before_a_new_name_gains_the_weight() -> None:
    rule = HolderBonus(weight=0.3)
    holder = candidate("Boosters are safe, said White House response coordinator Dr. Ashish Jha.")
    assert rule.bonus(holder, asked(Q)) == 0.3
    assert rule.bonus(candidate("The response coordinator urged people to get boosters."), asked(Q)) == 0.0


def test_a_question_asking_no_title_gives_no_bonus() -> None:
    holder = candidate("Boosters are safe, said White House response coordinator Dr. Ashish Jha.")
    assert HolderBonus(weight=0.3).bonus(holder, asked("How many people got boosters?")) == 0.0
