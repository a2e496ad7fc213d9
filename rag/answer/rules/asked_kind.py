"""asked_kind: a question asking for a kind of thing is answered by a sentence holding one."""

from __future__ import annotations

from rag.answer import abstention
from rag.answer.render import Draft
from rag.answer.rules.base import Asked, Candidate, Evidence, EvidenceFilter


class AskedKind(EvidenceFilter):
    """ "How many people died?" is not answered by "The blast shook the city." (no count), nor
    "Where ...?" by a sentence without a name: only sentences holding a thing of the asked kind
    (Candidate.of_kind is not False) are evidence; none left, it abstains ("the retrieved
    articles give no a number for this question")."""

    name = "asked_kind"

    def keep(self, c: Candidate, asked: Asked, ev: Evidence) -> bool:
        return c.of_kind is not False

    def when_empty(self, asked: Asked, ev: Evidence) -> Draft | None:
        return abstention.nothing_of_asked_kind(asked.question)
