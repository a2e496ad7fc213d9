"""Real `rag serve` processes for the reliability suite (each test reproduces one reported failure)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, SHARED_CACHE, free_port


class ServeProcess:
    """`rag serve` in its own process, with its own data dir, on a free loopback port."""

    def __init__(self, data_dir: Path, **env: str):
        self.port = free_port()
        self.data_dir = data_dir
        self.env = {
            **os.environ,
            "RAG_DATA_DIR": str(data_dir),
            "RAG_EMBED_CACHE": str(SHARED_CACHE),
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "ANONYMIZED_TELEMETRY": "False",
            **env,
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = data_dir.parent / f"serve-{data_dir.name}-{self.port}.log"

    def stderr_text(self) -> str:
        """What the process wrote to stderr (warnings such as an index rebuild)."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cli(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "rag.cli", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(self, probe: str = "/readyz") -> ServeProcess:
        """Returns once `probe` answers 200 (`/healthz`: serving, though perhaps not ready)."""
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rag.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("ab"),
        )
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"rag serve exited with {self.proc.returncode}")
            try:
                if httpx.get(f"{self.url}{probe}", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError("rag serve did not become ready")

    def terminate(self, timeout: float = 10) -> float:
        """SIGTERM; returns the seconds it took the process to exit."""
        assert self.proc is not None
        started = time.time()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return float("inf")
        return time.time() - started

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture()
def serve_factory() -> Iterator[object]:
    started: list[ServeProcess] = []

    def make(data_dir: Path, **env: str) -> ServeProcess:
        proc = ServeProcess(data_dir, **env)
        started.append(proc)
        return proc

    yield make
    for p in started:
        p.stop()


@pytest.fixture()
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 48 MB tmpfs, for a disk that fills up (mounting needs root, as in CI)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.fail("the disk-full tests mount a tmpfs and need root (as in CI)")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
