"""Answers that are common nouns of an asked kind: "Which sea creature did the blogger eat?" is
answered "great white shark", which no named-entity recogniser labels.

The kinds (animal, disease, sport, ... in rag/resources/noun_kind_categories.tsv) and the nouns
under each come from WordNet 3.0 (rag/resources/noun_kinds.tsv, written by
scripts/build_noun_kinds.py): a question whose asked noun is a kind ("creature" is an animal,
"species" an organism) is answered by a lower-case noun of that kind in a cited sentence, other
than the asked noun itself ("shark" answers "which creature", "creatures" does not). Disease
names that WordNet lacks or capitalises ("monkeypox", "COVID-19") are in
rag/resources/noun_kinds_news.tsv, matched in any case.
"""

from __future__ import annotations

import re
from functools import cache

from rag.nlp.records import Entity
from rag.nlp.text import STOPWORDS
from rag.resources import table

COMMON_NOUN = "COMMON_NOUN"  # the label of a short answer that is a noun of the asked kind
_LOWER_WORD = re.compile(r"[a-z][a-z-]*")
_LONGEST = 3  # words of the longest noun looked up ("great white shark")


@cache
def _kinds_of() -> dict[str, tuple[str, ...]]:
    return table("noun_kinds")


@cache
def _news_kinds_of() -> dict[str, tuple[str, ...]]:
    """Disease names news writes that WordNet lacks, matched in any case ("COVID-19", "Mpox")."""
    return table("noun_kinds_news")


def load() -> None:
    """Read the tables now (the nouns table is 0.5 MB, 16 ms to parse): a server's warm-up
    calls this so that its first open-ask question does not pay for it."""
    _kinds_of()
    _news_kinds_of()
    _asked_as()


@cache
def _asked_as() -> dict[str, str]:
    """Asked noun -> kind: each kind by its name and by the nouns that also ask it."""
    out: dict[str, str] = {}
    for kind, (_synset, *also) in table("noun_kind_categories").items():
        out[kind] = kind
        out.update(dict.fromkeys(also, kind))
    return out


def _singulars(word: str) -> list[str]:
    forms = [word]
    if word.endswith("ies"):
        forms.append(word[:-3] + "y")
    if word.endswith("es"):
        forms.append(word[:-2])
    if word.endswith("s"):
        forms.append(word[:-1])
    return forms


def _lookup(phrase: str) -> tuple[str, tuple[str, ...]] | None:
    """The table's form of a noun (a plural read as its singular) and its kinds, or None."""
    news = _news_kinds_of().get(phrase.lower())
    if news is not None:
        return phrase.lower(), news
    if not _LOWER_WORD.fullmatch(phrase.split(" ")[0]):
        return None  # a name's word opens it
    *first, last = phrase.split(" ")
    for form in _singulars(last):
        noun = " ".join([*first, form])
        if noun in _kinds_of():
            return noun, _kinds_of()[noun]
    return None


def asked_kind(asked_words: list[str]) -> tuple[str, str] | None:
    """(kind, the asked noun) when the asked noun phrase's last word that names a kind does so
    by its name or an alias (["sea", "creature"] -> ("animal", "creature")); None otherwise: a
    noun that merely falls under a kind ("which biscuit", a food) asks for more than the kind,
    which the names of the cited sentences answer better ("Jaffa Cakes", not "tea")."""
    for word in reversed(asked_words):
        for form in _singulars(word):
            if form in _asked_as():
                return _asked_as()[form], form
    return None


def nouns_of_kind(text: str, start: int, end: int, kind: str, asked_noun: str) -> list[Entity]:
    """The nouns of `kind` in text[start:end]: in each run of words without a stop word or a
    mark between them, the one that ends last, the longest ending there (a noun phrase ends in
    its noun: "a six-foot long great white shark", "giant African land snails" -> "snails"),
    in lower case, and neither the asked noun nor its kind's name."""
    found: list[Entity] = []
    for run in _runs(text, start, end):
        best: Entity | None = None
        for i in range(len(run)):
            for n in range(min(_LONGEST, i + 1), 0, -1):
                a, b = run[i - n + 1][0], run[i][1]
                phrase = text[a:b]
                hit = _lookup(phrase)
                if hit is not None and kind in hit[1] and hit[0] not in (asked_noun, kind):
                    best = Entity(start=a, end=b, text=phrase, label=COMMON_NOUN)
                    break
        if best is not None:
            found.append(best)
    return found


_RUN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9-]*")


def _runs(text: str, start: int, end: int) -> list[list[tuple[int, int]]]:
    runs: list[list[tuple[int, int]]] = [[]]
    last = -1
    for m in _RUN_WORD.finditer(text, start, end):
        if m.group(0).lower() in STOPWORDS or (last >= 0 and text[last : m.start()] != " "):
            runs.append([])
        if m.group(0).lower() not in STOPWORDS:
            runs[-1].append((m.start(), m.end()))
            last = m.end()
        else:
            last = -1
    return [r for r in runs if r]
