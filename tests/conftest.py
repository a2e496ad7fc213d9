"""Shared fixtures: one ingested store per session, real servers on loopback, no network."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"})

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
LOOPBACK = ("127.", "::1", "localhost", "0.0.0.0")


@pytest.fixture(autouse=True)
def _refuse_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection to a non-loopback address fails the test: 'offline' is proven every run."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else str(address)
        if self.family in (socket.AF_INET, socket.AF_INET6) and not str(host).startswith(LOOPBACK):
            raise AssertionError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def page_through(url: str, limit: int) -> tuple[list[str], set[int]]:
    """Every page of `GET /v1/documents` from offset 0: (the doc ids in page order, the totals reported)."""
    import httpx

    seen: list[str] = []
    totals: set[int] = set()
    offset = 0
    while True:
        page = httpx.get(f"{url}/v1/documents", params={"limit": limit, "offset": offset}).json()
        totals.add(page["total"])
        if not page["items"]:
            return seen, totals
        seen += [d["doc_id"] for d in page["items"]]
        offset += len(page["items"])


def make_settings(data_dir: Path, **kw: object):  # type: ignore[no-untyped-def]
    from rag.settings import Settings

    return Settings(_env_file=None, data_dir=data_dir, embed_cache=SHARED_CACHE, **kw)  # type: ignore[call-arg]


SHARED_CACHE = Path(os.environ.get("RAG_TEST_CACHE", "/tmp/newsrag-test-cache")) / "embed_cache.sqlite"


@pytest.fixture(scope="session")
def seeded_pipeline(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The seeds ingested once; read-only tests share it."""
    from rag.pipeline import RagPipeline

    pipeline = RagPipeline(make_settings(tmp_path_factory.mktemp("seeded")))
    report = pipeline.ingest_paths([SEEDS])
    assert report.failed == 0, report.items
    return pipeline


@pytest.fixture()
def fresh_pipeline(tmp_path: Path, seeded_pipeline):  # type: ignore[no-untyped-def]
    """An empty store that reuses the loaded embedder (for tests that write)."""
    from rag.pipeline import RagPipeline

    return RagPipeline(make_settings(tmp_path / "data"), embedder=seeded_pipeline.embedder)


class UvicornThread:
    """A real uvicorn server on a free loopback port, in this process."""

    def __init__(self, app: object):
        import uvicorn

        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> UvicornThread:
        self.thread.start()
        deadline = time.time() + 60
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def api_server(seeded_pipeline) -> Iterator[UvicornThread]:  # type: ignore[no-untyped-def]
    from api.app import create_app

    with UvicornThread(create_app(seeded_pipeline.settings, seeded_pipeline)) as server:
        yield server


class ChromaServer:
    """`chroma run` on a free loopback port; stop() and start() simulate an outage."""

    def __init__(self, path: Path):
        self.path = path
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        exe = shutil.which("chroma") or str(Path(os.sys.executable).parent / "chroma")  # type: ignore[attr-defined]
        self.proc = subprocess.Popen(
            [exe, "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("chroma server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
            self.proc = None


@pytest.fixture()
def chroma_server(tmp_path: Path) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path / "chroma-server")
    server.start()
    yield server
    server.stop()
