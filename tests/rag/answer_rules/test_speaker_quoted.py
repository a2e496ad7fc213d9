from tests.rag.answer_rules.helpers import ask, quoted

OTHERS = ["Qatar said the talks had failed badly on Monday.", "The talks resume in Doha next month, officials said."]


def test_nobody_quoted_as_the_speaker_abstains() -> None:
    draft = ask("What did Oman say about the talks?", OTHERS)
    assert draft.abstained and "what Oman said" in draft.abstain_reason


def test_only_the_speakers_sentences_are_quoted() -> None:
    draft = ask("What did Oman say about the talks?", ["Oman said the talks must resume soon."], OTHERS)
    assert quoted(draft) == ["Oman said the talks must resume soon."]


def test_switched_off_someone_elses_words_answer() -> None:
    draft = ask("What did Oman say about the talks?", OTHERS, rules_off="speaker_quoted")
    assert not draft.abstained and OTHERS[0] in quoted(draft)
