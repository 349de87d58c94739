"""Standard clients that others wrote, against the live endpoint on both backends."""

from __future__ import annotations

import csv
import io

import pytest
import rdflib
from pyoxigraph import QueryResultsFormat, parse_query_results
from rdflib.plugins.stores.sparqlstore import SPARQLStore, SPARQLUpdateStore
from SPARQLWrapper import CSV, JSON, TSV, XML, SPARQLWrapper

from tests.servers import LiveServer

ID = "https://w3id.org/eurasia-kg/id/"
KGO = "https://w3id.org/eurasia-kg/ontology#"
TOUR_STOPS = f"""SELECT ?stop ?n WHERE {{ ?stop <{KGO}partOf> <{ID}zarif-central-asia-tour> ;
                                        <{KGO}stopNumber> ?n }} ORDER BY ?n"""
EXPECTED = [(ID + "zarif-visit-to-uzbekistan", "1"), (ID + "zarif-visit-to-kyrgyzstan", "2")]


def wrapper(server: LiveServer, fmt: str) -> SPARQLWrapper:
    client = SPARQLWrapper(server.sparql)
    client.setQuery(TOUR_STOPS)
    client.setReturnFormat(fmt)
    return client


def test_sparqlwrapper_json(live_server: LiveServer) -> None:
    bindings = wrapper(live_server, JSON).queryAndConvert()["results"]["bindings"]  # type: ignore[index]
    assert [(b["stop"]["value"], b["n"]["value"]) for b in bindings] == EXPECTED


def test_sparqlwrapper_xml(live_server: LiveServer) -> None:
    document = wrapper(live_server, XML).queryAndConvert()
    results = [r for r in document.getElementsByTagName("result")]  # type: ignore[union-attr]
    values = [
        tuple(
            b.getElementsByTagName("uri" if b.getAttribute("name") == "stop" else "literal")[
                0
            ].firstChild.data
            for b in r.getElementsByTagName("binding")
        )
        for r in results
    ]
    assert values == EXPECTED


@pytest.mark.parametrize(("fmt", "delimiter"), [(CSV, ","), (TSV, "\t")])
def test_sparqlwrapper_csv_tsv(live_server: LiveServer, fmt: str, delimiter: str) -> None:
    text = wrapper(live_server, fmt).queryAndConvert().decode("utf-8")  # type: ignore[union-attr]
    if fmt == TSV:  # terms in Turtle syntax: read them back with a SPARQL results parser
        parsed = parse_query_results(text.encode("utf-8"), format=QueryResultsFormat.TSV)
        assert [(s["stop"].value, s["n"].value) for s in parsed] == EXPECTED
    else:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        assert rows == [["stop", "n"], *[[s, n] for s, n in EXPECTED]]


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")  # in SPARQLWrapper
def test_sparqlwrapper_construct_into_rdflib(live_server: LiveServer) -> None:
    client = SPARQLWrapper(live_server.sparql)
    client.setQuery(f"CONSTRUCT WHERE {{ <{ID}chabahar> ?p ?o }}")
    graph = client.queryAndConvert()
    assert isinstance(graph, rdflib.Graph)
    assert graph.value(rdflib.URIRef(ID + "chabahar"), rdflib.RDFS.label) == rdflib.Literal(
        "Chabahar", lang="en"
    )
    assert len(graph) == 6  # type, label, country, mention, and the coordinates


def test_rdflib_sparqlstore(live_server: LiveServer) -> None:
    store = SPARQLStore(live_server.sparql, returnFormat="json")
    graph = rdflib.Graph(store=store)
    rows = [(str(r.stop), str(r.n)) for r in graph.query(TOUR_STOPS)]  # type: ignore[union-attr]
    assert rows == EXPECTED
    labels = set(graph.objects(rdflib.URIRef(ID + "kyrgyzstan"), rdflib.SKOS.altLabel))
    assert labels == {rdflib.Literal("Kyrgyz Republic", lang="en")}


def test_rdflib_sparqlupdatestore(live_server: LiveServer) -> None:
    store = SPARQLUpdateStore(
        live_server.sparql,
        live_server.update,
        returnFormat="json",
        headers={"Authorization": f"Bearer {live_server.token}"},
    )
    name = rdflib.URIRef("http://example.org/rdflib-client")
    graph = rdflib.Graph(store=store, identifier=name)
    subject = rdflib.URIRef("http://example.org/ferry")
    graph.add((subject, rdflib.RDFS.label, rdflib.Literal("Kuryk–Amirabad ferry", lang="en")))
    reader = rdflib.Graph(store=SPARQLStore(live_server.sparql, returnFormat="json"), identifier=name)
    assert set(reader.objects(subject, rdflib.RDFS.label)) == {
        rdflib.Literal("Kuryk–Amirabad ferry", lang="en")
    }
    graph.remove((subject, None, None))
    # The graph is now empty: ask for it by GRAPH, since FROM may name only graphs in the store.
    ask = SPARQLWrapper(live_server.sparql)
    ask.setQuery(f"ASK {{ GRAPH <{name}> {{ <{subject}> ?p ?o }} }}")
    ask.setReturnFormat(JSON)
    assert ask.queryAndConvert()["boolean"] is False  # type: ignore[index]
