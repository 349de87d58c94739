"""Writes need the configured bearer token; without one configured, the server is read-only."""

from __future__ import annotations

import hmac

from flask import Request

from server.context import context
from server.errors import Problem


def require_write(request: Request) -> None:
    """Raise Problem 403 when writes are disabled or the request comes from another site's
    page, 401 when the token is missing or wrong.

    The token is compared in constant time, so response times tell nothing about it.
    """
    refuse_other_origins(request)
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


def refuse_other_origins(request: Request) -> None:
    """Raise Problem 403 for a write that a browser sent from another origin's page.

    Browsers send ``Origin`` (and ``Sec-Fetch-Site``) with every cross-origin POST, PUT and
    DELETE, including form posts that need no CORS preflight; SPARQL clients send neither.
    The token alone would stop such a write, but a page must not be able to try one with a
    token it obtained, so a foreign origin is refused whatever it carries.
    """
    origin = request.headers.get("Origin")
    own = request.host_url.rstrip("/")
    foreign = origin is not None and origin.rstrip("/") != own
    if foreign or request.headers.get("Sec-Fetch-Site", "same-origin") not in {"same-origin", "none"}:
        raise Problem(403, f"writes are not accepted from pages of another origin ({origin or 'cross-site'})")
