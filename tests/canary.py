"""A canary: an HTTP server on 127.0.0.1 that records every request made to it.

Attack tests point SPARQL ``SERVICE``, ``LOAD``, ``FROM``, JSON-LD contexts, XML entities and
``owl:imports`` at it. It answers with plausible content (Turtle, JSON-LD, SPARQL results) so
that a fetch would succeed and go unnoticed, and the test fails if anything reached it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TURTLE = b'<http://canary.example/s> <http://canary.example/p> "fetched from the canary" .\n'
JSONLD_CONTEXT = b'{"@context": {"name": "http://schema.org/name", "@vocab": "http://canary.example/"}}'
SPARQL_RESULTS = b'{"head": {"vars": ["s"]}, "results": {"bindings": [{"s": {"type": "uri", "value": "http://canary.example/s"}}]}}'


@dataclass
class Canary:
    url: str  # e.g. http://127.0.0.1:PORT/
    hits: list[str] = field(default_factory=list)  # "METHOD /path" of every request
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, line: str) -> None:
        with self._lock:
            self.hits.append(line)

    def take(self) -> list[str]:
        """The hits since the last call, forgetting them."""
        with self._lock:
            hits, self.hits = self.hits, []
            return hits


def _handler(canary: Canary) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            canary.record(f"{self.command} {self.path}")
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            accept = self.headers.get("Accept", "")
            if "json" in accept and "sparql" in accept:
                body, media_type = SPARQL_RESULTS, "application/sparql-results+json"
            elif "ld+json" in accept or self.path.endswith((".jsonld", "ctx", "context")):
                body, media_type = JSONLD_CONTEXT, "application/ld+json"
            else:
                body, media_type = TURTLE, "text/turtle"
            self.send_response(200)
            self.send_header("Content-Type", media_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_POST = do_HEAD = do_PUT = _answer  # noqa: N815 - http.server's names

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
            pass

    return Handler


@contextmanager
def canary() -> Iterator[Canary]:
    """A running canary on a free port of 127.0.0.1, stopped afterwards."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    found = Canary(f"http://127.0.0.1:{server.server_address[1]}/")
    server.RequestHandlerClass = _handler(found)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()
