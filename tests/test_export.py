"""Exports opened by tools we did not write, their content compared with the store's."""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import subprocess
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path

import networkx
import owlready2
import pytest
import rdflib
from pyoxigraph import NamedNode, Quad, RdfFormat, parse
from rdflib.compare import isomorphic

from graph import export
from graph.namespaces import Dataset
from graph.settings import DEFAULT_BASE
from graph.store import EmbeddedStore
from tests.servers import LiveServer, eurasia_kg

EXE = shutil.which("eurasia-kg")
DATASET = Dataset(DEFAULT_BASE)
RAPPER = {"turtle": "turtle", "ntriples": "ntriples", "nquads": "nquads", "trig": "trig", "rdfxml": "rdfxml"}
RDFLIB = {
    "turtle": "turtle",
    "ntriples": "nt",
    "nquads": "nquads",
    "trig": "trig",
    "jsonld": "json-ld",
    "rdfxml": "xml",
}


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory, seed_settings) -> Path:
    """The report's graph built into an on-disk store by the command line."""
    path = tmp_path_factory.mktemp("export") / "store"
    env = {**os.environ, "EURASIA_KG_STORE": str(path), "EURASIA_KG_REPORTS": str(seed_settings.reports)}
    done = subprocess.run([EXE, "build"], env=env, capture_output=True, text=True, timeout=300, check=False)  # type: ignore[list-item]  # noqa: S603
    assert done.returncode == 0, done.stderr
    return path


