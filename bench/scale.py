"""The store at 10k, 50k and 100k chunks: write, delete, ask, search, list, memory, start, and
how fast a second API node sees a change.

    .venv/bin/python bench/scale.py [--sizes 10000,50000,100000] [--writes 100]

Stores are built from the RealTime QA dev corpus (../shared/datasets/realtimeqa-dev), copied
with new ids and earlier dates until the target size is reached, and cached under
data/bench-scale/. They are embedded with the BENCHMARK-ONLY hashing embedder
(`RAG_EMBED_MODEL=bench:hashing`, not semantic): 100k chunks of MiniLM would take ~100 minutes
here, and these figures are about the store and the index. Where the model's cost belongs in a
figure (a write "incl. embedding", an ask), a wrapper runs MiniLM on the same texts and returns
the hashing vectors, so the time is real; `bench/ingest.py` measures model throughput alone.
The stores are built without the NLP layer (spaCy would take hours at 100k chunks here); the
measured writes annotate, and the asks read annotations made on an article's first use (the
warm-up round), as a serving node does.

Each size is measured in a fresh child process (its RSS is a serving process's, not the
builder's); cold start and cross-node visibility use real `rag serve` processes, the latter
two of them over one `chroma run` server. Writes bench/results/scale.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from _results import write_result

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eval.gold import load_gold  # noqa: E402
from eval.metrics import percentile  # noqa: E402
from rag.index.embed import CachedEmbedder, HashingEmbedder, NativeBertEmbedder  # noqa: E402
from rag.ingest.ingester import Parsed  # noqa: E402
from rag.ingest.parsers import RecordError, parse_records_text  # noqa: E402
from rag.models import Document, Filters  # noqa: E402
from rag.settings import Settings  # noqa: E402

CORPUS = ROOT.parent / "shared/datasets/realtimeqa-dev"
BATCH = 200  # documents per write while building
BENCH_ENV = {"RAG_EMBED_MODEL": "bench:hashing", "RAG_API_KEYS": "", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


class RealCostHashing:
    """Runs MiniLM on the texts (so the time is the model's) and returns the hashing vectors (so
    they match the store)."""

    def __init__(self) -> None:
        self.model = NativeBertEmbedder()
        self.hashing = HashingEmbedder()
        self.name, self.dim = self.hashing.name, self.hashing.dim

    def embed(self, texts: Any) -> np.ndarray:
        self.model.embed(texts)
        return self.hashing.embed(texts)

    def count_tokens(self, texts: Any) -> list[int]:
        return self.hashing.count_tokens(texts)


def settings_for(data_dir: Path) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir, embed_model="bench:hashing", embed_cache=None)  # type: ignore[call-arg]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def du_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def stats(values: list[float]) -> dict[str, float]:
    return {"p50": round(percentile(values, 50), 1), "p95": round(percentile(values, 95), 1)}


def corpus_docs(corpus: Path) -> list[Document]:
    path = corpus / "corpus.jsonl"
    return [
        d
        for d in parse_records_text(path.read_text(encoding="utf-8"), path.name, jsonl=True)
        if not isinstance(d, RecordError)
    ]


def copy_of(doc: Document, k: int) -> Document:
    """Copy `k` of an article: a new id, published 35*k days earlier (k = 0 is the original)."""
    if k == 0:
        return doc
    published = doc.published - dt.timedelta(days=35 * k) if doc.published else None
    return doc.model_copy(update={"doc_id": f"{doc.doc_id}-copy{k}", "published": published})


def refresh_index(directory: Path) -> None:
    """A cached store whose lexical slot an upgrade invalidated (another format, other word tables)
    is rebuilt here, once, so that no measurement includes the rebuild."""
    from rag.pipeline import RagPipeline

    pipeline = RagPipeline(settings_for(directory))
    pipeline.lexical_index()
    if pipeline.lexical_manager.rebuilds:
        print(f"  rebuilt the lexical index of the cached {directory.name}", file=sys.stderr)
    pipeline.lexical_manager.close()
    pipeline.store.close()


def build(size: int, corpus: Path, root: Path) -> Path:
    """A store of at least `size` chunks, cached (keyed by corpus and size). It starts from a copy
    of the largest smaller cached store and goes on with the same sequence of batches."""
    from rag.pipeline import RagPipeline

    fingerprint = hashlib.sha256(f"{(corpus / 'corpus.jsonl').stat().st_size}-v2".encode()).hexdigest()[:12]
    directory = root / f"{size}-{fingerprint}"
    if (directory / "ready.json").exists():
        refresh_index(directory)
        return directory
    shutil.rmtree(directory, ignore_errors=True)
    smaller = sorted(
        (int(p.name.split("-")[0]), p)
        for p in root.glob(f"*-{fingerprint}")
        if (p / "ready.json").exists() and int(p.name.split("-")[0]) < size
    )
    done_batches, chunks = 0, 0
    if smaller:
        base = smaller[-1][1]
        shutil.copytree(base, directory)
        state = json.loads((directory / "ready.json").read_text())
        (directory / "ready.json").unlink()
        done_batches, chunks = state["batches"], state["chunks"]
        for lock in (directory / "lexical").rglob("*.lock"):
            lock.unlink()
    # Built without the NLP layer: spaCy costs ~0.25 s an article here (bench/ingest.py measures
    # it), hours for 100k chunks. The measuring process annotates an article on its first use,
    # as a serving node does for an archive ingested before the NLP layer; its writes annotate.
    pipeline = RagPipeline(settings_for(directory).updated(nlp_annotate=False))
    docs = corpus_docs(corpus)
    per_copy = (len(docs) + BATCH - 1) // BATCH
    started = time.perf_counter()
    while chunks < size:
        k, i = divmod(done_batches, per_copy)
        batch = [copy_of(d, k) for d in docs[i * BATCH : (i + 1) * BATCH]]
        pipeline.ingest_parsed([Parsed(d.doc_id, doc=d) for d in batch])
        done_batches += 1
        chunks = len(pipeline.lexical_index())
        print(f"  build {size}: {chunks} chunks", file=sys.stderr, end="\r")
    pipeline.lexical_manager.close()
    pipeline.store.close()
    state = {"chunks": chunks, "batches": done_batches, "build_s": round(time.perf_counter() - started)}
    (directory / "ready.json").write_text(json.dumps(state))
    print(file=sys.stderr)
    return directory


def write_doc(i: int, tag: str) -> Document:
    return Document(
        doc_id=f"bench-write-{tag}-{i:04d}",
        title=f"Harbour authority notice {tag} {i}",
        text=(
            f"The harbour authority said on Tuesday that ferry route {i} will reopen next week after repairs. "
            f"Officials expect the {tag}zq{i} timetable to return to normal by the end of the month."
        ),
        source="Bench Wire",
        published=dt.date(2022, 8, 1),
    )


def measure(directory: Path, corpus: Path, writes: int) -> dict[str, Any]:
    """In this (fresh) process: everything but cold start and cross-node visibility."""
    from rag.components import build_components
    from rag.pipeline import RagPipeline

    settings = settings_for(directory).model_copy(update={"embed_cache": directory / "bench_embed_cache.sqlite"})
    hashing = CachedEmbedder(lambda: HashingEmbedder(), "bench:hashing-384", 384, None)
    pipeline = RagPipeline(settings, embedder=hashing)
    t = time.perf_counter()
    index = pipeline.lexical_index()
    out: dict[str, Any] = {"chunks": len(index), "documents": pipeline.count_documents()}
    out["open_index_ms"] = round((time.perf_counter() - t) * 1000, 1)

    # Writes and deletes, embedding excluded (the hashing embedder costs ~nothing) ...
    tag = f"{os.getpid()}"
    timings: list[float] = []
    for i in range(writes):
        d = write_doc(i, tag)
        t = time.perf_counter()
        pipeline.ingest_parsed([Parsed(d.doc_id, doc=d)])
        timings.append((time.perf_counter() - t) * 1000)
    out["write_ms_excl_embedding"] = stats(timings)
    timings = []
    for i in range(0, writes, 5):
        t = time.perf_counter()
        pipeline.delete_document(write_doc(i, tag).doc_id)
        timings.append((time.perf_counter() - t) * 1000)
    out["delete_ms"] = stats(timings)
    assert pipeline.lexical_manager.rebuilds == 0, "a write or delete rebuilt the lexical index"

    # ... and with MiniLM's cost for the same chunks (no embedding cache hits: new texts).
    real = CachedEmbedder(RealCostHashing, "bench:hashing-384", 384, settings.embed_cache)
    timed = RagPipeline(
        settings, build_components(settings, embedder=real, store=pipeline.store, lexical=pipeline.lexical_manager)
    )
    real.load()
    timings = []
    for i in range(writes, writes + 20):
        d = write_doc(i, tag + "m")
        t = time.perf_counter()
        timed.ingest_parsed([Parsed(d.doc_id, doc=d)])
        timings.append((time.perf_counter() - t) * 1000)
    out["write_ms_incl_embedding"] = stats(timings)

    # Ask and search with MiniLM's cost, warm (a warm-up round first, as a serving process).
    items = list(load_gold(corpus / "questions.jsonl"))
    for it in items:
        timed.ask(it.question, as_of=it.as_of_date())
    timings = []
    for _ in range(2):
        for it in items:
            t = time.perf_counter()
            timed.ask(it.question, as_of=it.as_of_date())
            timings.append((time.perf_counter() - t) * 1000)
    out["ask_ms"] = stats(timings)
    t = time.perf_counter()
    real.embed([f"An unseen question number {random.random()} about the harbour?"])
    out["uncached_query_embedding_ms"] = round((time.perf_counter() - t) * 1000, 1)

    index = timed.lexical_index()
    outlet = index.outlet_terms and sorted(index.outlet_terms)[0]
    search: dict[str, list[float]] = {}
    for _ in range(2):
        for it in items:
            day = it.as_of_date() or dt.date.today()
            cases = {
                "unfiltered": (None, None),
                "as_of": (None, day),
                "window_8_days": (Filters(published_from=day - dt.timedelta(days=8), published_to=day), None),
                "outlet": (Filters(sources=[outlet]) if outlet else None, None),
                "doc_ids": (Filters(doc_ids=sorted(it.gold_docs())), None),
            }
            for name, (filters, as_of) in cases.items():
                t = time.perf_counter()
                timed.retrieve(it.question, 6, filters, index=index, as_of=as_of)
                search.setdefault(name, []).append((time.perf_counter() - t) * 1000)
    out["search_ms"] = {k: stats(v) for k, v in search.items()}
    base = percentile(search["unfiltered"], 50)
    out["filtered_to_unfiltered_p50"] = {k: round(percentile(v, 50) / base, 2) for k, v in search.items()}

    total = timed.document_page(1, 0)[1]
    timings = []
    rng = random.Random(7)
    for _ in range(200):
        t = time.perf_counter()
        page, _ = timed.document_page(10, rng.randrange(0, max(1, total - 10)))
        timings.append((time.perf_counter() - t) * 1000)
        assert len(page) == 10
    out["list_page_ms"] = stats(timings)
    out["rss_mb_after_writes"] = round(rss_mb())
    leftovers = [write_doc(i, tag) for i in range(writes)] + [
        write_doc(i, tag + "m") for i in range(writes, writes + 20)
    ]
    for d in leftovers:  # leave the cached store as it was
        try:
            pipeline.delete_document(d.doc_id)
        except Exception:  # noqa: BLE001, S112 - already deleted above
            continue
    pipeline.lexical_manager.close()
    pipeline.store.close()
    out["disk_mb"] = {"chroma": round(du_mb(directory / "chroma")), "lexical": round(du_mb(directory / "lexical"))}
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, timeout: float = 180) -> float:
    import httpx

    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return time.perf_counter() - start
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise TimeoutError(url)


def serve(data_dir: Path, port: int, extra: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    env = {**os.environ, **BENCH_ENV, "RAG_DATA_DIR": str(data_dir), **(extra or {})}
    return subprocess.Popen(
        [str(ROOT / ".venv/bin/rag"), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def cold_start(directory: Path) -> float:
    """Process start to /readyz 200 (median of 3)."""
    times = []
    for _ in range(3):
        port = free_port()
        start = time.perf_counter()
        proc = serve(directory, port)
        try:
            wait_ready(f"http://127.0.0.1:{port}/readyz")
            times.append(time.perf_counter() - start)
        finally:
            stop(proc)
    return round(float(np.median(times)), 2)


def cross_node(directory: Path, rounds: int = 5) -> dict[str, Any]:
    """Two `rag serve` nodes over one `chroma run` server holding this store. Each node starts from
    a copy of the store's lexical slot (how a new node bootstraps) and catches up from the log."""
    import httpx

    scratch = directory.parent / f"{directory.name}-nodes"
    shutil.rmtree(scratch, ignore_errors=True)
    chroma_port = free_port()
    chroma = subprocess.Popen(
        [str(ROOT / ".venv/bin/chroma"), "run", "--path", str(directory / "chroma"), "--port", str(chroma_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    nodes: list[subprocess.Popen[bytes]] = []
    try:
        wait_ready(f"http://127.0.0.1:{chroma_port}/api/v2/heartbeat", 120)
        ports = []
        for name in ("a", "b"):
            node_dir = scratch / name
            shutil.copytree(directory / "lexical", node_dir / "lexical")
            for lock in (node_dir / "lexical").rglob("*.lock"):
                lock.unlink()
            port = free_port()
            nodes.append(serve(node_dir, port, {"RAG_CHROMA_HOST": "127.0.0.1", "RAG_CHROMA_PORT": str(chroma_port)}))
            ports.append(port)
        for port in ports:
            wait_ready(f"http://127.0.0.1:{port}/readyz")
        a, b = (f"http://127.0.0.1:{p}" for p in ports)
        seen, gone = [], []
        for i in range(rounds):
            d = write_doc(i, f"node{os.getpid()}")
            marker = f"node{os.getpid()}zq{i}"
            body = [json.loads(d.model_dump_json(exclude={"path", "url"}))]
            assert httpx.post(f"{a}/v1/documents", json=body, timeout=60).status_code in (200, 201, 207)
            start = time.perf_counter()
            while True:
                hits = httpx.post(f"{b}/v1/search", json={"query": marker, "top_k": 3}, timeout=30).json()
                if any(p["doc_id"] == d.doc_id and p.get("lexical_rank") for p in hits["passages"]):
                    break
                time.sleep(0.02)
            seen.append(time.perf_counter() - start)
            assert httpx.delete(f"{a}/v1/documents/{d.doc_id}", timeout=60).status_code == 200
            start = time.perf_counter()
            while True:
                hits = httpx.post(f"{b}/v1/search", json={"query": marker, "top_k": 3}, timeout=30).json()
                if all(p["doc_id"] != d.doc_id for p in hits["passages"]):
                    break
                time.sleep(0.02)
            gone.append(time.perf_counter() - start)
        return {
            "write_visible_on_b_s": {"p50": round(float(np.median(seen)), 3), "max": round(max(seen), 3)},
            "delete_gone_on_b_s": {"p50": round(float(np.median(gone)), 3), "max": round(max(gone), 3)},
        }
    finally:
        for node in nodes:
            stop(node)
        stop(chroma)
        shutil.rmtree(scratch, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,50000,100000")
    ap.add_argument("--writes", type=int, default=100)
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--root", type=Path, default=ROOT / "data/bench-scale")
    ap.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the per-size child process
    ap.add_argument("--build-only", action="store_true", help="build (or find) the stores and stop")
    args = ap.parse_args()
    if args.build_only:
        for size in (int(s) for s in args.sizes.split(",")):
            print(build(size, args.corpus, args.root))
        return
    if args.measure:
        print(json.dumps(measure(args.measure, args.corpus, args.writes)))
        return
    results: dict[str, Any] = {
        "embedder": "bench:hashing-384 (benchmark only); MiniLM's cost added where noted",
        "writes": args.writes,
        "sizes": {},
    }
    for size in (int(s) for s in args.sizes.split(",")):
        directory = build(size, args.corpus, args.root)
        child = subprocess.run(
            [
                sys.executable,
                __file__,
                "--measure",
                str(directory),
                "--writes",
                str(args.writes),
                "--corpus",
                str(args.corpus),
            ],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, **BENCH_ENV},
        )
        row = json.loads(child.stdout.strip().splitlines()[-1])
        row["cold_start_to_ready_s"] = cold_start(directory)
        row["cross_node"] = cross_node(directory)
        results["sizes"][str(size)] = row
        print(json.dumps({size: row}), file=sys.stderr)
    write_result("scale", results)


if __name__ == "__main__":
    main()
