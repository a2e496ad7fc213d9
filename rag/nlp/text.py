"""Text primitives shared by chunking, retrieval and answering.

Sentence offsets always index the original document text, so every quote we cite can be
verified with `document.text[start:end]`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

import Stemmer

from rag.resources import words as resource_words

ABBREVIATIONS = resource_words("abbreviations")

STOPWORDS = resource_words("stopwords")

# Paragraph breaks are hard sentence boundaries.
_PARAGRAPH = re.compile(r"[^\n]+")
# A terminator, optional closing quotes/brackets, whitespace, then something that starts a sentence.
_SPACED_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")
# Sentences glued without a space by careless scraping: "...Albusaidi.Wang noted".
_GLUED_END = re.compile(r"(?<=[a-z]{2})[.!?][\"”’]?(?=[A-Z][a-z])|(?<=[a-z0-9][\"”’])[.!?](?=[A-Z][a-z])")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.'’]*)$")


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str
    start: int
    end: int
    paragraph: int


def _is_abbreviation(prefix: str) -> bool:
    m = _WORD_BEFORE.search(prefix)
    if not m:
        return False
    word = m.group(1).rstrip(".").lower()
    if len(word) == 1:  # an initial: "J. K. Rowling"
        return True
    return word in ABBREVIATIONS or word.replace(".", "") in {"us", "uk", "un", "eu"} and "." in word


def split_sentences(text: str, offset: int = 0) -> list[Sentence]:
    """Split text into sentences with offsets into `text` (plus `offset`)."""
    sentences: list[Sentence] = []
    for p_index, para in enumerate(_PARAGRAPH.finditer(text)):
        p_text, p_start = para.group(0), para.start()
        cuts: set[int] = set()
        for m in _SPACED_END.finditer(p_text):
            if m.group(0).startswith(".") and _is_abbreviation(p_text[: m.start()]):
                continue
            cuts.add(m.end())
        for m in _GLUED_END.finditer(p_text):
            cuts.add(m.end())
        begin = 0
        for cut in [*sorted(cuts), len(p_text)]:
            piece = p_text[begin:cut]
            stripped = piece.strip()
            if stripped:
                lead = len(piece) - len(piece.lstrip())
                s = p_start + begin + lead
                sentences.append(Sentence(stripped, s + offset, s + len(stripped) + offset, p_index))
            begin = cut
    return sentences


def asking_start(question: str) -> int:
    """Where the sentence that asks begins: the last sentence of a text that ends in '?' (what
    comes before it is context), else 0. Sentences are split as articles are, so "Roe v. Wade",
    "BA.5" or "a 7.0-magnitude quake" do not cut a question in two."""
    q = question.rstrip()
    if not q.endswith("?"):
        return 0
    sentences = split_sentences(q)
    return sentences[-1].start if sentences else 0


@cache
def _demonym_map() -> dict[str, str]:
    table: dict[str, str] = {}
    raw = resources.files("rag").joinpath("resources/demonyms.tsv").read_text(encoding="utf-8")
    for line in raw.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        place, forms = line.split("\t")
        for form in forms.split(","):
            table[form.strip()] = place
    return table


def is_demonym(word: str) -> bool:
    """'british', 'omani' (adjectives of a place), not the place ('britain', 'oman') itself."""
    return word.lower() in _demonym_map()


@cache
def analyser_fingerprint() -> str:
    """What decides the terms a text becomes (the demonym table, the stop words, the stemmer): a
    lexical index built under another fingerprint holds terms that questions no longer produce."""
    h = hashlib.sha256(str(Stemmer.version()).encode())
    for name in ("demonyms.tsv", "stopwords.txt"):
        h.update(resources.files("rag").joinpath(f"resources/{name}").read_bytes())
    return h.hexdigest()[:12]


@cache
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


_TOKEN = re.compile(r"(?:[A-Z]\.){2,}|[A-Za-z0-9]+(?:['’][A-Za-z]+)?")


_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_POSSESSIVE = re.compile(r"['’]s$")


def fold(text: str) -> str:
    """Strip accents so 'Sinn Féin' and 'Sinn Fein' match."""
    if text.isascii():
        return text
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text))


def words(text: str) -> list[str]:
    """Lower-cased surface words with possessives removed (the unit for spelling correction)."""
    out: list[str] = []
    for w in _TOKEN.findall(fold(text)):
        if w == "US" or w == "U.S.":
            out.append("america")
            continue
        if "." in w:
            w = w.replace(".", "")
        w = w.lower()
        if "'" in w or "’" in w:
            w = _POSSESSIVE.sub("", w).replace("’", "'")
        if w:
            out.append(w)
    return out


@lru_cache(maxsize=200_000)
def normalize_word(word: str) -> str:
    """Demonym -> place, then stem: 'Omani' -> 'oman', 'ministers' -> 'minist'. Memoised: a news
    vocabulary is small next to the number of words indexed."""
    place = _demonym_map().get(word)
    if place is not None:
        word = place
    return str(_stemmer().stemWord(word))


def terms(text: str, keep_stopwords: bool = False) -> list[str]:
    """Normalised index terms for BM25 and lexical overlap."""
    return [normalize_word(w) for w in words(text) if keep_stopwords or w not in STOPWORDS]


@lru_cache(maxsize=8192)
def term_set(text: str) -> frozenset[str]:
    """Content terms of a text; memoised because the same passages recur across questions."""
    return frozenset(terms(text))
