"""Bulk annotation in worker processes: the same records as in-process, in input order, and a
worker that dies costs no write (the batch is annotated in-process, the worker replaced)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from rag.nlp.annotate import Annotator
from rag.nlp.workers import AnnotationPool, split_by_length
from tests.conftest import ROOT

TEXTS = [
    "Portugal won the final 2-1 on Sunday, the coach said.",
    "According to the Associated Press, 300 people attended the parade in Lisbon. " * 3,
    "Ana Costa, the mayor of Lisbon, told reporters the city was proud.",
    "Oman said talks between Iran and the United States would resume in Muscat next week.",
    "The agency recalled 2 million cars.",
]


def _own_pool(workers: int = 2) -> tuple[Annotator, AnnotationPool]:
    """An annotator with a pool of its own, so killing its workers leaves the shared one alone."""
    pool = AnnotationPool(workers=workers, noun_chunks=False)
    annotator = Annotator(workers=workers)
    annotator._pool = pool
    return annotator, pool


def test_a_batch_is_split_by_length_and_every_text_lands_once() -> None:
    groups = split_by_length(TEXTS, 2)
    assert sorted(i for g in groups for i in g) == list(range(len(TEXTS)))
    assert all(g == sorted(g) for g in groups)
    assert [1] in groups  # the longest text alone outweighs the rest
    assert split_by_length(["one"], 4) == [[0]]


def test_workers_give_the_same_records_in_the_same_order_as_the_writing_process() -> None:
    keys = [f"v{i}" for i in range(len(TEXTS))]
    assert Annotator(workers=2).annotate(TEXTS, keys) == Annotator().annotate(TEXTS, keys)


def test_workers_that_died_idle_are_replaced_before_the_next_batch() -> None:
    annotator, pool = _own_pool()
    expected = Annotator().annotate(TEXTS)
    assert annotator.annotate(TEXTS) == expected
    before = pool.pids()
    assert len(before) == 2
    for pid in before:
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.3)
    assert annotator.annotate(TEXTS) == expected
    after = pool.pids()
    assert len(after) == 2 and not set(after) & set(before)
    pool.close()


def test_a_worker_killed_mid_batch_costs_no_record(caplog) -> None:  # type: ignore[no-untyped-def]
    annotator, pool = _own_pool()
    pool.start()
    long_batch = [" ".join(TEXTS) * 20] * 8  # seconds of parsing
    expected = Annotator().annotate(long_batch)
    victims = pool.pids()
    threading.Timer(0.5, lambda: os.kill(victims[0], signal.SIGKILL)).start()
    assert annotator.annotate(long_batch) == expected  # annotated in this process
    assert "annotation worker died" in caplog.text
    assert annotator.annotate(TEXTS) == Annotator().annotate(TEXTS)
    assert len(pool.pids()) == 2 and victims[0] not in pool.pids()
    pool.close()


def test_a_script_without_a_main_guard_runs_once(tmp_path: Path) -> None:
    """The workers are fresh interpreters: the caller's script is not run again in each (as
    multiprocessing's spawn would, ingesting twice from a script without `if __name__ ...`)."""
    script = tmp_path / "ingest.py"
    script.write_text(
        "from rag.nlp.annotate import Annotator\n"
        "print('script ran')\n"
        "print(len(Annotator(workers=2).annotate(['One text.', 'Another text.'])))\n",
        encoding="utf-8",
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["script ran", "2"]
