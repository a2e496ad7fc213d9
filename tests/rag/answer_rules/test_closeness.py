from tests.rag.answer_rules.helpers import ask

Q = "Which player scored the winning goal?"
UNRELATED = ["Mayor Lena Ortiz opened the new library downtown on Tuesday."]


def test_evidence_far_from_the_question_abstains() -> None:
    draft = ask(Q, UNRELATED, abstain_threshold=0.4)
    assert draft.abstained and "closely enough" in draft.abstain_reason


def test_close_evidence_answers() -> None:
    assert not ask(Q, ["Lena Ortiz scored the winning goal for the player's team."], abstain_threshold=0.4).abstained


def test_switched_off_far_evidence_answers() -> None:
    assert not ask(Q, UNRELATED, abstain_threshold=0.4, rules_off="closeness").abstained
