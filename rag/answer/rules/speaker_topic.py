"""speaker_topic: "What did X say about T?" is not answered from X's words on something else."""

from __future__ import annotations

from rag.answer import abstention
from rag.answer.render import Draft
from rag.answer.rules.base import Abstention, Asked, Evidence
from rag.nlp.text import terms


class SpeakerTopic(Abstention):
    """ "What did Oman say about oil prices?" over articles that quote Oman on Gaza only: no
    article in which Oman is quoted has a word of the topic ("oil", "prices"), and it abstains
    ("no retrieved article reports what Oman said about oil prices"). A topic word anywhere in
    the article counts: the quote itself may say "crude" where the question says "oil"."""

    name = "speaker_topic"

    def check(self, asked: Asked, ev: Evidence) -> Draft | None:
        q = asked.question
        topic = terms(q.topic) if q.topic else []
        if not ev.speaker_q or not topic:
            return None
        if any(set(topic) & ev.doc_terms.get(c.passage.doc_id, frozenset()) for c in ev.pool):
            return None
        return abstention.topic_not_quoted(q)
