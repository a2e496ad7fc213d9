"""Turns a chat history into one standalone question ("what else did he say?")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.analysis.question import analyze
from rag.answer.extractive.attribution import PRONOUNS
from rag.answer.render import split_cited

_ABOUT = re.compile(r"^(?:and\s+|but\s+)?(?:what|how)\s+about\s+(?P<x>.+?)\??$", re.I)
_PRONOUN_WORD = re.compile(r"\b(?:he|she|they|him|her|them|his|their|it|its|that|this)\b", re.I)
_SOURCES = re.compile(r"\n+\s*(?:\*\*)?Sources(?:\*\*)?:?\s*\n.*", re.S)


@dataclass
class Turn:
    role: str
    content: str


@dataclass
class Standalone:
    question: str
    exclude: set[str] = field(default_factory=set)


def answer_sentences(content: str) -> set[str]:
    body = _SOURCES.sub("", content)
    return {" ".join(s.split()) for s, _ in split_cited(body)}


def standalone_question(turns: list[Turn]) -> Standalone:
    users = [t.content.strip() for t in turns if t.role == "user" and t.content.strip()]
    if not users:
        return Standalone("")
    question = users[-1]
    if len(users) == 1:
        return Standalone(question)
    previous = users[-2]
    prev = analyze(previous)
    info = analyze(question)
    exclude: set[str] = set()
    if info.follow_up_else:
        for t in turns[:-1]:
            if t.role == "assistant":
                exclude |= answer_sentences(t.content)
    if info.speaker and info.speaker.lower() in PRONOUNS and prev.speaker:
        question = re.sub(rf"\b{re.escape(info.speaker)}\b", prev.speaker, question, count=1, flags=re.I)
    elif (m := _ABOUT.match(question)) and prev.speaker:
        question = re.sub(re.escape(prev.speaker), m.group("x"), previous, count=1, flags=re.I)
    elif m := _ABOUT.match(question):
        question = f"{previous} {m.group('x')}"
    elif _PRONOUN_WORD.search(question) and len(question.split()) <= 12:
        question = f"{question} (context: {previous})"
    return Standalone(question, exclude)
