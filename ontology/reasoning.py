"""The reasoning step of the build: consistency and materialized inferences.

A ``Reasoner`` takes the ontology and the asserted triples and returns the triples it infers,
or raises ``InconsistentError`` with an explanation. ``HermitReasoner`` runs HermiT through
owlready2 (Java): complete OWL 2 DL, and slow on large data, so it is meant for the ontology
and the reports; an OWL 2 RL materializer can stand in for large graphs through the same
interface.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from pyoxigraph import (
    BlankNode,
    DefaultGraph,
    Literal,
    NamedNode,
    Quad,
    QuerySolutions,
    RdfFormat,
    Store,
    Triple,
    serialize,
)

from graph.namespaces import OWL, RDF, RDFS
from ontology import HERE

CHECKS = HERE / "checks"


class InconsistentError(Exception):
    """The ontology and the data contradict each other; ``explanations`` says where."""

    def __init__(self, explanations: list[str]) -> None:
        self.explanations = explanations
        detail = "\n".join(f"  - {line}" for line in explanations) or (
            "  - none of the checks in ontology/checks explains it; look at the latest change"
        )
        super().__init__(f"the ontology and the data are inconsistent:\n{detail}")


class Reasoner(Protocol):
    name: str

    def infer(self, ontology: list[Triple], data: list[Triple]) -> list[Triple]: ...


class HermitReasoner:
    """HermiT via owlready2. Only object-level triples go in: HermiT refuses literals outside
    the OWL 2 datatype map (xsd:date, xsd:gYear ...), and inferences from literals are not
    needed. ``owl:sameAs`` links to Wikidata are left out too, lest every fact be copied to
    the Wikidata IRI."""

    name = "HermiT"

    def infer(self, ontology: list[Triple], data: list[Triple]) -> list[Triple]:
        import owlready2  # noqa: PLC0415 - heavy, and only the build needs it

        source = reasoner_input([*ontology, *data])
        world = owlready2.World()
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "input.nt"
            path.write_bytes(serialize(source, format=RdfFormat.N_TRIPLES) or b"")
            world.get_ontology(path.as_uri()).load(format="ntriples")
            try:
                owlready2.sync_reasoner_hermit(world, infer_property_values=True, debug=0)
            except owlready2.OwlReadyInconsistentOntologyError:
                raise InconsistentError(explain(ontology, data)) from None
        inferred = world.get_ontology("http://inferrences/")
        asserted = set(source)
        triples = []
        for s, p, o in world.as_rdflib_graph().get_context(inferred):
            triple = Triple(NamedNode(str(s)), NamedNode(str(p)), NamedNode(str(o)))
            if o.startswith("http") and triple not in asserted and not _trivial(triple):
                triples.append(triple)
        return sorted(triples, key=str)


def _trivial(triple: Triple) -> bool:
    return _iri(triple.object) in {OWL + "Thing", OWL + "Ontology"}


def _iri(term: object) -> str | None:
    return term.value if isinstance(term, NamedNode) else None


def reasoner_input(triples: Iterable[Triple]) -> list[Triple]:
    """The triples a DL reasoner can read: no literals, no datatype definitions or ranges,
    no owl:sameAs, and no owl:imports, which owlready2 would fetch from the network."""
    triples = list(triples)
    datatype_things = {
        t.subject
        for t in triples
        if t.predicate.value == RDF + "type"
        and _iri(t.object) in {OWL + "DatatypeProperty", RDFS + "Datatype"}
    }
    dropped_nodes = _blank_closure(triples, datatype_things)
    return [
        t
        for t in triples
        if not isinstance(t.object, Literal)
        and t.subject not in datatype_things
        and t.subject not in dropped_nodes
        and t.predicate.value not in {OWL + "sameAs", OWL + "imports"}
        and not (t.predicate.value == RDFS + "range" and t.object in datatype_things)
    ]


def _blank_closure(triples: list[Triple], roots: set) -> set:
    """Blank nodes reachable from ``roots`` (the structure of a datatype definition)."""
    reached: set = set()
    frontier = set(roots)
    while frontier:
        following = {
            t.object
            for t in triples
            if t.subject in frontier and isinstance(t.object, BlankNode) and t.object not in reached
        }
        reached |= following
        frontier = following
    return reached


def explain(ontology: list[Triple], data: list[Triple]) -> list[str]:
    """Why the data contradicts the ontology, from the SPARQL checks in ``ontology/checks``."""
    store = Store()
    store.extend(Quad(t.subject, t.predicate, t.object, DefaultGraph()) for t in [*ontology, *data])
    lines = []
    for check in sorted(CHECKS.glob("*.rq")):
        what = check.read_text(encoding="utf-8").splitlines()[0].lstrip("# ").rstrip(".")
        solutions = store.query(check.read_text(encoding="utf-8"))
        if not isinstance(solutions, QuerySolutions):
            raise TypeError(f"{check} must be a SELECT query")
        for row in solutions:
            values = ", ".join(f"{v}" for v in row)
            lines.append(f"{what}: {values}")
    return lines
