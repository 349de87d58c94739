"""Kept answers replayed in front of Flask: a repeated GET /sparql costs a dictionary lookup.

The answer cache (``server.answer_cache``) spares the store a repeated query, but a kept
answer still went through Flask's request context, routing, the guard and content
negotiation: about 0.3 ms, most of what such a request costs. This WSGI layer keys the raw
request instead, its query string and every header the answer depends on, and replays the
status, headers and body the app gave the first time, for as long as the store's version is
the same. It takes only answers the app has served from the answer cache (``Eurasia-KG-Cache:
hit``), so errors, volatile queries and the service description always reach the app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from server.answer_cache import AnswerCache
from server.context import Context

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]

MARK = "Eurasia-KG-Cache"
# What a GET /sparql answer depends on besides its query string: the negotiated format, the
# CORS origin, and the endpoint's own URL (the base IRI and the service description's IRI).
VARIES = (
    "HTTP_ACCEPT",
    "HTTP_ORIGIN",
    "HTTP_HOST",
    "SERVER_NAME",
    "SERVER_PORT",
    "SCRIPT_NAME",
    "wsgi.url_scheme",
)


@dataclass(frozen=True)
class Replay:
    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


class ReplayKept:
    """Wraps the app's ``wsgi_app``; replays kept answers of GET /sparql from ``answers``."""

    def __init__(self, app: WsgiApp, kg: Context, answers: AnswerCache) -> None:
        self.app, self.kg, self.answers = app, kg, answers

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("PATH_INFO") != "/sparql":
            return self.app(environ, start_response)
        key = ("replay", environ.get("QUERY_STRING", ""), *(environ.get(name) for name in VARIES))
        version = self.kg.version  # read before the app runs, as the answer cache does
        kept = self.answers.get(version, key, Replay)
        if kept is not None:
            start_response(kept.status, list(kept.headers))
            return [kept.body]
        seen: list[tuple[str, list[tuple[str, str]]]] = []

        def noting(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen.append((status, headers))
            return start_response(status, headers, exc_info)

        answer = self.app(environ, noting)
        if not seen or not seen[-1][0].startswith("200 ") or (MARK, "hit") not in seen[-1][1]:
            return answer
        try:
            body = b"".join(answer)
        finally:
            getattr(answer, "close", lambda: None)()
        status, headers = seen[-1]
        self.answers.put(version, key, Replay(status, tuple(headers), body))
        return [body]
