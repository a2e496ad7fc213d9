"""Datelines are marked once, at ingest, in the article's record (rag/nlp/datelines.py)."""

from __future__ import annotations

from rag.nlp.annotate import Annotator
from rag.nlp.datelines import in_dateline
from rag.nlp.records import Entity


def _entity(text: str, name: str, label: str = "ORG") -> Entity:
    start = text.index(name)
    return Entity(start=start, end=start + len(name), text=name, label=label)


def test_an_outlet_in_brackets_or_a_place_in_capitals_that_opens_a_report_is_a_dateline() -> None:
    lyft = "(CNN) The rideshare company Lyft settled."
    assert in_dateline(lyft, 0, _entity(lyft, "CNN"))
    london = "London (CNN) Britain's inflation rate fell in May."
    assert in_dateline(london, 0, _entity(london, "CNN"))
    place = "NORTH CHARLESTON, S.C. − Tim Scott declared his campaign on Monday."
    assert in_dateline(place, 0, _entity(place, "NORTH CHARLESTON", "GPE"))


def test_an_acronym_that_opens_or_follows_a_name_is_no_dateline() -> None:
    later = "The company told CNN (the network) on Monday that it had settled the case with its investors."
    assert not in_dateline(later, 0, _entity(later, "CNN"))
    nasa = "NASA said on Monday that the crew had reached the station."
    assert not in_dateline(nasa, 0, _entity(nasa, "NASA"))
    who = "The World Health Organization (WHO) said the outbreak was an emergency."
    assert not in_dateline(who, 0, _entity(who, "WHO"))


def test_the_record_keeps_the_datelines_of_each_sentence_and_nothing_else() -> None:
    text = (
        "DENVER (AP) — Andre Burakovsky scored the winning goal in overtime of Game 1 on Wednesday. "
        "NASA said on Monday that the crew had reached the station."
    )
    [ann] = Annotator().annotate([text])
    marked = {d.text for d in ann.datelines}
    assert "Andre Burakovsky" not in marked and "NASA" not in marked
    assert marked & {"DENVER", "AP"}
    assert all(text[d.start : d.end] == d.text for d in ann.datelines)
    assert ann.in_dateline(_entity(text, "DENVER", "GPE")) or ann.in_dateline(_entity(text, "AP"))
    assert not ann.in_dateline(_entity(text, "Andre Burakovsky", "PERSON"))
