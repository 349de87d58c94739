"""The entity graph for tools outside RDF: GraphML (NetworkX, Gephi, yEd) and CSV (pandas,
Neo4j's admin import).

Nodes are the labelled entities of the dataset (``<base>id/...``) with their label and types,
leaving out the provenance layer (reports, sentences, citations), which stays in the RDF;
edges are the relations between them, each with its property and whether the reasoner
inferred it. Literal values and the provenance graphs stay in the RDF dumps.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import networkx

from graph.files import atomic_file
from graph.namespaces import Dataset
from graph.store import Store

NODES = """
SELECT ?entity ?label (GROUP_CONCAT(DISTINCT ?typeName; separator="|") AS ?types) WHERE {
  ?entity rdfs:label ?label ; a ?type .
  FILTER(STRSTARTS(STR(?entity), STR(id:)) && STRSTARTS(STR(?type), STR(kgo:)))
  FILTER NOT EXISTS { VALUES ?provenance { kgo:Report kgo:Sentence kgo:Citation } ?entity a ?provenance }
  BIND(STRAFTER(STR(?type), STR(kgo:)) AS ?typeName)
} GROUP BY ?entity ?label ORDER BY ?entity
"""
EDGES = """
SELECT DISTINCT ?source ?property ?target ?inferred WHERE {
  GRAPH ?g { ?source ?property ?target }
  FILTER(isIRI(?target) && ?property != rdf:type && ?g != kgg:ontology)
  FILTER(STRSTARTS(STR(?source), STR(id:)) && STRSTARTS(STR(?target), STR(id:)))
  FILTER EXISTS { ?source rdfs:label ?a } FILTER EXISTS { ?target rdfs:label ?b }
  BIND(?g = kgg:inferred AS ?inferred)
} ORDER BY ?source ?property ?target
"""


@dataclass
class EntityGraph:
    nodes: dict[str, dict[str, str]] = field(default_factory=dict)  # IRI -> label, types
    edges: list[tuple[str, str, str, bool]] = field(
        default_factory=list
    )  # source, property, target, inferred

    @classmethod
    def of(cls, store: Store, dataset: Dataset) -> EntityGraph:
        prefixes = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in dataset.prefixes().items())
        graph = cls()
        for row in store.query(prefixes + NODES):  # type: ignore[union-attr]
            graph.nodes[row["entity"].value] = {"label": row["label"].value, "types": row["types"].value}
        for row in store.query(prefixes + EDGES):  # type: ignore[union-attr]
            if row["source"].value not in graph.nodes or row["target"].value not in graph.nodes:
                continue  # an edge into the provenance layer (reports, sentences, citations)
            edge = (
                row["source"].value,
                row["property"].value,
                row["target"].value,
                row["inferred"].value == "true",
            )
            graph.edges.append(edge)
        return graph

    def to_networkx(self, dataset: Dataset) -> networkx.MultiDiGraph:
        graph = networkx.MultiDiGraph(name=f"eurasia-kg entities of {dataset.base}")
        for iri, data in self.nodes.items():
            graph.add_node(iri, label=data["label"], types=data["types"])
        for source, prop, target, inferred in self.edges:
            name = prop.removeprefix(dataset.vocabulary)
            graph.add_edge(
                source,
                target,
                key=f"{name}{'*' if inferred else ''}",
                label=name,
                property=prop,
                inferred=inferred,
            )
        return graph

    def write_graphml(self, path: Path, dataset: Dataset) -> None:
        """Write GraphML to ``path``, atomically."""
        with atomic_file(path) as stream:
            networkx.write_graphml(self.to_networkx(dataset), stream, named_key_ids=True)

    def write_csv(self, directory: Path, dataset: Dataset) -> tuple[Path, Path]:
        """Write ``nodes.csv`` and ``edges.csv`` into ``directory`` (headers in the form Neo4j's
        admin import reads: ``:ID``, ``:LABEL``, ``:START_ID``, ``:END_ID``, ``:TYPE``)."""
        nodes, edges = directory / "nodes.csv", directory / "edges.csv"
        with atomic_file(nodes, text=True) as stream:
            writer = csv.writer(stream)
            writer.writerow(["iri:ID", "label", ":LABEL"])
            writer.writerows([iri, d["label"], d["types"].replace("|", ";")] for iri, d in self.nodes.items())
        with atomic_file(edges, text=True) as stream:
            writer = csv.writer(stream)
            writer.writerow([":START_ID", ":END_ID", ":TYPE", "property", "inferred:boolean"])
            writer.writerows(
                [s, t, p.removeprefix(dataset.vocabulary), p, str(inferred).lower()]
                for s, p, t, inferred in self.edges
            )
        return nodes, edges
