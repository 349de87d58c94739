"""Reading SPARQL 1.1 Protocol requests: the operation text and the dataset parameters.

https://www.w3.org/TR/sparql11-protocol/ sections 2.1 (query) and 2.2 (update): GET with a
``query`` parameter, POST of a URL-encoded form, or POST of the operation itself with media
type ``application/sparql-query`` / ``application/sparql-update``; always UTF-8.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs

from flask import Request

from server.errors import Problem, bad_request, unsupported_media_type

FORM = "application/x-www-form-urlencoded"
DIRECT = {"query": "application/sparql-query", "update": "application/sparql-update"}


@dataclass(frozen=True)
class Operation:
    text: str
    default_graphs: list[str]  # default-graph-uri, or using-graph-uri for updates
    named_graphs: list[str]  # named-graph-uri, or using-named-graph-uri


def read(request: Request, kind: str) -> Operation | None:
    """The ``kind`` ("query" or "update") operation of the request; None for a GET without one.

    Raises Problem: 400 for a missing, repeated or non-UTF-8 operation, 405 for an update by
    GET, 415 for a body type that is neither the form nor the direct media type.
    """
    params = _parse(request.query_string)
    if request.method in {"GET", "HEAD"}:
        if kind == "update":
            raise Problem(405, "updates are sent by POST, never GET", {"Allow": "POST"})
        if "query" not in params:
            return None
        texts = params.get("query", [])
    else:
        media_type = request.mimetype
        charset = request.mimetype_params.get("charset", "utf-8").lower()
        if charset not in {"utf-8", "utf8"}:
            raise Problem(415, f"the body must be UTF-8, not {charset}")
        body = _utf8(request.get_data(cache=True))
        if media_type == FORM:
            form = _parse(body.encode("utf-8"))
            texts = form.get(kind, [])
            for name, values in form.items():
                if name != kind:
                    params.setdefault(name, []).extend(values)
        elif media_type == DIRECT[kind]:
            texts = [body]
        else:
            raise unsupported_media_type(request.content_type or "", [FORM, DIRECT[kind]])
    if len(texts) != 1:
        raise bad_request(f"send exactly one '{kind}' parameter, not {len(texts)}")
    if kind == "update":
        defaults, named = params.get("using-graph-uri", []), params.get("using-named-graph-uri", [])
    else:
        defaults, named = params.get("default-graph-uri", []), params.get("named-graph-uri", [])
    return Operation(texts[0], defaults, named)


def _parse(data: bytes) -> dict[str, list[str]]:
    try:
        return parse_qs(data.decode("utf-8"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError as error:
        raise bad_request(f"the parameters are not valid UTF-8 (byte {error.start})") from None


def _utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise bad_request(f"the body is not valid UTF-8 (byte {error.start})") from None
