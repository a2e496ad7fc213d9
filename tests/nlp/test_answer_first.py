"""Answer first, end to end over the seeds: the pipeline, the HTTP API (JSON and SSE) and chat."""

from __future__ import annotations

import datetime as dt
import json
import re

import httpx
from openai import OpenAI

from eval.gold import load_gold
from rag.pipeline import RagPipeline
from tests.api.test_http import sse_events
from tests.conftest import ROOT, SEEDS, make_settings

AS_OF = dt.date(2023, 11, 25)
PRESIDENCY = "Which country holds the rotating presidency of the UN Security Council in November?"


def test_a_factoid_answer_carries_its_short_answer(seeded_pipeline) -> None:  # type: ignore[no-untyped-def]
    resp = seeded_pipeline.ask(PRESIDENCY, as_of=AS_OF)
    short = resp.short_answer
    assert short is not None and short.text == "China"
    doc = seeded_pipeline.get_document(short.doc_id)
    assert doc.text[short.start : short.end] == short.text
    cited = next(c for c in resp.citations if c.n == short.citation)
    assert cited.doc_id == short.doc_id and cited.start <= short.start < short.end <= cited.end
    assert resp.answer.startswith("China. "), "the answer opens with its short answer"
    assert seeded_pipeline.ask("What did Oman say?", as_of=AS_OF).short_answer is None


def test_with_short_answer_first_the_answer_opens_with_it(tmp_path, seeded_pipeline) -> None:  # type: ignore[no-untyped-def]
    pipeline = RagPipeline(
        make_settings(tmp_path / "data", short_answer_first=True, answer_word_budget=60),
        embedder=seeded_pipeline.embedder,
    )
    pipeline.ingest_paths([SEEDS])
    resp = pipeline.ask(PRESIDENCY, as_of=AS_OF)
    short = resp.short_answer
    assert short is not None and short.text == "China"
    cited = next(c for c in resp.citations if c.n == short.citation)
    assert resp.answer.startswith(f"China. {cited.quote.rstrip('.')} [{short.citation}")
    assert len(resp.answer.split()) <= 60 + 2 * len(resp.citations)  # markers are words to split()


def test_every_short_answer_of_the_seeds_gold_is_an_exact_span(seeded_pipeline) -> None:  # type: ignore[no-untyped-def]
    items = load_gold(ROOT / "eval/gold/seeds.jsonl")
    found = 0
    for item in items:
        resp = seeded_pipeline.ask(item.question, as_of=item.as_of_date() or AS_OF)
        if resp.short_answer is None:
            continue
        found += 1
        s = resp.short_answer
        assert seeded_pipeline.get_document(s.doc_id).text[s.start : s.end] == s.text, item.question
    assert found >= 10


def test_the_api_and_chat_carry_the_short_answer(api_server) -> None:  # type: ignore[no-untyped-def]
    body = {"question": PRESIDENCY, "as_of": AS_OF.isoformat()}
    r = httpx.post(f"{api_server.url}/v1/ask", json=body, timeout=60)
    assert r.status_code == 200 and r.json()["short_answer"]["text"] == "China"
    short, quotes = r.json()["short_answer"], {c["n"]: c["quote"] for c in r.json()["citations"]}
    assert short["stated_in"][0] == short["citation"] and len(set(short["stated_in"])) == len(short["stated_in"])
    assert all(re.search(r"\bChina\b", quotes[n]) for n in short["stated_in"])
    assert [n for n, q in quotes.items() if re.search(r"\bChina\b", q)] == sorted(short["stated_in"])
    stream = httpx.post(f"{api_server.url}/v1/ask", json={**body, "stream": True}, timeout=60)
    done = json.loads(sse_events(stream.text)[-1][1])
    assert done["short_answer"] == r.json()["short_answer"]
    client = OpenAI(base_url=f"{api_server.url}/v1", api_key="unused")
    chat = client.chat.completions.create(
        model="newsrag-extractive",
        messages=[{"role": "user", "content": PRESIDENCY}],
        extra_body={"as_of": AS_OF.isoformat()},
    )
    assert chat.model_extra is not None and chat.model_extra["rag"]["short_answer"]["text"] == "China"


def test_the_question_is_parsed_for_its_asked_noun(seeded_pipeline) -> None:  # type: ignore[no-untyped-def]
    index = seeded_pipeline.lexical_index()
    info, _ = seeded_pipeline._analyse(PRESIDENCY, AS_OF, index)
    assert info.asked_head == "country"
    off = seeded_pipeline.settings.updated(short_answer_parsed_head=False)
    unparsed = RagPipeline(off, embedder=seeded_pipeline.embedder)
    assert unparsed._analyse(PRESIDENCY, AS_OF, index)[0].asked_head is None
