"""teaser: a sentence that asks is not quoted as a fact's answer."""

from __future__ import annotations

import re

from rag.answer import abstention
from rag.answer.render import Draft
from rag.answer.rules.base import Asked, Candidate, Evidence, EvidenceFilter

# A sentence that ends in a question mark.
_ASKS = re.compile(r"\?[\"'”’)\]]*$")


def asks(sentence: str) -> bool:
    return _ASKS.search(sentence) is not None


class TeaserSentence(EvidenceFilter):
    """ "Who will win the Stanley Cup: Colorado or Tampa Bay?" (a teaser, a rhetorical question)
    is never quoted as the answer to "Who won the Stanley Cup?", however close it is; it still
    counts as coverage and as a preview of the outcome (outcome_not_yet). What someone asked is
    what they said: a speaker question may quote a question."""

    name = "teaser"
    coverage = True

    def keep(self, c: Candidate, asked: Asked, ev: Evidence) -> bool:
        return asked.question.is_speaker_question or not asks(c.text)

    def when_empty(self, asked: Asked, ev: Evidence) -> Draft | None:
        return abstention.nothing_of_asked_kind(asked.question)
