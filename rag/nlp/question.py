"""The question through the same spaCy pipeline as the articles: where its names are.

    question_name_spans("Numerous newspapers, including the USA TODAY Network, dropped it?")
    -> [(25, 46)]   # "the USA TODAY Network" (ORG): its "TODAY" dates nothing

Every entity that is not a date or a time (ORG, PERSON, GPE, WORK_OF_ART, EVENT, ...) is a name.
A question is parsed once (memoised), and only when something needs it (a time phrase to check),
so a question without one costs no parse.
"""

from __future__ import annotations

from functools import lru_cache

from rag.nlp import model

_TIME_LABELS = frozenset({"DATE", "TIME"})


@lru_cache(maxsize=4096)
def question_name_spans(question: str) -> tuple[tuple[int, int], ...]:
    doc = model.load()(question)
    return tuple((e.start_char, e.end_char) for e in doc.ents if e.label_ not in _TIME_LABELS)
