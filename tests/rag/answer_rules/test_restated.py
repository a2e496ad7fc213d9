from tests.rag.answer_rules.helpers import ask, quoted

LEAD = "Officials closed the old harbour bridge on Monday."
Q = f"{LEAD} What happened next?"
ARTICLE = [LEAD, "Engineers then found deep cracks in two of its piers."]


def test_a_sentence_that_restates_the_question_is_not_quoted() -> None:
    assert quoted(ask(Q, ARTICLE)) == [ARTICLE[1]]


def test_nothing_else_left_the_restating_sentence_answers() -> None:
    assert quoted(ask(Q, [LEAD])) == [LEAD]


def test_switched_off_it_is_quoted() -> None:
    assert LEAD in quoted(ask(Q, ARTICLE, rules_off="restated"))
