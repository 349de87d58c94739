"""The SPARQL 1.1 endpoint over real HTTP, on the embedded store and on ``oxigraph serve``:
answers are parsed and compared, and every write is read back."""

from __future__ import annotations

import csv
import io
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

import pytest
import rdflib
from pyoxigraph import QueryResultsFormat, RdfFormat, parse, parse_query_results, serialize
from rdflib.compare import isomorphic

from tests.servers import LiveServer, eurasia_kg

KGO = "https://w3id.org/eurasia-kg/ontology#"
ID = "https://w3id.org/eurasia-kg/id/"
STATES = f"SELECT ?state WHERE {{ ?state a <{KGO}State> }} ORDER BY ?state"
TOUR = f"CONSTRUCT WHERE {{ <{ID}zarif-central-asia-tour> ?p ?o }}"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def call(method: str, url: str, body: bytes | str | None = None, **headers: str) -> Reply:
    data = body.encode("utf-8") if isinstance(body, str) else body
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - loopback
    for name, value in headers.items():
        request.add_header(name.replace("_", "-"), value)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return Reply(
                response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
            )
    except urllib.error.HTTPError as error:
        return Reply(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


def get(server: LiveServer, query: str, **headers: str) -> Reply:
    return call("GET", f"{server.sparql}?{urllib.parse.urlencode({'query': query})}", **headers)


def states(reply: Reply) -> list[str]:
    assert reply.status == 200, reply.text
    result = parse_query_results(reply.body, format=QueryResultsFormat.JSON)
    return [s["state"].value for s in result]


def graph_of(data: bytes | str, media_type: str) -> rdflib.Graph:
    """The triples of an RDF answer in any format (quads lose their graph), as an rdflib graph."""
    fmt = RdfFormat.from_media_type(media_type)
    assert fmt is not None, media_type
    raw = data.encode("utf-8") if isinstance(data, str) else data
    triples = (q.triple for q in parse(raw, format=fmt))
    return rdflib.Graph().parse(data=serialize(triples, format=RdfFormat.N_TRIPLES), format="nt")


def auth(server: LiveServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.token}"}


def test_query_by_get_post_form_and_post_direct(live_server: LiveServer) -> None:
    by_get = states(get(live_server, STATES))
    form = urllib.parse.urlencode({"query": STATES})
    by_form = states(call("POST", live_server.sparql, form, Content_Type="application/x-www-form-urlencoded"))
    by_body = states(call("POST", live_server.sparql, STATES, Content_Type="application/sparql-query"))
    assert by_get == by_form == by_body
    assert len(by_get) == 15 and ID + "iran" in by_get


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        ("application/sparql-results+json", QueryResultsFormat.JSON),
        ("application/sparql-results+xml", QueryResultsFormat.XML),
        ("text/tab-separated-values", QueryResultsFormat.TSV),
    ],
)
def test_select_results_formats(live_server: LiveServer, accept: str, fmt: QueryResultsFormat) -> None:
    reply = get(live_server, STATES, Accept=accept)
    assert reply.headers["content-type"].startswith(accept)
    assert "Accept" in reply.headers["vary"]
    assert [s["state"].value for s in parse_query_results(reply.body, format=fmt)] == states(
        get(live_server, STATES)
    )


def test_csv_results_and_format_parameter(live_server: LiveServer) -> None:
    reply = call(
        "GET",
        f"{live_server.sparql}?{urllib.parse.urlencode({'query': STATES, 'format': 'csv'})}",
        Accept="application/sparql-results+json",
    )
    assert reply.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(reply.text)))
    assert rows[0] == ["state"] and [r[0] for r in rows[1:]] == states(get(live_server, STATES))


def test_ask(live_server: LiveServer) -> None:
    query = f"ASK {{ <{ID}herat-mazar-i-sharif-railway> <{KGO}bypasses> <{ID}turkmenistan> }}"
    assert bool(parse_query_results(get(live_server, query).body, format=QueryResultsFormat.JSON))


