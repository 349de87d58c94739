"""Request input screened before a route reads it: text that is UTF-8, graph names that are
IRIs, JSON that is not nested deeper than a parser can follow.

- Every route takes its query string, and a form body, as UTF-8 (RFC 3986 section 2.5; the
  SPARQL 1.1 Protocol, section 2.1, and HTML's application/x-www-form-urlencoded). werkzeug
  would read bytes that are not UTF-8 as U+FFFD and go on; ``screen`` refuses them first,
  on every route alike, naming the parameter and the byte. It refuses a ``Host`` header whose
  port is no port too: werkzeug builds the request's URL (a query's base IRI) from it.
- ``graph_iri`` checks a graph a request names (``/store?graph=``, ``default-graph-uri``,
  ``named-graph-uri``, ``using-graph-uri``, ``using-named-graph-uri``): an absolute IRI that
  the store can hold (``graph.admission.iri_problem``, then pyoxigraph's own parser, which
  has the last word). A blank node (``_:b0``) names no graph here.
- ``json_nesting`` bounds the depth of a JSON body (/labels, a JSON-LD upload) before any
  parser reads it: Python's json recurses until RecursionError, and pyoxigraph's JSON-LD
  parser overflowed the stack of a server thread (the whole server died) at 65,000 objects.

Each raises ``Problem`` 400, which ``server.errors`` turns into a plain-text answer.
"""

from __future__ import annotations

import re
from itertools import accumulate
from urllib.parse import unquote_to_bytes, urlsplit

from flask import request
from pyoxigraph import NamedNode

from graph import admission
from server.errors import Problem, bad_request

FORM = "application/x-www-form-urlencoded"
MAX_JSON_DEPTH = 100  # /labels needs 2; JSON-LD documents seldom go past 10


def screen() -> None:
    """Flask's ``before_request``: refuses a ``Host`` whose port is not a port, and a path,
    query string or form body that is not UTF-8 (Problem 400), before any route reads them."""
    _port(request.environ.get("HTTP_HOST", ""))  # as sent: werkzeug's own reading of it varies
    path = request.environ.get("PATH_INFO", "").encode("latin-1", "replace")  # the raw bytes (PEP 3333)
    if (error := _utf8_error(path)) is not None:
        raise _not_utf8("the path", path, error)
    pairs(request.query_string, "the query string")
    if request.mimetype == FORM:
        pairs(request.get_data(cache=True), "the form body")


def pairs(data: bytes, where: str) -> list[tuple[str, str]]:
    """The ``name=value`` pairs of a query string or form body, decoded as UTF-8, blank
    values kept (as ``urllib.parse.parse_qsl``). Raises Problem 400 naming the parameter
    whose text is not UTF-8.

    >>> pairs(b"query=ASK%7B%7D&format=", "the query string")
    [('query', 'ASK{}'), ('format', '')]
    >>> pairs(b"query=%FF", "the query string")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    server.errors.Problem: the query string is not valid UTF-8: the value of 'query' has byte 0xFF ...
    """
    found: list[tuple[str, str]] = []
    for part in data.split(b"&"):
        if not part:
            continue
        raw_name, _, raw_value = part.partition(b"=")
        name = unquote_to_bytes(raw_name.replace(b"+", b" "))
        value = unquote_to_bytes(raw_value.replace(b"+", b" "))
        if (error := _utf8_error(name)) is not None:
            raise _not_utf8(where, name, error, "a parameter's name")
        shown = name.decode("utf-8")
        if (error := _utf8_error(value)) is not None:
            raise _not_utf8(where, value, error, f"the value of {shown!r}")
        found.append((shown, value.decode("utf-8")))
    return found


def graph_iri(iri: str, parameter: str) -> str:
    """``iri``, when it can name a graph; ``parameter`` is the request's name for it (for
    the message). Raises Problem 400 for an empty value, a blank node and anything that is not
    an absolute IRI the store can hold.

    >>> graph_iri("http://example.org/g", "graph")
    'http://example.org/g'
    >>> graph_iri("_:b0", "graph")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    server.errors.Problem: graph='_:b0' is a blank node, which names no graph here; give an absolute IRI ...
    """
    problem: str | None
    if not iri:
        problem = "it is empty"
    elif iri.startswith("_:"):
        problem = "is a blank node, which names no graph here"
    else:
        problem = admission.iri_problem(iri) or _engine_refuses(iri)
    if problem is None:
        return iri
    verb = "" if problem.startswith("is ") else "is not a graph IRI: "
    shown = repr(iri) if len(iri) <= 200 else repr(iri[:200]) + "…"
    raise bad_request(
        f"{parameter}={shown} {verb}{problem}; give an absolute IRI such as http://example.org/graph"
    )


def json_nesting(data: bytes, where: str = "the JSON body") -> None:
    """Raises Problem 400 when arrays and objects in ``data`` nest deeper than MAX_JSON_DEPTH.

    A scan of the bytes, before any parser: strings are skipped (a bracket in a string does
    not nest), the rest is counted. On valid JSON the count is the depth exactly; on invalid
    JSON it is never less than the depth a parser reaches before it stops at the first error,
    since up to there the scan reads the text as the parser does.

    >>> json_nesting(b'{"iris": ["[[[["]}')
    >>> json_nesting(b"[" * 101)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    server.errors.Problem: the JSON body nests arrays and objects 101 deep, more than the 100 allowed; ...
    """
    brackets = _STRINGS.sub(b"", data).translate(None, _NOT_BRACKETS)
    if brackets.count(b"[") + brackets.count(b"{") <= MAX_JSON_DEPTH:
        return
    depth = max(accumulate(map(_STEP.__getitem__, brackets)))
    if depth > MAX_JSON_DEPTH:
        raise bad_request(
            f"{where} nests arrays and objects {depth} deep, more than the {MAX_JSON_DEPTH} allowed; "
            "flatten it"
        )


# A string, or an unterminated one up to the end; possessive, so the scan stays linear.
_STRINGS = re.compile(rb'"(?:[^"\\]++|\\.)*+\\?(?:"|\Z)', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = [1 if b in b"[{" else -1 for b in range(256)]


def _engine_refuses(iri: str) -> str | None:
    try:
        NamedNode(iri)
    except ValueError as error:
        return "".join(c if c.isprintable() else f"\\u{ord(c):04X}" for c in str(error)).rstrip(".")
    return None


def _port(host: str) -> None:
    """Raises Problem 400 when ``host`` (the Host header) has a port outside 0-65535; werkzeug
    builds the request's URL from it (the base IRI of every query) and raised ValueError."""
    try:
        urlsplit(f"//{host}").port  # noqa: B018 - the property checks the port
    except ValueError:
        raise bad_request(
            f"the Host header {host!r} is not a host with a port from 0 to 65535; send the server's own name"
        ) from None


def _utf8_error(data: bytes) -> UnicodeDecodeError | None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        return error
    return None


def _not_utf8(where: str, data: bytes, error: UnicodeDecodeError, what: str = "") -> Problem:
    byte = data[error.start]
    place = f"{what} has " if what else ""
    return bad_request(
        f"{where} is not valid UTF-8: {place}byte 0x{byte:02X} at byte {error.start + 1}; "
        "percent-encode text as UTF-8 (%C3%BF for ÿ)"
    )
