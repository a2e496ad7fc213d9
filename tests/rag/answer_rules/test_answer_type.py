from rag.answer.rules.answer_type import AnswerTypeBonus
from tests.rag.answer_rules.helpers import ask, asked, candidate, quoted

COUNT = "The storm on the coast left 12 people dead."
NO_COUNT = "The storm on the coast killed people and destroyed the harbour wall."


def test_a_sentence_of_the_asked_kind_gains_the_weight() -> None:
    rule = AnswerTypeBonus(weight=0.2)
    q = asked("How many people died in the storm?")
    assert rule.bonus(candidate(COUNT, of_kind=True), q) == 0.2
    assert rule.bonus(candidate(NO_COUNT, of_kind=None), q) == 0.0


def test_the_bonus_puts_the_sentence_with_the_count_first() -> None:
    # The weight is raised so the order is the bonus's doing; off, similarity alone orders.
    on = ask("How many people were killed by the storm?", [NO_COUNT, COUNT], rules_off="asked_kind", fact_sentences=1)
    off = ask(
        "How many people were killed by the storm?",
        [NO_COUNT, COUNT],
        rules_off="asked_kind,answer_type",
        fact_sentences=1,
    )
    assert quoted(on) == [COUNT] and quoted(off) == [NO_COUNT]
