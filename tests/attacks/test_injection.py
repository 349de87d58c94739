"""No SPARQL injection through any parameter of the browser, search, named query and export
routes: user text only ever becomes a bound value, so payloads that would close an IRI or a
string and start an update change nothing, add no rows, and get a readable 400 or 404."""

from __future__ import annotations

import http.client
import json
import urllib.parse

import pytest
from pyoxigraph import Literal, NamedNode, Quad, Store

from graph.remote import bind
from tests.attacks.client import Reply, call, get
from tests.canary import Canary
from tests.servers import LiveServer

PAYLOADS = [
    "> } ; DROP ALL #",
    'iran" . } INSERT DATA { <http://example.org/a> <http://example.org/b> "c" } #',
    "iran> } UNION { ?s ?p ?o } #",
    "iran\\u003E } ; DROP ALL #",
    "iran\n} ; CLEAR ALL",
    "iran' } ; DROP ALL #",
    "?s",
    "<http://example.org/x>",
    "iran%3E%20%7D",
    "*",
]


def routes(payload: str) -> list[str]:
    """Every parameter of the read routes, carrying ``payload``."""
    q = urllib.parse.quote(payload, safe="")
    return [
        f"id/{q}",
        f"id/iran.ttl?format={q}",
        f"id/iran?all={q}",
        f"graph/{q}",
        f"resource?uri={q}",
        f"resource?uri=https%3A%2F%2Fw3id.org%2Feurasia-kg%2Fid%2Firan{q}",
        f"search?q={q}",
        f"search?q={q}&format=json",
        f"queries/{q}",
        f"queries/describe-entity?entity={q}",
        f"queries/fact-support?entity={q}",
        f"queries/visits?state={q}",
        f"queries/events-in-month?month={q}",
        f"queries/visits?{q}=iran",
        f"export/{q}",
        f"ontology?format={q}",
        f"sparql?query=ASK%7B%7D&default-graph-uri={q}",
        f"store?graph={q}",
    ]


def dataset(server: LiveServer) -> set[str]:
    reply = get(server, "store", Accept="application/n-quads")
    assert reply.status == 200, reply.text
    return set(reply.text.splitlines())


def readable(reply: Reply) -> bool:
    """A refusal a person can read: a 400, 404 or 406 in short text, no internals."""
    text = reply.text
    return reply.status in {400, 404, 406} and 0 < len(text.strip()) < 2000 and "Traceback" not in text


# Routes where a payload is only ever compared with fixed names, so the page is served as usual.
IGNORED = ("id/iran.ttl?format=", "id/iran?all=")


def test_no_parameter_injects(server: LiveServer) -> None:
    before = dataset(server)
    wrong = []
    for payload in PAYLOADS:
        for path in routes(payload):
            reply = get(server, path, Accept="text/html")
            if path.startswith("search"):
                ok = reply.status == 200 and ("json" not in path or json.loads(reply.body)["hits"] == [])
            elif path.startswith(IGNORED):
                ok = reply.status == 200
            else:
                ok = readable(reply)
            if not ok:
                wrong.append(f"{path}: {reply.status} {reply.text[:200]}")
    assert not wrong
    assert dataset(server) == before


def test_graph_store_names_cannot_inject(server: LiveServer) -> None:
    before = dataset(server)
    for payload in PAYLOADS:
        iri = "http://example.org/g" + payload
        if _is_iri(iri):  # e.g. http://example.org/g?s: a graph name like any other
            continue
        url = f"{server.store}?graph={urllib.parse.quote(iri, safe='')}"
        auth = {"Authorization": f"Bearer {server.token}"}
        for method, body in [("DELETE", None), ("PUT", "<http://a/> <http://b/> <http://c/> .")]:
            reply = call(method, url, body, Content_Type="text/turtle", **auth)
            assert readable(reply), (payload, reply.status, reply.text)
    assert dataset(server) == before


@pytest.mark.parametrize(
    "host",
    [
        "example.org> SELECT * WHERE { SERVICE <CANARY> { ?s ?p ?o } } #",
        "example.org> } ; DROP ALL #",
        'example.org"',
    ],
)
def test_host_header_cannot_inject(server: LiveServer, bird: Canary, host: str) -> None:
    """The endpoint's own URL becomes the query's base IRI; a forged Host must not smuggle
    text into the query that the guard never saw."""
    before = dataset(server)
    port = int(urllib.parse.urlsplit(server.url).port or 80)
    for path, method, body, media_type in [
        ("/sparql", "POST", "SELECT * WHERE { ?s ?p ?o } LIMIT 1", "application/sparql-query"),
        ("/update", "POST", "INSERT DATA { }", "application/sparql-update"),
    ]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            connection.putrequest(method, path, skip_host=True)
            connection.putheader("Host", host.replace("CANARY", bird.url))
            connection.putheader("Content-Type", media_type)
            connection.putheader("Authorization", f"Bearer {server.token}")
            connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body.encode())
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            connection.close()
        assert response.status in {200, 204, 400}, text
        assert "Traceback" not in text
    assert dataset(server) == before


@pytest.mark.parametrize("payload", PAYLOADS)
def test_bound_values_stay_values(payload: str) -> None:
    """What the remote store is sent: a literal or IRI in N-Triples syntax, matched as a value."""
    store = Store()
    store.add(Quad(NamedNode("http://example.org/s"), NamedNode("http://example.org/p"), Literal(payload)))
    query = bind("SELECT ?s WHERE { ?s ?p ?o }", {"o": Literal(payload)})
    assert [row["s"] for row in store.query(query)] == [NamedNode("http://example.org/s")]
    assert len(store) == 1


def _is_iri(text: str) -> bool:
    try:
        NamedNode(text)
    except ValueError:
        return False
    return True
