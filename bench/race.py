"""Two API nodes over one Chroma server, writing at once: nothing acknowledged may be lost.

One round: a batch POST of 48 documents on node A races 20 single POSTs on node B; then every
acknowledged document must be found, by a question about its own text, through both nodes.
Run it longer as a soak against two running nodes:

    chroma run --path /tmp/chroma --port 8001 &
    RAG_CHROMA_HOST=127.0.0.1 RAG_CHROMA_PORT=8001 RAG_DATA_DIR=/tmp/a rag serve --port 8101 &
    RAG_CHROMA_HOST=127.0.0.1 RAG_CHROMA_PORT=8001 RAG_DATA_DIR=/tmp/b rag serve --port 8102 &
    .venv/bin/python bench/race.py --a http://127.0.0.1:8101 --b http://127.0.0.1:8102 --rounds 20

Writes bench/results/race.json. tests/reliability/test_two_nodes.py runs the same rounds.
"""

from __future__ import annotations

import argparse
import random
import string
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _token(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(9))


def _document(token: str) -> dict[str, str]:
    return {
        "title": f"Ferry line {token} resumes service",
        "text": f"The harbour authority said ferry line {token} resumes service on Monday after repairs. "
        f"Passengers of the {token} line were told to expect delays in the first week.",
        "source": "Harbour Post",
    }


@dataclass
class Round:
    acknowledged: dict[str, str] = field(default_factory=dict)  # doc id -> its token
    errors: list[str] = field(default_factory=list)
    lost: dict[str, list[str]] = field(default_factory=dict)  # node -> doc ids not found


def race_round(
    a: str, b: str, seed: int, headers: dict[str, str] | None = None, batch: int = 48, singles: int = 20
) -> Round:
    rng = random.Random(seed)
    result = Round()
    lock = threading.Lock()
    batch_docs = [_document(_token(rng)) for _ in range(batch)]
    single_docs = [_document(_token(rng)) for _ in range(singles)]

    def record(resp: httpx.Response, docs: list[dict[str, str]]) -> None:
        if resp.status_code not in (200, 207):
            result.errors.append(f"{resp.status_code}: {resp.text[:200]}")
            return
        body = resp.json()
        with lock:
            for item in body["items"]:
                index = int(item["input"].split("[")[1].rstrip("]"))
                result.acknowledged[item["doc_id"]] = docs[index]["title"].split()[2]

    def on_a() -> None:
        with httpx.Client(timeout=600, headers=headers) as c:
            record(c.post(f"{a}/v1/documents", json=batch_docs), batch_docs)

    def on_b() -> None:
        with httpx.Client(timeout=600, headers=headers) as c:
            for doc in single_docs:
                record(c.post(f"{b}/v1/documents", json=[doc]), [doc])

    threads = [threading.Thread(target=on_a), threading.Thread(target=on_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for name, url in (("a", a), ("b", b)):
        with httpx.Client(timeout=120, headers=headers) as c:
            for doc_id, token in result.acknowledged.items():
                r = c.post(f"{url}/v1/search", json={"query": f"When does ferry line {token} resume?", "top_k": 3})
                found = r.status_code == 200 and doc_id in {p["doc_id"] for p in r.json()["passages"]}
                if not found:
                    result.lost.setdefault(name, []).append(doc_id)
    return result


def main() -> None:
    from _results import write_result

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--a", required=True)
    ap.add_argument("--b", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--key", default="", help="admin key, when the nodes have keys")
    args = ap.parse_args()
    headers = {"Authorization": f"Bearer {args.key}"} if args.key else None
    started = time.time()
    rounds = [race_round(args.a, args.b, seed=int(started) + i, headers=headers) for i in range(args.rounds)]
    write_result(
        "race",
        {
            "rounds": args.rounds,
            "acknowledged": sum(len(r.acknowledged) for r in rounds),
            "lost": sum(len(ids) for r in rounds for ids in r.lost.values()),
            "errors": sum(len(r.errors) for r in rounds),
            "seconds": round(time.time() - started, 1),
        },
    )


if __name__ == "__main__":
    main()
