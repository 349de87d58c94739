"""eurasia-kg with a Virtuoso server (Debian's virtuoso-opensource-7, 7.2.5) as its store.

One Virtuoso per module, on 127.0.0.1 (``tests/virtuoso.py``). The report's graph is built into
it through ``tests.virtuoso.VirtuosoStore``: ``graph.remote.RemoteStore`` with the changes that
Virtuoso needs. What the unchanged RemoteStore does is tried too; those tests are strict xfails
that name the cause, so that once graph/remote.py has the change they pass, and their mark (and
the matching part of VirtuosoStore) must go. Every named question is compared with
``tests/expected``; those where Virtuoso answers differently are listed, with the reason, in
``tests/virtuoso-known-differences.tsv`` and are strict xfails as well.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
import rdflib
from pyoxigraph import BlankNode, Literal, NamedNode, Quad, QueryBoolean, QuerySolutions
from rdflib.compare import isomorphic
from SPARQLWrapper import SPARQLWrapper

import queries
from graph import worker
from graph.build import build, compile_sources
from graph.remote import RemoteStore
from graph.report_text import ReportText
from graph.sandbox import StoreError
from graph.settings import Settings
from graph.store import insert_data
from queries.results import rows
from tests.conftest import SHARED
from tests.servers import TOKEN, free_port, running
from tests.test_endpoint import call, graph_of, states
from tests.test_named_queries import DATASET, EXPECTED, answer, expand, normalised
from tests.virtuoso import XSD_DURATION, VirtuosoEndpoints, VirtuosoStore, installed, virtuoso

pytestmark = pytest.mark.skipif(
    not installed(),
    reason="Virtuoso is not installed (virtuoso-t and isql-vt: apt-get install virtuoso-opensource-7)",
)

KNOWN_DIFFERENCES = Path(__file__).parent / "virtuoso-known-differences.tsv"
ROOT = Path(__file__).resolve().parents[1]
KGO = "https://w3id.org/eurasia-kg/ontology#"
ID = "https://w3id.org/eurasia-kg/id/"
SCRATCH = NamedNode("http://example.org/virtuoso-scratch")
TIMINGS: dict[str, float] = {}


def known_differences() -> dict[str, str]:
    """Named question -> why Virtuoso's answer differs from the expected one."""
    with KNOWN_DIFFERENCES.open(encoding="utf-8", newline="") as stream:
        reader = csv.reader(stream, delimiter="\t")
        assert next(reader) == ["query", "reason"]
        return dict((name, reason) for name, reason in reader)


def named_questions() -> list[object]:
    known = known_differences()
    unknown = set(known) - set(queries.catalogue())
    assert not unknown, f"{KNOWN_DIFFERENCES.name} names no such question: {sorted(unknown)}"
    return [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=known[name]))
        if name in known
        else name
        for name in sorted(queries.catalogue())
    ]


class ConnegOnly(RemoteStore):
    """RemoteStore with only the first change (no SPARQLWrapper format parameters), to show
    what the other changes are for."""

    def _client(self, url: str, timeout: float | None) -> SPARQLWrapper:
        client = super()._client(url, timeout)
        client.setOnlyConneg(True)
        return client


@pytest.fixture(scope="module")
def endpoints(
    tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> Iterator[VirtuosoEndpoints]:
    started = time.monotonic()
    with virtuoso(tmp_path_factory.mktemp("virtuoso")) as found:
        TIMINGS["Virtuoso start-up"] = found.startup_seconds
        yield found
        stopping = time.monotonic()
    TIMINGS["Virtuoso shut-down"] = time.monotonic() - stopping
    TIMINGS["Virtuoso alive"] = time.monotonic() - started
    reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            timings = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in TIMINGS.items())
            reporter.write_line(f"\nVirtuoso timings: {timings}")


@pytest.fixture(scope="module")
def virtuoso_store(endpoints: VirtuosoEndpoints, seed_settings: Settings) -> VirtuosoStore:
    """The report's graph, built into Virtuoso once."""
    store = VirtuosoStore(endpoints.query, endpoints.update, endpoints.graph_store, timeout=120)
    started = time.monotonic()
    summary = build(seed_settings, store)
    TIMINGS["build"] = time.monotonic() - started
    TIMINGS["of which writing"] = summary.seconds["write"]
    return store


