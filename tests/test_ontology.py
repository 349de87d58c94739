"""The ontology: well formed, documented, aligned, readable by OWL tools."""

from __future__ import annotations

import owlready2
import pytest
import rdflib
from rdflib import OWL, RDF, RDFS, SKOS, Literal, URIRef
from rdflib.namespace import DCTERMS

from graph.settings import DEFAULT_BASE
from ontology import ONTOLOGY_FILE, generate
from ontology.reasoning import reasoner_input

KGO = rdflib.Namespace(DEFAULT_BASE + "ontology#")


@pytest.fixture(scope="module")
def ontology() -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(ONTOLOGY_FILE, format="turtle", publicID=DEFAULT_BASE)
    return graph


def local_terms(graph: rdflib.Graph) -> set[URIRef]:
    kinds = {
        OWL.Class,
        OWL.ObjectProperty,
        OWL.DatatypeProperty,
        OWL.AnnotationProperty,
        RDFS.Datatype,
    }
    terms = {s for kind in kinds for s in graph.subjects(RDF.type, kind)}
    terms |= {s for s, o in graph.subject_objects(RDF.type) if (o, RDF.type, OWL.Class) in graph}
    return {t for t in terms if isinstance(t, URIRef) and t.startswith(str(KGO))}


def test_generated_terms_module_is_up_to_date() -> None:
    assert generate.TERMS_FILE.read_text(encoding="utf-8") == generate.render(), (
        "ontology/terms.py is out of date: run `python -m ontology.generate`"
    )


def test_every_term_has_an_english_label_and_definition(ontology: rdflib.Graph) -> None:
    terms = local_terms(ontology)
    assert len(terms) > 100
    for term in terms:
        labels = [o for o in ontology.objects(term, RDFS.label) if isinstance(o, Literal)]
        definitions = [o for o in ontology.objects(term, SKOS.definition)]
        assert [label.language for label in labels] == ["en"], term
        assert len(definitions) == 1 and definitions[0].language == "en", term


def test_metadata(ontology: rdflib.Graph) -> None:
    iri = URIRef(DEFAULT_BASE + "ontology")
    assert (iri, RDF.type, OWL.Ontology) in ontology
    for prop in (DCTERMS.title, DCTERMS.description, OWL.versionInfo, DCTERMS.license):
        assert ontology.value(iri, prop) is not None, prop


@pytest.mark.parametrize(
    "namespace",
    [
        "http://www.w3.org/ns/org#",
        "http://www.w3.org/ns/prov#",
        "http://www.w3.org/2006/time#",
        "http://www.opengis.net/ont/geosparql#",
        "http://schema.org/",
        "http://www.wikidata.org/",
    ],
)
def test_aligned_to_standard_vocabulary(ontology: rdflib.Graph, namespace: str) -> None:
    alignments = (RDFS.subClassOf, RDFS.subPropertyOf, SKOS.exactMatch, SKOS.closeMatch)
    aligned = {
        s
        for p in alignments
        for s, o in ontology.subject_objects(p)
        if str(o).startswith(namespace) and str(s).startswith(str(KGO))
    }
    assert aligned, f"no term is aligned to {namespace}"


def test_property_characteristics(ontology: rdflib.Graph) -> None:
    assert (KGO.locatedIn, RDF.type, OWL.TransitiveProperty) in ontology
    assert (KGO.neighbourOf, RDF.type, OWL.SymmetricProperty) in ontology
    assert (KGO.memberOf, OWL.inverseOf, KGO.hasMember) in ontology
    assert (KGO.holder, RDF.type, OWL.FunctionalProperty) in ontology
    for prop in ontology.subjects(RDF.type, OWL.ObjectProperty):
        if str(prop).startswith(str(KGO)) and prop != KGO.subject and prop != KGO.concerns:
            has_typing = (
                ontology.value(prop, RDFS.domain)
                or ontology.value(prop, RDFS.range)
                or ontology.value(prop, RDFS.subPropertyOf)
            )
            assert has_typing, f"{prop} has neither domain, range nor super-property"


def test_owlready2_loads_the_ontology(tmp_path) -> None:
    """What HermiT is given is plain OWL that owlready2 reads, with every class."""
    from pyoxigraph import RdfFormat, serialize

    from ontology import ontology_triples

    path = tmp_path / "ontology.nt"
    path.write_bytes(serialize(reasoner_input(ontology_triples(DEFAULT_BASE)), format=RdfFormat.N_TRIPLES))
    world = owlready2.World()
    onto = world.get_ontology(path.as_uri()).load(format="ntriples")
    names = {c.name for c in onto.world.classes()}
    assert {"State", "Visit", "Tour", "TradeObservation", "Claim", "Corridor"} <= names
