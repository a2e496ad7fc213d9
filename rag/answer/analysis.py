"""What a question asks for, and who said each sentence of an article.

"What did Oman say?" is a speaker question: the answer is the sentences whose speaker is
Oman ("the Omani foreign minister said", "..., he said" after such a sentence), not every
sentence that mentions Oman.
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import cache

from rag.text import STOPWORDS, Sentence, _demonym_map, normalize_word, terms, words


def _demonyms() -> dict[str, str]:
    return _demonym_map()


# Verbs that attribute speech. Strong ones also make the speaker the antecedent of a later
# "he said"; weak ones ("called", "urged") often have a country or a government as subject.
STRONG_VERBS = frozenset(
    [
        "said",
        "says",
        "told",
        "tells",
        "noted",
        "notes",
        "added",
        "adds",
        "stated",
        "states",
        "stressed",
        "stresses",
        "emphasized",
        "emphasised",
        "emphasizes",
        "emphasises",
        "asserted",
        "asserts",
        "argued",
        "argues",
        "insisted",
        "insists",
        "explained",
        "explains",
        "remarked",
        "declared",
        "declares",
        "affirmed",
        "affirms",
        "reiterated",
        "reiterates",
        "warned",
        "warns",
        "announced",
        "announces",
        "acknowledged",
        "acknowledges",
        "claimed",
        "claims",
    ]
)
WEAK_VERBS = frozenset(
    [
        "urged",
        "urges",
        "called",
        "calls",
        "expressed",
        "expresses",
        "voiced",
        "voices",
        "applauded",
        "applauds",
        "praised",
        "praises",
        "highlighted",
        "highlights",
        "welcomed",
        "welcomes",
        "condemned",
        "condemns",
        "criticized",
        "criticised",
        "criticizes",
        "rejected",
        "rejects",
        "denied",
        "denies",
        "believes",
        "believed",
        "hoped",
        "hopes",
        "expects",
        "expected",
        "appreciated",
        "appreciates",
        "supports",
        "supported",
        "opposed",
        "opposes",
        "proposed",
        "proposes",
    ]
)
SPEECH_VERBS = STRONG_VERBS | WEAK_VERBS
POST_VERBS = frozenset({"said", "says", "added", "noted", "stated", "told", "asserted", "declared"})
PRONOUNS = frozenset(
    {
        "he",
        "she",
        "they",
        "it",
        "we",
        "the minister",
        "the official",
        "the spokesman",
        "the spokeswoman",
        "the spokesperson",
        "the diplomat",
        "the envoy",
    }
)
ROLE_WORDS = frozenset(
    normalize_word(w)
    for w in [
        "minister",
        "ministers",
        "foreign",
        "assistant",
        "deputy",
        "prime",
        "president",
        "vice",
        "spokesman",
        "spokeswoman",
        "spokesperson",
        "official",
        "officials",
        "government",
        "ministry",
        "envoy",
        "special",
        "secretary",
        "general",
        "chief",
        "top",
        "diplomat",
        "diplomats",
        "ambassador",
        "leader",
        "leaders",
        "head",
        "representative",
        "delegation",
        "counterpart",
        "state",
        "affairs",
        "council",
        "member",
        "committee",
        "senior",
        "chairman",
        "director",
        "army",
        "forces",
        "military",
        "commander",
        "police",
        "authorities",
        "department",
        "office",
        "agency",
    ]
)

_SPEAKER_Q = [
    re.compile(
        r"^(?:so\s+|and\s+|but\s+)?(?:what|how)\s+(?P<else>else\s+)?(?:did|does|do|has|have|had|was|were|is|are|would|will)\s+"
        r"(?P<x>.+?)\s+(?P<verb>say|said|saying|think|thought|tell|told|state|stated|announce|argue|claim|"
        r"believe|feel|stress|emphasi[sz]e|express|respond|react|comment|propose|urge|call\s+for|"
        r"want|warn|note|add|mean|praise|applaud|appreciate|ask\s+for|demand)\b(?P<rest>.*)$",
        re.I,
    ),
    re.compile(
        r"^what\s+(?:is|was|are|were)\s+(?P<x>.+?)['’]s?\s+(?:position|stance|view|views|response|"
        r"reaction|message|statement|statements|opinion|take|remarks|comments)\b(?P<rest>.*)$",
        re.I,
    ),
    re.compile(r"^according\s+to\s+(?P<x>[^,?]+),?(?P<rest>.*)$", re.I),
]
_OUTLETS_Q = re.compile(
    r"\b(?:which|what)\s+(?:news\s+)?(?:outlets?|media|newspapers?|agenc(?:y|ies)|sources?|publications?|"
    r"papers?|websites?)\b|\bwho\s+(?:reported|covered)\b",
    re.I,
)
_QUESTION_WORDS = frozenset(
    [
        "what",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "which",
        "why",
        "how",
        "did",
        "does",
        "do",
        "is",
        "are",
        "was",
        "were",
        "has",
        "have",
        "had",
    ]
)
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'’\-]*")
_CLAUSE_SPLIT = re.compile(r",|;|\s--\s|\s—\s|\s–\s")
_ADVERBS = re.compile(r"\s+(?:also|further|then|later|again|repeatedly|firmly|highly|strongly|once more)$")
_NAME_GLUE = frozenset({"of", "the", "for", "and", "a", "an", "on", "in", "to", "de", "al", "bin"})


def _name_like(phrase: str) -> bool:
    """'Usama, the Assistant Minister of Palestinian Affairs' yes; 'China has consistently' no."""
    ws = _WORD_RE.findall(phrase)
    if not ws or len(ws) > 12:
        return False
    return all(
        w[0].isupper() or w.lower() in _NAME_GLUE or normalize_word(w.lower()) in ROLE_WORDS or w.lower() in _demonyms()
        for w in ws
    )


@dataclass
class QuestionInfo:
    text: str
    speaker: str | None = None
    speaker_names: set[str] = field(default_factory=set)
    speaker_roles: set[str] = field(default_factory=set)
    speaker_acronyms: set[str] = field(default_factory=set)
    topic: str = ""
    follow_up_else: bool = False
    wants_outlets: bool = False
    content_terms: list[str] = field(default_factory=list)
    entities: list[str] = field(default_factory=list)  # surface words of proper names
    outlets: list[str] = field(default_factory=list)  # outlet names the question mentions

    @property
    def is_speaker_question(self) -> bool:
        return self.speaker is not None and bool(self.speaker_names or self.speaker_roles)


def _speaker_parts(x: str) -> tuple[set[str], set[str], set[str]]:
    names: set[str] = set()
    roles: set[str] = set()
    acronyms: set[str] = set()
    for m in _WORD_RE.finditer(x):
        w = m.group(0)
        if w.isupper() and 2 <= len(w) <= 5:
            acronyms.add(w)
        for t in terms(w):
            (roles if t in ROLE_WORDS else names).add(t)
    return names, roles, acronyms


def entities_of(question: str) -> list[str]:
    """Capitalised words after the first (proper names), lower-cased."""
    out: list[str] = []
    for i, m in enumerate(_WORD_RE.finditer(question)):
        w = m.group(0).strip("'’-")
        if i == 0 or not w or w.lower() in _QUESTION_WORDS or w.lower() in STOPWORDS:
            continue
        if w[0].isupper():
            out += words(w)
    return list(dict.fromkeys(out))


def analyze(question: str) -> QuestionInfo:
    q = " ".join(question.strip().split())
    info = QuestionInfo(text=q)
    body = q.rstrip("?.! ")
    for rx in _SPEAKER_Q:
        m = rx.match(body)
        if not m:
            continue
        # "a recent survey" -> "survey": articles and time words are not part of who said it.
        x = re.sub(
            r"^(?:(?:the|a|an|this|that)\s+)?(?:(?:recent|new|latest|last|week's|month's)\s+)*",
            "",
            m.group("x").strip(),
            flags=re.I,
        )
        if len(x.split()) > 10:
            continue
        info.speaker = x
        info.speaker_names, info.speaker_roles, info.speaker_acronyms = _speaker_parts(x)
        info.follow_up_else = bool(m.groupdict().get("else"))
        rest = m.group("rest").strip()
        info.topic = re.sub(r"^(?:about|on|regarding|concerning|of|to)\s+", "", rest, flags=re.I)
        break
    verbs = {normalize_word(v) for v in SPEECH_VERBS} | {"say", "think", "else"}
    info.content_terms = [t for t in terms(q) if t not in verbs]
    info.entities = entities_of(q)
    info.wants_outlets = bool(_OUTLETS_Q.search(q))
    return info


# -- attribution ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attribution:
    phrase: str
    strong: bool
    pronoun: bool


def _attributions(sentence: str) -> list[Attribution]:
    found: list[Attribution] = []
    tokens = list(_WORD_RE.finditer(sentence))
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


_CAP_SEQ = r"(?:[A-Z][\w'’\-]+\s+)*"


def _expand_alias(phrase: str, document: str) -> str:
    """'Wang' -> 'Chinese Foreign Minister Wang Yi': the fullest capitalised mention of a short
    name in the same article, so surnames and titles both match later questions."""
    ws = phrase.split()
    if not ws or len(ws) > 2 or not all(w[0].isupper() for w in ws):
        return phrase
    rx = re.compile(_CAP_SEQ + re.escape(phrase) + r"(?:\s+[A-Z][\w'’\-]+)*")
    best = phrase
    for m in rx.finditer(document):
        if len(m.group(0)) > len(best):
            best = m.group(0)
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


def _acronym_in(acronym: str, phrase: str) -> bool:
    caps = [w[0] for w in _WORD_RE.findall(phrase) if w[0].isupper() and w.lower() not in ("of", "and", "the")]
    initials = "".join(caps)
    return acronym in initials or acronym in phrase.split()


def speaker_match(info: QuestionInfo, phrases: list[str], document_terms: AbstractSet[str]) -> float:
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
