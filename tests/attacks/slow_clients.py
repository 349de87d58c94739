"""Slow and idle clients, and the lookups that must get through them, on loopback only.

A ``Swarm`` keeps ``count`` connections open to a server in one of three shapes, from a source
address of its own (all of 127.0.0.0/8 is loopback on Linux, so 127.0.0.2 is another client
than the lookups' 127.0.0.1), and opens a new one whenever the server closes one:

- ``idle``: connects and sends nothing;
- ``slow-headers``: sends a request line, then one more header line every ``interval``;
- ``slow-body``: sends a POST's head announcing a large body, then one byte every ``interval``.

None of them ever finishes a request. ``lookups`` sends GETs one after another meanwhile and
records how long each took. Used by tests/attacks/test_connections.py and
benchmarks/connections.py.
"""

from __future__ import annotations

import selectors
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field

SHAPES = ("idle", "slow-headers", "slow-body")
HEADS = {
    "idle": b"",
    "slow-headers": b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n",
    "slow-body": (
        b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
        b"Content-Length: 1000000\r\n\r\nASK"
    ),
}
TRICKLE = {"idle": b"", "slow-headers": b"X-Slow: 1\r\n", "slow-body": b" "}


@dataclass
class Swarm:
    """``count`` connections of ``shape`` from ``sources`` (taken in turn) to ``port``."""

    port: int
    shape: str
    count: int
    sources: tuple[str, ...] = ("127.0.0.2",)
    interval: float = 0.5  # seconds between a connection's trickled bytes
    reopen: bool = True  # whether to open a new connection when the server closes one
    opened: int = 0
    refused: int = 0  # connects that failed or timed out
    closed: list[float] = field(default_factory=list)  # lifetimes of those the server closed
    most_open: int = 0

    def __post_init__(self) -> None:
        if self.shape not in SHAPES:
            raise ValueError(f"shape must be one of {SHAPES}, got {self.shape!r}")
        self._selector = selectors.DefaultSelector()
        self._open: dict[socket.socket, list[float]] = {}  # socket: [opened at, next trickle]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Swarm:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(30)
        for sock in list(self._open):
            self._close(sock)
        self._selector.close()

    @property
    def now_open(self) -> int:
        return len(self._open)

    def _run(self) -> None:
        while not self._stop.is_set():
            wanted = self.count - (len(self._open) if self.reopen else self.opened + self.refused)
            for _ in range(min(100, wanted)):  # a bounded refill per turn
                self._connect()
            for key, _ in self._selector.select(timeout=0.05):
                self._read(key.fileobj)  # type: ignore[arg-type]
            now = time.monotonic()
            for sock, times in list(self._open.items()):
                if TRICKLE[self.shape] and times[1] <= now:
                    times[1] = now + self.interval
                    self._send(sock, TRICKLE[self.shape])
            self.most_open = max(self.most_open, len(self._open))

    def _connect(self) -> None:
        sock = socket.socket()
        try:
            sock.bind((self.sources[self.opened % len(self.sources)], 0))
            sock.settimeout(1)
            sock.connect(("127.0.0.1", self.port))
            sock.setblocking(False)
        except OSError:
            sock.close()
            self.refused += 1
            time.sleep(0.01)
            return
        self.opened += 1
        now = time.monotonic()
        self._open[sock] = [now, now + self.interval]
        self._selector.register(sock, selectors.EVENT_READ)
        if HEADS[self.shape]:
            self._send(sock, HEADS[self.shape])

    def _send(self, sock: socket.socket, data: bytes) -> None:
        try:
            sock.send(data)
        except OSError:
            self._closed_by_server(sock)

    def _read(self, sock: socket.socket) -> None:
        try:
            sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            pass
        self._closed_by_server(sock)  # closed, or answered (a 408, say): either way, done with

    def _closed_by_server(self, sock: socket.socket) -> None:
        if sock in self._open:
            self.closed.append(time.monotonic() - self._open[sock][0])
        self._close(sock)

    def _close(self, sock: socket.socket) -> None:
        if self._open.pop(sock, None) is not None:
            self._selector.unregister(sock)
        sock.close()


def lookups(urls: Sequence[str], seconds: float, pause: float = 0.05, timeout: float = 10) -> list[float]:
    """GET ``urls`` in turn, one request after another, for ``seconds``; the latency of each, in
    seconds, ``timeout`` for one that failed or was refused."""
    latencies: list[float] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        url = urls[len(latencies) % len(urls)]
        start = time.monotonic()
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
                response.read()
                ok = response.status == 200
        except (OSError, urllib.error.HTTPError):
            ok = False
        latencies.append(time.monotonic() - start if ok else timeout)
        time.sleep(pause)
    return latencies
