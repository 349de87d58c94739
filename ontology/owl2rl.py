"""OWL 2 RL materialization with ``reasonable`` (Rust), for graphs too large for HermiT.

``OwlRlReasoner`` computes the OWL 2 RL closure (https://www.w3.org/TR/owl2-profiles/#OWL_2_RL,
the rules of section 4.3) of the ontology and the data and returns only what is new: the
closure minus the input, without the trivial consequences every resource has (``a owl:Thing``,
``owl:sameAs`` itself, a class its own subclass ...). Unlike HermiT it materializes subclass
and subproperty consequences (every ``eg:Minister`` is also an ``eg:Person``; a ``host`` is also a
``participant``), which is what lets plain SPARQL give complete answers, and it takes seconds
on 100,000 triples where HermiT takes most of a minute. It is incomplete for OWL 2 DL (no
reasoning by cases, no existentials): ``CombinedReasoner`` runs HermiT first for that and for
the consistency check, then OWL 2 RL over HermiT's conclusions too.

Inconsistency that OWL 2 RL detects (a member of ``owl:Nothing``, e.g. of two disjoint classes)
raises ``InconsistentError`` with the SPARQL checks' explanations.

>>> from pyoxigraph import NamedNode as N
>>> sub, a, b, x = (N(RDFS + "subClassOf"), N("urn:A"), N("urn:B"), N("urn:x"))
>>> for t in OwlRlReasoner().infer([Triple(a, sub, b)], [Triple(x, N(RDF + "type"), a)]):
...     print(t)
<urn:x> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <urn:B>
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from graph.namespaces import OWL, RDF, RDFS
from ontology.reasoning import HermitReasoner, InconsistentError, Reasoner, explain

_TYPE = RDF + "type"
_THING = OWL + "Thing"
_NOTHING = OWL + "Nothing"
# Predicates whose reflexive statements (x p x) OWL 2 RL derives for every term: noise.
_REFLEXIVE = {
    OWL + "sameAs",
    RDFS + "subClassOf",
    RDFS + "subPropertyOf",
    OWL + "equivalentClass",
    OWL + "equivalentProperty",
}
# Left out of the input, as for HermiT: owl:sameAs links to Wikidata would copy every fact to
# the Wikidata IRI; owl:imports is not reasoned over.
_SKIPPED_PREDICATES = {OWL + "sameAs", OWL + "imports"}


class OwlRlReasoner:
    """OWL 2 RL materialization by ``reasonable``: the closure minus the input."""

    name = "OWL 2 RL (reasonable)"

    def infer(self, ontology: list[Triple], data: list[Triple]) -> list[Triple]:
        source = [t for t in [*ontology, *data] if t.predicate.value not in _SKIPPED_PREDICATES]
        closure = materialize(source)
        if any(_is_nothing(t) for t in closure):
            raise InconsistentError(explain(ontology, data))
        return sorted(new_triples(closure, set(source)), key=str)


class CombinedReasoner:
    """HermiT (consistency, OWL 2 DL types) and then OWL 2 RL over the data and HermiT's
    conclusions (the subclass and subproperty consequences HermiT leaves out)."""

    name = "HermiT and OWL 2 RL (reasonable)"

    def __init__(self, first: Reasoner | None = None) -> None:
        self.first = first or HermitReasoner()

    def infer(self, ontology: list[Triple], data: list[Triple]) -> list[Triple]:
        first = self.first.infer(ontology, data)
        owl2rl = OwlRlReasoner().infer(ontology, [*data, *first])
        return sorted({*first, *owl2rl}, key=str)


def materialize(triples: Iterable[Triple] = (), files: Sequence[Path] = ()) -> list[Triple]:
    """The OWL 2 RL closure of ``triples`` and the N-Triples or Turtle ``files`` (named
    ``*.n3`` or ``*.ttl``, as ``reasonable`` requires), input included."""
    import reasonable  # noqa: PLC0415 - native, and only the build needs it

    reasoner = reasonable.PyReasoner()
    for path in files:
        reasoner.load_file(str(path))
    given = [(_to_rdflib(t.subject), _to_rdflib(t.predicate), _to_rdflib(t.object)) for t in triples]
    if given:
        reasoner.from_graph(given)
    from rdflib import Literal as RdflibLiteral  # noqa: PLC0415
    from rdflib import URIRef  # noqa: PLC0415

    # OWL 2 RL rules may put a literal in subject position (generalized RDF): not RDF, left out.
    return [
        Triple(_from_rdflib(s), _from_rdflib(p), _from_rdflib(o))  # type: ignore[arg-type]
        for s, p, o in reasoner.reason()
        if not isinstance(s, RdflibLiteral) and isinstance(p, URIRef)
    ]


def new_triples(closure: Iterable[Triple], given: set[Triple]) -> list[Triple]:
    """What the closure adds to ``given``, without the trivial consequences."""
    return [t for t in closure if t not in given and not trivial(t)]


def trivial(triple: Triple) -> bool:
    """A consequence OWL 2 RL draws for every resource, which says nothing about the data."""
    if _value(triple.subject) in {_THING, _NOTHING}:
        return True
    if triple.predicate.value in {_TYPE, RDFS + "subClassOf"} and _value(triple.object) == _THING:
        return True
    return triple.predicate.value in _REFLEXIVE and triple.subject == triple.object


def _is_nothing(triple: Triple) -> bool:
    return triple.predicate.value == _TYPE and _value(triple.object) == _NOTHING


def _value(term: object) -> str | None:
    return term.value if isinstance(term, NamedNode) else None


def _to_rdflib(term: object) -> object:
    from rdflib import BNode, URIRef  # noqa: PLC0415
    from rdflib import Literal as RdflibLiteral  # noqa: PLC0415

    if isinstance(term, NamedNode):
        return URIRef(term.value)
    if isinstance(term, BlankNode):
        return BNode(term.value)
    if isinstance(term, Literal):
        if term.language:
            return RdflibLiteral(term.value, lang=term.language)
        return RdflibLiteral(term.value, datatype=URIRef(term.datatype.value))
    raise TypeError(f"OWL 2 RL cannot take {term!r}")


def _from_rdflib(term: object) -> NamedNode | BlankNode | Literal:
    from rdflib import BNode, URIRef  # noqa: PLC0415
    from rdflib import Literal as RdflibLiteral  # noqa: PLC0415

    if isinstance(term, URIRef):
        return NamedNode(str(term))
    if isinstance(term, BNode):
        return BlankNode(str(term))
    if isinstance(term, RdflibLiteral):
        if term.language:
            return Literal(str(term), language=term.language)
        if term.datatype is not None:
            return Literal(str(term), datatype=NamedNode(str(term.datatype)))
        return Literal(str(term))
    raise TypeError(f"unexpected term from the reasoner: {term!r}")