def run_export(store_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EURASIA_KG_STORE": str(store_path)}
    return subprocess.run(
        [EXE, "export", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,  # type: ignore[list-item]  # noqa: S603
        check=False,
    )


def store_quads(store_path: Path, selection: str) -> list[Quad]:
    store = EmbeddedStore(store_path)
    try:
        graphs = export.graphs_of(selection, store.named_graphs(), DATASET)
        return [q for g in graphs for q in store.quads(g)]
    finally:
        store.close()


def as_rdflib(quads: list[Quad], with_graphs: bool) -> dict[str, rdflib.Graph]:
    """rdflib graphs by graph name ("" for all of them merged) from pyoxigraph quads."""
    graphs: dict[str, rdflib.Graph] = {}
    for quad in quads:
        key = getattr(quad.graph_name, "value", "") if with_graphs else ""
        terms = (rdflib.util.from_n3(str(t)) for t in (quad.subject, quad.predicate, quad.object))
        graphs.setdefault(key, rdflib.Graph()).add(tuple(terms))  # type: ignore[arg-type]
    return graphs


def rdflib_graphs(path: Path, fmt: str) -> dict[str, rdflib.Graph]:
    """The file as rdflib reads it, by graph name ("" for a triple format)."""
    data = path.read_bytes()
    if not export.FORMATS[fmt].supports_datasets:
        return {"": rdflib.Graph().parse(data=data, format=RDFLIB[fmt])}
    with warnings.catch_warnings():
        # rdflib's own dataset parsers still call its deprecated ConjunctiveGraph API.
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="rdflib")
        dataset = rdflib.Dataset()
        dataset.parse(data=data, format=RDFLIB[fmt])
        return {str(g.identifier): rdflib.Graph() + g for g in dataset.graphs() if len(g)}


@pytest.mark.parametrize("fmt", list(export.FORMATS))
@pytest.mark.parametrize("selection", ["all", "asserted"])
def test_dump_parses_and_matches_the_store(
    store_path: Path, tmp_path: Path, fmt: str, selection: str
) -> None:
    path = tmp_path / export.file_name(fmt, selection)
    done = run_export(store_path, "--format", fmt, "--graphs", selection, "-o", str(path))
    assert done.returncode == 0, done.stderr
    keeps_graphs = export.FORMATS[fmt].supports_datasets
    expected = as_rdflib(store_quads(store_path, selection), keeps_graphs)

    by_pyoxigraph = list(parse(path=path, format=export.FORMATS[fmt]))
    assert as_rdflib(by_pyoxigraph, keeps_graphs).keys() == expected.keys()
    for name, graph in as_rdflib(by_pyoxigraph, keeps_graphs).items():
        assert isomorphic(graph, expected[name]), (fmt, name)

    by_rdflib = rdflib_graphs(path, fmt)
    assert by_rdflib.keys() == expected.keys()
    for name, graph in by_rdflib.items():
        assert isomorphic(graph, expected[name]), (fmt, name)


@pytest.mark.skipif(shutil.which("rapper") is None, reason="rapper is missing: apt-get install raptor2-utils")
@pytest.mark.parametrize("fmt", list(RAPPER))
def test_rapper_accepts_each_format_it_reads(store_path: Path, tmp_path: Path, fmt: str) -> None:
    path = tmp_path / export.file_name(fmt, "all")
    assert run_export(store_path, "--format", fmt, "-o", str(path)).returncode == 0
    done = subprocess.run(
        ["rapper", "-i", RAPPER[fmt], "-c", str(path)],
        capture_output=True,  # noqa: S603, S607
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    counted = int(done.stderr.split("Parsing returned")[1].split()[0])
    distinct = {(q.subject, q.predicate, q.object) for q in store_quads(store_path, "all")}
    assert counted >= len(distinct)


def test_triple_formats_say_what_they_drop(store_path: Path, tmp_path: Path) -> None:
    for fmt in ["turtle", "ntriples", "rdfxml"]:
        path = tmp_path / export.file_name(fmt, "all")
        run_export(store_path, "--format", fmt, "-o", str(path))
        head = path.read_text(encoding="utf-8")[:600]
        assert "named graphs of eurasia-kg are merged here" in head, fmt
    path = tmp_path / "quads.nq"
    run_export(store_path, "--format", "nquads", "-o", str(path))
    assert "with their named graphs" in path.read_text(encoding="utf-8")[:300]


def test_graphml_opens_in_networkx(store_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "entities.graphml"
    assert run_export(store_path, "--format", "graphml", "-o", str(path)).returncode == 0
    graph = networkx.read_graphml(path)
    store = EmbeddedStore(store_path)
    prefixes = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in DATASET.prefixes().items())
    entities = list(
        store.query(
            prefixes
            + """SELECT DISTINCT ?e WHERE { ?e rdfs:label ?l ; a ?t
        FILTER(STRSTARTS(STR(?e), STR(id:)) && STRSTARTS(STR(?t), STR(kgo:)))
        FILTER NOT EXISTS { VALUES ?p { kgo:Report kgo:Sentence kgo:Citation } ?e a ?p } }"""
        )
    )
    store.close()
    assert graph.number_of_nodes() == len(entities) == 122
    assert graph.number_of_edges() == 228
    iran = graph.nodes[DEFAULT_BASE + "id/iran"]
    assert (iran["label"], iran["types"]) == ("Iran", "State")
    stops = [
        (s, d)
        for s, t, d in graph.edges(data=True)
        if t == DEFAULT_BASE + "id/zarif-central-asia-tour" and d["label"] == "partOf"
    ]
    assert len(stops) == 4
    inferred = [d for _, _, d in graph.edges(data=True) if d["inferred"]]
    assert len(inferred) == 21


def test_csv_for_pandas_and_neo4j(store_path: Path, tmp_path: Path) -> None:
    assert run_export(store_path, "--format", "csv", "-o", str(tmp_path)).returncode == 0
    with (tmp_path / "nodes.csv").open(encoding="utf-8", newline="") as stream:
        nodes = list(csv.DictReader(stream))
    with (tmp_path / "edges.csv").open(encoding="utf-8", newline="") as stream:
        edges = list(csv.DictReader(stream))
    assert len(nodes) == 122 and len(edges) == 228
    ids = {n["iri:ID"] for n in nodes}
    assert all(e[":START_ID"] in ids and e[":END_ID"] in ids for e in edges)
    assert {"iri:ID": DEFAULT_BASE + "id/chabahar", "label": "Chabahar", ":LABEL": "Port"} in nodes


def test_a_failed_export_leaves_nothing(tmp_path: Path) -> None:
    class Failing:
        def named_graphs(self) -> list[NamedNode]:
            return [NamedNode(DEFAULT_BASE + "graph/x")]

        def quads(self, graph: NamedNode | None = None) -> Iterator[Quad]:
            yield Quad(
                NamedNode("http://example.org/a"),
                NamedNode("http://example.org/b"),
                NamedNode("http://example.org/c"),
                NamedNode(DEFAULT_BASE + "graph/x"),
            )
            raise OSError("No space left on device")

    target = tmp_path / "dump.nq"
    target.write_text("the previous dump\n", encoding="utf-8")
    with pytest.raises(OSError, match="No space left"):
        export.write(Failing(), "nquads", "all", DATASET, target)
    assert target.read_text(encoding="utf-8") == "the previous dump\n"
    assert [p.name for p in tmp_path.iterdir()] == ["dump.nq"]


# -- over HTTP ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with eurasia_kg(tmp_path_factory.mktemp("exports"), token=None) as live:
        yield live


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310 - loopback
        return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()


def test_http_dumps_match_void_checksums(server: LiveServer) -> None:
    status, headers, body = fetch(server.url + ".well-known/void")
    assert status == 200 and headers["content-type"].startswith("text/turtle")
    void = rdflib.Graph().parse(data=body.decode("utf-8"), format="turtle")
    v = rdflib.Namespace("http://rdfs.org/ns/void#")
    dcat = rdflib.Namespace("http://www.w3.org/ns/dcat#")
    spdx = rdflib.Namespace("http://spdx.org/rdf/terms#")
    root = rdflib.URIRef(DEFAULT_BASE)
    assert int(void.value(root, v.triples)) > 2000
    assert int(void.value(root, v.entities)) > 100
    linkset = void.value(root, v.subset)
    assert int(void.value(linkset, v.triples)) == 20  # the report's entities with a Wikidata identifier
    distributions = list(void.objects(root, dcat.distribution))
    assert len(distributions) == len(export.FORMATS) * len(export.SELECTIONS)
    for distribution in distributions:
        url = str(void.value(distribution, dcat.downloadURL))
        _, headers, data = fetch(url)
        assert int(void.value(distribution, dcat.byteSize)) == len(data)
        checksum = void.value(distribution, spdx.checksum)
        assert str(void.value(checksum, spdx.checksumValue)) == hashlib.sha256(data).hexdigest()
        assert str(void.value(distribution, dcat.mediaType)).endswith(headers["content-type"].split(";")[0])


def test_http_dump_is_the_same_as_the_cli_dump(server: LiveServer, store_path: Path, tmp_path: Path) -> None:
    _, _, body = fetch(server.url + "export/eurasia-kg-all.nq")
    path = tmp_path / "cli.nq"
    run_export(store_path, "--format", "nquads", "-o", str(path))
    served = as_rdflib(list(parse(body, format=RdfFormat.N_QUADS)), True)
    written = as_rdflib(list(parse(path=path, format=RdfFormat.N_QUADS)), True)
    assert served.keys() == written.keys()
    assert all(isomorphic(served[k], written[k]) for k in served)


def test_unknown_dump_names_are_404(server: LiveServer) -> None:
    for name in ["../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "eurasia-kg-all.exe", "nodes.csv/.."]:
        with pytest.raises(urllib.error.HTTPError) as raised:
            fetch(server.url + "export/" + name)
        assert raised.value.code == 404
        raised.value.close()


@pytest.mark.parametrize(("extension", "fmt"), [("ttl", "turtle"), ("owl", "xml"), ("jsonld", "json-ld")])
def test_ontology_at_stable_urls(server: LiveServer, extension: str, fmt: str) -> None:
    status, _, body = fetch(server.url + f"ontology.{extension}")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="rdflib")  # its JSON-LD parser
        graph = rdflib.Graph().parse(data=body, format=fmt)
    assert (rdflib.URIRef(DEFAULT_BASE + "ontology"), rdflib.RDF.type, rdflib.OWL.Ontology) in graph


def test_ontology_rdfxml_loads_in_owlready2(server: LiveServer, tmp_path: Path) -> None:
    _, _, body = fetch(server.url + "ontology.owl")
    path = tmp_path / "eurasia.owl"
    path.write_bytes(body)
    world = owlready2.World()
    onto = world.get_ontology(path.as_uri()).load()
    classes = {c.name for c in onto.classes()}
    assert {"State", "Visit", "Tour", "Claim", "TradeObservation"} <= classes
    assert len(classes) > 50
