"""No 500 from input (issue 16, finding 8): odd text in a request is a 400 that says what is
wrong, where and how to fix it, on every route, and changes nothing.

Each test is one finding: graph IRIs with control characters or blank-node syntax made
``/store`` answer 500 (``ValueError: Invalid base IRI``); JSON nested 100,000 deep made
/labels answer 500 (``RecursionError``), and JSON-LD nested 65,000 deep killed the whole
server (pyoxigraph overflowed a thread's stack); bytes that are not UTF-8 were read as U+FFFD
everywhere but /sparql, so that ``/store?graph=`` created a graph no one had named.
"""

from __future__ import annotations

import json
import time
import urllib.parse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.errors import Problem
from server.inputs import MAX_JSON_DEPTH, json_nesting
from tests.attacks.client import SCRATCH, Reply, call, get, size, store
from tests.servers import LiveServer

TRIPLE = "<http://example.org/a> <http://example.org/b> <http://example.org/c> ."
FORM = "application/x-www-form-urlencoded"
NOT_GRAPHS = {
    "tab": "http://example.org/a\tb",
    "line-feed": "http://example.org/a\nb",
    "carriage-return": "http://example.org/a\rb",
    "nul": "http://example.org/a\x00b",
    "delete": "http://example.org/a\x7fb",
    "blank-node": "_:b0",
    "empty": "",
    "relative": "attack",
}


def refused(reply: Reply, *said: str) -> str:
    """The plain-text message of a 400 that says each of ``said``, and no traceback."""
    assert reply.status == 400, (reply.status, reply.body[:300])
    assert reply.headers["content-type"].startswith("text/plain"), reply.headers
    message = reply.text
    assert "Traceback" not in message and "internal error" not in message, message
    for part in said:
        assert part in message, message
    return message


def form(server: LiveServer, path: str, body: str, **headers: str) -> Reply:
    return call("POST", server.url + path, body, Content_Type=FORM, **headers)


@pytest.mark.parametrize("iri", NOT_GRAPHS.values(), ids=NOT_GRAPHS.keys())
def test_graph_iri_with_control_characters_is_a_400(server: LiveServer, iri: str) -> None:
    before = size(server)
    for method, body in [("PUT", TRIPLE), ("POST", TRIPLE), ("GET", None), ("DELETE", None)]:
        reply = store(server, method, body, "text/turtle", graph=iri)
        message = refused(reply, "graph=", "give an absolute IRI")
        assert iri.isprintable() or "\\x" in message or "U+" in message, message  # shown, escaped
    assert size(server) == before


@pytest.mark.parametrize("iri", NOT_GRAPHS.values(), ids=NOT_GRAPHS.keys())
def test_protocol_graph_parameters_are_checked_as_store_graphs_are(server: LiveServer, iri: str) -> None:
    """default-graph-uri and named-graph-uri (/sparql), using-graph-uri and
    using-named-graph-uri (/update): the same check as /store?graph=."""
    before = size(server)
    for parameter in ["default-graph-uri", "named-graph-uri"]:
        query = urllib.parse.urlencode({"query": "ASK {}", parameter: iri})
        refused(get(server, f"sparql?{query}"), f"{parameter}=", "give an absolute IRI")
        refused(form(server, "sparql", query), f"{parameter}=")
    for parameter in ["using-graph-uri", "using-named-graph-uri"]:
        body = urllib.parse.urlencode({"update": f"INSERT DATA {{ GRAPH <{SCRATCH}> {{ {TRIPLE} }} }}"})
        body += "&" + urllib.parse.urlencode({parameter: iri})
        reply = form(server, "update", body, Authorization=f"Bearer {server.token}")
        refused(reply, f"{parameter}=", "give an absolute IRI")
    assert size(server) == before


@pytest.mark.parametrize("shape", ["arrays", "objects"])
def test_deeply_nested_json_is_a_400(server: LiveServer, shape: str) -> None:
    depth = 100_000
    opening, closing = ("[", "]") if shape == "arrays" else ('{"a":', "}")
    body = '{"iris": ' + opening * depth + "1" + closing * depth + "}"
    before = size(server)
    reply = call("POST", server.url + "labels", body, Content_Type="application/json")
    refused(reply, "the JSON body nests arrays and objects 100001 deep", "flatten it")
    assert size(server) == before
    brackets = json.dumps({"iris": ["[[[[{{" * 100]})
    reply = call("POST", server.url + "labels", brackets, Content_Type="application/json")
    assert reply.status == 200 and json.loads(reply.body) == {"labels": {}}  # brackets in a string


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\:,ab \n\u00e9'),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=20,
)


def depth(value: object) -> int:
    if isinstance(value, list | dict):
        items = value.values() if isinstance(value, dict) else value
        return 1 + max((depth(v) for v in items), default=0)
    return 0


@given(JSON, st.integers(min_value=0, max_value=2 * MAX_JSON_DEPTH), st.booleans())
def test_the_depth_scan_agrees_with_the_parser(value: object, wraps: int, objects: bool) -> None:
    """The scan of the bytes refuses exactly the JSON whose parsed depth is over the limit;
    brackets, quotes and backslashes inside strings do not fool it."""
    for _ in range(wraps):
        value = {"k": value} if objects else [value]
    text = json.dumps(value, ensure_ascii=False)
    assert json.loads(text) == value
    too_deep = depth(value) > MAX_JSON_DEPTH
    try:
        json_nesting(text.encode("utf-8"))
    except Problem as refusal:
        assert too_deep, refusal.message
        assert f"nests arrays and objects {depth(value)} deep" in refusal.message
    else:
        assert not too_deep


