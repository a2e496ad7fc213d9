"""names_in_article: the question's names must be in the article a sentence comes from."""

from __future__ import annotations

import math
import re
from collections.abc import Set as AbstractSet
from functools import lru_cache
from typing import TYPE_CHECKING

from rag.answer import abstention
from rag.answer.render import Draft
from rag.answer.rules.base import Asked, Evidence, EvidenceRule
from rag.nlp.text import terms

if TYPE_CHECKING:
    from rag.settings import Settings

# A run of capitalised words, with the short function words names keep inside them.
_CAPITALISED_RUN = re.compile(r"[A-Z][\w'’\-]*(?:\s+(?:(?:of|for|and|the|on)\s+)?[A-Z][\w'’\-]*)+")
_NAME_FUNCTION_WORDS = frozenset({"of", "for", "and", "the", "on"})


@lru_cache(maxsize=2048)
def initials(text: str) -> frozenset[str]:
    """The acronyms a text spells out: "Associated Press-NORC poll" gives "ap", "Food and Drug
    Administration" gives "fda", so a question's "AP-NORC" or "FDA" finds the article that writes
    the name in full (every run of two to five capitalised words; memoised like the sentences)."""
    found: set[str] = set()
    for m in _CAPITALISED_RUN.finditer(text):
        heads = [w[0].lower() for w in m.group(0).split() if w not in _NAME_FUNCTION_WORDS]
        for i in range(len(heads)):
            for j in range(i + 2, min(i + 5, len(heads)) + 1):
                found.add("".join(heads[i:j]))
    return frozenset(found)


def names_term(term: str, text_terms: AbstractSet[str], prefix: int) -> bool:
    """Whether a text has a name term, or a form of it that extends it or that it extends: the
    question's "Revolutionary Guards" is the article's "Revolution Guards Corps" (stems "revolutionari"
    and "revolut"). Terms shorter than `prefix` letters must match exactly."""
    if term in text_terms:
        return True
    if len(term) < prefix:
        return False
    return any(len(t) >= prefix and (t.startswith(term) or term.startswith(t)) for t in text_terms if t[:1] == term[:1])


class NamesInArticle(EvidenceRule):
    """ "What did Japan say?" is not answered from articles about Oman: all of one or two name
    words must be in the sentence's article (or a variant form, or the acronym spelled out), and
    `share` of a long question's many capitalised words, where a paraphrase or a variant spelling
    (LGBTQ / LGBTQ+) should not veto an article that names the rest. Not for speaker questions
    (speaker_quoted). A name most of the archive says ("U.S." in a US archive, more than
    `common_share` of its chunks) is not required: "Which U.S. state repealed its right-to-work
    law?" is answered by an article about Michigan that never writes "U.S.". Settings:
    `rules.names_in_article.share`, `.variant_prefix`, `.common_share` (RAG_ENTITY_SHARE,
    RAG_NAME_VARIANT_PREFIX)."""

    name = "names_in_article"
    kind = "filter"

    def __init__(self, share: float = 0.75, variant_prefix: int = 6, common_share: float = 1.0):
        self.share = share
        self.variant_prefix = variant_prefix
        self.common_share = common_share

    @classmethod
    def from_settings(cls, settings: Settings) -> NamesInArticle:
        s = settings.rules.names_in_article
        return cls(s.share, s.variant_prefix, s.common_share)

    def apply(self, asked: Asked, ev: Evidence) -> Draft | None:
        q = asked.question
        if q.is_speaker_question or not q.required_names:
            return None
        entity_terms = [
            t
            for t in dict.fromkeys(t for e in q.required_names for t in terms(e))
            if q.name_shares.get(t, 0.0) <= self.common_share
        ]
        if not entity_terms:
            return None
        need = len(entity_terms) if len(entity_terms) <= 2 else math.ceil(self.share * len(entity_terms))
        named = {
            doc: sum(names_term(n, doc_terms, self.variant_prefix) for n in entity_terms)
            for doc, doc_terms in ev.doc_terms.items()
        }
        pool = [c for c in ev.pool if named.get(c.passage.doc_id, 0) >= need]
        if not pool:
            return abstention.names_absent(q)
        ev.pool, ev.quotable = pool, [c for c in ev.quotable if named.get(c.passage.doc_id, 0) >= need]
        return None
