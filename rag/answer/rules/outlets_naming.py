"""outlets_naming: "Which outlets reported on X?" lists exactly the articles that name X whole."""

from __future__ import annotations

import re

from rag.answer.render import Draft
from rag.answer.rules.base import Asked, Evidence, EvidenceRule
from rag.nlp.text import fold, is_demonym, terms
from rag.resources import words as resource_words

_REPORTING_TERMS = frozenset(t for w in resource_words("reporting_words") for t in terms(w))


def reported_names(asked: Asked) -> list[str]:
    """The names of a "which outlets reported on X?" question whose X is only names ("Which
    outlets reported on Wang Yi?"), less the outlets it names and nationality adjectives; empty
    when it asks about more than names ("... the phone call between Wang Yi and ...")."""
    q = asked.question
    outlets = {o.lower() for o in q.outlets}
    names = [n for n in q.names if n.lower() not in outlets and not is_demonym(n)]
    if not names or any(t not in asked.question_names and t not in _REPORTING_TERMS for t in q.content_terms):
        return []
    return names


def names_all(names: list[str], text: str) -> bool:
    """Whether the text says every one of the names as a whole ("Wang Yi", not "Wang" and "Yi")."""
    folded = fold(text).lower()
    return all(re.search(rf"(?<!\w){re.escape(fold(n).lower())}(?!\w)", folded) for n in names)


class OutletsNaming(EvidenceRule):
    """ "Which outlets reported on Wang Yi?": an article reports on Wang Yi exactly when it says
    "Wang Yi" as a whole, so those articles are listed whatever their relevance (one about "Yi"
    and "Wang" apart, or about someone else, is not), each by its sentence that names him. Without
    it, an outlet is listed when its best sentence is as relevant as the answer's best (the
    outlet floor). A question about more than names ("... the phone call between Wang Yi and
    Blinken?") is left to the floor."""

    name = "outlets_naming"
    kind = "filter"

    def apply(self, asked: Asked, ev: Evidence) -> Draft | None:
        if not asked.question.wants_outlets:
            return None
        names = reported_names(asked)
        naming = frozenset(d for d, text in ev.texts.items() if names and names_all(names, text))
        if not naming:
            return None
        ev.reporting = naming
        # The article's sentence that names X speaks for it, before its best other sentence.
        ev.quotable = sorted(
            (c for c in ev.quotable if c.passage.doc_id in naming),
            key=lambda c: (not names_all(names, c.text), -c.relevance),
        )
        return None
