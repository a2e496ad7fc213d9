from rag.answer.rules.outlets_naming import names_all
from tests.rag.answer_rules.helpers import ask, quoted

Q = "Which outlets reported on Wang Yi?"
NAMES_HIM = [
    "Chinese Foreign Minister Wang Yi held talks in Beijing on Tuesday.",
    "The talks covered trade and the region.",
]
NAMES_HIM_LATER = ["The talks in Beijing covered trade and the region.", "Wang Yi said the talks were frank."]
APART = ["Yi Gang of the central bank met officials named Wang at the Beijing talks on Tuesday."]


def test_every_article_that_names_him_whole_is_listed_by_its_sentence_naming_him() -> None:
    draft = ask(Q, APART, NAMES_HIM, NAMES_HIM_LATER)
    assert quoted(draft) == [NAMES_HIM[0], NAMES_HIM_LATER[1]]
    assert [c.lead for c in draft.claims] == ["o1", "o2"]


def test_a_question_about_more_than_names_is_left_to_the_outlet_floor() -> None:
    draft = ask("Which outlets reported on the talks Wang Yi held on trade?", APART, NAMES_HIM)
    assert NAMES_HIM[0] in quoted(draft)


def test_a_name_is_said_whole_or_not_at_all() -> None:
    assert names_all(["Wang Yi"], NAMES_HIM[0]) and not names_all(["Wang Yi"], APART[0])


def test_switched_off_the_outlets_are_listed_by_relevance() -> None:
    draft = ask(Q, APART, NAMES_HIM, NAMES_HIM_LATER, rules_off="outlets_naming")
    assert APART[0] in quoted(draft)
