"""The asked noun from the question's parse (rag/nlp/asked.py), and what it changes in the short
answer; no store."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from rag.analysis.question import analyze
from rag.answer.extractive.short_answer import ShortAnswerSelector, asked_labels, cased_focus, listed_places
from rag.nlp.annotate import Annotator
from rag.nlp.asked import asked_head
from tests.nlp.test_short_answer import CONFIG, _draft


@pytest.mark.parametrize(
    ("question", "head"),
    [
        ("Which island nation plunged into chaos in recent days?", "nation"),
        ("In a win for unions, which U.S. state saw its governor sign the repeal?", "state"),
        ("Which major US city is sinking under its skyscrapers?", "city"),
        ("Which state's law was struck down?", "state"),
        ("At what price per share did the company go public?", "price"),
        ("How many baby swings and rockers were recalled?", "swings"),
        ("What did lawmakers leave out?", None),
        ("Which of these teams won?", None),
        ("Who won the final?", None),
    ],
)
def test_the_asked_noun_is_read_from_the_parse(question: str, head: str | None) -> None:
    assert asked_head(cased_focus(question)) == head


def test_which_us_state_is_answered_by_a_state() -> None:
    """Read from the words, "which U.S. state" stops at "U.S." (no known noun: any name answers,
    an organisation first); parsed, it asks a state, and the states' list answers."""
    sentence = "Michigan Gov. Gretchen Whitmer touted the repeal and her support for the UAW on Tuesday."
    [ann] = Annotator().annotate([sentence])
    draft = _draft("d1", sentence, [sentence], [1.0])
    info = analyze("In a win for unions, which U.S. state saw its governor sign the repeal?", dt.date(2024, 7, 20))
    config = dataclasses.replace(CONFIG, unlisted_place_penalty=0.5)
    assert listed_places(info) is None
    unparsed = ShortAnswerSelector(config).select(info, draft, {"d1": ann}, {"d1": sentence})
    info.asked_head = asked_head(cased_focus(info.text))
    assert asked_labels(info) == ("GPE",) and listed_places(info)
    parsed = ShortAnswerSelector(config).select(info, draft, {"d1": ann}, {"d1": sentence})
    assert parsed is not None and parsed.text == "Michigan"
    assert unparsed is not None and unparsed.text == "UAW"
