"""Common nouns of an asked kind ("which sea creature" -> "great white shark"), from the WordNet
table; no store."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from rag.analysis.question import analyze
from rag.answer.extractive.common_nouns import COMMON_NOUN, asked_kind, nouns_of_kind
from rag.answer.extractive.short_answer import ShortAnswerSelector
from rag.nlp.annotate import Annotator
from rag.resources import table
from tests.nlp.test_short_answer import CONFIG, _draft


@pytest.mark.parametrize(
    ("words", "kind"),
    [
        (["sea", "creature"], "animal"),
        (["invasive", "species"], "organism"),
        (["disease"], "disease"),
        (["sports"], "sport"),
        (["biscuit"], None),  # a food, but it asks for a biscuit: names answer it ("Jaffa Cakes")
        (["award"], None),
    ],
)
def test_an_asked_noun_that_names_a_kind(words: list[str], kind: str | None) -> None:
    found = asked_kind(words)
    assert (found[0] if found else None) == kind


def test_the_noun_that_ends_each_run_of_words() -> None:
    text = "A blogger was fined for eating a six-foot long great white shark and giant African land snails."
    nouns = nouns_of_kind(text, 0, len(text), "animal", "creature")
    assert [n.text for n in nouns] == ["great white shark", "snails"]
    assert all(text[n.start : n.end] == n.text and n.label == COMMON_NOUN for n in nouns)


def test_neither_the_asked_noun_nor_a_name_is_an_answer() -> None:
    text = "Officials counted the creatures near Shark Bay on Monday."
    assert nouns_of_kind(text, 0, len(text), "animal", "creature") == []


def test_the_selector_answers_an_open_ask_with_the_noun() -> None:
    """The blogger's name is an entity of the sentence before; the noun of the asked kind wins."""
    sentences = [
        "The blogger, who goes by the name Tizi, posted the video on Douyin last year.",
        "A food blogger has been fined after eating a six-foot long great white shark.",
    ]
    text = " ".join(sentences)
    [ann] = Annotator().annotate([text])
    draft = _draft("d1", text, sentences, [1.0, 0.9])
    info = analyze("A food blogger was fined for eating which sea creature?", dt.date(2023, 2, 3))
    on = dataclasses.replace(CONFIG, order_weight=1.0, common_nouns=True)
    pick = ShortAnswerSelector(on).select(info, draft, {"d1": ann}, {"d1": text})
    assert pick is not None and pick.text == "great white shark"
    off = dataclasses.replace(on, common_nouns=False)
    assert ShortAnswerSelector(off).select(info, draft, {"d1": ann}, {"d1": text}).text == "Tizi"


def test_disease_names_newer_than_wordnet_answer_which_virus_in_any_case() -> None:
    """WordNet 3.0 has no "monkeypox" and leaves out the capitalised "COVID-19": the news table
    (rag/resources/noun_kinds_news.tsv) names both, as a virus and as a disease."""
    text = "WHO officials weighed an emergency over monkeypox as COVID-19 cases rose in Europe."
    assert [n.text for n in nouns_of_kind(text, 0, len(text), "virus", "virus")] == ["monkeypox", "COVID-19"]
    assert [n.text for n in nouns_of_kind(text, 0, len(text), "disease", "illness")] == ["monkeypox", "COVID-19"]
    assert nouns_of_kind(text, 0, len(text), "animal", "creature") == []


def test_the_table_names_only_declared_kinds() -> None:
    kinds = set(table("noun_kind_categories"))
    nouns = table("noun_kinds")
    assert len(nouns) > 10_000 and {k for ks in nouns.values() for k in ks} <= kinds
    assert "shark" in nouns and "animal" in nouns["shark"] and "person" not in nouns
    news = table("noun_kinds_news")
    assert news and {k for ks in news.values() for k in ks} <= kinds and all(k == k.lower() for k in news)


def test_load_reads_the_tables_before_the_first_question() -> None:
    from rag.answer.extractive import common_nouns

    common_nouns._kinds_of.cache_clear()
    common_nouns.load()  # what RagPipeline.warm_up calls when the short answer reads common nouns
    assert common_nouns._kinds_of.cache_info().currsize == 1 and "shark" in common_nouns._kinds_of()
