"""outcome_not_yet: an outcome the evidence only previews is not answered with the preview."""

from __future__ import annotations

from rag.answer import abstention
from rag.answer.render import Draft
from rag.answer.rules.base import Abstention, Asked, Evidence


class OutcomeNotYet(Abstention):
    """ "Which team won this year's Stanley Cup?", asked before the final: the evidence says
    "the Avalanche are favoured to win" and nowhere "the Avalanche won"; it abstains ("the
    retrieved articles do not report this outcome as of ..."). Word lists:
    rag/resources/outcome_verbs.txt, future_markers.txt, unrealised_markers.txt."""

    name = "outcome_not_yet"

    def check(self, asked: Asked, ev: Evidence) -> Draft | None:
        return abstention.outcome_not_yet(asked.question, [c.text for c in ev.pool])
