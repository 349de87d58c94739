"""Writes need the configured bearer token; without one configured, the server is read-only."""

from __future__ import annotations

import hmac

from flask import Request

from server.context import context
from server.errors import Problem


def require_write(request: Request) -> None:
    """Raise Problem 403 when writes are disabled, 401 when the token is missing or wrong.

    The token is compared in constant time, so response times tell nothing about it.
    """
    token = context().settings.write_token
    if not token:
        raise Problem(
            403,
            "this endpoint is read-only; the operator enables writes by setting EURASIA_KG_WRITE_TOKEN",
        )
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise Problem(
            401,
            "writes need the header 'Authorization: Bearer <token>' with the configured write token",
            {"WWW-Authenticate": 'Bearer realm="eurasia-kg"'},
        )
