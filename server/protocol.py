"""Reading SPARQL 1.1 Protocol requests: the operation text and the dataset parameters.

https://www.w3.org/TR/sparql11-protocol/ sections 2.1 (query) and 2.2 (update): GET with a
``query`` parameter, POST of a URL-encoded form, or POST of the operation itself with media
type ``application/sparql-query`` / ``application/sparql-update``; always UTF-8.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Request

from server.errors import Problem, bad_request, unsupported_media_type
from server.inputs import FORM, graph_iri, pairs

DIRECT = {"query": "application/sparql-query", "update": "application/sparql-update"}
# The parameters that name the dataset's default graphs and named graphs (sections 2.1.4, 2.2.3).
GRAPHS = {
    "query": ("default-graph-uri", "named-graph-uri"),
    "update": ("using-graph-uri", "using-named-graph-uri"),
}


@dataclass(frozen=True)
class Operation:
    text: str
    default_graphs: list[str]  # default-graph-uri, or using-graph-uri for updates
    named_graphs: list[str]  # named-graph-uri, or using-named-graph-uri


def read(request: Request, kind: str) -> Operation | None:
    """The ``kind`` ("query" or "update") operation of the request; None for a GET without one.

    Raises Problem: 400 for a missing, repeated or non-UTF-8 operation or a graph parameter
    that is not an IRI (``server.inputs.graph_iri``), 405 for an update by GET, 415 for a body
    type that is neither the form nor the direct media type.
    """
    params = _parse(request.query_string, "the query string")
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
            form = _parse(body.encode("utf-8"), "the form body")
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
    defaults, named = ([graph_iri(iri, name) for iri in params.get(name, [])] for name in GRAPHS[kind])
    return Operation(texts[0], defaults, named)


def _parse(data: bytes, where: str) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for name, value in pairs(data, where):
        params.setdefault(name, []).append(value)
    return params


def _utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise bad_request(f"the body is not valid UTF-8 (byte {error.start})") from None
