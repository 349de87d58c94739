"""The IRIs of the dataset, all derived from the configured base, and the standard namespaces."""

from __future__ import annotations

from pyoxigraph import NamedNode

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"
WD = "http://www.wikidata.org/entity/"

PREFIXES = {
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "prov": PROV,
    "dcterms": "http://purl.org/dc/terms/",
    "org": "http://www.w3.org/ns/org#",
    "time": "http://www.w3.org/2006/time#",
    "geo": "http://www.opengis.net/ont/geosparql#",
    "schema": "http://schema.org/",
    "wd": WD,
}

RDF_TYPE = NamedNode(RDF + "type")
RDFS_LABEL = NamedNode(RDFS + "label")
SKOS_ALT_LABEL = NamedNode(SKOS + "altLabel")
SKOS_NOTE = NamedNode(SKOS + "note")
OWL_SAME_AS = NamedNode(OWL + "sameAs")
PROV_WAS_DERIVED_FROM = NamedNode(PROV + "wasDerivedFrom")


class Dataset:
    """IRIs under one base: ``id/`` for entities, ``ontology#`` for terms, ``graph/`` for graphs.

    >>> ds = Dataset("http://example.org/")
    >>> ds.entity("iran").value
    'http://example.org/id/iran'
    >>> ds.term("State").value
    'http://example.org/ontology#State'
    """

    def __init__(self, base: str) -> None:
        self.base = base
        self.ontology_iri = base + "ontology"
        self.vocabulary = base + "ontology#"

    def entity(self, slug: str) -> NamedNode:
        return NamedNode(f"{self.base}id/{slug}")

    def term(self, name: str) -> NamedNode:
        return NamedNode(self.vocabulary + name)

    def graph(self, name: str) -> NamedNode:
        return NamedNode(f"{self.base}graph/{name}")

    @property
    def graph_prefix(self) -> str:
        """Every graph the build writes starts with this; the build replaces them all at once."""
        return f"{self.base}graph/"

    @property
    def ontology_graph(self) -> NamedNode:
        return self.graph("ontology")

    @property
    def inferred_graph(self) -> NamedNode:
        return self.graph("inferred")

    def prefixes(self) -> dict[str, str]:
        """SPARQL prefixes for queries: the standard ones plus ``kgo:``, ``id:`` and ``kgg:``."""
        return {
            **PREFIXES,
            "kgo": self.vocabulary,
            "id": f"{self.base}id/",
            "kgg": self.graph_prefix,
        }
