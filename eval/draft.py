"""`rag gold draft`: propose gold questions from an archive, for a person to review.

A newsroom has no gold set for its own archive; writing one from nothing is what stops most
people from evaluating at all. This drafts one from what the archive states, with the answering
layer's own reading of it: who said what (the speech attributions of rag/answer/extractive/attribution.py),
which outlets reported the same names, numbers stated in articles, and a share of unanswerable
questions (a country the archive never mentions, a year before it begins). Every item carries
its gold documents, key facts, `as_of` and the sentence it came from, and is meant to be read,
edited or dropped (`rag gold review`) before it is used: a starting point, not a benchmark.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.nlp.text import STOPWORDS, normalize_word, split_sentences, terms

if TYPE_CHECKING:
    from rag.pipeline import RagPipeline

# "35 people were killed …": a count, the noun it counts and the clause that follows.
_COUNT = re.compile(r"\b(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s+([a-z]{3,}s)\b([^.;:!?\"“”]{0,80})")
_NAME = re.compile(r"\b(?:[A-Z][a-z]+(?:[-'’][A-Z]?[a-z]+)?\s(?:of\s)?){1,4}[A-Z][a-z]+\b")
_LEADING = re.compile(r"^(?:\([^)]*\)\s*)+")
_YEAR = re.compile(r"^(1[89]|20)\d\d$")


@dataclass
class _Article:
    doc_id: str
    title: str
    source: str | None
    published: dt.date | None
    text: str


@dataclass
class Draft:
    """Draft items by kind, in the order found (answerable kinds, then unanswerable)."""

    by_kind: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))


def _articles(pipeline: RagPipeline) -> list[_Article]:
    out = []
    for info in sorted(pipeline.list_documents(), key=lambda d: d.doc_id):
        detail = pipeline.get_document(info.doc_id)
        out.append(_Article(info.doc_id, info.title, info.source, info.published, detail.text))
    return out


def _window(text: str, words: int = 5) -> str:
    """A run of `words` words from the middle of a quote: a key fact an answer quoting it holds."""
    ws = text.split()
    if len(ws) <= words:
        return " ".join(ws)
    mid = max(0, len(ws) // 2 - words // 2)
    return " ".join(ws[mid : mid + words]).strip(",;:\"“”'")


def _item(kind: str, question: str, as_of: dt.date | None, **kw: Any) -> dict[str, Any]:
    return {
        "id": "",
        "question": question,
        "answers": kw.pop("answers", []),
        "key_facts": kw.pop("key_facts", []),
        "gold_doc_ids": kw.pop("gold_doc_ids", []),
        "answerable": kw.pop("answerable", True),
        "type": kind,
        "as_of": as_of.isoformat() if as_of else None,
        **({"refusal": kw.pop("why")} if "why" in kw else {}),
        "draft": {"kind": kind, **kw},
    }


def speaker_questions(articles: list[_Article], as_of: dt.date | None) -> Iterator[dict[str, Any]]:
    """'What did <speaker> say?' for each named speaker; any of their sentences is the key fact."""
    from rag.answer.extractive.attribution import _name_like, attribute

    said: dict[str, list[tuple[_Article, str]]] = defaultdict(list)
    display: dict[str, str] = {}
    found: list[tuple[_Article, str, str, str]] = []  # (article, key, phrase, sentence)
    for a in articles:
        sentences = split_sentences(a.text)
        for s, phrases in zip(sentences, attribute(sentences, a.text), strict=True):
            for phrase in phrases:
                phrase = _LEADING.sub("", phrase.strip(" ,."))
                if "," in phrase:  # "China's top diplomat, Wang Yi" -> the name; "Usama, the minister" -> Usama
                    parts = [p.strip() for p in phrase.split(",")]
                    phrase = parts[-1] if parts[-1][:1].isupper() and not parts[-1].startswith("The ") else parts[0]
                phrase = phrase[0].lower() + phrase[1:] if phrase.startswith("The ") else phrase
                if not _name_like(phrase) or len(phrase.split()) > 8 or not any(w[0].isupper() for w in phrase.split()):
                    continue
                key = " ".join(terms(phrase))
                if key:
                    found.append((a, key, phrase, s.text))
    # "Wang" in an article that names "Wang Yi", a person quoted in the archive, is Wang Yi: a
    # part of a person's name is that person, not a speaker of its own.
    people = {k: p for _, k, p, _ in found if _is_person(p) and " " in k}
    for a, key, phrase, sentence in found:
        whole = next(
            (k for k in people if k != key and set(key.split()) <= set(k.split()) and people[k] in a.text), None
        )
        if whole is not None:
            key, phrase = whole, people[whole]
        display.setdefault(key, phrase)
        said[key].append((a, sentence))
    for key, quotes in said.items():
        docs = list(dict.fromkeys(a.doc_id for a, _ in quotes))
        # One key fact whose alternatives are all of the speaker's sentences: an answer to "what
        # did X say?" is right when it quotes X, whichever of X's statements it picks.
        facts = [list(dict.fromkeys(_window(q) for _, q in quotes))]
        yield _item(
            "speaker",
            f"What did {display[key]} say?",
            as_of,
            key_facts=facts,
            gold_doc_ids=docs,
            evidence=quotes[0][1],
        )


def _is_person(name: str) -> bool:
    """'Badr Albusaidi' (two or three plain capitalised words) reads without 'the'."""
    from rag.answer.extractive.attribution import ROLE_WORDS

    ws = name.split()
    return len(ws) <= 3 and "of" not in ws and not any(normalize_word(w.lower()) in ROLE_WORDS for w in ws)


def _names_in(span: str) -> list[str]:
    """'Chinese Foreign Minister Wang Yi' -> itself and the person, 'Wang Yi'."""
    from rag.answer.extractive.attribution import ROLE_WORDS

    ws = span.split()
    if ws[0].lower() in STOPWORDS:
        return []
    roles = [i for i, w in enumerate(ws) if normalize_word(w.lower()) in ROLE_WORDS]
    tail = ws[roles[-1] + 1 :] if roles else []
    return [span] + ([" ".join(tail)] if len(tail) >= 2 else [])


def outlet_questions(
    articles: list[_Article], as_of: dt.date | None, speakers: frozenset[str] = frozenset()
) -> Iterator[dict[str, Any]]:
    """'Which outlets reported on <name>?' for a name that two or more outlets' articles carry;
    people quoted in the archive first (`speakers`: their names' terms), what readers ask about."""
    outlets_of: dict[str, dict[str, str]] = defaultdict(dict)
    for a in articles:
        if not a.source:
            continue
        for m in _NAME.finditer(a.text):
            for name in _names_in(m.group(0)):
                outlets_of[name].setdefault(a.source, a.doc_id)

    def quoted(name: str) -> bool:
        return _is_person(name) and set(terms(name)) <= speakers

    ranked = sorted(
        ((n, o) for n, o in outlets_of.items() if len(o) >= 2),
        key=lambda no: (not quoted(no[0]), not _is_person(no[0]), -len(no[1]), no[0]),
    )
    for name, outlets in ranked:
        label = name if len(name.split()) < 2 or _is_person(name) else f"the {name}"
        yield _item(
            "outlets",
            f"Which outlets reported on {label}?",
            as_of,
            key_facts=[[o] for o in sorted(outlets)],  # every outlet, not any one of them
            gold_doc_ids=sorted(outlets.values()),
            evidence=name,
        )


def count_questions(articles: list[_Article], as_of: dt.date | None) -> Iterator[dict[str, Any]]:
    """'How many <noun> <clause>?' from a count stated in an article ('35 people were killed')."""
    for a in articles:
        for s in split_sentences(a.text):
            for m in _COUNT.finditer(s.text):
                number, noun, rest = m.group(1), m.group(2), m.group(3).strip(" ,")
                if _YEAR.match(number) or len(rest.split()) < 2:
                    continue
                yield _item(
                    "count",
                    f"How many {noun} {rest}?",
                    as_of,
                    answers=[number],
                    key_facts=[[f"{number} {noun}", number]],
                    gold_doc_ids=[a.doc_id],
                    evidence=s.text,
                )


def unanswerable_questions(
    articles: list[_Article], as_of: dt.date | None, has_term: Callable[[str], bool], topics: list[str]
) -> Iterator[dict[str, Any]]:
    """Questions the archive cannot answer: a country it never mentions, asked about one of its
    topics; and one of its topics asked for a year before its first article."""
    from rag.nlp.text import _demonym_map

    countries = sorted({c.title() for c in _demonym_map().values() if " " not in c})
    absent = [c for c in countries if not any(has_term(t) for t in terms(c))]
    by_name = (
        _item("unanswerable", f"What did {country} say about {topic}?", as_of, answerable=False, why="name")
        for country, topic in zip(absent[:: max(1, len(absent) // 8)], topics * 8, strict=False)
    )
    first = min((a.published for a in articles if a.published), default=None)
    before = first.year - 3 if first is not None else None
    by_date = (
        _item("unanswerable", f"What happened with {topic} in {before}?", as_of, answerable=False, why="date")
        for topic in (topics if before is not None else [])
    )
    for pair in zip(by_name, by_date, strict=False):  # alternate: both kinds in any share
        yield from pair


def draft(pipeline: RagPipeline, n: int = 50, unanswerable_share: float = 0.2) -> list[dict[str, Any]]:
    """Up to `n` draft items: the answerable kinds in turn, then `unanswerable_share` of them."""
    articles = _articles(pipeline)
    if not articles:
        return []
    as_of = max((a.published for a in articles if a.published), default=None)
    index = pipeline.lexical_index()
    said = list(speaker_questions(articles, as_of))
    speakers = frozenset(t for q in said for t in terms(q["question"].removeprefix("What did ").removesuffix(" say?")))
    kinds = [
        said,
        list(outlet_questions(articles, as_of, speakers)),
        list(count_questions(articles, as_of)),
    ]
    topics = [str(o["draft"]["evidence"]) for o in kinds[1][:8]] or [a.title.split(":")[0][:60] for a in articles[:8]]
    refusals = list(unanswerable_questions(articles, as_of, index.has_term, topics))
    want_unanswerable = min(len(refusals), max(1, round(n * unanswerable_share)))
    answerable: list[dict[str, Any]] = []
    seen: set[str] = set()
    while len(answerable) < n - want_unanswerable and any(kinds):
        for kind in kinds:  # round robin, so every kind is represented
            while kind:
                item = kind.pop(0)
                if item["question"].lower() not in seen:
                    seen.add(item["question"].lower())
                    answerable.append(item)
                    break
            if len(answerable) >= n - want_unanswerable:
                break
    items = answerable + refusals[: min(want_unanswerable, n - len(answerable))]
    for i, item in enumerate(items, 1):
        item["id"] = f"draft-{item['type']}-{i:03d}"
    return items


def write_jsonl(items: list[dict[str, Any]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
