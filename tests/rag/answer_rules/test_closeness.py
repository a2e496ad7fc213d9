from tests.rag.answer_rules.helpers import ask

CONTEXT = "Lawmakers spent the week arguing over a long budget dispute about road repairs."
Q = f"{CONTEXT} Which player scored the winning goal?"
UNRELATED = ["Mayor Lena Ortiz opened the new library downtown on Tuesday."]


def test_evidence_far_from_a_question_with_context_abstains() -> None:
    draft = ask(Q, UNRELATED, abstain_threshold=0.4)
    assert draft.abstained and "closely enough" in draft.abstain_reason


def test_close_evidence_answers() -> None:
    close = [
        "Lawmakers argued over the budget dispute about road repairs all week.",
        "Lena Ortiz scored the winning goal.",
    ]
    assert not ask(Q, close, abstain_threshold=0.4).abstained


def test_a_question_without_context_is_not_judged_by_the_threshold() -> None:
    assert not ask("Which player scored the winning goal?", UNRELATED, abstain_threshold=0.4).abstained


def test_switched_off_far_evidence_answers() -> None:
    assert not ask(Q, UNRELATED, abstain_threshold=0.4, rules_off="closeness").abstained
