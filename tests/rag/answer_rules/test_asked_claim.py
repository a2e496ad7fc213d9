from tests.rag.answer_rules.helpers import ask, quoted

CONTEXT = "The Herons and the Gulls met in the final of the Harbour Cup on Sunday."
ANTHEM = "A choir sang Blue Nights before kickoff."
Q = "The Herons and the Gulls met in the final of the Harbour Cup. Which song was sung before kickoff?"
# One sentence is chosen (the retelling of the context ranks first on the whole question).
ONE = {"fact_sentences": 1, "answer_type_weight": 0.0}


def test_the_best_answer_to_the_asking_sentence_is_quoted_too() -> None:
    assert quoted(ask(Q, [CONTEXT, ANTHEM], **ONE, rules_off="restated")) == [CONTEXT, ANTHEM]


def test_switched_off_only_the_chosen_sentence_is_quoted() -> None:
    assert quoted(ask(Q, [CONTEXT, ANTHEM], **ONE, rules_off="restated,asked_claim")) == [CONTEXT]