@pytest.fixture(scope="module")
def report() -> ReportText:
    return ReportText.read(SHARED / "seed" / "000_38d12d94c33cd7ec.txt")


# -- what the unchanged graph.remote.RemoteStore meets ---------------------------------------


def test_remote_store_queries(endpoints: VirtuosoEndpoints) -> None:
    store = RemoteStore(endpoints.query, endpoints.update, endpoints.graph_store)
    assert isinstance(store.query("SELECT * WHERE { ?s ?p ?o } LIMIT 1"), QuerySolutions)


def test_construct_with_a_single_accept_header(virtuoso_store: VirtuosoStore) -> None:
    store = ConnegOnly(virtuoso_store.query_url)
    assert len(store.query(f"CONSTRUCT WHERE {{ <{ID}chabahar> ?p ?o }}")) > 0  # type: ignore[arg-type]


@pytest.mark.xfail(
    strict=True,
    reason="Virtuoso 7.2 answers ASK with a result set of one variable, __ASK_RETVAL (one row "
    "for yes, none for no), not a boolean (openlink/virtuoso-opensource#464)",
)
def test_ask_gives_a_boolean(virtuoso_store: VirtuosoStore) -> None:
    store = ConnegOnly(virtuoso_store.query_url)
    assert isinstance(store.query(f"ASK {{ <{ID}chabahar> ?p ?o }}"), QueryBoolean)


@pytest.mark.xfail(
    strict=True,
    raises=StoreError,
    reason="SP031: Blank node is not allowed in a constant clause: Virtuoso 7.2 refuses blank "
    "nodes in INSERT DATA; the build's ontology has 48 triples with them (OWL lists)",
)
def test_insert_data_with_a_blank_node(endpoints: VirtuosoEndpoints) -> None:
    store = ConnegOnly(endpoints.query, endpoints.update, endpoints.graph_store)
    list_node = Quad(NamedNode(f"{KGO}Trend"), NamedNode(f"{KGO}oneOf"), BlankNode(), SCRATCH)
    store.update(insert_data([list_node]))


@pytest.mark.xfail(
    strict=True,
    raises=StoreError,
    reason='Virtuoso 7.2 refuses "P4D"^^xsd:duration in INSERT DATA (SQ200: No column P4DD, or '
    "SR553: Literal of type xsd:duration can not be created); P6M-like ones pass only at times",
)
def test_insert_data_with_a_duration(endpoints: VirtuosoEndpoints) -> None:
    store = ConnegOnly(endpoints.query, endpoints.update, endpoints.graph_store)
    duration = Literal("P4D", datatype=NamedNode(XSD_DURATION))
    try:
        store.update(insert_data([Quad(NamedNode(f"{ID}x"), NamedNode(f"{KGO}duration"), duration, SCRATCH)]))
    finally:
        store.update(f"DROP SILENT GRAPH {SCRATCH}")


@pytest.mark.xfail(
    strict=True,
    raises=StoreError,
    reason="SP031: No plain default graph specified in the preamble: Virtuoso has no default "
    "graph of its own to write to, so updates and loads into the default graph fail",
)
def test_insert_data_into_the_default_graph(endpoints: VirtuosoEndpoints) -> None:
    store = ConnegOnly(endpoints.query, endpoints.update, endpoints.graph_store)
    try:
        store.update(f"INSERT DATA {{ <{ID}x> <{KGO}label> 'x' }}")
    finally:
        store.update(f"DELETE DATA {{ <{ID}x> <{KGO}label> 'x' }}")


