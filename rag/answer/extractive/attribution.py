"""Who said what in an article: speech verbs, speakers, pronouns resolved to the last named speaker.

"What did Oman say?" is answered by the sentences whose speaker is Oman ("the Omani foreign
minister said", "..., he said" after such a sentence), not by every sentence mentioning Oman.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from rag.nlp.text import Sentence, _demonym_map, normalize_word, terms
from rag.resources import alternation
from rag.resources import words as resource_words

if TYPE_CHECKING:
    from rag.analysis.question import Question
    from rag.nlp.records import Attribution as Attribution_


def _demonyms() -> dict[str, str]:
    return _demonym_map()


# Verbs that attribute speech. Strong ones also make the speaker the antecedent of a later
# "he said"; weak ones ("called", "urged") often have a country or a government as subject.
STRONG_VERBS = resource_words("speech_verbs_strong")
WEAK_VERBS = resource_words("speech_verbs_weak")
SPEECH_VERBS = STRONG_VERBS | WEAK_VERBS
POST_VERBS = resource_words("speech_verbs_post")
PRONOUNS = resource_words("speaker_pronouns")
ROLE_WORDS = frozenset(normalize_word(w) for w in resource_words("role_words"))

WORD_RE = re.compile(r"[A-Za-z][A-Za-z'’\-]*")
_CLAUSE_SPLIT = re.compile(r",|;|\s--\s|\s—\s|\s–\s")
_ADVERBS = re.compile(rf"\s+(?:{alternation('speech_adverbs')})$")
_NAME_GLUE = resource_words("name_glue")


def _name_like(phrase: str) -> bool:
    """'Usama, the Assistant Minister of Palestinian Affairs' yes; 'China has consistently' no."""
    ws = WORD_RE.findall(phrase)
    if not ws or len(ws) > 12:
        return False
    return all(
        w[0].isupper() or w.lower() in _NAME_GLUE or normalize_word(w.lower()) in ROLE_WORDS or w.lower() in _demonyms()
        for w in ws
    )


@dataclass(frozen=True)
class Attribution:
    phrase: str
    strong: bool
    pronoun: bool


def _attributions(sentence: str) -> list[Attribution]:
    found: list[Attribution] = []
    tokens = list(WORD_RE.finditer(sentence))
    for idx, m in enumerate(tokens):
        verb = m.group(0).lower()
        if verb not in SPEECH_VERBS:
            continue
        strong = verb in STRONG_VERBS
        before = sentence[: m.start()].rstrip()
        # "..., said Wang Yi, in a phone call" / "said Chinese Foreign Minister Wang Yi"
        bare = before.rstrip("\"'”’")
        if verb in POST_VERBS and idx + 1 < len(tokens) and (bare.endswith(",") or not bare):
            after = sentence[m.end() :]
            phrase = _CLAUSE_SPLIT.split(after, maxsplit=1)[0].strip(" .\"'”")
            first = phrase.split(" ", 1)[0] if phrase else ""
            if first and first[0].isupper() and len(phrase.split()) <= 10:
                found.append(Attribution(phrase, strong, False))
                continue
        segments = [s.strip(" \"'“”") for s in _CLAUSE_SPLIT.split(before)]
        while segments and not segments[-1]:
            segments.pop()
        if not segments:
            continue
        last = segments[-1]
        # "Wang, also a member of ..., said" -> keep the name and its apposition.
        if before.endswith(",") and len(segments) >= 2:
            last = f"{segments[-2]}, {last}"
        lw = last.lower()
        lw = re.sub(r"^(?:and|but|while|as|noting that|saying that)\s+", "", lw)
        lw = _ADVERBS.sub("", lw).strip()
        last = _ADVERBS.sub("", last)
        if lw in PRONOUNS:
            found.append(Attribution(lw, strong, True))
        elif len(last.split()) <= 16:
            found.append(Attribution(last, strong, False))
    return found


_CAP_WORDS_BEFORE = re.compile(r"(?:[A-Z][\w'’\-]+\s+)+$")
_CAP_WORDS_AFTER = re.compile(r"(?:\s+[A-Z][\w'’\-]+)*")
_ALIAS_WINDOW = 300  # characters of capitalised words looked at before a mention


def _expand_alias(phrase: str, document: str) -> str:
    """'Wang' -> 'Chinese Foreign Minister Wang Yi': the fullest capitalised mention of a short
    name in the same article, so surnames and titles both match later questions. (Each mention
    is found as a literal and widened over the capitalised words around it: a regex that tries
    the leading words at every position of the article cost 30 ms per question.)"""
    ws = phrase.split()
    if not ws or len(ws) > 2 or not all(w[0].isupper() for w in ws):
        return phrase
    best = phrase
    start = document.find(phrase)
    while start >= 0:
        end = start + len(phrase)
        before = _CAP_WORDS_BEFORE.search(document, max(0, start - _ALIAS_WINDOW), start)
        after = _CAP_WORDS_AFTER.match(document, end)
        left = before.start() if before else start
        right = after.end() if after else end
        if right - left > len(best):
            best = document[left:right]
        start = document.find(phrase, right if right > start else start + 1)
    return best


def attribute(sentences: list[Sentence], document: str = "") -> list[list[str]]:
    """Speaker phrases of each sentence, pronouns resolved to the article's last named speaker."""
    speakers: list[list[str]] = []
    antecedent: str | None = None
    for s in sentences:
        phrases: list[str] = []
        for a in _attributions(s.text):
            if a.pronoun:
                if antecedent:
                    phrases.append(antecedent)
            else:
                a = Attribution(_expand_alias(a.phrase, document), a.strong, False) if document else a
                phrases.append(a.phrase)
                if _name_like(a.phrase):
                    antecedent = a.phrase
        speakers.append(phrases)
    return speakers


