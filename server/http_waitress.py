"""The app under waitress, the default HTTP server, with slow and idle connections shed.

Waitress reads a whole request (head and body, up to ``max_request_bytes``) on its one event
loop before a request thread sees it, so a slow client holds only a connection slot, never a
thread. Slots are what this module guards, with two limits waitress does not have:

- ``connections_per_address``: a client address (the TCP peer, not a forwarded header) holds
  at most this many connections; a further one is closed as soon as it is accepted.
- ``request_deadline``: a connection must deliver a complete request within this many
  seconds of being opened or of its last answer, or it is closed, even if it keeps trickling
  bytes. That covers idle keep-alive connections, slow headers and slow bodies alike. A
  connection whose request is being answered, or whose answer is still being sent, is left
  alone (waitress's ``channel_timeout``, set to the same figure, closes one that stops reading).

Beyond that, ``connection_limit`` caps all connections at once (waitress stops accepting, and
the kernel queues up to ``backlog`` more); poll() instead of select() lets it exceed 1024.
See docs/connections.md for what this guarantees and the measured figures.
"""

from __future__ import annotations

import logging
import math
import socket
import time
from collections import Counter
from typing import Any

from flask import Flask
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import MultiSocketServer, TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher

from graph.settings import Settings

log = logging.getLogger(__name__)
ACCEPTS_PER_TURN = 64  # connections accepted per turn of the event loop, so a flood drains fast


def serve(app: Flask, settings: Settings, host: str, port: int, threads: int) -> None:
    """Serve ``app`` on ``host:port`` until interrupted. Raises OSError if the port is taken."""
    create(app, settings, host, port, threads).run()


def create(app: Flask, settings: Settings, host: str, port: int, threads: int) -> MultiSocketServer:
    """The listening server, not yet running: one socket per address ``host`` resolves to."""
    adj = Adjustments(
        host=host,
        port=port,
        threads=threads,
        ident="eurasia-kg",
        max_request_body_size=settings.max_request_bytes,
        clear_untrusted_proxy_headers=True,
        connection_limit=settings.connection_limit,
        channel_timeout=max(1, math.ceil(settings.request_deadline)),
        cleanup_interval=1,
        asyncore_use_poll=True,
    )
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(threads)
    sockets: dict[int, Any] = {}
    peers: Counter[str] = Counter()
    listening = [
        GuardedServer(app, settings, peers, map=sockets, dispatcher=dispatcher, adj=adj, sockinfo=info)
        for info in adj.listen
    ]
    server = MultiSocketServer(
        sockets, adj, [(s.effective_host, s.effective_port) for s in listening], dispatcher, log.info
    )
    for s in listening:
        log.info("waitress on http://%s:%s", s.effective_host, s.effective_port)
    return server


class GuardedChannel(HTTPChannel):
    """A connection that knows since when it has owed the server a complete request."""

    waiting_since = 0.0
    counted = False

    def __init__(self, server: GuardedServer, sock: socket.socket, addr: Any, adj: Any, map: Any) -> None:
        super().__init__(server, sock, addr, adj, map=map)
        self.waiting_since = self.creation_time

    def service(self) -> None:
        self.waiting_since = time.time()  # runs on a request thread, while a request is queued
        super().service()
        self.waiting_since = time.time()

    def del_channel(self, map: Any = None) -> None:
        super().del_channel(map)
        if self.counted:
            self.counted = False
            self.server.release(self.addr[0])


class GuardedServer(TcpWSGIServer):
    """Waitress's TCP server with a cap per client address and a deadline per request."""

    channel_class = GuardedChannel

    def __init__(self, app: Flask, settings: Settings, peers: Counter[str], **kw: Any) -> None:
        self.per_address = settings.connections_per_address
        self.deadline = settings.request_deadline
        self.peers = peers  # shared by the sockets of one server
        self.capped: set[str] = set()  # the addresses warned about
        super().__init__(app, **kw)

    def handle_accept(self) -> None:
        for _ in range(ACCEPTS_PER_TURN):
            if len(self._map) >= self.adj.connection_limit:
                return
            try:
                accepted = self.accept()
            except OSError:
                return
            if accepted is None:
                return
            conn, addr = accepted
            host = addr[0]
            if self.peers[host] >= self.per_address:
                if host not in self.capped:  # once, until all its connections have closed
                    self.capped.add(host)
                    log.warning("%s holds %d connections; closing its further ones", host, self.per_address)
                conn.close()
                continue
            try:
                self.set_socket_options(conn)
                channel = self.channel_class(self, conn, addr, self.adj, map=self._map)
            except OSError:
                conn.close()
                continue
            channel.counted = True
            self.peers[host] += 1

    def release(self, host: str) -> None:
        """One connection of ``host`` has closed."""
        self.peers[host] -= 1
        if self.peers[host] <= 0:
            del self.peers[host]
            self.capped.discard(host)

    def maintenance(self, now: float) -> None:
        """Closes the connections that owe a request for longer than the deadline, and (as
        waitress does) those idle for ``channel_timeout``."""
        super().maintenance(now)
        cutoff = now - self.deadline
        for channel in self.active_channels.values():
            if not channel.requests and not channel.total_outbufs_len and channel.waiting_since < cutoff:
                channel.will_close = True
