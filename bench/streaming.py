"""Time to the first source and the first answer text of a streamed chat completion.

    .venv/bin/python bench/streaming.py [--rounds 3] [--chunk-delay-ms 20]

Serves the API (uvicorn, in this process) over seeds/ in a scratch store, with Open WebUI's
source events (RAG_CHAT_SOURCES=events), and streams the gold questions through the openai SDK:
with the extractive answerer, and with the OpenAI-compatible answerer against a stand-in model
(tests/fakes/openai_stub.py) that writes two cited sentences, a 7-character piece every
`--chunk-delay-ms`. Writes bench/results/streaming.json: p50/p95 of the time to the first source
event, the first text and the last text, from the request.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _results import write_result

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.app import create_app  # noqa: E402
from eval.gold import load_gold  # noqa: E402
from eval.metrics import percentile  # noqa: E402
from rag.pipeline import RagPipeline  # noqa: E402
from rag.settings import Settings  # noqa: E402
from tests.conftest import UvicornThread  # noqa: E402
from tests.fakes.openai_stub import create_stub  # noqa: E402


def time_stream(client: Any, model: str, question: str) -> dict[str, float | None]:
    """Milliseconds from the request to the first source event, the first and the last text
    (None for a source when the answer cites none: an abstention)."""
    t0 = time.perf_counter()
    first_source = first_text = last_text = None
    for chunk in client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": question}], stream=True
    ):
        now = (time.perf_counter() - t0) * 1000
        if first_source is None and (chunk.model_extra or {}).get("event"):
            first_source = now
        if chunk.choices and chunk.choices[0].delta.content:
            first_text = now if first_text is None else first_text
            last_text = now
    return {"first_source_ms": first_source, "first_text_ms": first_text, "last_text_ms": last_text}


def main() -> None:
    from openai import OpenAI

    ap = argparse.ArgumentParser()
    ap.add_argument("--gold", type=Path, default=ROOT / "eval/gold/seeds.jsonl")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--chunk-delay-ms", type=float, default=20.0)
    args = ap.parse_args()
    questions = [item.question for item in load_gold(args.gold)]
    stub_app, _ = create_stub("two", chunk_delay_s=args.chunk_delay_ms / 1000)
    result: dict[str, Any] = {"questions": len(questions) * args.rounds, "chunk_delay_ms": args.chunk_delay_ms}
    with tempfile.TemporaryDirectory() as tmp, UvicornThread(stub_app) as stub:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            data_dir=Path(tmp) / "data",
            chat_sources="events",
            openai_base_url=f"{stub.url}/v1",
            openai_api_key="stub",
        )
        pipeline = RagPipeline(settings)
        pipeline.ingest_paths([ROOT / "seeds"])
        with UvicornThread(create_app(settings, pipeline)) as server:
            client = OpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0, timeout=120)
            for model in ("newsrag-extractive", "newsrag-openai"):
                for q in questions:  # warm
                    time_stream(client, model, q)
                rows = [time_stream(client, model, q) for _ in range(args.rounds) for q in questions]
                result[model] = {"answers_citing": sum(r["first_source_ms"] is not None for r in rows)}
                for key in ("first_source_ms", "first_text_ms", "last_text_ms"):
                    values = [v for r in rows if (v := r[key]) is not None]
                    result[model][key] = {
                        "p50": round(percentile(values, 50), 1),
                        "p95": round(percentile(values, 95), 1),
                    }
    write_result("streaming", result)


if __name__ == "__main__":
    main()
