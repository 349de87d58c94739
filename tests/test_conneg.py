"""Content negotiation, table-driven: Accept headers as clients send them."""

from __future__ import annotations

import pytest

from server.conneg import GRAPHS, RESULTS, negotiate

CASES = [
    # accept, explicit format, offers, expected format name (None: 406)
    (None, None, RESULTS, "json"),
    ("", None, RESULTS, "json"),
    ("*/*", None, RESULTS, "json"),
    ("*/*", None, GRAPHS, "turtle"),
    ("application/sparql-results+xml", None, RESULTS, "xml"),
    ("application/sparql-results+json;q=0.5, text/csv", None, RESULTS, "csv"),
    ("text/csv;q=0.5, application/sparql-results+xml", None, RESULTS, "xml"),
    ("text/tab-separated-values", None, RESULTS, "tsv"),
    ("text/*", None, RESULTS, "csv"),
    ("application/json", None, RESULTS, "json"),
    ("application/json", None, GRAPHS, "jsonld"),
    ("application/xml", None, GRAPHS, "rdfxml"),
    ("text/turtle;q=0.1, application/rdf+xml;q=0.9", None, GRAPHS, "rdfxml"),
    ("text/turtle;q=0.1, application/rdf+xml;q=0.9", None, RESULTS, None),
    ("application/sparql-results+json;q=0, */*;q=0.1", None, RESULTS, "xml"),
    ("image/png", None, RESULTS, None),
    ("application/n-triples, */*;q=0.1", None, GRAPHS, "ntriples"),
    ("APPLICATION/LD+JSON", None, GRAPHS, "jsonld"),
    ("text/turtle; charset=utf-8", None, GRAPHS, "turtle"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", None, RESULTS, "xml"),
    ("application/trig, application/n-quads;q=0.9", None, GRAPHS, "trig"),
    ("image/png", "csv", RESULTS, "csv"),
    (None, "text/tab-separated-values", RESULTS, "tsv"),
    (None, "ntriples", GRAPHS, "ntriples"),
    (None, "turtle", RESULTS, None),
    (None, "JSON", RESULTS, "json"),
    (None, "xml", GRAPHS, "rdfxml"),  # SPARQLWrapper sends format=xml for CONSTRUCT too
    (None, "json", GRAPHS, "jsonld"),
]


@pytest.mark.parametrize(("accept", "explicit", "offers", "expected"), CASES)
def test_negotiate(accept, explicit, offers, expected) -> None:
    chosen = negotiate(accept, offers, explicit)
    assert (chosen.name if chosen else None) == expected
