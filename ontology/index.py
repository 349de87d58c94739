"""What the ontology declares, for checking sources against it: classes, properties, ranges."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pyoxigraph import NamedNode, Triple

from graph.namespaces import OWL, RDF, RDFS

_KINDS = {
    OWL + "Class": "class",
    OWL + "ObjectProperty": "object",
    OWL + "DatatypeProperty": "datatype",
    OWL + "AnnotationProperty": "annotation",
    RDFS + "Datatype": "datatype-definition",
}


@dataclass
class OntologyIndex:
    """The local terms of the ontology (under ``vocabulary``) by kind.

    ``ranges`` maps each datatype property's local name to its range IRI (absent: plain text).
    ``individuals`` maps each named individual's local name to its class's local name.
    """

    vocabulary: str
    classes: set[str] = field(default_factory=set)
    object_properties: set[str] = field(default_factory=set)
    datatype_properties: set[str] = field(default_factory=set)
    annotation_properties: set[str] = field(default_factory=set)
    datatypes: set[str] = field(default_factory=set)
    ranges: dict[str, str] = field(default_factory=dict)
    individuals: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_triples(cls, triples: Iterable[Triple], vocabulary: str) -> OntologyIndex:
        index = cls(vocabulary)
        triples = list(triples)
        kinds = {
            "class": index.classes,
            "object": index.object_properties,
            "datatype": index.datatype_properties,
            "annotation": index.annotation_properties,
            "datatype-definition": index.datatypes,
        }
        for s, p, o in triples:
            local = index.local_name(s)
            if local is None or p.value != RDF + "type":
                continue
            if o.value in _KINDS:
                kinds[_KINDS[o.value]].add(local)
        for s, p, o in triples:
            local = index.local_name(s)
            if local is None:
                continue
            if p.value == RDFS + "range" and local in index.datatype_properties:
                index.ranges[local] = o.value
            elif p.value == RDF + "type" and index.local_name(o) in index.classes:
                index.individuals[local] = index.local_name(o)  # type: ignore[assignment]
        return index

    def local_name(self, term: object) -> str | None:
        if isinstance(term, NamedNode) and term.value.startswith(self.vocabulary):
            return term.value[len(self.vocabulary) :]
        return None

    @property
    def properties(self) -> set[str]:
        return self.object_properties | self.datatype_properties | self.annotation_properties