@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
        ("application/n-quads", "nquads"),
        ("application/trig", "trig"),
    ],
)
def test_construct_formats_are_the_same_graph(
    live_server: LiveServer, accept: str, rdflib_format: str
) -> None:
    reference = rdflib.Graph().parse(
        data=get(live_server, TOUR, Accept="application/n-triples").text, format="nt"
    )
    assert len(reference) == 9
    reply = get(live_server, TOUR, Accept=accept)
    assert reply.status == 200 and reply.headers["content-type"].startswith(accept)
    assert isomorphic(graph_of(reply.body, accept), reference)


def test_not_acceptable(live_server: LiveServer) -> None:
    reply = get(live_server, STATES, Accept="image/png")
    assert reply.status == 406 and "application/sparql-results+json" in reply.text


def test_syntax_error_says_where(live_server: LiveServer) -> None:
    reply = get(live_server, "SELECT ?s WHERE {\n  ?s ?p \n}")
    assert reply.status == 400
    assert "line 3, column 2" in reply.text, reply.text
    assert "Traceback" not in reply.text


def test_unsupported_body_type(live_server: LiveServer) -> None:
    reply = call("POST", live_server.sparql, STATES, Content_Type="text/plain")
    assert reply.status == 415 and "application/sparql-query" in reply.text


def test_service_description(live_server: LiveServer) -> None:
    reply = call("GET", live_server.sparql, Accept="text/turtle")
    graph = rdflib.Graph().parse(data=reply.text, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    service = graph.value(None, rdflib.RDF.type, sd.Service)
    assert graph.value(service, sd.endpoint) == rdflib.URIRef(live_server.sparql)
    assert (service, sd.supportedLanguage, sd.SPARQL11Query) in graph
    assert (service, sd.supportedLanguage, sd.SPARQL11Update) in graph  # writes are enabled


def test_protocol_dataset_selects_graphs(live_server: LiveServer) -> None:
    claim = "https://w3id.org/eurasia-kg/graph/edm-18-60/s16"
    query = "SELECT DISTINCT ?s WHERE { ?s ?p ?o } ORDER BY ?s"
    url = f"{live_server.sparql}?{urllib.parse.urlencode({'query': query, 'default-graph-uri': claim})}"
    result = parse_query_results(call("GET", url).body, format=QueryResultsFormat.JSON)
    assert [s["s"].value for s in result] == [
        ID + "mirzo-defense-minister-of-tajikistan",
        ID + "mirzo-visit-to-tehran",
        ID + "tehran",
    ]


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "SELECT * FROM <http://127.0.0.1:9/data.ttl> WHERE { ?s ?p ?o }",
    ],
)
def test_outbound_requests_are_refused(live_server: LiveServer, query: str) -> None:
    reply = get(live_server, query)
    assert reply.status == 400 and ("SERVICE" in reply.text or "not in the store" in reply.text)


