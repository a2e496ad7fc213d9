"""schemathesis against the live OpenAPI schema with all its checks: no 5xx, responses match the
schema, schema-valid requests are accepted and invalid ones rejected."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from api.app import create_app
from tests.conftest import ROOT, SEEDS, UvicornThread

pytestmark = pytest.mark.slow


def test_schemathesis_finds_no_server_error(fresh_pipeline) -> None:  # type: ignore[no-untyped-def]
    """On its own store: the fuzzer adds documents, which must not leak into other tests."""
    fresh_pipeline.ingest_paths([SEEDS])
    exe = shutil.which("schemathesis") or str(Path(sys.executable).parent / "schemathesis")
    with UvicornThread(create_app(fresh_pipeline.settings, fresh_pipeline)) as server:
        out = _run(exe, server.url)
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-2000:]


def _run(exe: str, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            exe,
            "run",
            f"{url}/openapi.json",
            "--max-examples",
            "15",
            "--exclude-method",
            "DELETE",
            "--no-color",
            "--seed",
            "1",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,  # picks up schemathesis.toml
        timeout=900,
    )
