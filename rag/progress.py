"""Progress bars for long CLI runs (ingest, benchmark preparation, eval), on stderr with an ETA."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any


class IngestBar:
    """Feeds a tqdm bar from the ingester's `(documents done, chunks embedded)` callback."""

    def __init__(self, total: int, desc: str = "ingest", disable: bool = False) -> None:
        from tqdm import tqdm

        self._bar: Any = tqdm(
            total=total, unit="doc", desc=desc, file=sys.stderr, disable=disable or total < 2, dynamic_ncols=True
        )

    def __call__(self, done: int, embedded: int) -> None:
        self._bar.n = done
        self._bar.set_postfix(embedded=embedded, refresh=False)
        self._bar.refresh()

    def __enter__(self) -> IngestBar:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._bar.close()
