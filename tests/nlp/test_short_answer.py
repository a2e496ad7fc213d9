"""The short-answer selector, from a Question and a few annotated sentences (no store)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from rag.analysis.question import analyze
from rag.answer.citations import Support
from rag.answer.extractive.short_answer import (
    NOUN_CHUNK,
    ShortAnswerConfig,
    ShortAnswerSelector,
    asked_labels,
    bare_number,
    listed_places,
    place_key,
)
from rag.answer.render import Claim, Draft, Pick, render, short_answer_of, states
from rag.models import Passage
from rag.nlp.annotate import Annotator
from rag.nlp.records import Entity

CONFIG = ShortAnswerConfig(vote_weight=0.1, label_step=0.05, context_weight=0.2, word_budget=60, asking_weight=0.5)


def _draft(doc_id: str, text: str, sentences: list[str], scores: list[float]) -> Draft:
    """One claim per sentence of `text`, each citing its own span."""
    passage = Passage(chunk_id=f"{doc_id}-0", doc_id=doc_id, text=text, start=0, end=len(text), title="t")
    claims = []
    for sentence, score in zip(sentences, scores, strict=True):
        start = text.index(sentence)
        support = Support(passage, sentence, start, start + len(sentence), score, True)
        claims.append(Claim(sentence, [support]))
    return Draft(claims=claims)


def _pick(question: str, sentences: list[str], scores: list[float]):  # type: ignore[no-untyped-def]
    text = " ".join(sentences)
    [ann] = Annotator().annotate([text])
    draft = _draft("d1", text, sentences, scores)
    info = analyze(question, dt.date(2024, 7, 20))
    pick = ShortAnswerSelector(CONFIG).select(info, draft, {"d1": ann}, {"d1": text})
    return text, draft, pick


def _pick_in(sentence: str, question: str, config: ShortAnswerConfig = CONFIG):  # type: ignore[no-untyped-def]
    """The short answer `config` picks from one annotated sentence, cited as the only claim."""
    [ann] = Annotator().annotate([sentence])
    draft = _draft("d1", sentence, [sentence], [1.0])
    info = analyze(question, dt.date(2024, 7, 20))
    return ShortAnswerSelector(config).select(info, draft, {"d1": ann}, {"d1": sentence})


@pytest.mark.parametrize(
    ("question", "first"),
    [
        ("How many people attended the parade?", "CARDINAL"),
        ("How much did the painting sell for?", "MONEY"),
        ("Which team won the final?", "ORG"),
        ("Which country won the final?", "GPE"),
        ("When did the port reopen?", "DATE"),
        ("Where did the ministers meet?", "GPE"),
        ("Who is Japan's prime minister?", "PERSON"),
        ("Which head of state resigned?", "PERSON"),
        ("Which measure did lawmakers leave out?", "ORG"),  # the asked noun is the measure
    ],
)
def test_the_asked_kind_maps_to_entity_labels(question: str, first: str) -> None:
    labels = asked_labels(analyze(question))
    assert labels is not None and labels[0] == first


def test_which_country_prefers_a_country_to_a_capital() -> None:
    """spaCy labels capitals and countries alike GPE: the list of countries tells them apart."""
    sentence = "Authorities in Riyadh said Saudi Arabia would seize the toys from shops this week."
    listed = dataclasses.replace(CONFIG, unlisted_place_penalty=0.5)
    [ann] = Annotator().annotate([sentence])
    draft = _draft("d1", sentence, [sentence], [1.0])
    info = analyze("Which country seized toys this week?", dt.date(2024, 7, 20))
    pick = ShortAnswerSelector(listed).select(info, draft, {"d1": ann}, {"d1": sentence})
    assert pick is not None and pick.text == "Saudi Arabia"
    assert ShortAnswerSelector(CONFIG).select(info, draft, {"d1": ann}, {"d1": sentence}).text == "Riyadh"


@pytest.mark.parametrize(
    ("name", "listed"),
    [("the U.S.", True), ("U.K.", True), ("North Korea", True), ("Ukrainian", False), ("Riyadh", False)],
)
def test_a_place_is_on_the_country_list_by_its_name_not_its_nationality(name: str, listed: bool) -> None:
    places = listed_places(analyze("Which country hosted the summit?"))
    assert places is not None and (place_key(name) in places) is listed


@pytest.mark.parametrize(
    "question",
    ["What did Oman say?", "Which outlets reported the final?", "Why did the port close?", "Which ministers met?"],
)
def test_questions_that_want_no_short_answer(question: str) -> None:
    assert asked_labels(analyze(question)) is None


def test_the_entity_of_the_asked_kind_that_the_question_does_not_name() -> None:
    """'Lisbon' is named in the question; 'Portugal' answers, from the best sentence, and that
    sentence comes first; the span is exact."""
    sentences = [
        "Thousands celebrated in Lisbon on Monday after the final.",
        "Portugal beat Spain 2-1 in the final in Lisbon on Sunday.",
    ]
    text, draft, pick = _pick("Which country won the final in Lisbon?", sentences, [0.5, 0.9])
    assert pick is not None and pick.text in ("Portugal", "Spain")
    assert pick.text == "Portugal" and text[pick.start : pick.end] == pick.text
    first = ShortAnswerSelector(CONFIG).answer_first(draft, pick)
    assert first.claims[0].text == sentences[1] and len(first.claims) == 2
    answer, citations = render(first)
    assert answer.startswith(f"Portugal. {sentences[1][:-1]} [1].")
    assert citations[0].quote == sentences[1]


def test_a_country_is_answered_by_a_country_not_a_nationality() -> None:
    """'Brazilians' (NORP) names no country; 'Brazil', in the next sentence, does."""
    sentences = [
        "Brazilians lined the streets on Monday to mourn the soccer great.",
        "Brazil declared three days of official mourning for the soccer great.",
    ]
    _, _, pick = _pick("Which country mourned the soccer great this week?", sentences, [0.9, 0.7])
    assert pick is not None and pick.text == "Brazil"


def test_a_count_skips_numbers_the_question_states() -> None:
    sentences = ["Police said 300 people attended the 2024 parade, up from 250 a year earlier."]
    text, _, pick = _pick("How many people attended the 2024 parade?", sentences, [0.9])
    assert pick is not None and pick.text == "300" and text[pick.start : pick.end] == "300"


def test_the_asked_title_introduces_the_name_that_answers() -> None:
    sentences = [
        "Chinese Foreign Minister Wang Yi and Omani Foreign Minister Sayyid Badr Albusaidi held a phone call on Wednesday."
    ]
    text, _, pick = _pick("Who is the Omani foreign minister?", sentences, [0.9])
    assert pick is not None and pick.text == "Sayyid Badr Albusaidi"
    assert text[pick.start : pick.end] == pick.text


def test_no_entity_of_the_asked_kind_gives_no_short_answer() -> None:
    _, _, pick = _pick("When did the port reopen?", ["The port reopened after a long strike by dockers."], [0.9])
    assert pick is None


def test_further_evidence_follows_only_within_the_word_budget() -> None:
    long = " ".join(["The harbour authority said traffic was back to normal across every terminal."] * 5)
    sentences = ["The port reopened on Monday, officials said.", long, "Ships queued outside for hours."]
    text, draft, pick = _pick("When did the port reopen?", sentences, [0.9, 0.8, 0.7])
    assert pick is not None and pick.text == "Monday"
    first = ShortAnswerSelector(CONFIG).answer_first(draft, pick)
    assert [c.text for c in first.claims] == [sentences[0]]
    assert sum(len(c.text.split()) for c in first.claims) <= CONFIG.word_budget


def test_a_name_the_ner_labels_otherwise_still_answers_a_which_question() -> None:
    """spaCy labels 'Squid Game' PERSON, not WORK_OF_ART: with no entity of the asked labels, a
    "which show" question takes any name."""
    sentences = ["The hit drama Squid Game will return for a second season."]
    text, _, pick = _pick("Which popular show will return for another season?", sentences, [0.9])
    assert pick is not None and pick.text == "Squid Game" and text[pick.start : pick.end] == pick.text


def test_an_open_ask_is_answered_by_a_noun_chunk_when_no_name_answers() -> None:
    """'Which menu item ...?' asks a noun the labels table does not know: no named entity of the
    cited sentence answers it (KFC is the question's own), its stored noun chunk does."""
    sentences = ["KFC rolled out chicken nuggets across the country on Monday to attract younger diners."]
    text = sentences[0]
    [ann] = Annotator(noun_chunks=True).annotate([text])
    draft = _draft("d1", text, sentences, [0.9])
    info = analyze("Which menu item did KFC roll out this week?", dt.date(2024, 7, 20))
    with_chunks = ShortAnswerSelector(dataclasses.replace(CONFIG, chunk_penalty=0.1))
    pick = with_chunks.select(info, draft, {"d1": ann}, {"d1": text})
    assert pick is not None and pick.label == NOUN_CHUNK
    assert pick.text == "chicken nuggets" and text[pick.start : pick.end] == pick.text
    assert ShortAnswerSelector(CONFIG).select(info, draft, {"d1": ann}, {"d1": text}) is None  # names only


def test_an_answer_that_opens_with_its_short_answer_keeps_at_most_max_claims() -> None:
    sentences = [
        "Thousands celebrated in Lisbon on Monday after the final.",
        "Portugal beat Spain 2-1 in the final in Lisbon on Sunday.",
        "The parade drew a crowd of 300 people.",
        "The coach thanked the fans.",
    ]
    text, draft, pick = _pick("Which country won the final in Lisbon?", sentences, [0.5, 0.9, 0.4, 0.3])
    assert pick is not None and pick.text == "Portugal"
    capped = ShortAnswerSelector(dataclasses.replace(CONFIG, word_budget=0, max_claims=2)).answer_first(draft, pick)
    assert [c.text for c in capped.claims] == [sentences[1], sentences[0]]
    every = ShortAnswerSelector(dataclasses.replace(CONFIG, word_budget=0)).answer_first(draft, pick)
    assert len(every.claims) == 4


def test_how_many_units_prefers_a_number_of_that_unit() -> None:
    """'How many seasons ...?': "23 seasons" in a later claim, over the "seven" of the lead; and a
    date that counts the asked unit ("six centuries") is a count."""
    sentences = [
        "The seven-time champion announced his retirement on Wednesday.",
        "He played 23 seasons in the league before he retired.",
    ]
    text = " ".join(sentences)
    [ann] = Annotator().annotate([text])
    draft = _draft("d1", text, sentences, [1.0, 0.9])
    info = analyze("How many seasons did he play in the league?", dt.date(2024, 7, 20))
    with_unit = dataclasses.replace(CONFIG, order_weight=1.0, unit_weight=3.0)
    pick = ShortAnswerSelector(with_unit).select(info, draft, {"d1": ann}, {"d1": text})
    assert pick is not None and pick.text == "23 seasons"
    assert (
        ShortAnswerSelector(dataclasses.replace(with_unit, unit_weight=0.0))
        .select(info, draft, {"d1": ann}, {"d1": text})
        .text
        == "seven"
    )
    sentence = "He was the first pope to resign in six centuries, the Vatican said on Saturday."
    [ann] = Annotator().annotate([sentence])
    draft = _draft("d1", sentence, [sentence], [1.0])
    info = analyze("He was the first pope to resign in how many centuries?", dt.date(2024, 7, 20))
    pick = ShortAnswerSelector(with_unit).select(info, draft, {"d1": ann}, {"d1": sentence})
    assert pick is not None and pick.text == "six centuries"


def test_a_number_answers_without_its_approximator() -> None:
    """ "How many ...?" is answered by the number; "more than" stays in the cited sentence."""
    sentence = "Health officials have now confirmed more than 10,000 cases across the country."
    question = "How many cases have health officials confirmed?"
    pick = _pick_in(sentence, question, dataclasses.replace(CONFIG, bare_numbers=True))
    assert pick is not None and pick.text == "10,000" == sentence[pick.start : pick.end]
    raw = _pick_in(sentence, question)
    assert raw is not None and raw.text == "more than 10,000"
    half = Entity(start=0, end=10, text="about half", label="CARDINAL")
    assert bare_number(half) is half  # no number after the approximator: kept as it is


def test_the_outlet_and_place_of_a_dateline_are_not_the_answer() -> None:
    """ "(CNN) ..." and "DENVER (AP) — ..." say who filed a report and where, not what it reports."""
    sentence = "DENVER (AP) — Andre Burakovsky scored the winning goal in overtime of Game 1 on Wednesday."
    question = "Who scored the winning goal in Game 1?"
    pick = _pick_in(sentence, question, dataclasses.replace(CONFIG, skip_datelines=True))
    assert pick is not None and pick.text == "Andre Burakovsky"
    raw = _pick_in(sentence, question)
    assert raw is not None and raw.text in ("DENVER", "AP")


def test_the_short_answer_lists_the_citations_that_state_it() -> None:
    """`stated_in`: its own citation first, then every other quote holding it as a whole phrase."""
    articles = {
        "a": "The Buffalo Bills lost on Monday.",
        "b": "Damar Hamlin plays for the Bills.",
        "c": "The Billsville council met.",
        "d": "The bills were paid on Friday.",
    }
    claims = []
    for doc_id, text in articles.items():
        passage = Passage(chunk_id=f"{doc_id}-0", doc_id=doc_id, text=text, start=0, end=len(text), title=doc_id)
        claims.append(Claim(text, [Support(passage, text, 0, len(text), 1.0, True)]))
    draft = Draft(claims=claims)
    _, citations = render(draft)
    lead = claims[1].supports[0]
    start = articles["b"].index("Bills")
    pick = Pick("Bills", start, start + 5, lead, "ORG", 1.0)
    short = short_answer_of(dataclasses.replace(draft, short_answer=pick), citations)
    assert short is not None and short.citation == 2
    assert short.stated_in == [2, 1], "its own first; neither 'Billsville' nor the common noun 'bills'"
    assert states("Sinn Féin said", "Sinn Fein") and states("Woolly mammoths", "woolly mammoth") is False
    assert states("Woolly mammoth DNA", "woolly mammoth") and not states("anything", " ")
