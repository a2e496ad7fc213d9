"""asked_claim: a question that opens with context also quotes the best answer to its asking sentence."""

from __future__ import annotations

from rag.answer.citations import Support
from rag.answer.render import Claim
from rag.answer.rules.base import Asked, ClaimRule, Evidence


class AskedClaim(ClaimRule):
    """ "Sweden and Finland are set to join NATO. Which country dropped its opposition?" ranks
    first the reports that retell the context. The sentence closest to the asking sentence alone
    that holds a thing of the asked kind is quoted too, when no claim quotes it yet. Chosen on
    the tuning weeks (+1 of 209, no loss); RAG_ASKED_CLAIM=false is RAG_RULES_OFF=asked_claim."""

    name = "asked_claim"

    def add(self, asked: Asked, ev: Evidence, claims: list[Claim]) -> list[Claim]:
        if not asked.question.asking or ev.speaker_q:
            return []
        best = max((c for c in ev.quotable if c.of_kind), key=lambda c: c.asked, default=None)
        if best is None or any(best.text == s.quote for claim in claims for s in claim.supports):
            return []
        support = Support(best.passage, best.text, best.start, best.end, round(best.score, 4), True)
        return [Claim(best.text, [support])]
