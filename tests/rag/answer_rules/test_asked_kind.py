from tests.rag.answer_rules.helpers import ask

Q = "How many ships sank in the storm?"
NO_COUNT = ["The storm sank ships all along the coast of the bay."]


def test_no_sentence_of_the_asked_kind_abstains() -> None:
    draft = ask(Q, NO_COUNT)
    assert draft.abstained and "a number" in draft.abstain_reason


def test_a_sentence_with_the_count_answers() -> None:
    assert not ask(Q, ["The storm sank 14 ships along the coast of the bay."]).abstained


def test_switched_off_any_sentence_answers() -> None:
    assert not ask(Q, NO_COUNT, rules_off="asked_kind").abstained


def test_a_place_the_sentence_opens_with_is_of_the_asked_kind() -> None:
    """Every sentence opens with a capital, so that word alone is no sign of a name; the stored
    entities say "Michigan" is one."""
    article = ["Michigan repealed its right-to-work law on Friday after a long fight."]
    assert ask("Which state repealed its right-to-work law?", article).abstained
    assert not ask("Which state repealed its right-to-work law?", article, annotated=True).abstained