def test_cors_on_reads_not_on_writes(live_server: LiveServer) -> None:
    allowed = get(live_server, STATES, Origin="https://example.org").headers["access-control-allow-origin"]
    assert allowed in {"*", "https://example.org"}
    preflight = call(
        "OPTIONS", live_server.update, Origin="https://example.org", Access_Control_Request_Method="POST"
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_health(live_server: LiveServer) -> None:
    reply = call("GET", live_server.url + "health")
    assert reply.status == 200 and b'"status":"ok"' in reply.body.replace(b" ", b"")


# -- writes ------------------------------------------------------------------------------


def test_update_needs_the_token(live_server: LiveServer) -> None:
    update = (
        "INSERT DATA { GRAPH <http://example.org/w> { <http://example.org/a> <http://example.org/b> 1 } }"
    )
    missing = call("POST", live_server.update, update, Content_Type="application/sparql-update")
    wrong = call(
        "POST",
        live_server.update,
        update,
        Content_Type="application/sparql-update",
        Authorization="Bearer not-the-token",
    )
    assert (missing.status, wrong.status) == (401, 401)
    assert not bool(
        parse_query_results(
            get(live_server, "ASK { GRAPH <http://example.org/w> { ?s ?p ?o } }").body,
            format=QueryResultsFormat.JSON,
        )
    )
    done = call(
        "POST", live_server.update, update, Content_Type="application/sparql-update", **auth(live_server)
    )
    assert done.status == 204
    assert bool(
        parse_query_results(
            get(live_server, "ASK { GRAPH <http://example.org/w> { ?s ?p ?o } }").body,
            format=QueryResultsFormat.JSON,
        )
    )


def test_update_by_get_is_refused(live_server: LiveServer) -> None:
    reply = call("GET", f"{live_server.update}?update=CLEAR%20ALL", **auth(live_server))
    assert reply.status == 405


def test_failed_update_changes_nothing(live_server: LiveServer) -> None:
    count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    before = get(live_server, count).body
    # The first operation would succeed; the second fails at run time: neither may stick.
    update = (
        "INSERT DATA { GRAPH <http://example.org/x> { <http://example.org/a> <http://example.org/b> 2 } } ;"
        " DROP GRAPH <http://example.org/never-created>"
    )
    reply = call(
        "POST", live_server.update, update, Content_Type="application/sparql-update", **auth(live_server)
    )
    assert reply.status == 400
    assert get(live_server, count).body == before
    bad = call(
        "POST",
        live_server.update,
        "INSERT DATA { <a> ",
        Content_Type="application/sparql-update",
        **auth(live_server),
    )
    assert bad.status == 400 and get(live_server, count).body == before


def test_load_via_update_is_refused(live_server: LiveServer) -> None:
    reply = call(
        "POST",
        live_server.update,
        "LOAD <http://127.0.0.1:9/x.ttl>",
        Content_Type="application/sparql-update",
        **auth(live_server),
    )
    assert reply.status == 400 and "LOAD" in reply.text


GRAPH_DATA = """@prefix ex: <http://example.org/> .
ex:kuryk ex:ferryTo ex:amirabad ; ex:label "Kuryk"@en , "Курык"@ru .
ex:amirabad ex:tonnage 12.5 ."""


def test_graph_store_round_trip(live_server: LiveServer) -> None:
    graph = "http://example.org/gsp-round-trip"
    url = f"{live_server.store}?{urllib.parse.urlencode({'graph': graph})}"
    created = call("PUT", url, GRAPH_DATA, Content_Type="text/turtle", **auth(live_server))
    assert created.status == 201
    expected = rdflib.Graph().parse(data=GRAPH_DATA, format="turtle")
    for accept in ["text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml"]:
        reply = call("GET", url, Accept=accept)
        assert reply.status == 200
        assert isomorphic(graph_of(reply.body, accept), expected), accept

    more = "<http://example.org/kuryk> <http://example.org/country> <http://example.org/kazakhstan> ."
    assert call("POST", url, more, Content_Type="application/n-triples", **auth(live_server)).status == 204
    assert len(rdflib.Graph().parse(data=call("GET", url, Accept="text/turtle").text, format="turtle")) == 5

    replaced = call("PUT", url, more, Content_Type="application/n-triples", **auth(live_server))
    assert replaced.status == 204
    assert len(rdflib.Graph().parse(data=call("GET", url, Accept="text/turtle").text, format="turtle")) == 1

    assert call("DELETE", url, **auth(live_server)).status == 204
    assert call("GET", url).status == 404
    assert call("DELETE", url, **auth(live_server)).status == 404


def test_graph_store_refuses_bad_rdf_and_keeps_the_graph(live_server: LiveServer) -> None:
    graph = "http://example.org/gsp-kept"
    url = f"{live_server.store}?{urllib.parse.urlencode({'graph': graph})}"
    assert call("PUT", url, GRAPH_DATA, Content_Type="text/turtle", **auth(live_server)).status == 201
    broken = call("PUT", url, GRAPH_DATA + "\nex:x ex:y", Content_Type="text/turtle", **auth(live_server))
    assert broken.status == 400
    assert "4" in broken.text  # the parser's position: line 4
    kept = rdflib.Graph().parse(data=call("GET", url, Accept="text/turtle").text, format="turtle")
    assert isomorphic(kept, rdflib.Graph().parse(data=GRAPH_DATA, format="turtle"))
    assert call("PUT", url, "x", Content_Type="image/png", **auth(live_server)).status == 415
    assert call("PUT", url, GRAPH_DATA, Content_Type="text/turtle").status == 401


def test_graph_store_post_creates_a_graph(live_server: LiveServer) -> None:
    reply = call("POST", live_server.store, GRAPH_DATA, Content_Type="text/turtle", **auth(live_server))
    assert reply.status == 201
    location = reply.headers["location"]
    back = call(
        "GET", f"{live_server.store}?{urllib.parse.urlencode({'graph': location})}", Accept="text/turtle"
    )
    assert len(rdflib.Graph().parse(data=back.text, format="turtle")) == 4


def test_whole_dataset_as_trig_and_nquads(live_server: LiveServer) -> None:
    for accept in ["application/trig", "application/n-quads"]:
        reply = call("GET", live_server.store, Accept=accept)
        assert reply.status == 200 and reply.headers["content-type"].startswith(accept)
        fmt = RdfFormat.from_media_type(accept)
        assert fmt is not None
        names = {q.graph_name.value for q in parse(reply.body, format=fmt) if hasattr(q.graph_name, "value")}
        assert "https://w3id.org/eurasia-kg/graph/edm-18-60/s16" in names
        assert "https://w3id.org/eurasia-kg/graph/inferred" in names


# -- limits, on a read-only server of its own ----------------------------------------------


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory):
    with eurasia_kg(
        tmp_path_factory.mktemp("limited"),
        token=None,
        result_limit="5",
        query_timeout="2",
        max_request_bytes="4096",
    ) as server:
        yield server


