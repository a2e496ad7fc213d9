"""An optional LLM judge over any OpenAI-compatible endpoint, reported apart from the
deterministic metrics.

It scores two things the deterministic metrics approximate: answer correctness against the
reference (as Ragas's and DeepEval's judged metrics do) and, per cited sentence, whether the
quote it cites supports it. Every verdict is cached by (prompt, model) in SQLite, so re-running a
report costs nothing; a call that fails or times out leaves that question *unjudged* and the run
goes on. The judge is never required: without `--judge-model` nothing here runs.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
from pathlib import Path
from typing import Any

from eval.metrics import mean, strip_markers

VERDICT = re.compile(r"VERDICT:\s*(yes|no)\b", re.I)

CORRECTNESS = """You grade the answer of a question-answering system over news articles.
<question>{question}</question>
<reference>{reference}</reference>
<answer>{answer}</answer>
Does the answer state the reference answer (or an equivalent of it)? Extra correct detail is fine.
Reply with one line: VERDICT: yes  or  VERDICT: no"""

SUPPORT = """You check a citation. A sentence of an answer cites a quote from a news article.
<claim>{claim}</claim>
<quote>{quote}</quote>
Does the quote support what the sentence claims? Reply with one line: VERDICT: yes  or  VERDICT: no"""


class JudgeUnavailable(RuntimeError):
    pass


class Judge:
    def __init__(self, base_url: str, model: str, api_key: str | None, timeout: float, cache: Path):
        from openai import OpenAI

        self.model = model
        self.base_url = base_url
        self._client = OpenAI(base_url=base_url, api_key=api_key or "none", timeout=timeout, max_retries=0)
        cache.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(cache, check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS verdicts (key TEXT PRIMARY KEY, model TEXT, reply TEXT)")
        self._lock = threading.Lock()
        self.calls = 0

    def _key(self, prompt: str) -> str:
        return hashlib.sha256(f"{self.model}\0{prompt}".encode()).hexdigest()

    def verdict(self, prompt: str) -> bool:
        """yes/no from the judge, from the cache when this (prompt, model) was judged before.
        Raises JudgeUnavailable on an error, a timeout or a reply without a verdict."""
        import openai

        key = self._key(prompt)
        with self._lock:
            row = self._db.execute("SELECT reply FROM verdicts WHERE key = ?", (key,)).fetchone()
        if row is not None:
            reply = str(row[0])
        else:
            try:
                self.calls += 1
                completion = self._client.chat.completions.create(
                    model=self.model, messages=[{"role": "user", "content": prompt}], temperature=0
                )
            except openai.APIError as e:  # status errors, timeouts and refused connections alike
                raise JudgeUnavailable(f"{type(e).__name__}: {str(e)[:200]}") from e
            reply = completion.choices[0].message.content or ""
        m = VERDICT.search(reply)
        if m is None:
            raise JudgeUnavailable(f"no verdict in the reply {reply[:80]!r}")
        if row is None:
            with self._lock, self._db:
                self._db.execute("INSERT OR REPLACE INTO verdicts VALUES (?, ?, ?)", (key, self.model, reply))
        return m.group(1).lower() == "yes"


def _reference(row: dict[str, Any], item: Any) -> str | None:
    if item is None:
        return None
    if item.reference_answer:
        return str(item.reference_answer)
    if item.answers:
        return " / ".join(item.answers)
    if item.key_facts:
        return "; ".join(p[0] for p in item.key_facts if p)
    return None


def judge_row(judge: Judge, row: dict[str, Any], item: Any) -> dict[str, Any] | None:
    """The judge's scores for one answered question, or {'unjudged': reason}; None when there is
    nothing to judge (a refusal, or no reference)."""
    from rag.answer.render import split_cited

    reference = _reference(row, item)
    if row["abstained"] or not row["answerable"] or reference is None:
        return None
    try:
        correct = judge.verdict(
            CORRECTNESS.format(question=row["question"], reference=reference, answer=strip_markers(row["answer"]))
        )
        quotes = {c["n"]: c["quote"] for c in row.get("citations", [])}
        supported = [
            judge.verdict(SUPPORT.format(claim=strip_markers(sentence), quote=quotes[n]))
            for sentence, numbers in split_cited(row["answer"])
            for n in numbers
            if n in quotes
        ]
    except JudgeUnavailable as e:
        return {"unjudged": str(e)}
    out: dict[str, Any] = {"correctness": 1.0 if correct else 0.0}
    if supported:
        out["citation_support"] = mean([1.0 if s else 0.0 for s in supported])
    return out


def judge_rows(judge: Judge, rows: list[dict[str, Any]], items: list[Any]) -> dict[str, Any]:
    """Judge every row (row['judge']) and summarise: counts judged and unjudged, mean scores."""
    by_id = {i.id: i for i in items}
    judged: list[dict[str, Any]] = []
    unjudged = 0
    for row in rows:
        verdict = judge_row(judge, row, by_id.get(row["id"]))
        if verdict is None:
            continue
        row["judge"] = verdict
        if "unjudged" in verdict:
            unjudged += 1
        else:
            judged.append(verdict)
    metrics = {
        f"judge_{k}": round(mean([v[k] for v in judged if k in v]), 4)
        for k in ("correctness", "citation_support")
        if any(k in v for v in judged)
    }
    return {
        "model": judge.model,
        "base_url": judge.base_url,
        "judged": len(judged),
        "unjudged": unjudged,
        "calls": judge.calls,
        "metrics": metrics,
    }
