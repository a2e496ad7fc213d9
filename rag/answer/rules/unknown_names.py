"""unknown_names: a name no indexed article contains is not searched for."""

from __future__ import annotations

from rag.analysis.question import Question
from rag.answer import abstention
from rag.answer.rules.base import IndexAbstention, Vocabulary


class UnknownNames(IndexAbstention):
    """ "What did Quorvex say?" over an archive that never names Quorvex abstains before any
    retrieval ("no indexed article mentions quorvex"). An acronym ("AP-NORC") may be written out
    in every article that has it: it is left to names_in_article."""

    name = "unknown_names"

    def missing(self, question: Question, index: Vocabulary) -> list[str]:
        return abstention.unknown_entities(question, index)
