"""speaker_quoted: "What did X say?" quotes X, or, when nobody is quoted as X, sentences naming X."""

from __future__ import annotations

from rag.answer import abstention
from rag.answer.render import Draft
from rag.answer.rules.base import Asked, Evidence, EvidenceRule
from rag.nlp.text import term_set


class SpeakerQuoted(EvidenceRule):
    """ "What did Oman say?": only sentences whose speaker is Oman (Candidate.speaker > 0) are
    evidence. When no retrieved sentence quotes Oman ("What did the session call for?"), the
    question is answered as a fact question from sentences that name the speaker; when none
    does either, it abstains ("no retrieved article reports what Oman said")."""

    name = "speaker_quoted"
    kind = "filter"

    def apply(self, asked: Asked, ev: Evidence) -> Draft | None:
        if not ev.speaker_q:
            return None
        quoted = [c for c in ev.pool if c.speaker > 0]
        if quoted:
            ev.pool, ev.quotable = quoted, [c for c in ev.quotable if c.speaker > 0]
            return None
        q = asked.question
        names = q.speaker_names | q.speaker_roles
        ev.speaker_q = False
        ev.rescore_as_fact()
        naming = [c for c in ev.candidates if names <= term_set(c.text)]
        if not naming:
            return abstention.speaker_not_quoted(q)
        ev.pool, ev.quotable = naming, list(naming)
        return None
