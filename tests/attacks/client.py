"""Requests the attack tests send, and what they read back to see that nothing changed."""

from __future__ import annotations

import json
import urllib.parse

from tests.servers import LiveServer
from tests.test_endpoint import Reply, call

__all__ = ["Reply", "call", "get", "size", "store", "update"]
SCRATCH = "http://example.org/attack"  # the graph attacks write to, and remove again


def get(server: LiveServer, path: str, **headers: str) -> Reply:
    return call("GET", server.url + path, **headers)


def update(server: LiveServer, text: str, token: str | None = None, **headers: str) -> Reply:
    return call(
        "POST",
        server.update,
        text,
        Content_Type="application/sparql-update",
        Authorization=f"Bearer {token or server.token}",
        **headers,
    )


def store(server: LiveServer, method: str, body: str | None, media_type: str, graph: str = SCRATCH) -> Reply:
    url = f"{server.store}?graph={urllib.parse.quote(graph, safe='')}"
    headers = {"Content_Type": media_type} if body is not None else {}
    return call(method, url, body, Authorization=f"Bearer {server.token}", **headers)


def size(server: LiveServer) -> tuple[int, int]:
    """The store's quads and graphs, cheap enough to ask before and after every attack."""
    health = json.loads(get(server, "health").body)
    return health["quads"], health["graphs"]