@pytest.mark.xfail(
    strict=True,
    raises=StoreError,
    reason="SP031: The length of generated SQL text has exceeded 10000 lines of code: one INSERT "
    "DATA with the build's 2,300 plain quads is too large for Virtuoso 7.2",
)
def test_the_build_in_one_insert_data(endpoints: VirtuosoEndpoints, seed_settings: Settings) -> None:
    store = ConnegOnly(endpoints.query, endpoints.update, endpoints.graph_store)
    ontology, asserted = compile_sources(seed_settings)
    plain = [
        Quad(q.subject, q.predicate, q.object, SCRATCH)
        for q in [*(Quad(t.subject, t.predicate, t.object) for t in ontology), *asserted]
        if not isinstance(q.subject, BlankNode)
        and not isinstance(q.object, BlankNode)
        and not (isinstance(q.object, Literal) and q.object.datatype.value == XSD_DURATION)
    ]
    try:
        store.update(insert_data(plain))
    finally:
        store.update(f"DROP SILENT GRAPH {SCRATCH}")


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="an update request is not one transaction on Virtuoso 7.2: when an operation fails at "
    "run time, those before it stay done (a failed build can leave its graphs half-replaced)",
)
def test_a_failing_update_changes_nothing(endpoints: VirtuosoEndpoints) -> None:
    store = VirtuosoStore(endpoints.query, endpoints.update, endpoints.graph_store)
    closed = f"http://127.0.0.1:{free_port()}/nothing"  # LOAD from a closed loopback port fails
    try:
        with pytest.raises(StoreError):
            store.update(
                f"INSERT DATA {{ GRAPH {SCRATCH} {{ <{ID}x> <{KGO}label> 'x' }} }} ;\n"
                f"LOAD <{closed}> INTO GRAPH <{SCRATCH.value}/loaded>"
            )
        assert SCRATCH.value not in store.info()["graphs"]
    finally:
        store.update(f"DROP SILENT GRAPH {SCRATCH}")


@pytest.mark.xfail(
    strict=True,
    raises=StoreError,
    reason="Virtuoso's Graph Store endpoint has no whole-dataset GET (406) and no ?default "
    "(500: not configured to have default graph), so /store without ?graph= and quads() fail",
)
def test_whole_dataset_dump(virtuoso_store: VirtuosoStore) -> None:
    assert virtuoso_store.dump(worker.DumpJob("application/n-quads", whole=True))


# -- the build, and the named questions ------------------------------------------------------


def test_build_writes_every_graph(virtuoso_store: VirtuosoStore, seed_settings: Settings) -> None:
    _, asserted = compile_sources(seed_settings)
    wanted = {str(q.graph_name)[1:-1] for q in asserted} | {
        DATASET.ontology_graph.value,
        DATASET.inferred_graph.value,
    }
    graphs = virtuoso_store.info()["graphs"]
    assert {g for g in graphs if g.startswith(DATASET.graph_prefix)} == wanted
    # Virtuoso's own graphs are always there, so len(store) is never 0 and `eurasia-kg serve`
    # does not build an empty Virtuoso by itself: run `eurasia-kg build` first.
    assert "http://www.openlinksw.com/schemas/virtrdf#" in graphs


def test_default_graph_is_the_union_of_all_graphs(virtuoso_store: VirtuosoStore) -> None:
    """Virtuoso's default graph, when a query names none, is the union of all its graphs,
    its own included (as RemoteStore's union=True wants; union=False cannot be had)."""
    default = virtuoso_store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    union = virtuoso_store.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert isinstance(default, QuerySolutions) and isinstance(union, QuerySolutions)
    assert next(default)["n"] == next(union)["n"]
    assert virtuoso_store.query("ASK { ?s ?p ?o }", union=False)


def test_rebuild_replaces_the_graphs(virtuoso_store: VirtuosoStore, seed_settings: Settings) -> None:
    before = len(virtuoso_store)
    build(seed_settings, virtuoso_store)
    assert len(virtuoso_store) == before


@pytest.mark.parametrize("name", named_questions())
def test_named_question_answer(virtuoso_store: VirtuosoStore, report: ReportText, name: str) -> None:
    result = answer(virtuoso_store, name)
    if isinstance(result, QueryBoolean):
        assert ("yes" if bool(result) else "no") == (EXPECTED / f"{name}.txt").read_text().strip()
    elif isinstance(result, QuerySolutions):
        names, body = rows(result, DATASET.prefixes())
        with (EXPECTED / f"{name}.tsv").open(encoding="utf-8", newline="") as stream:
            expected = list(csv.reader(stream, delimiter="\t"))
        assert names == expected[0]
        expected = [[expand(c, report) for c in r] for r in expected]
        assert [normalised(r) for r in body] == [normalised(r) for r in expected[1:]]
    else:
        got = {str(t) for t in result}
        want = set((EXPECTED / f"{name}.nt").read_text(encoding="utf-8").splitlines())
        assert got == want


# -- eurasia-kg serve on Virtuoso --------------------------------------------------------------


