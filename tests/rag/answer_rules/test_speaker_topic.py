from tests.rag.answer_rules.helpers import ask, quoted

ON_GAZA = ["Oman said the fighting in Gaza must stop at once."]
Q = "What did Oman say about oil prices?"


def test_the_speaker_quoted_on_another_topic_abstains() -> None:
    draft = ask(Q, ON_GAZA)
    assert draft.abstained and "what Oman said about oil prices" in draft.abstain_reason


def test_a_topic_word_in_the_speakers_article_answers() -> None:
    draft = ask(Q, ["Oman said the market must stay calm.", "Oil prices rose on Monday."])
    assert quoted(draft) == ["Oman said the market must stay calm."]


def test_switched_off_words_on_another_topic_answer() -> None:
    assert quoted(ask(Q, ON_GAZA, rules_off="speaker_topic")) == ON_GAZA