def with_parsed_speakers(
    sentences: list[Sentence], speakers: list[list[str]], attributions: Sequence[Attribution_], document: str
) -> list[list[str]]:
    """The speakers of each sentence, joined by those the NLP layer's dependency parse found
    (stored at ingest, rag/nlp/annotate.py): the subject of a speech verb inside the sentence
    (with its apposition: "Sayyid Badr, the Omani foreign minister,"), "according to X", and a
    pronoun's resolved speaker. The parse finds subjects the patterns miss ("The ministry, in a
    statement on Sunday, said ..."). A surname is widened to its fullest mention, as above."""
    if not attributions:
        return speakers
    out = [list(sp) for sp in speakers]
    starts = [s.start for s in sentences]
    for a in attributions:
        anchor = a.verb.start if a.verb is not None else a.speaker.start
        i = bisect_right(starts, anchor) - 1
        if i < 0 or anchor >= sentences[i].end:
            continue
        phrase = _expand_alias(a.speaker.text, document)  # its subtree holds the apposition
        if phrase not in out[i]:
            out[i].append(phrase)
    return out


def _acronym_in(acronym: str, phrase: str) -> bool:
    caps = [w[0] for w in WORD_RE.findall(phrase) if w[0].isupper() and w.lower() not in ("of", "and", "the")]
    initials = "".join(caps)
    return acronym in initials or acronym in phrase.split()


def speaker_match(info: Question, phrases: list[str], document_terms: AbstractSet[str]) -> float:
    """1.0 when a phrase names the asked-about speaker, 0.6 when only the role matches and the
    name appears elsewhere in the article, else 0."""
    if not info.is_speaker_question or not phrases:
        return 0.0
    best = 0.0
    names, roles = info.speaker_names, info.speaker_roles
    for phrase in phrases:
        pt = set(terms(phrase))
        names_ok = all(
            n in pt or any(_acronym_in(a, phrase) for a in info.speaker_acronyms if a.lower() == n) for n in names
        )
        roles_ok = bool(roles) and roles <= pt
        if names and names_ok:
            best = max(best, 1.0 if roles_ok or not roles else 0.8)
        elif roles_ok and not names:
            best = max(best, 0.9)
        elif roles_ok and names <= document_terms:
            best = max(best, 0.6)
        elif names and names <= document_terms and pt and pt <= ROLE_WORDS | _place_terms():
            best = max(best, 0.5)  # "the Chinese Foreign Minister" in an article naming the speaker
    return best


@cache
def _place_terms() -> frozenset[str]:
    return frozenset(normalize_word(p) for p in set(_demonym_map().values()))
