"""Concurrent clients against a running server's /v1/ask.

    make run &   # then:
    .venv/bin/python bench/load.py [--url http://127.0.0.1:8000] [--clients 32] [--seconds 60]

Reports throughput, p50/p95/p99 latency and errors; writes bench/results/load.json.
`--hostile` adds one client that keeps sending a 40,000-id filter (it must get 422 every time,
and nobody else may see a 500 or a reset); its statuses are reported apart.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

import httpx
from _results import write_result

from eval.gold import load_gold
from eval.metrics import percentile

ROOT = Path(__file__).resolve().parents[1]


async def client(url: str, questions: list[str], stop: float, lat: list[float], errors: list[str], offset: int) -> None:
    async with httpx.AsyncClient(timeout=120) as http:
        i = offset
        while time.perf_counter() < stop:
            q = questions[i % len(questions)]
            i += 1
            t = time.perf_counter()
            try:
                r = await http.post(f"{url}/v1/ask", json={"question": q})
                if r.status_code != 200:
                    errors.append(f"{r.status_code}")
                else:
                    lat.append((time.perf_counter() - t) * 1000)
            except httpx.HTTPError as e:
                errors.append(type(e).__name__)


async def hostile(url: str, stop: float, statuses: dict[str, int]) -> None:
    huge = {"question": "What did Oman say?", "filters": {"doc_ids": [f"d{i}" for i in range(40_000)]}}
    async with httpx.AsyncClient(timeout=120) as http:
        while time.perf_counter() < stop:
            try:
                r = await http.post(f"{url}/v1/ask", json=huge)
                key = str(r.status_code)
            except httpx.HTTPError as e:
                key = type(e).__name__
            statuses[key] = statuses.get(key, 0) + 1


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="http://127.0.0.1:8000")
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--hostile", action="store_true", help="add one client sending oversized filters")
    args = ap.parse_args()
    if not args.url.startswith(("http://127.", "http://localhost", "http://[::1]")):
        raise SystemExit("load tests target loopback only")
    questions = [g.question for g in load_gold(ROOT / "eval/gold/seeds.jsonl")]
    lat: list[float] = []
    errors: list[str] = []
    start = time.perf_counter()
    stop = start + args.seconds
    hostile_statuses: dict[str, int] = {}
    extra = [hostile(args.url, stop, hostile_statuses)] if args.hostile else []
    await asyncio.gather(*(client(args.url, questions, stop, lat, errors, i) for i in range(args.clients)), *extra)
    elapsed = time.perf_counter() - start
    result = {
        "clients": args.clients,
        "seconds": round(elapsed, 1),
        "requests": len(lat) + len(errors),
        "throughput_rps": round(len(lat) / elapsed, 2),
        "errors": len(errors),
        "error_kinds": {e: errors.count(e) for e in sorted(set(errors))},
        "p50_ms": round(percentile(lat, 50), 1),
        "p95_ms": round(percentile(lat, 95), 1),
        "p99_ms": round(percentile(lat, 99), 1),
    }
    if args.hostile:
        result["hostile_statuses"] = hostile_statuses
    write_result("load-hostile" if args.hostile else "load", result)


if __name__ == "__main__":
    asyncio.run(main())
