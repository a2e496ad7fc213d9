"""Background prompts that chat frontends send to the chat model, and their answers.

Open WebUI (and others) ask the selected model for a chat title, tags, follow-up suggestions,
search queries or an autocompletion, with a prompt such as "### Task: Generate a concise title
... JSON format: { "title": ... } ... <chat_history>USER: ...</chat_history>". These are not
questions about the archive: searching it for the prompt's words gives an abstention, and the
prompts are longer than any question. They are answered here, in the JSON form asked for, from
the chat history alone (no retrieval), and counted apart from answers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from rag.analysis.question import analyze
from rag.chat.conversation import Turn

# The JSON key the prompt asks for, as Open WebUI's task templates write it ({ "title": ... }).
_ASKED_KEY = re.compile(r"\{\s*\"(title|tags|follow_ups|queries|text|prompt|tool_calls)\"\s*:")
_TASK_HEADER = re.compile(r"^\s*#+\s*Task\s*:", re.I)
_HISTORY = re.compile(r"<chat_history>\s*(.*?)\s*</chat_history>", re.S | re.I)
_ROLE_LINE = re.compile(r"^(USER|ASSISTANT|SYSTEM):\s?", re.M)
_SOURCES = re.compile(r"\n+\s*(?:\*\*)?Sources(?:\*\*)?:?\s*\n.*", re.S)
_WORD = re.compile(r"[\w'’\-]+")
# An empty answer of the right type for each key a task may ask for.
_EMPTY: dict[str, object] = {"title": "", "tags": [], "follow_ups": [], "queries": [], "text": "", "prompt": ""}
TITLE_WORDS = 6


@dataclass
class TaskPrompt:
    """`kind`: the JSON key asked for ('title', 'tags', 'follow_ups', 'queries', 'text',
    'prompt', 'tool_calls') or 'unknown'; `history`: the turns the prompt quotes."""

    kind: str
    history: list[Turn] = field(default_factory=list)


def task_prompt(system: list[str], last_user: str) -> TaskPrompt | None:
    """The task a request is, or None for a question. A task is a `### Task:` prompt, a prompt
    with a `<chat_history>`, or any message that asks for a JSON object with one of the task keys
    (a function-calling system prompt asks for `tool_calls`)."""
    asked = _ASKED_KEY.search(last_user)
    is_task = bool(_TASK_HEADER.match(last_user) or _HISTORY.search(last_user) or asked)
    tool_call = next((s for s in system if '"tool_calls"' in s), None)
    if not is_task and tool_call is None:
        return None
    kind = asked.group(1) if asked else ("tool_calls" if tool_call is not None and not is_task else "unknown")
    return TaskPrompt(kind, quoted_history(last_user))


def quoted_history(prompt: str) -> list[Turn]:
    """The `USER: ... / ASSISTANT: ...` lines of a `<chat_history>` block, as turns."""
    block = _HISTORY.search(prompt)
    if block is None:
        return []
    text = block.group(1)
    heads = list(_ROLE_LINE.finditer(text))
    turns = []
    for head, nxt in zip(heads, [*heads[1:], None], strict=True):
        content = text[head.end() : nxt.start() if nxt else len(text)].strip()
        turns.append(Turn(head.group(1).lower(), content))
    return turns


def _surface(word: str, text: str) -> str:
    """The question's own spelling of a lower-cased entity word ('oman' -> 'Oman')."""
    return next((w for w in _WORD.findall(text) if w.lower() == word), word.capitalize())


def _subject(question: str) -> str:
    """Who or what the question is about: its speaker, else its proper names, else its topic."""
    info = analyze(question)
    if info.speaker:
        return info.speaker
    if info.entities:
        return " ".join(_surface(e, question) for e in info.entities[:3])
    return info.topic


def title_for(question: str) -> str:
    """A short title from the user's question: 'What Oman said', else its first words."""
    info = analyze(question)
    if info.speaker and info.is_speaker_question:
        return f"What {info.speaker} said"
    words = question.strip().rstrip("?!. ").split()
    title = " ".join(words[:TITLE_WORDS])
    return title[:1].upper() + title[1:]


def follow_ups_for(question: str, sources_list: str, outlets: list[str]) -> list[str]:
    """What a newsroom user asks next that the archive can answer: more from the same speaker,
    who else reported it, how another outlet in the archive reported it, what is the latest."""
    info = analyze(question)
    subject = _subject(question)
    out = []
    if info.speaker:
        out.append(f"What else did {info.speaker} say?")
    out.append("Which outlets reported this?")
    if sources_list:  # only a plain Sources list tells which outlets were cited
        cited = sources_list.lower()
        other = next((o for o in outlets if o.lower() not in cited), None)
        if other:
            out.append(f"How did {other} report it?")
    if subject:
        out.append(f"What is the latest on {subject}?")
    return out


def tags_for(question: str, history_text: str, outlets: list[str]) -> list[str]:
    """'News', the outlets the chat names (of those in the archive) and the question's subject."""
    text = history_text.lower()
    tags = ["News"]
    subject = _subject(question)
    if subject:
        tags.append(subject)
    tags += [o for o in outlets if o.lower() in text][:2]
    return list(dict.fromkeys(tags))


def answer_task(task: TaskPrompt, outlets: list[str]) -> str:
    """The JSON reply to `task`: a valid empty one for tasks this service does not do."""
    users = [t.content for t in task.history if t.role == "user" and t.content.strip()]
    answers = [t.content for t in task.history if t.role == "assistant"]
    question = users[-1] if users else ""
    listed = _SOURCES.search(answers[-1]) if answers else None
    if task.kind == "tool_calls":
        return json.dumps({"tool_calls": []})
    if task.kind not in _EMPTY or not question:
        return json.dumps({task.kind: _EMPTY[task.kind]} if task.kind in _EMPTY else {})
    value: object
    if task.kind == "title":
        value = title_for(users[0])
    elif task.kind == "follow_ups":
        value = follow_ups_for(question, listed.group(0) if listed else "", outlets)
    elif task.kind == "tags":
        value = tags_for(question, " ".join(t.content for t in task.history), outlets)
    elif task.kind == "queries":
        value = [question]
    else:
        value = _EMPTY[task.kind]
    return json.dumps({task.kind: value}, ensure_ascii=False)
