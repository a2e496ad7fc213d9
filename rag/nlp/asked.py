"""The asked noun of a question, from the pinned pipeline's dependency parse.

"Which island nation plunged into chaos?" asks a nation, "In a win for unions, which U.S. state
saw ...?" a state, "Which state's law was it?" a state, "How many baby swings ...?" swings:
the noun the question word modifies, past its own modifiers. Written words alone cannot tell
where that noun phrase ends ("which island" is a place too, "how many doses will" runs into the
verb); the parse can. The small pipeline often attaches "which" to the verb rather than to its
noun, so the noun is read from the labels of the words after it, not from the head of "which".
"""

from __future__ import annotations

from functools import lru_cache

from rag.nlp import model

# ClearNLP dependency labels (spaCy's English parser): the words that modify a noun before it,
# and the labels a noun itself takes (a verb or an auxiliary right after "what" means the
# question word stands alone: "What did lawmakers leave out?").
_MODIFIERS = frozenset({"compound", "amod", "advmod", "nummod", "npadvmod", "nmod", "quantmod", "punct"})
_NOUNS = frozenset({"nsubj", "nsubjpass", "dobj", "pobj", "attr", "dep", "appos", "conj"})


@lru_cache(maxsize=1024)
def asked_head(focus: str) -> str | None:
    """The asked noun, in lower case, of a focus that opens with "which", "what" or "how many"
    (the asking sentence from its question word on, as written), or None.

    >>> asked_head("which island nation plunged into chaos?")  # doctest: +SKIP
    'nation'
    """
    opening = focus.lower().split()[:2]
    if opening == ["how", "many"]:
        first = 2
    elif opening[:1] in (["which"], ["what"]):
        first = 1
    else:
        return None  # no parse (4 ms) for a question that asks no noun
    doc = model.parser()(focus)
    if [t.lower_ for t in doc[:first]] != opening[:first]:
        return None
    for tok in doc[first:]:
        marked = tok.i + 1 < len(doc) and doc[tok.i + 1].dep_ == "case"  # the "'s" after it
        if tok.dep_ == "poss" or marked:
            return tok.lower_  # "which state's law": the state is asked
        if tok.dep_ in _MODIFIERS:
            continue
        return tok.lower_ if tok.dep_ in _NOUNS else None
    return None
