"""SHACL validation of the instance data with pySHACL (``shapes.ttl``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyshacl
import rdflib
from pyoxigraph import RdfFormat, Triple, serialize

from ontology import shapes_triples


@dataclass(frozen=True, order=True)
class Violation:
    """One SHACL result: the node at fault, the property concerned and what is wrong."""

    focus: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f" {self.path}" if self.path else ""
        return f"<{self.focus}>{where}: {self.message}"


def to_rdflib(triples: Iterable[Triple]) -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(data=serialize(triples, format=RdfFormat.N_TRIPLES), format="nt")
    return graph


def validate(data: Iterable[Triple], ontology: Iterable[Triple], base: str) -> list[Violation]:
    """The violations of the shapes by ``data``, read with the class hierarchy of ``ontology``.

    An empty list means the data conforms.
    """
    # The ontology goes into the data graph itself: shapes need its class hierarchy and its
    # named individuals (kgo:Forecast is a kgo:Modality) to check sh:class.
    conforms, results, _ = pyshacl.validate(
        to_rdflib([*data, *ontology]),
        shacl_graph=to_rdflib(shapes_triples(base)),
        inference="none",
        advanced=True,
    )
    if conforms:
        return []
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    violations = set()
    for result in results.subjects(rdflib.RDF.type, sh.ValidationResult):
        focus = results.value(result, sh.focusNode)
        path = results.value(result, sh.resultPath)
        message = results.value(result, sh.resultMessage)
        violations.add(Violation(str(focus), str(path or ""), str(message or "violates a shape")))
    return sorted(violations)
