"""The entity page's description asks a few queries bound to the entity, and joins and orders
their rows in Python; it must give what the one query with ORDER BY gave, and what the
global event index gave (see graph/describe.py)."""

from __future__ import annotations

import pytest
from pyoxigraph import NamedNode

from graph import describe
from graph.namespaces import XSD, Dataset
from graph.settings import DEFAULT_BASE
from graph.sparql_text import bind

DATASET = Dataset(DEFAULT_BASE)
ENTITIES = ["iran", "tajikistan", "irna", "chabahar", "javad-zarif", "zarif-central-asia-tour", "edm-18-60"]
# The statements of an entity with their provenance, as one query: as statements.rq was.
ONE_QUERY = """
SELECT ?entity ?direction ?property ?propertyLabel ?value ?valueLabel ?graph ?modality ?position ?sentence
       ?citation ?outlet ?citedDate ?yearInferred ?source
WHERE {
  { GRAPH ?graph { ?entity ?property ?value } BIND("out" AS ?direction) }
  UNION
  { GRAPH ?graph { ?value ?property ?entity } BIND("in" AS ?direction) }
  FILTER(?property NOT IN (rdfs:label, skos:altLabel, skos:note, skos:definition, rdf:type, kgo:mentionedIn))
  OPTIONAL { ?property rdfs:label ?propertyLabel FILTER(LANG(?propertyLabel) = "en") }
  OPTIONAL { ?value rdfs:label ?valueLabel FILTER(LANG(?valueLabel) = "en") }
  OPTIONAL {
    ?graph kgo:modality/rdfs:label ?modality ;
           kgo:statedIn [ kgo:position ?position ; kgo:text ?sentence ] .
    OPTIONAL {
      ?graph kgo:citation ?cited .
      ?cited kgo:printedAs ?citation .
      OPTIONAL { ?cited kgo:outlet/rdfs:label ?outlet }
      OPTIONAL { ?cited kgo:citedDate|kgo:accessedOn ?citedDate }
      OPTIONAL { ?cited kgo:yearInferred ?yearInferred }
    }
  }
  OPTIONAL { ?graph kgo:background ?source }
}
ORDER BY ?direction ?propertyLabel ?property ?valueLabel ?value ?position ?citation
"""


def one_query(store, entity: NamedNode) -> list[dict[str, object]]:
    prefixes = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in DATASET.prefixes().items())
    result = store.query(bind(prefixes + ONE_QUERY, {"entity": entity}))
    names = [v.value for v in result.variables]
    return [{n: solution[n] for n in names if n != "entity"} for solution in result]


def test_statements_in_two_queries_are_the_rows_of_one(built_store) -> None:
    for slug in ENTITIES:
        entity = DATASET.entity(slug)
        joined = describe._statement_rows(built_store, DATASET, entity)
        assert [{k: v for k, v in r.items() if k != "entity"} for r in joined] == one_query(
            built_store, entity
        ), slug


KINDS = [
    "isIRI(?o)",
    'LANG(?o) = "en"',
    'DATATYPE(?o) = xsd:string && LANG(?o) = ""',
    "isNumeric(?o)",
    "DATATYPE(?o) = xsd:date",
    "DATATYPE(?o) = xsd:gYearMonth",
]


@pytest.mark.parametrize("kind", KINDS)
def test_order_key_sorts_as_order_by(built_store, kind: str) -> None:
    """The report's IRIs, labels, texts, numbers and dates, sorted by order_key and by
    pyoxigraph's ORDER BY (terms of different kinds are left unordered by both)."""
    query = f"PREFIX xsd: <{XSD}> SELECT DISTINCT ?o WHERE {{ ?s ?p ?o FILTER({kind}) }} ORDER BY ?o"
    ordered = [row["o"] for row in built_store.query(query)]
    assert len(ordered) > 1
    keys = [describe.order_key(term) for term in ordered]
    assert sorted(keys) == keys  # equal keys (38 and 38.0) are ties for both


def test_events_of_an_entity_are_those_the_global_index_gave(built_store) -> None:
    """participation.rq bound to one entity: the events and roles of every entity of the report."""
    for slug in ENTITIES:
        events = describe._events(built_store, DATASET, DATASET.entity(slug))
        assert events == sorted(events, key=lambda e: (e.when == "", e.when)) or slug == "edm-18-60", slug
    assert [e.label for e in describe._events(built_store, DATASET, DATASET.entity("javad-zarif"))]
