from tests.rag.answer_rules.helpers import ask, quoted

TEASER = "Who will win the Harbour Cup final: the Herons or the Gulls?"
ARTICLE = [TEASER, "The Herons won the Harbour Cup final against the Gulls on Sunday."]


def test_a_sentence_that_asks_is_not_quoted_as_the_answer() -> None:
    assert TEASER not in quoted(ask("Who won the Harbour Cup final?", ARTICLE))


def test_what_a_speaker_asked_is_what_they_said() -> None:
    draft = ask("What did the coach say?", ['"Who will stop the Herons?" the coach said on Sunday night.'])
    assert not draft.abstained


def test_only_teasers_abstain() -> None:
    assert ask("Who won the Harbour Cup final?", [TEASER]).abstained


def test_switched_off_the_teaser_is_quoted() -> None:
    assert TEASER in quoted(ask("Who won the Harbour Cup final?", ARTICLE, rules_off="teaser"))
