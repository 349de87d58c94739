"""Writes that can be sent again: the ``Idempotency-Key`` request header
(draft-ietf-httpapi-idempotency-key-header).

A write sent with a key is applied at most once per key: the key is recorded in the store in
the write's own transaction (``graph.idempotency``), and a write whose key is recorded gets
the answer recorded with it, with ``Idempotency-Replayed: true``, and changes nothing. The
key must come with the same request each time: method, path, parameters, media type and body.
"""

from __future__ import annotations

from typing import Any

from flask import Request, Response

from graph import idempotency
from server.context import context
from server.errors import bad_request


def key(request: Request, answer: dict[str, Any]) -> idempotency.Key | None:
    """The request's idempotency key, to be recorded with ``answer`` (``status`` and, for a
    new graph, ``location``); None without the header. Raises Problem 400 for a malformed key,
    or on a server whose store is remote (it cannot record the key with the write)."""
    try:
        value = idempotency.parse_header(request.headers.get(idempotency.HEADER))
    except ValueError as error:
        raise bad_request(str(error)) from None
    if value is None:
        return None
    if context().settings.remote:
        raise bad_request(
            f"this server cannot honour {idempotency.HEADER}: its store is a remote SPARQL server, "
            "which cannot record the key in the write's own transaction; nothing was written. "
            "Send the write without the header"
        )
    request_id = idempotency.fingerprint(
        request.method, request.path, request.query_string, request.mimetype, request.get_data(cache=True)
    )
    return idempotency.Key(value, request_id, answer)


def replayed(result: object) -> Response | None:
    """The answer recorded earlier when ``result`` says the write was not applied again."""
    if not isinstance(result, idempotency.Replayed):
        return None
    response = Response(status=int(result.answer.get("status", 204)))
    if "location" in result.answer:
        response.headers["Location"] = str(result.answer["location"])
    if response.status_code == 404:
        response.set_data("there was no such graph in the store\n")
        response.mimetype = "text/plain"
    response.headers[idempotency.REPLAYED] = "true"
    return response
