"""Errors mapped to HTTP in one place.

Handlers turn ``Problem`` (our own refusals), werkzeug's HTTP errors and the store's errors
into short plain-text answers. Anything unexpected is logged with its traceback and answered
with a 500 whose body says nothing about the internals.
"""

from __future__ import annotations

import logging
import re

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from graph import idempotency
from graph.sandbox import (
    MaybeWritten,
    NoSpace,
    NotWritten,
    OutboundFailed,
    Overloaded,
    QuerySyntaxError,
    QueryTimeout,
    QueryTooLarge,
    StoreError,
    StoreUnavailable,
    WorkerCrashed,
)
from server.guard import GuardError

log = logging.getLogger(__name__)
RETRY_AFTER = "5"


class Problem(Exception):
    """A request we refuse: the status, a message for the client, extra headers."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def bad_request(message: str) -> Problem:
    return Problem(400, message)


def not_acceptable(offered: list[str]) -> Problem:
    return Problem(
        406,
        "none of the media types in Accept can be served; this resource is "
        f"available as {', '.join(offered)}",
    )


def unsupported_media_type(given: str, accepted: list[str]) -> Problem:
    return Problem(415, f"cannot read a body of type {given or '(none)'}; send one of {', '.join(accepted)}")


def readable_syntax_error(message: str) -> str:
    """pyoxigraph's "error at 3:2: expected ..." as "syntax error at line 3, column 2: ..."."""
    match = re.match(r"(?:error )?at (\d+):(\d+): (.*)", message, re.DOTALL)
    if match:
        line, column, rest = match.groups()
        if len(rest) > 200:  # the parser may list every character class it would have taken
            rest = rest[:200].rsplit(" ", 1)[0] + " …"
        return f"syntax error at line {line}, column {column}: {rest}"
    return f"syntax error: {message}"


def text(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    response = Response(message.rstrip("\n") + "\n", status=status, mimetype="text/plain")
    response.headers.update(headers or {})
    return response


def register(app: Flask) -> None:
    @app.errorhandler(Problem)
    def problem(error: Problem) -> Response:
        return text(error.status, error.message, error.headers)

    @app.errorhandler(GuardError)
    def guarded(error: GuardError) -> Response:
        return text(400, str(error))

    @app.errorhandler(QuerySyntaxError)
    def syntax(error: QuerySyntaxError) -> Response:
        return text(400, readable_syntax_error(str(error)))

    @app.errorhandler(QueryTimeout)
    def timeout(error: QueryTimeout) -> Response:
        return text(
            503,
            f"the request was stopped: it ran longer than the time limit ({error}); "
            "narrow it, or add a LIMIT",
            {"Retry-After": RETRY_AFTER},
        )

    @app.errorhandler(QueryTooLarge)
    def too_large(error: QueryTooLarge) -> Response:
        return text(
            503,
            f"the request was stopped: it needed more memory than a query may use ({error}); "
            "narrow it, or add a LIMIT",
            {"Retry-After": RETRY_AFTER},
        )

    @app.errorhandler(Overloaded)
    def overloaded(error: Overloaded) -> Response:
        return text(503, f"the server is busy ({error}); try again shortly", {"Retry-After": RETRY_AFTER})

    @app.errorhandler(WorkerCrashed)
    def crashed(error: WorkerCrashed) -> Response:
        log.error("a request stopped its store worker (%s)", error)
        return text(
            503,
            f"the request stopped the store worker that ran it ({error}); nothing was changed. "
            "It is probably nested too deeply or too long: simplify it, or split it",
            {"Retry-After": RETRY_AFTER},
        )

    @app.errorhandler(StoreUnavailable)
    def unavailable(error: StoreUnavailable) -> Response:
        log.error("store unavailable: %s", error)
        return text(503, "the store is unavailable; see the server log", {"Retry-After": RETRY_AFTER})

    @app.errorhandler(NoSpace)
    def no_space(error: NoSpace) -> Response:
        log.error("no space to write: %s", error)
        return text(
            507,
            "the server has no space left to write this file; nothing was left half-written. "
            "Try again once space is freed",
            {"Retry-After": RETRY_AFTER},
        )

    @app.errorhandler(NotWritten)
    def not_written(error: NotWritten) -> Response:
        log.error("a write was refused, not run: %s", error)
        return text(
            507,
            "the write was not applied: the disk that holds the store is full (the server log says "
            "which directory and how much to free). Nothing was changed; send the same request "
            "again once space is freed",
            {"Retry-After": RETRY_AFTER},
        )

    @app.errorhandler(MaybeWritten)
    def maybe_written(error: MaybeWritten) -> Response:
        log.error("a write ran out of room; it may or may not have been applied: %s", error)
        if request.headers.get(idempotency.HEADER):
            check = (
                f"To find out without applying it twice, send it again with the same "
                f"{idempotency.HEADER} once space is freed: if it was applied, it is not applied "
                f"again, and the answer carries '{idempotency.REPLAYED}: true'"
            )
        else:
            check = (
                "It was sent without an Idempotency-Key, so sending it again may apply it twice: "
                "once space is freed, read the store first (GET /store?graph=..., or an ASK query "
                "at /sparql) and send it again only if it is not there"
            )
        return text(
            507,
            "the disk that holds the store filled up while this write ran, so it MAY OR MAY NOT "
            f"have been applied. {check}",
            {"Retry-After": RETRY_AFTER},
        )

    @app.errorhandler(idempotency.KeyReused)
    def key_reused(error: idempotency.KeyReused) -> Response:
        return text(422, str(error))

    @app.errorhandler(OutboundFailed)
    def outbound_failed(error: OutboundFailed) -> Response:
        log.error("the request failed on I/O: %s", error)
        return text(
            502,
            "the request could not be completed: a SERVICE or LOAD it makes failed, or the "
            "store could not be read; the server log has the details",
        )

    @app.errorhandler(StoreError)
    def store_error(error: StoreError) -> Response:
        return text(400, f"the store refused the request: {error}")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        response = text(error.code or 500, error.description or error.name)
        if error.code == 405 and error.valid_methods:  # type: ignore[attr-defined]
            response.headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("unexpected error", exc_info=error)
        return text(500, "internal error; the server log has the details")