def _serve(
    endpoints: VirtuosoEndpoints, directory: Path, patched: bool
) -> tuple[str, AbstractContextManager[subprocess.Popen[bytes]]]:
    port = free_port()
    env = {
        **os.environ,
        "EURASIA_KG_REPORTS": str(SHARED / "seed"),
        "EURASIA_KG_STORE": endpoints.query,
        "EURASIA_KG_UPDATE_URL": endpoints.update,
        "EURASIA_KG_GRAPH_STORE_URL": endpoints.graph_store,
        "EURASIA_KG_WRITE_TOKEN": TOKEN,
        "EURASIA_KG_QUERY_TIMEOUT": "30",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    if patched:
        command = [sys.executable, "-c", "from tests.virtuoso import serve; serve()"]
    else:
        exe = shutil.which("eurasia-kg")
        assert exe, "eurasia-kg is not installed (pip install -e .)"
        command = [exe]
    args = [*command, "serve", "--host", "127.0.0.1", "--port", str(port)]
    url = f"http://127.0.0.1:{port}/"
    return url, running(args, url + "health", env, directory / "server.log")


def test_serve_with_remote_store(
    virtuoso_store: VirtuosoStore, endpoints: VirtuosoEndpoints, tmp_path: Path
) -> None:
    url, server = _serve(endpoints, tmp_path, patched=False)
    with server:
        assert call("GET", url + "health").status == 200


def test_serve_with_virtuoso_store(
    virtuoso_store: VirtuosoStore, endpoints: VirtuosoEndpoints, tmp_path: Path
) -> None:
    url, server = _serve(endpoints, tmp_path, patched=True)
    sparql, store = url + "sparql", url + "store"
    token = {"Authorization": f"Bearer {TOKEN}"}
    with server:
        # SELECT through /sparql, by GET and by POST
        query = f"SELECT ?state WHERE {{ ?state a <{KGO}State> }} ORDER BY ?state"
        by_get = states(call("GET", f"{sparql}?{urllib.parse.urlencode({'query': query})}"))
        by_post = states(call("POST", sparql, query, Content_Type="application/sparql-query"))
        assert by_get == by_post and f"{ID}iran" in by_get and len(by_get) >= 6

        # ASK and CONSTRUCT
        ask = f"ASK {{ <{ID}herat-mazar-i-sharif-railway> <{KGO}bypasses> <{ID}turkmenistan> }}"
        reply = call("GET", f"{sparql}?{urllib.parse.urlencode({'query': ask})}")
        assert reply.status == 200 and b"true" in reply.body
        tour = f"CONSTRUCT WHERE {{ <{ID}zarif-central-asia-tour> ?p ?o }}"
        reply = call("GET", f"{sparql}?{urllib.parse.urlencode({'query': tour})}", Accept="text/turtle")
        assert reply.status == 200 and len(graph_of(reply.body, "text/turtle")) == 9

        # a syntax error is the client's
        reply = call("GET", f"{sparql}?{urllib.parse.urlencode({'query': 'SELECT * WHERE {'})}")
        assert reply.status == 400, reply.text

        # PUT, GET, POST, DELETE a graph through /store, and an update through /update
        graph = "http://example.org/gsp-on-virtuoso"
        target = f"{store}?{urllib.parse.urlencode({'graph': graph})}"
        data = "@prefix ex: <http://example.org/> .\nex:kuryk ex:country ex:kz ; ex:label 'Kuryk'@en ."
        assert call("PUT", target, data, Content_Type="text/turtle").status == 401
        assert call("PUT", target, data, Content_Type="text/turtle", **token).status in {201, 204}
        back = call("GET", target, Accept="text/turtle")
        assert back.status == 200
        assert isomorphic(graph_of(back.body, "text/turtle"), rdflib.Graph().parse(data=data))
        more = "<http://example.org/kuryk> <http://example.org/port> <http://example.org/caspian> ."
        assert call("POST", target, more, Content_Type="application/n-triples", **token).status == 204
        assert len(rdflib.Graph().parse(data=call("GET", target, Accept="text/turtle").text)) == 3
        update = f"INSERT DATA {{ GRAPH <{graph}> {{ <http://example.org/a> <http://example.org/b> 1 }} }}"
        reply = call("POST", url + "update", update, Content_Type="application/sparql-update", **token)
        assert reply.status == 204, reply.text
        assert len(rdflib.Graph().parse(data=call("GET", target, Accept="text/turtle").text)) == 4
        assert call("DELETE", target, **token).status == 204
        assert call("GET", target).status == 404
