"""A VoID description of the dataset, with DCAT metadata for each dump.

https://www.w3.org/TR/void/ and https://www.w3.org/TR/vocab-dcat-3/: how many triples,
entities, classes and properties (with a partition for each class and property), the links
to Wikidata as a linkset, the SPARQL endpoint, and every dump with its download URL, media
type, size and SHA-256 checksum (SPDX).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pyoxigraph import BlankNode, Literal, NamedNode, QuerySolutions, Triple

from graph.export import Dump
from graph.namespaces import OWL, RDF, Dataset
from graph.store import Store

VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
DCTERMS = "http://purl.org/dc/terms/"
SPDX = "http://spdx.org/rdf/terms#"
XSD = "http://www.w3.org/2001/XMLSchema#"
WIKIDATA = "http://www.wikidata.org/entity/"
PREFIXES = {"void": VOID, "dcat": DCAT, "dcterms": DCTERMS, "spdx": SPDX, "xsd": XSD}

_COUNTS = """
SELECT
  (COUNT(*) AS ?triples)
  (COUNT(DISTINCT ?s) AS ?subjects)
  (COUNT(DISTINCT ?o) AS ?objects)
  (COUNT(DISTINCT ?p) AS ?properties)
WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }
"""
_ENTITIES = "SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE {{ ?e ?p ?o FILTER(STRSTARTS(STR(?e), {id})) }}"
_CLASSES = "SELECT ?class (COUNT(DISTINCT ?e) AS ?n) WHERE { ?e a ?class } GROUP BY ?class ORDER BY ?class"
_PROPERTIES = """SELECT ?property (COUNT(*) AS ?n)
WHERE { SELECT DISTINCT ?s ?property ?o WHERE { ?s ?property ?o } }
GROUP BY ?property ORDER BY ?property"""
_LINKS = f'SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{OWL}sameAs> ?o FILTER(STRSTARTS(STR(?o), "{WIKIDATA}")) }}'


def describe(
    store: Store, dataset: Dataset, endpoint: str, dumps: Iterable[tuple[Dump, str]]
) -> list[Triple]:
    """The VoID and DCAT triples. ``dumps`` pairs each dump with its download URL."""
    return list(_describe(store, dataset, endpoint, list(dumps)))


def _describe(
    store: Store, dataset: Dataset, endpoint: str, dumps: list[tuple[Dump, str]]
) -> Iterator[Triple]:
    root = NamedNode(dataset.base)
    yield from _triples(
        root,
        [
            (RDF + "type", NamedNode(VOID + "Dataset")),
            (RDF + "type", NamedNode(DCAT + "Dataset")),
            (DCTERMS + "title", Literal("eurasia-kg", language="en")),
            (
                DCTERMS + "description",
                Literal(
                    "Reports on Eurasian geopolitics as a knowledge graph, every fact with "
                    "the sentence and source it comes from.",
                    language="en",
                ),
            ),
            (VOID + "sparqlEndpoint", NamedNode(endpoint)),
            (VOID + "uriSpace", Literal(f"{dataset.base}id/")),
            (VOID + "vocabulary", NamedNode(dataset.vocabulary)),
        ],
    )
    counts = _one(store.query(_COUNTS))
    for name, key in [
        ("triples", "triples"),
        ("distinctSubjects", "subjects"),
        ("distinctObjects", "objects"),
        ("properties", "properties"),
    ]:
        yield Triple(root, NamedNode(VOID + name), _integer(counts[key]))
    entities = _one(
        store.query(_ENTITIES.format(id=Literal(f"{dataset.base}id/")))
    )  # N-Triples form: escaped
    yield Triple(root, NamedNode(VOID + "entities"), _integer(entities["n"]))
    classes = list(_rows(store.query(_CLASSES)))
    yield Triple(root, NamedNode(VOID + "classes"), _integer(len(classes)))
    for row in classes:
        part = BlankNode()
        yield Triple(root, NamedNode(VOID + "classPartition"), part)
        yield Triple(part, NamedNode(VOID + "class"), row["class"])  # type: ignore[arg-type]
        yield Triple(part, NamedNode(VOID + "entities"), _integer(row["n"]))
    for row in _rows(store.query(_PROPERTIES)):
        part = BlankNode()
        yield Triple(root, NamedNode(VOID + "propertyPartition"), part)
        yield Triple(part, NamedNode(VOID + "property"), row["property"])  # type: ignore[arg-type]
        yield Triple(part, NamedNode(VOID + "triples"), _integer(row["n"]))
    yield from _linkset(root, dataset, _one(store.query(_LINKS))["n"])
    for dump, url in dumps:
        yield from _distribution(root, dump, url)


def _linkset(root: NamedNode, dataset: Dataset, count: object) -> Iterator[Triple]:
    linkset = NamedNode(f"{dataset.base}void/wikidata-links")
    yield Triple(root, NamedNode(VOID + "subset"), linkset)
    yield from _triples(
        linkset,
        [
            (RDF + "type", NamedNode(VOID + "Linkset")),
            (VOID + "linkPredicate", NamedNode(OWL + "sameAs")),
            (VOID + "subjectsTarget", root),
            (VOID + "objectsTarget", NamedNode("http://www.wikidata.org/")),
            (VOID + "triples", _integer(count)),
        ],
    )


def _distribution(root: NamedNode, dump: Dump, url: str) -> Iterator[Triple]:
    download = NamedNode(url)
    distribution = NamedNode(url + "#distribution")
    checksum = BlankNode()
    yield Triple(root, NamedNode(VOID + "dataDump"), download)
    yield Triple(root, NamedNode(DCAT + "distribution"), distribution)
    yield from _triples(
        distribution,
        [
            (RDF + "type", NamedNode(DCAT + "Distribution")),
            (DCAT + "downloadURL", download),
            (
                DCAT + "mediaType",
                NamedNode(f"https://www.iana.org/assignments/media-types/{dump.media_type}"),
            ),
            (DCAT + "byteSize", Literal(str(dump.size), datatype=NamedNode(XSD + "nonNegativeInteger"))),
            (
                DCTERMS + "description",
                Literal(f"the {dump.selection} graphs as {dump.format}", language="en"),
            ),
            (VOID + "triples", _integer(dump.quads)),
            (SPDX + "checksum", checksum),
        ],
    )
    yield from _triples(
        checksum,
        [
            (RDF + "type", NamedNode(SPDX + "Checksum")),
            (SPDX + "algorithm", NamedNode(SPDX + "checksumAlgorithm_sha256")),
            (SPDX + "checksumValue", Literal(dump.sha256, datatype=NamedNode(XSD + "hexBinary"))),
        ],
    )


def _triples(subject: NamedNode | BlankNode, pairs: list[tuple[str, object]]) -> Iterator[Triple]:
    for predicate, value in pairs:
        yield Triple(subject, NamedNode(predicate), value)  # type: ignore[arg-type]


def _rows(result: object) -> Iterator[dict[str, object]]:
    if not isinstance(result, QuerySolutions):
        raise TypeError("a VoID statistic must be a SELECT query")
    names = [v.value for v in result.variables]
    for solution in result:
        yield {name: solution[name] for name in names}


def _one(result: object) -> dict[str, object]:
    return next(_rows(result))


def _integer(value: object) -> Literal:
    number = value.value if isinstance(value, Literal) else str(value)
    return Literal(number, datatype=NamedNode(XSD + "integer"))