def test_deeply_nested_json_ld_is_a_400_and_the_server_lives(server: LiveServer) -> None:
    depth = 65_000  # under pyoxigraph's own limit of 65,536, which it never reached: it crashed
    nested = '{"http://example.org/p": ' * depth + "1" + "}" * depth
    body = '{"@id": "http://example.org/s", "http://example.org/p": ' + nested + "}"
    before = size(server)
    reply = store(server, "PUT", body, "application/ld+json")
    refused(reply, "the JSON-LD body nests arrays and objects 65001 deep")
    assert size(server) == before  # the server still answers, and nothing was written


def test_invalid_utf8_is_refused_on_every_route(server: LiveServer) -> None:
    """%FF (no UTF-8 sequence starts with it) in a query string, a path, a form body: the
    same refusal on every route, naming where the byte is."""
    before = size(server)
    queries = [
        "sparql?query=ASK%7B%7D%FF",
        "sparql?query=ASK%7B%7D&default-graph-uri=http%3A%2F%2Fexample.org%2F%FF",
        "store?graph=http%3A%2F%2Fexample.org%2F%FF",
        "search?q=%FF",
        "resource?uri=http%3A%2F%2Fexample.org%2F%FF",
        "queries/describe-entity?entity=%FF",
        "export/?%FF=1",
        "ontology?format=%FF",
        "health?x=%C3",  # a sequence cut short
        "?q=%ED%A0%80",  # a surrogate, which UTF-8 never encodes
    ]
    for path in queries:
        refused(get(server, path), "the query string is not valid UTF-8", "percent-encode text as UTF-8")
    for path in ["id/%FF", "graph/%FF", "export/%FF", "queries/%FF"]:
        refused(get(server, path), "the path is not valid UTF-8")
    graph = store(server, "PUT", TRIPLE, "text/turtle", graph=SCRATCH)
    assert graph.status in {201, 204}, graph.text
    written = size(server)
    url = f"{server.store}?graph=http%3A%2F%2Fexample.org%2F%FF"
    for method in ["PUT", "POST", "DELETE"]:
        reply = call(method, url, TRIPLE, Content_Type="text/turtle", Authorization=f"Bearer {server.token}")
        refused(reply, "the value of 'graph' has byte 0xFF")
    token = {"Authorization": f"Bearer {server.token}"}
    refused(form(server, "sparql", "query=ASK%7B%7D%FF"), "the form body is not valid UTF-8")
    refused(form(server, "update", f"update=DROP%20GRAPH%20%3C{SCRATCH}%3E%FF", **token), "the form body")
    refused(form(server, "labels", "iris=%FF"), "the form body is not valid UTF-8")
    assert size(server) == written
    store(server, "DELETE", None, "text/turtle", graph=SCRATCH)
    assert size(server) == before


@pytest.mark.parametrize("host", ["localhost:99999999", "localhost:65536"])
def test_host_with_a_port_that_is_no_port_is_a_400(server: LiveServer, host: str) -> None:
    """werkzeug builds the request's URL, the base IRI of every query and update, from Host."""
    before = size(server)
    insert = f"INSERT DATA {{ GRAPH <{SCRATCH}> {{ {TRIPLE} }} }}"
    token = {"Authorization": f"Bearer {server.token}"}
    for method, path, body, headers in [
        ("GET", "sparql?query=ASK%7B%7D", None, {}),
        ("GET", "sparql", None, {}),
        ("GET", "openapi.json", None, {}),
        ("POST", "update", insert, {"Content_Type": "application/sparql-update", **token}),
        ("POST", "store", TRIPLE, {"Content_Type": "text/turtle", **token}),
    ]:
        reply = call(method, server.url + path, body, Host=host, **headers)
        refused(reply, f"the Host header {host!r} is not a host with a port from 0 to 65535")
    assert size(server) == before


@pytest.mark.parametrize(
    "media_type, body",
    [
        ("multipart/form-data; boundary=x", "garbage"),
        ("multipart/form-data", "--x\r\n\r\n--x--\r\n"),  # no boundary
        (
            "multipart/form-data; boundary=x",
            '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nno file\r\n--x--\r\n',
        ),
    ],
    ids=["garbage", "no-boundary", "fields-only"],
)
def test_multipart_body_without_a_file_part_is_a_400(server: LiveServer, media_type: str, body: str) -> None:
    """A PUT of such a body emptied the graph it named, with a 204; a POST made an empty graph."""
    kept = store(server, "PUT", TRIPLE, "text/turtle")
    assert kept.status in {201, 204}, kept.text
    before = size(server)
    for method, url in [
        ("PUT", f"{server.store}?graph={urllib.parse.quote(SCRATCH, safe='')}"),
        ("POST", server.store),
    ]:
        reply = call(method, url, body, Content_Type=media_type, Authorization=f"Bearer {server.token}")
        refused(reply, "holds no file part", "nothing was written")
    assert size(server) == before
    store(server, "DELETE", None, "text/turtle")


def test_deeply_nested_rdf_xml_is_a_400_before_it_is_parsed(server: LiveServer) -> None:
    """pyoxigraph's RDF/XML parser takes time in the square of the nesting: 60,000 deep took
    100 s of the request's own thread before the write even started."""
    depth = 60_000
    body = (
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="http://example.org/">'
        '<rdf:Description rdf:about="http://example.org/s">'
        + "<e:p><rdf:Description>" * depth
        + "<e:p>1</e:p>"
        + "</rdf:Description></e:p>" * depth
        + "</rdf:Description></rdf:RDF>"
    )
    before = size(server)
    started = time.monotonic()
    reply = store(server, "PUT", body, "application/rdf+xml")
    refused(reply, "RDF/XML nests elements more than 100 deep", "flatten it")
    assert time.monotonic() - started < 10
    assert size(server) == before
