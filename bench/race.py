"""Several API nodes over one Chroma server, writing at once: nothing acknowledged may be lost.

One round (`race_round`): a batch POST of 48 documents on node A races 20 single POSTs on node
B; then every acknowledged document must be found, by a question about its own text, through
both nodes. tests/reliability/test_two_nodes.py runs the same rounds. Against running nodes:

    .venv/bin/python bench/race.py --a http://127.0.0.1:8101 --b http://127.0.0.1:8102 --rounds 20

The soak (`--soak-minutes M --nodes N`) starts its own `chroma run` and N `rag serve` nodes, the
first behind a proxy that holds a share of its registry commits back for longer than the nodes'
RAG_CHANGE_OVERLAP_S (bench/chroma_delay.py). Each node has a writer that adds, updates (new
text) and deletes documents of its own, one at a time or in batches, and a churn loop deletes
and re-creates a second collection through one node while the others use it. At the end, every
node must find every acknowledged document at its last acknowledged version (its own words in
the passage) and none that was deleted; after a collection is deleted the other nodes must say
404 at once, and after it is re-created they must serve it at once:

    nice .venv/bin/python bench/race.py --soak-minutes 10 --nodes 3

Writes bench/results/race.json (rounds) or bench/results/race_soak.json (soak).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


# -- the soak -----------------------------------------------------------------------------------
ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(url: str, proc: subprocess.Popen[bytes], path: str, seconds: float = 300) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}{path}", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not become ready")


@dataclass
class Soak:
    """What the soak saw: operations, their failures, and what was lost at the end."""

    ops: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    latest: dict[str, str] = field(default_factory=dict)  # doc id -> token of its last acknowledged version
    deleted: set[str] = field(default_factory=set)
    uncertain: set[str] = field(default_factory=set)  # a write that failed: it may or may not land
    churn: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, what: str, into: str = "ops") -> None:
        with self.lock:
            table = self.ops if into == "ops" else self.churn
            table[what] = table.get(what, 0) + 1

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text[:300])


def _writer(node: str, name: str, soak: Soak, stop: threading.Event, seed: int) -> None:
    """Adds, updates and deletes documents of its own (so each one's last version is known)."""
    rng = random.Random(seed)
    mine: list[str] = []
    n = 0
    with httpx.Client(base_url=node, timeout=300) as client:
        while not stop.is_set():
            roll = rng.random()
            if roll < 0.15 and mine:  # delete
                doc_id = mine.pop(rng.randrange(len(mine)))
                r = client.delete(f"/v1/documents/{doc_id}")
                if r.status_code == 200:
                    with soak.lock:
                        soak.deleted.add(doc_id)
                        soak.latest.pop(doc_id, None)
                    soak.count("deletes")
                else:
                    soak.error(f"DELETE {doc_id} on {node}: {r.status_code} {r.text}")
                    with soak.lock:
                        soak.uncertain.add(doc_id)
                continue
            if roll < 0.35 and mine:  # update: new text under the same id
                ids = [mine[rng.randrange(len(mine))]]
                kind = "updates"
            else:
                size = 8 if roll > 0.85 else 1
                ids = [f"{name}-{n + i}" for i in range(size)]
                n += size
                kind = "batch_docs" if size > 1 else "single_docs"
            tokens = [_token(rng) for _ in ids]
            docs = [{**_document(t), "doc_id": d} for d, t in zip(ids, tokens, strict=True)]
            r = client.post("/v1/documents", json=docs)
            if r.status_code != 200:
                soak.error(f"POST on {node}: {r.status_code} {r.text}")
                with soak.lock:
                    soak.uncertain.update(ids)
                continue
            with soak.lock:
                for item in r.json()["items"]:
                    index = int(item["input"].split("[")[1].rstrip("]"))
                    soak.latest[ids[index]] = tokens[index]
                    soak.deleted.discard(ids[index])
            for d in ids:
                if d not in mine:
                    mine.append(d)
                soak.count(kind)


def _churn(nodes: list[str], soak: Soak, stop: threading.Event, seed: int) -> None:
    """Deletes and re-creates collection `churn` through one node while the others use it."""
    rng = random.Random(seed)
    cycle = 0
    with httpx.Client(timeout=300) as client:
        while not stop.is_set():
            cycle += 1
            owner, *others = rng.sample(nodes, len(nodes))
            if client.post(f"{owner}/v1/collections", json={"name": "churn"}).status_code not in (200, 201):
                soak.error(f"create churn on {owner} failed")
                continue
            for other in others:  # a re-created collection works at once elsewhere
                r = client.post(f"{other}/v1/search", params={"collection": "churn"}, json={"query": "ferry line"})
                soak.count("served_after_recreate" if r.status_code == 200 else "error_after_recreate", "churn")
                if r.status_code != 200:
                    soak.error(f"search churn on {other} after re-create: {r.status_code} {r.text}")
            token = _token(rng)
            doc = {**_document(token), "doc_id": f"churn-{cycle}"}
            r = client.post(f"{owner}/v1/documents", params={"collection": "churn"}, json=[doc])
            if r.status_code != 200:
                soak.error(f"POST churn on {owner}: {r.status_code} {r.text}")
            else:
                for other in others:
                    deadline = time.monotonic() + 30
                    while time.monotonic() < deadline:
                        q = {"query": f"When does ferry line {token} resume?", "top_k": 3}
                        got = client.post(f"{other}/v1/search", params={"collection": "churn"}, json=q)
                        if got.status_code == 200 and any(token in p["text"] for p in got.json()["passages"]):
                            soak.count("found_elsewhere", "churn")
                            break
                        time.sleep(0.2)
                    else:
                        soak.count("not_found_elsewhere", "churn")
                        soak.error(f"churn-{cycle} written on {owner} not found on {other} within 30 s")
            stop.wait(rng.uniform(0.5, 3.0))
            if client.delete(f"{owner}/v1/collections/churn").status_code != 200:
                soak.error(f"delete churn on {owner} failed")
                continue
            soak.count("cycles", "churn")
            for other in others:  # a deleted collection is 404 at once elsewhere
                r = client.get(f"{other}/v1/documents", params={"collection": "churn"})
                soak.count("404_after_delete" if r.status_code == 404 else f"{r.status_code}_after_delete", "churn")
                if r.status_code != 404:
                    soak.error(f"GET churn on {other} after delete: {r.status_code} {r.text}")


def _verify(node: str, soak: Soak) -> dict[str, list[str]]:
    """Acknowledged documents this node cannot find at their last version, and deleted ones it
    still returns."""
    lost: list[str] = []
    resurrected: list[str] = []
    with httpx.Client(base_url=node, timeout=300) as client:
        for doc_id, token in sorted(soak.latest.items()):
            if doc_id in soak.uncertain:
                continue
            q = {"query": f"When does ferry line {token} resume?", "top_k": 3, "filters": {"doc_ids": [doc_id]}}
            r = client.post("/v1/search", json=q)
            if not (r.status_code == 200 and any(token in p["text"] for p in r.json()["passages"])):
                lost.append(doc_id)
        for doc_id in sorted(soak.deleted - soak.uncertain):
            r = client.post("/v1/search", json={"query": "ferry line", "filters": {"doc_ids": [doc_id]}})
            if r.status_code != 200 or r.json()["passages"]:
                resurrected.append(doc_id)
    return {"lost": lost, "deleted_but_found": resurrected}


def soak(minutes: float, n_nodes: int, delay_share: float, delay_max_s: float, overlap_s: float) -> dict[str, Any]:
    """Starts `chroma run`, the proxy and the nodes, runs writers and the churn loop, verifies."""
    from chroma_delay import DelayingProxy

    work = Path(tempfile.mkdtemp(prefix="race-soak-"))
    procs: list[subprocess.Popen[bytes]] = []
    chroma_port = _free_port()
    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    procs.append(
        subprocess.Popen(
            [chroma, "run", "--path", str(work / "chroma"), "--host", "127.0.0.1", "--port", str(chroma_port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    )
    _wait_ready(f"http://127.0.0.1:{chroma_port}", procs[0], "/api/v2/heartbeat")
    soak_state = Soak()
    started = time.time()
    with DelayingProxy(chroma_port) as proxy:
        proxy.random_delays(delay_share, overlap_s * 1.25, delay_max_s, seed=int(started))
        nodes: list[str] = []
        for i in range(n_nodes):
            port = _free_port()
            env = {
                **os.environ,
                "RAG_DATA_DIR": str(work / f"node{i}"),
                "RAG_CHROMA_HOST": "127.0.0.1",
                "RAG_CHROMA_PORT": str(proxy.port if i == 0 else chroma_port),
                "RAG_CHANGE_OVERLAP_S": str(overlap_s),
                "RAG_RESYNC_INTERVAL_S": "1",
                "HF_HUB_OFFLINE": "1",
                "TRANSFORMERS_OFFLINE": "1",
                "ANONYMIZED_TELEMETRY": "False",
            }
            log = (work / f"node{i}.log").open("ab")
            cmd = [sys.executable, "-m", "rag.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
            procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log))
            nodes.append(f"http://127.0.0.1:{port}")
        try:
            for url, proc in zip(nodes, procs[1:], strict=True):
                _wait_ready(url, proc, "/readyz")
            stop = threading.Event()
            threads = [
                threading.Thread(target=_writer, args=(url, f"n{i}", soak_state, stop, int(started) + i))
                for i, url in enumerate(nodes)
            ]
            threads.append(threading.Thread(target=_churn, args=(nodes, soak_state, stop, int(started) + 99)))
            writing_from = time.time()
            for t in threads:
                t.start()
            stop.wait(minutes * 60)
            stop.set()
            for t in threads:
                t.join()
            writing_s = time.time() - writing_from
            time.sleep(max(3.0, delay_max_s))  # the last syncs (every RAG_RESYNC_INTERVAL_S)
            with ThreadPoolExecutor(len(nodes)) as pool:  # one checker per node, at once
                checks = dict(zip(nodes, pool.map(lambda url: _verify(url, soak_state), nodes), strict=True))
        finally:
            for proc in reversed(procs):
                proc.terminate()
            for proc in procs:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=30)
        delayed = proxy.delayed
    shutil.rmtree(work, ignore_errors=True)
    acknowledged = sum(v for k, v in soak_state.ops.items() if k != "deletes")
    return {
        "nodes": n_nodes,
        "minutes_writing": round(writing_s / 60, 1),
        "change_overlap_s": overlap_s,
        "delayed_commits": delayed,
        "delay_s": [round(overlap_s * 1.25, 2), delay_max_s],
        "operations": soak_state.ops,
        "acknowledged_writes": acknowledged,
        "documents_at_end": len(soak_state.latest),
        "deleted_at_end": len(soak_state.deleted),
        "uncertain": len(soak_state.uncertain),
        "collection_churn": soak_state.churn,
        "lost": {url: len(c["lost"]) for url, c in checks.items()},
        "deleted_but_found": {url: len(c["deleted_but_found"]) for url, c in checks.items()},
        "lost_ids": {url: c["lost"][:20] for url, c in checks.items() if c["lost"]},
        "errors": len(soak_state.errors),
        "first_errors": soak_state.errors[:20],
        "seconds": round(time.time() - started, 1),
    }


def main() -> None:
    from _results import write_result

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--a")
    ap.add_argument("--b")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--key", default="", help="admin key, when the nodes have keys")
    ap.add_argument("--soak-minutes", type=float, default=0, help="run the soak (own servers) for this long")
    ap.add_argument("--nodes", type=int, default=3)
    ap.add_argument("--delay-share", type=float, default=0.3, help="share of node 0's commits held back")
    ap.add_argument("--delay-max", type=float, default=6.0, help="longest hold, seconds")
    ap.add_argument("--overlap", type=float, default=2.0, help="the nodes' RAG_CHANGE_OVERLAP_S")
    args = ap.parse_args()
    if args.soak_minutes:
        write_result("race_soak", soak(args.soak_minutes, args.nodes, args.delay_share, args.delay_max, args.overlap))
        return
    if not (args.a and args.b):
        ap.error("--a and --b (running nodes), or --soak-minutes")
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