def test_read_only_without_a_token(limited: LiveServer) -> None:
    reply = call(
        "POST",
        limited.update,
        "CLEAR ALL",
        Content_Type="application/sparql-update",
        Authorization="Bearer anything",
    )
    assert reply.status == 403 and "EURASIA_KG_WRITE_TOKEN" in reply.text
    assert call("PUT", f"{limited.store}?default", "<a> <b> <c> .", Content_Type="text/turtle").status == 403


def test_result_cap_is_signalled(limited: LiveServer) -> None:
    reply = get(limited, "SELECT * WHERE { ?s ?p ?o }")
    assert reply.headers["eurasia-kg-truncated"] == "limit=5"
    assert len(list(parse_query_results(reply.body, format=QueryResultsFormat.JSON))) == 5
    small = get(limited, "SELECT * WHERE { ?s ?p ?o } LIMIT 3")
    assert "eurasia-kg-truncated" not in small.headers
    construct = get(limited, "CONSTRUCT WHERE { ?s ?p ?o }", Accept="application/n-triples")
    assert construct.headers["eurasia-kg-truncated"] == "limit=5" and len(construct.text.splitlines()) == 5


def test_timeout_stops_the_query(limited: LiveServer) -> None:
    heavy = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    started = time.monotonic()
    reply = get(limited, heavy)
    elapsed = time.monotonic() - started
    assert reply.status == 503 and reply.headers["retry-after"]
    assert "time limit" in reply.text
    assert elapsed < 10
    started = time.monotonic()
    assert get(limited, "ASK { ?s ?p ?o }").status == 200  # the next query is served at once
    assert time.monotonic() - started < 5


def test_oversized_body(limited: LiveServer) -> None:
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 10_000
    reply = call("POST", limited.sparql, big, Content_Type="application/sparql-query")
    assert reply.status == 413


def test_a_browser_gets_a_query_form(live_server: LiveServer) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    reply = call("GET", live_server.sparql, Accept=browser)
    assert reply.status == 200 and reply.headers["content-type"].startswith("text/html")
    assert '<textarea id="query" name="query"' in reply.text


def test_graph_store_takes_triples_not_quads(live_server: LiveServer) -> None:
    """A quad format could write graphs other than the one the request names."""
    url = f"{live_server.store}?{urllib.parse.urlencode({'graph': 'http://example.org/quads'})}"
    quads = (
        "<http://example.org/a> <http://example.org/b> <http://example.org/c> "
        "<https://w3id.org/eurasia-kg/graph/ontology> ."
    )
    reply = call("PUT", url, quads, Content_Type="application/n-quads", **auth(live_server))
    assert reply.status == 415 and "text/turtle" in reply.text
