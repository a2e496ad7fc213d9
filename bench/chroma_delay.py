"""A TCP proxy in front of `chroma run` that holds registry commits back: a slow network or a
paused writer, as a node behind it sees it.

Chroma's HTTP API is plain HTTP/1.1 and its client sends one request at a time per connection,
so requests are read whole (head plus Content-Length body) and forwarded; answers are copied
back byte for byte. A POST to `/upsert` is what commits documents (the registry is the only
collection written with upsert: chunks and change-log entries use add), and it is forwarded
only after `delay_s` (or `delay()` for each one), so its change-log entry reaches the store that
long before its commit. Used by tests/reliability/test_late_commits.py and bench/race.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import threading
from collections.abc import Callable
from types import TracebackType


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class DelayingProxy:
    """`with DelayingProxy(chroma_port) as proxy:` then point a node at `proxy.port`; set
    `proxy.delay_s` (or `proxy.delay`, a function returning seconds) to hold upserts back."""

    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1"):
        self.upstream = (upstream_host, upstream_port)
        self.port = _free_port()
        self.delay_s = 0.0
        self.delay: Callable[[], float] | None = None
        self.delayed = 0  # upserts held back so far
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="chroma-delay", daemon=True)
        self._server: asyncio.Server | None = None

    def random_delays(self, share: float, low_s: float, high_s: float, seed: int = 0) -> None:
        """Hold back `share` of the upserts, each by a uniform delay in [low_s, high_s]."""
        rng = random.Random(seed)
        self.delay = lambda: rng.uniform(low_s, high_s) if rng.random() < share else 0.0

    def __enter__(self) -> DelayingProxy:
        self._thread.start()
        started = asyncio.run_coroutine_threadsafe(self._serve(), self._loop)
        started.result(timeout=10)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        async def stop() -> None:
            if self._server is not None:
                self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def _serve(self) -> None:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", self.port)

    async def _connection(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            server_r, server_w = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_w.close()
            return
        back = asyncio.ensure_future(self._copy(server_r, client_w))
        try:
            while True:
                head = await client_r.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                body = await client_r.readexactly(length) if length else b""
                method, path = head.split(b" ", 2)[:2]
                # The registry's upsert is the commit; the annotation records (rag/nlp, metadata
                # "doc_version") are upserted just before it and pass undelayed.
                if method == b"POST" and path.rstrip(b"/").endswith(b"/upsert") and b'"doc_version"' not in body:
                    wait = self.delay() if self.delay is not None else self.delay_s
                    if wait > 0:
                        self.delayed += 1
                        await asyncio.sleep(wait)
                server_w.write(head + body)
                await server_w.drain()
        except (
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ConnectionError,
            ValueError,
            asyncio.CancelledError,
        ):
            pass  # the client closed its connection (or sent what is not HTTP/1.1)
        finally:
            back.cancel()
            for w in (server_w, client_w):
                with contextlib.suppress(Exception):
                    w.close()

    @staticmethod
    async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        with contextlib.suppress(Exception):
            writer.close()
