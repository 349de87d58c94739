"""The linked-data browser over HTTP: dereferencing, content negotiation, pages parsed as HTML."""

from __future__ import annotations

import json
import urllib.parse
from html.parser import HTMLParser

import pytest
import rdflib
from pyoxigraph import Literal, RdfFormat, parse
from rdflib.compare import isomorphic

from tests.servers import LiveServer, eurasia_kg
from tests.test_endpoint import call, graph_of

BASE = "https://w3id.org/eurasia-kg/"
IRAN = BASE + "id/iran"


class Page(HTMLParser):
    """The parts of a page the tests read: links with their text, headings, the title."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.headings: list[str] = []
        self._href: str | None = None
        self._text: list[str] = []
        self._heading = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href, self._text = dict(attrs).get("href") or "", []
        if tag in {"h1", "h2"}:
            self._heading, self._text = True, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text).strip()))
            self._href = None
        if tag in {"h1", "h2"} and self._heading:
            self.headings.append("".join(self._text).strip())
            self._heading = False

    def handle_data(self, data: str) -> None:
        self._text.append(data)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    with eurasia_kg(tmp_path_factory.mktemp("browse")) as live:
        yield live


def page(server: LiveServer, path: str) -> Page:
    reply = call("GET", server.url.rstrip("/") + path, Accept="text/html")
    assert reply.status == 200, (path, reply.status)
    assert reply.headers["content-type"].startswith("text/html")
    return Page(reply.text)


@pytest.mark.parametrize(
    ("accept", "suffix"),
    [
        ("text/turtle", "ttl"),
        ("application/n-triples", "nt"),
        ("application/ld+json", "jsonld"),
        ("application/rdf+xml", "rdf"),
        ("application/trig", "trig"),
        ("application/n-quads", "nq"),
    ],
)
def test_entity_as_rdf_by_accept_and_by_suffix(server: LiveServer, accept: str, suffix: str) -> None:
    by_accept = call("GET", server.url + "id/iran", Accept=accept)
    by_suffix = call("GET", server.url + f"id/iran.{suffix}")
    assert by_accept.status == by_suffix.status == 200
    assert by_accept.headers["content-type"].startswith(accept)
    assert "Accept" in by_accept.headers["vary"]
    assert isomorphic(graph_of(by_accept.body, accept), graph_of(by_suffix.body, accept))
    graph = graph_of(by_accept.body, accept)
    assert (rdflib.URIRef(IRAN), rdflib.RDFS.label, rdflib.Literal("Iran", lang="en")) in graph
    assert (
        rdflib.URIRef(IRAN),
        rdflib.OWL.sameAs,
        rdflib.URIRef("http://www.wikidata.org/entity/Q794"),
    ) in graph


def test_quad_formats_keep_the_provenance_graphs(server: LiveServer) -> None:
    reply = call("GET", server.url + "id/mirzo-visit-to-tehran.nq")
    graphs = {getattr(q.graph_name, "value", "") for q in parse(reply.body, format=RdfFormat.N_QUADS)}
    assert BASE + "graph/edm-18-60/s16" in graphs and BASE + "graph/inferred" in graphs


def test_link_headers_name_the_alternates(server: LiveServer) -> None:
    reply = call("GET", server.url + "id/iran", Accept="text/html")
    links = reply.headers["link"]
    assert '</id/iran.ttl>; rel="alternate"; type="text/turtle"' in links
    assert '</id/iran.jsonld>; rel="alternate"; type="application/ld+json"' in links


def test_unknown_iri_is_404_in_the_negotiated_form(server: LiveServer) -> None:
    html = call("GET", server.url + "id/no-such-thing", Accept="text/html")
    turtle = call("GET", server.url + "id/no-such-thing", Accept="text/turtle")
    assert html.status == turtle.status == 404
    assert "Not in the graph" in html.text and turtle.headers["content-type"].startswith("text/turtle")
    assert len(rdflib.Graph().parse(data=turtle.text, format="turtle")) == 0


def test_any_iri_in_the_store_through_resource(server: LiveServer) -> None:
    wikidata = urllib.parse.quote("http://www.wikidata.org/entity/Q794", safe="")
    reply = call("GET", server.url + f"resource?uri={wikidata}", Accept="text/turtle")
    graph = rdflib.Graph().parse(data=reply.text, format="turtle")
    assert (
        rdflib.URIRef(IRAN),
        rdflib.OWL.sameAs,
        rdflib.URIRef("http://www.wikidata.org/entity/Q794"),
    ) in graph
    assert call("GET", server.url + "resource?uri=not%20an%20iri").status == 400


def test_ontology_and_its_terms_dereference(server: LiveServer) -> None:
    doc = page(server, "/ontology")
    assert "The eurasia-kg ontology" in doc.headings
    rdf = call("GET", server.url + "ontology", Accept="text/turtle")
    graph = rdflib.Graph().parse(data=rdf.text, format="turtle")
    assert (rdflib.URIRef(BASE + "ontology#State"), rdflib.RDF.type, rdflib.OWL.Class) in graph
    term = page(server, "/resource?uri=" + urllib.parse.quote(BASE + "ontology#State", safe=""))
    assert term.headings[0].startswith("state")
    assert ("/id/iran", "Iran") in term.links  # its instances
    assert any(text == "place" for _, text in term.links)  # its super class


def test_entity_page_shows_labels_provenance_and_events(server: LiveServer) -> None:
    tour = call("GET", server.url + "id/zarif-central-asia-tour", Accept="text/html").text
    assert "Zarif’s tour of Central Asia" in tour
    assert "At the same time, Iranian Foreign Minister Javad Zarif recently concluded a grand tour" in tour
    assert "Irna, April 5" in tour and "5 April 2021" in tour and "4 days" in tour
    iran = page(server, "/id/iran")
    texts = dict(iran.links)
    assert "Q794" in [t for _, t in iran.links]
    assert texts.get("/id/zarif-visit-to-dushanbe") is None or texts["/id/zarif-visit-to-dushanbe"]
    assert any(h == "Events, in time order" for h in iran.headings)


@pytest.mark.parametrize(
    "path", ["/id/iran", "/id/zarif-central-asia-tour", "/id/edm-18-60/s16", "/", "/ontology"]
)
def test_no_raw_iri_where_a_label_exists(server: LiveServer, path: str) -> None:
    for href, text in page(server, path).links:
        if href.startswith(("/id/", "/graph/")) and not href.startswith("/id/edm-18-60/s"):
            assert not text.startswith(("http://", "https://")), (path, href, text)


def test_search_is_case_and_diacritic_insensitive(server: LiveServer) -> None:
    reply = call("GET", server.url + "search?q=mazar&format=json")
    hits = json.loads(reply.body)["hits"]
    assert hits[0]["label"] == "Mazār-i-Sharīf" and hits[0]["type"] == "city"
    irna = json.loads(call("GET", server.url + "search?q=irna", Accept="application/json").body)["hits"]
    assert irna[0]["label"] == "IRNA"
    kyrgyz = json.loads(call("GET", server.url + "search?q=KYRGYZ%20republic&format=json").body)["hits"]
    assert kyrgyz[0]["label"] == "Kyrgyzstan" and kyrgyz[0]["matched"] == "Kyrgyz Republic"
    html = page(server, "/search?q=mazar")
    assert ("/id/mazar-i-sharif", "Mazār-i-Sharīf") in html.links


def test_named_query_over_http_with_bindings(server: LiveServer) -> None:
    reply = call("GET", server.url + "queries/corridors-bypassing?state=turkmenistan", Accept="text/csv")
    assert reply.status == 200 and "Herat–Mazār-i-Sharīf railway,forecast" in reply.text
    bad = call("GET", server.url + "queries/corridors-bypassing?state=not%20an%20id")
    assert bad.status == 400 and "is not an entity id" in bad.text


def test_pages_carry_a_content_security_policy(server: LiveServer) -> None:
    for path in ["", "id/iran", "sparql", "search?q=iran"]:
        reply = call("GET", server.url + path, Accept="text/html")
        policy = reply.headers["content-security-policy"]
        assert (
            "default-src 'self'" in policy and "script-src 'self'" in policy and "object-src 'none'" in policy
        )


def test_hostile_literals_are_escaped(server: LiveServer) -> None:
    """A label written through the Graph Store Protocol cannot inject markup into a page."""
    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'"
    data = f"<{BASE}id/iran> <http://www.w3.org/2004/02/skos/core#note> {Literal(hostile, language='en')} ."
    put = call(
        "PUT",
        server.store + "?graph=" + urllib.parse.quote("http://example.org/hostile", safe=""),
        data,
        Content_Type="application/n-triples",
        Authorization=f"Bearer {server.token}",
    )
    assert put.status == 201
    html = call("GET", server.url + "id/iran", Accept="text/html").text

    class Scripts(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.scripts: list[dict[str, str | None]] = []
            self.handlers = 0

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "script":
                self.scripts.append(dict(attrs))
            self.handlers += sum(name.startswith("on") for name, _ in attrs)

    parsed = Scripts()
    parsed.feed(html)
    assert parsed.scripts == [] and parsed.handlers == 0
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_provenance_says_when_a_year_was_inferred_and_names_background_sources(server: LiveServer) -> None:
    tour = call("GET", server.url + "id/zarif-central-asia-tour", Accept="text/html").text
    assert "cited: IRNA, 5 April 2021 (year inferred)" in tour
    tehran = call("GET", server.url + "id/tehran", Accept="text/html").text
    assert "from GeoNames (cities15000, 2013 snapshot)" in tehran and "from Wikidata" in tehran


@pytest.mark.parametrize("path", ["id/a%20b", "graph/x%20y", "id/a%3Eb.ttl"])
def test_a_path_that_makes_no_iri_is_a_404(server: LiveServer, path: str) -> None:
    reply = call("GET", server.url + path, Accept="text/html")
    assert reply.status == 404 and "Traceback" not in reply.text


def test_the_ontology_in_every_form_its_link_header_names(server: LiveServer) -> None:
    links = call("GET", server.url + "ontology", Accept="text/html").headers["link"]
    for target in [part.split(">")[0].lstrip("<") for part in links.split(", ")]:
        assert call("GET", server.url.rstrip("/") + target).status == 200, target
