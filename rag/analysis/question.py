"""Question analysis, in one place: a question becomes one typed `Question` (corrected text,
speaker, entities, answer type, outlets, time window) that retrieval, the answerers and the
abstention rules read.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from rag.analysis.temporal import TimeWindow, find_time_window
from rag.answer.extractive.attribution import ROLE_WORDS, SPEECH_VERBS, WORD_RE
from rag.nlp.text import STOPWORDS, asking_start, is_demonym, normalize_word, terms, words
from rag.resources import alternation
from rag.resources import words as resource_words

_SPEAKER_Q = [
    re.compile(
        r"^(?:so\s+|and\s+|but\s+)?(?:what|how)\s+(?P<else>else\s+)?(?:did|does|do|has|have|had|was|were|is|are|would|will)\s+"
        rf"(?P<x>.+?)\s+(?P<verb>{alternation('speaker_question_verbs')})\b(?P<rest>.*)$",
        re.I,
    ),
    re.compile(
        rf"^what\s+(?:is|was|are|were)\s+(?P<x>.+?)['’]s?\s+(?:{alternation('stance_nouns')})\b(?P<rest>.*)$",
        re.I,
    ),
]
# "Which outlets reported X?" asks which of the archive's outlets carried it. A singular
# newspaper, agency or source is a name in the text: "Which newspaper first reported ...?" is
# answered by "The Indianapolis Star first reported ...", "Which agency issued the warning?" by
# "the FDA", not by the archive's outlets.
_OUTLETS_Q = re.compile(
    rf"\b(?:which|what)\s+(?:news\s+)?(?:{alternation('outlet_nouns')})\b|\bwho\s+(?:{alternation('outlet_verbs')})\b",
    re.I,
)
_QUESTION_WORDS = resource_words("question_words")
_TIME_WORDS = resource_words("time_words")
# Day and month names as terms: times, not names (extractive reads them too).
TIME_TERMS = frozenset(t for w in _TIME_WORDS for t in terms(w))
_PERIOD_TERMS = frozenset(terms("year week month day"))


@dataclass(frozen=True)
class Outcome:
    """An outcome a question asks for: the verb forms that report it as having happened ("won",
    "sold for") and those a preview of it uses ("favoured to win", "will be auctioned");
    rag/resources/outcome_verbs.txt."""

    done: frozenset[str]
    ahead: frozenset[str]
    # What the outcome is of: the question's other content terms ("stanley", "cup"). Another
    # result in the same evidence ("they beat the Maple Leafs in seven games") is not this one.
    about: frozenset[str] = frozenset()
    # ... and the names among them ("wimbledon"): a sentence about another event names none.
    names: frozenset[str] = frozenset()


@dataclass
class Question:
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
    names: list[str] = field(default_factory=list)  # proper names as units, as written ("Wang Yi")
    # The share of the archive's chunks holding each name term of the question (set against the
    # index once it is known: rag/pipeline.py): "america" is in a quarter of a US archive's.
    name_shares: dict[str, float] = field(default_factory=dict)
    acronyms: set[str] = field(default_factory=set)  # entities written in capitals ("ap", "norc", "fda")
    outlets: list[str] = field(default_factory=list)  # outlet names the question mentions
    answer_type: str = "fact"  # see ANSWER_TYPES
    wants_list: bool = False  # "which ministers ...": a sentence that enumerates them
    role_of: str | None = None  # "What is X's position?": X
    counted: list[str] = field(default_factory=list)  # "how many people were killed": ["peopl", "kill"]
    time_window: TimeWindow | None = None
    as_of: dt.date | None = None
    # The asking sentence of a question that opens with context ("Senators agreed on a bill this
    # week. Which measure did they leave out?"), else "".
    asking: str = ""
    asking_terms: list[str] = field(default_factory=list)
    # "Which French leader said ...?", "Who urged ...?": the person asked for is whoever is
    # quoted saying it, named in the sentence or not ("Macron later said ...", a quote's "he said").
    asks_who_said: bool = False
    # "Which White House response coordinator urged ...?", "Who is Japan's prime minister?": the
    # lower-case words of the asked noun phrase, a title that news puts right before the name
    # that answers ("response coordinator Dr. Ashish Jha"). Person and name questions only.
    asked_title: list[str] = field(default_factory=list)
    # "Which island nation ...?": the noun the question word asks, from the question's parse
    # (rag/nlp/asked.py), set by the pipeline; None: read from the words (short_answer.asked_noun).
    asked_head: str | None = None
    # "Who won this year's Stanley Cup?", "How much did the skeleton sell for?": asked before
    # the event, the archive holds previews only, and those do not answer.
    asked_outcome: Outcome | None = None

    @property
    def required_names(self) -> list[str]:
        """The entities an answering article must contain. A nationality adjective describes
        ("Which British prime minister ...?"): the article that answers names the person, and
        need not say 'British' or 'Britain'."""
        return [e for e in self.entities if not is_demonym(e)]

    @property
    def is_speaker_question(self) -> bool:
        return self.speaker is not None and bool(self.speaker_names or self.speaker_roles)


def _speaker_parts(x: str) -> tuple[set[str], set[str], set[str]]:
    names: set[str] = set()
    roles: set[str] = set()
    acronyms: set[str] = set()
    for m in WORD_RE.finditer(x):
        w = m.group(0)
        if w.isupper() and 2 <= len(w) <= 5:
            acronyms.add(w)
        for t in terms(w):
            (roles if t in ROLE_WORDS else names).add(t)
    return names, roles, acronyms


# A word of a name keeps the digits written into it ("G7", "F-35"): read as letters only, "G7"
# became a name "g" that no article contains, and the question was refused. Letters are any
# script's ("Pelé" had become "pel"), and an initialism is one word ("U.S." had become "u").
_NAME_WORD = re.compile(r"(?:[^\W\d_]\.){2,}|[^\W\d_][\w'’\-]*")
_INITIALISM = re.compile(r"(?:[^\W\d_]\.){2,}")


def _capitalised_words(question: str) -> Iterator[tuple[re.Match[str], str]]:
    """The capitalised words of a question that do not open a sentence, with their matches. A
    sentence's first word is capitalised whatever it is ("... this week. Since what year ...?"),
    so it says nothing about being a name; question words and stopwords are never names."""
    for m in _NAME_WORD.finditer(question):
        w = m.group(0).strip("'’-")
        before = question[: m.start()].rstrip()
        opens = not before or before[-1] in ".!?"
        if opens or not w or w.lower() in _QUESTION_WORDS or w.lower() in STOPWORDS:
            continue
        if w[0].isupper():
            yield m, w


def entities_of(question: str) -> list[str]:
    """The words of the proper names (`_capitalised_words`), lower-cased; day and month names
    are times."""
    out: list[str] = []
    for _, w in _capitalised_words(question):
        out += [w] if _INITIALISM.fullmatch(w) else [x for x in words(w) if x not in _TIME_WORDS]
    return list(dict.fromkeys(out))


def name_phrases(question: str) -> list[str]:
    """The question's proper names as units, as written: runs of adjacent capitalised words
    (`_capitalised_words`, less times) ("Which outlets reported on Wang Yi and the Security
    Council?" -> "Wang Yi", "Security Council"). An article names "Wang Yi" only if it says the
    two words together."""
    runs: list[list[str]] = []
    last_end = -1
    for m, w in _capitalised_words(question):
        if w.lower() in _TIME_WORDS:
            continue
        word = w.removesuffix("'s").removesuffix("’s")
        if runs and question[last_end : m.start()].strip() == "":
            runs[-1].append(word)
        else:
            runs.append([word])
        last_end = m.end()
    return list(dict.fromkeys(_without_title(" ".join(run)) for run in runs))


def _without_title(name: str) -> str:
    """'Omani Foreign Minister Sayyid Badr' is the person 'Sayyid Badr': a title before a name is
    how news introduces it, not part of it (a title that ends the run is the name: 'Security
    Council')."""
    ws = name.split()
    roles = [i for i, w in enumerate(ws) if set(terms(w)) & ROLE_WORDS]
    return " ".join(ws[roles[-1] + 1 :]) if roles and roles[-1] < len(ws) - 1 else name


def analyze(question: str, as_of: dt.date | None = None, day_lag_days: int = 1) -> Question:
    """`as_of` resolves time phrases; the phrase is then taken out of the text that is matched
    against articles ("October" is not a name an article must contain)."""
    q = " ".join(question.strip().split())
    info = Question(text=q, as_of=as_of)
    if as_of is not None:
        info.time_window = find_time_window(q, as_of, day_lag_days)
    if info.time_window is not None:
        q = " ".join(q.replace(info.time_window.phrase, " ").split())
        info.text = q
    body = q.rstrip("?.! ")
    role = _ROLE_Q.fullmatch(body)
    for rx in [] if role else _SPEAKER_Q:
        m = rx.match(body)
        if not m or m.groupdict().get("verb", "x")[:1].isupper():
            continue  # a capitalised verb is part of a name: "... between Delaware and Penn State?"
        # "a recent survey" -> "survey": articles and time words are not part of who said it.
        x = re.sub(
            r"^(?:(?:the|a|an|this|that)\s+)?(?:(?:recent|new|latest|last|week's|month's)\s+)*",
            "",
            m.group("x").strip(),
            flags=re.I,
        )
        # "according to Cassidy Hutchinson's testimony": the speaker is the person, not the document.
        x = re.sub(rf"['’]s?\s+(?:{alternation('report_nouns')})$", "", x, flags=re.I)
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
    info.names = name_phrases(q)
    info.acronyms = {w.lower() for w in re.findall(r"\b[A-Z]{2,6}\b", q)} & set(info.entities)
    info.wants_outlets = bool(_OUTLETS_Q.search(q))
    info.answer_type, info.wants_list = answer_type(q)
    asking = asking_sentence(q)
    if asking != q:
        info.asking = asking
        info.asking_terms = [t for t in terms(asking) if t not in verbs]
    counted = _COUNTED.match(q) or _COUNTED_PASSIVE.match(q)
    if counted:
        info.counted = [normalize_word(w.lower()) for w in counted.groups() if w]
    if role:
        info.role_of = role.group("x").strip()
        info.answer_type = "role"
    if info.answer_type in ("person", "name"):
        info.asked_title = asked_title(asked_focus(asking or q))
    info.asked_outcome = asked_outcome(asked_focus(asking or q))
    asked_words = {w.lower() for w in WORD_RE.findall(asking or q)}
    info.asks_who_said = info.answer_type in ("person", "name") and bool(asked_words & SPEECH_VERBS)
    return info


# -- answer types ------------------------------------------------------------------------------
ANSWER_TYPES = ("person", "number", "date", "place", "name", "role", "reason", "outlets", "fact")


_NUMBER_Q = re.compile(
    r"^(?:how\s+(?:many|much|long|old|far|big|large|high|often)|what\s+(?:is\s+|was\s+|were\s+|are\s+)?(?:the\s+)?"
    rf"(?:(?!of\b|the\b)[\w-]+\s+){{0,3}}?(?:{alternation('number_nouns')})\b)",
    re.I,
)
# "how many people were killed" / "how many people died": the counted noun and, when the verb
# follows directly, the verb; a count only answers when it stands in a clause with both.
_COUNTED = re.compile(
    r"how\s+many\s+([a-z]+)(?:\s+(?:were|was|have\s+been|had\s+been|are|is|have|had|has))?\s+([a-z]+(?:ed|ied)|died|fled|left|lost|won|made|took|went|came)\b",
    re.I,
)
# "how many years in prison was X sentenced to": the subject stands between the auxiliary and the
# verb; the count answers only in a clause with both "years" and "sentenced" (not "faces up to 10
# years in prison").
_COUNTED_PASSIVE = re.compile(
    r"how\s+many\s+([a-z]+)\b[^?]{0,40}?\b(?:was|were|is|are|has\s+been|have\s+been)\s+"
    r"(?:[\w'’.-]+\s+){1,4}?([a-z]+(?:ed|ied))\b",
    re.I,
)
_DATE_Q = re.compile(
    r"^(?:(?:since\s+|until\s+|till\s+)?when\b|(?:(?:in|on|since|by|until|from|before|after)\s+)?(?:what|which)\s+"
    r"(?:date|day|year|month)\b|what\s+time\b)",
    re.I,
)
# Up to two words before the asked noun ("which Chinese province", "which professional basketball
# player"), none of them a function word ("what is the country's ..." asks no place).
_MODIFIERS = r"(?:(?!(?:is|was|are|were|be|the|a|an|of|did|does|do|has|have|had|in|on|to)\b)[\w-]+\s+){0,2}?"
_PLACE_Q = re.compile(
    rf"^(?:where\b|(?:in\s+)?(?:which|what)\s+{_MODIFIERS}(?:{alternation('place_nouns')})\b)",
    re.I,
)
_PERSON_Q = re.compile(
    rf"^(?:who\b|whom\b|whose\b|(?:which|what)\s+{_MODIFIERS}(?:{alternation('person_nouns')})\b|name\s+the\b)",
    re.I,
)
_REASON_Q = re.compile(r"^(?:why\b|what\s+(?:caused|led\s+to|prompted|triggered)\b|for\s+what\s+reason\b)", re.I)
_WHICH_Q = re.compile(r"^(?:which|name\s+the)\s+\w+", re.I)
_LIST_Q = re.compile(r"^(?:which|what|name|list)\s+(?P<first>[\w-]+)(?:\s+(?P<second>[\w-]+))?", re.I)
_LIST_MODIFIERS = resource_words("list_modifiers")
_NOT_PLURAL = re.compile(r"(?:ss|us|is|was|has|does|news|series|species)$", re.I)


def _plural_noun(word: str) -> bool:
    """'countries', 'ministers' (not 'US', 'was', 'has', 'news', 'boss')."""
    return len(word) >= 4 and word[-1] in "sS" and not word.isupper() and not _NOT_PLURAL.search(word)


def asks_for_several(q: str) -> bool:
    """'Which ministers ...', 'Which other countries ...', 'Which European countries ...': the head
    noun after the question word is plural. 'Which product remains ...' and 'Which animal was it?'
    are not lists: a lower-case word that is not a known modifier is the (singular) head itself."""
    m = _LIST_Q.match(q)
    if not m or q.lower().startswith(("what is", "what was", "what does", "what did")):
        return False
    first, second = m.group("first"), m.group("second") or ""
    if _plural_noun(first):
        return True
    modifier = first.lower() in _LIST_MODIFIERS or first[0].isupper()
    return modifier and _plural_noun(second)


# "What is Wang Yi's position?" (nothing after: the title, not a stance on something)
_ROLE_Q = re.compile(r"what\s+(?:is|was)\s+(?P<x>.+?)['’]s?\s+(?:position|title|role|job|post|office|rank)", re.I)


# The asked noun phrase: after "which/what" or "who is/was", up to the first lower-case word that
# ends it (a function word, a verb form, a number); capitalised words and possessives inside it
# ("White House", "Japan's") are modifiers, not title words.
_ASKED_PHRASE = re.compile(
    r"^(?:(?:which|what)\s+|who\s+(?:is|was|are|were|will\s+be|has\s+been)\s+(?:the\s+)?)(?P<np>.+)$", re.I
)
_PHRASE_ENDS = frozenset(resource_words("question_words")) | frozenset(resource_words("phrase_end_verbs"))
_TITLE_MODIFIERS = frozenset(resource_words("title_modifiers"))


def asked_title(asking: str) -> list[str]:
    """The lower-case words of the noun phrase a person or name question asks about (see Question)."""
    m = _ASKED_PHRASE.match(asking.strip())
    if not m:
        return []
    out: list[str] = []
    for w in WORD_RE.findall(m.group("np")):
        lw = w.lower()
        if w.isupper() and len(w) > 1 and not w.endswith(("'S", "’S")):
            out.append(lw)  # "CEO", "FBI director"
            continue
        if w[0].isupper() or w.endswith(("'s", "’s")) or any(ch.isdigit() for ch in w):
            if out:
                break  # "coordinator Ashish ...": the phrase has ended
            continue
        if lw in _TITLE_MODIFIERS:
            continue
        if lw in STOPWORDS or lw in _PHRASE_ENDS or lw.endswith("ed"):
            break
        out.append(lw)
    return out


def asking_sentence(question: str) -> str:
    """The sentence that asks: the last one of a text ending in '?', or the whole text."""
    q = question.strip()
    return q[asking_start(q) :].strip()


# A question word that opens the asking sentence ("Which ...", "How many ...").
_OPENS_WITH_QUESTION_WORD = re.compile(r"^(?:which|what|who|whom|whose|where|when|why|how)\b", re.I)
# A question word inside it: "Organizers in which state said ...?", "... recognized at which
# awards show?", "According to AAA, how many ...?", with the word after it.
_INNER_QUESTION_WORD = re.compile(r"\b(?P<wh>which|what|how|where|when|whom|whose)\b(?:\s+(?P<next>[\w'’-]+))?", re.I)
_HOW_MEASURES = frozenset(resource_words("how_measures"))


def _asks(m: re.Match[str]) -> bool:
    """'which/what' asks when a noun follows it ("which state"); a function word or verb after it
    ("..., which would ...", "what happened") opens a clause instead. 'how' asks a measure."""
    wh, after = m.group("wh").lower(), (m.group("next") or "").lower()
    if wh in ("which", "what"):
        return bool(after) and after not in STOPWORDS and after not in _PHRASE_ENDS
    if wh == "how":
        return after in _HOW_MEASURES
    return True


def asked_focus(asking: str) -> str:
    """The asking sentence from its question word on: "Primary voters in which state struck down
    ...?" asks "which state struck down ...?". Question types and the asked noun phrase are read
    from here, so a question word in mid-sentence types the question as one at the start does.
    One right after a comma may open a relative clause ("The storm, which hit Florida, killed how
    many?"), and a 'when' or 'where' inside it a clause of time or place ("Fox News rocked the
    media world when it announced it would part ways with which host?"): another one is
    preferred to either."""
    if _OPENS_WITH_QUESTION_WORD.match(asking):
        return asking
    found = [m for m in _INNER_QUESTION_WORD.finditer(asking) if _asks(m)]
    if not found:
        return asking
    clear = [m for m in found if not asking[: m.start()].rstrip().endswith(",")] or found
    asking_noun = [m for m in clear if m.group("wh").lower() not in ("when", "where") or not m.group("next")]
    return asking[(asking_noun or clear)[0].start() :]


def _outcome_groups() -> list[tuple[frozenset[str], frozenset[str], frozenset[str]]]:
    groups = []
    for line in sorted(resource_words("outcome_verbs")):
        asked, done, ahead = (frozenset(field.split()) for field in line.split("|"))
        groups.append((asked, done, ahead))
    return groups


_OUTCOME_GROUPS = _outcome_groups()


def _outcome_object(focus: str, verb: str) -> str:
    """What an outcome is of: the words after the verb up to the participants ("the Stanley Cup
    Final" of "... won the Stanley Cup Final between the Avalanche and the Lightning?"), or, for
    "how much did X sell for", X."""
    sold = re.match(rf"^how\s+much\s+(?:did|does)\s+(?P<x>.*?)\s+{verb}\s+for\b", focus, re.I)
    if sold:
        return sold.group("x")
    after = re.split(rf"\b{verb}\b", focus, maxsplit=1, flags=re.I)[-1]
    return re.split(r"\b(?:between|against|over|by|with|after|when|to)\b|[?,]", after, maxsplit=1, flags=re.I)[0]


def asked_outcome(focus: str) -> Outcome | None:
    """The outcome a question asks for (Question.asked_outcome), or None. The verb must be the
    question's own ("Which team won ...?", "How much did X sell for?"), not one inside a context
    sentence or after "to" ("Who will try to win ...?" asks no outcome)."""
    lowered = focus.lower()
    for asked, done, ahead in _OUTCOME_GROUPS:
        for verb in asked:
            own = re.match(rf"^(?:who|which|what)\b[^?,]*?\b{verb}\b", lowered) and not re.search(
                rf"\b(?:to|will|would|could|might|may|can)\s+(?:\w+\s+)?{verb}\b", lowered
            )
            if own or re.match(rf"^how\s+much\s+(?:did|does)\b[^?,]*?\b{verb}\s+for\b", lowered):
                thing = _outcome_object(focus, verb)
                about = frozenset(t for t in terms(thing) if t not in TIME_TERMS | _PERIOD_TERMS | done | ahead | asked)
                names = frozenset(t for e in entities_of(focus) for t in terms(e)) & about
                return Outcome(done, ahead, about, names)
    return None


def answer_type(question: str) -> tuple[str, bool]:
    """(what kind of thing answers it, whether it asks for several of them). A question often
    follows a sentence of context ("Senators agreed on a bill this week. Which measure ...?"):
    the asking sentence is the one that decides."""
    q = asked_focus(asking_sentence(question))
    if _OUTLETS_Q.search(q):
        return "outlets", True
    wants_list = asks_for_several(q)
    kinds = (
        ("number", _NUMBER_Q),
        ("date", _DATE_Q),
        ("place", _PLACE_Q),
        ("person", _PERSON_Q),
        ("reason", _REASON_Q),
    )
    for kind, rx in kinds:
        if rx.match(q):
            return kind, wants_list
    if _WHICH_Q.match(q):
        return "name", wants_list  # "Which company ...?": a named thing answers it
    return "fact", wants_list
