from rag.answer.rules.short_sentence import ShortSentence
from tests.rag.answer_rules.helpers import ask, quoted

ARTICLE = ["Photo by Lena Ortiz.", "The harbour board approved the dredging budget on Tuesday night."]


def test_a_caption_is_no_candidate() -> None:
    rule = ShortSentence(min_words=5)
    assert not rule.keep("Photo by Lena Ortiz.") and rule.keep(ARTICLE[1])
    assert "Photo by Lena Ortiz." not in quoted(ask("Who took the photo of the harbour board?", ARTICLE))


def test_switched_off_a_caption_may_answer() -> None:
    draft = ask("Who took the photo of the harbour board?", ARTICLE, rules_off="short_sentence")
    assert "Photo by Lena Ortiz." in quoted(draft)
