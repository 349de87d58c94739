"""Bad input is refused with a clear 400, 413 or 415 and changes nothing (issue 6, point 1).

One ``eurasia-kg serve`` on an embedded store serves the module, with a small request limit
so that an oversized body is cheap to send. Every refused request must leave the store as
it was: ``unchanged`` compares the quad and graph counts (``/health``) after each request,
and the last tests compare a hash of the whole dataset with the one taken at the start and
fetch every export and an entity page.

- The W3C negative syntax tests of RDF 1.1 (Turtle, N-Triples, N-Quads, TriG, RDF/XML;
  ``$EURASIA_KG_SHARED/w3c-rdf-tests/rdf/rdf11``) go to every write path that takes their
  format: PUT and POST /store for the triple formats (the Graph Store Protocol takes no
  quads), and ``eurasia-kg load`` for all five: in-process through ``graph.load`` for each
  file, and as the real command once per suite with every bad file of the suite after a good
  one (nothing may be loaded).
- The SPARQL 1.1 negative syntax tests (``tests.w3c_eval``: the query and update manifests)
  go to /sparql by GET and POST, and the update ones to /update.
- Data that parses but no export could carry (``graph.admission``), non-UTF-8 bodies, wrong
  content types, oversized bodies and pathologically long or nested queries.

Known failures would be listed with their reason in ``tests/w3c/bad-input-known-failures.tsv``
and run as strict xfails; there are none today.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import rdflib
from pyoxigraph import RdfFormat
from rdflib.collection import Collection

from graph import load
from graph.settings import Settings
from graph.store import EmbeddedStore
from tests import w3c_eval as w3c
from tests.conftest import SHARED
from tests.servers import TOKEN, LiveServer, eurasia_kg

RDF11 = SHARED / "w3c-rdf-tests" / "rdf" / "rdf11"
SPARQL11 = SHARED / "w3c-rdf-tests" / "sparql" / "sparql11"
KNOWN = w3c.known_failures(Path(__file__).parent / "w3c" / "bad-input-known-failures.tsv")
RDFT = rdflib.Namespace("http://www.w3.org/ns/rdftest#")
SUITES = {
    "rdf-turtle": RdfFormat.TURTLE,
    "rdf-n-triples": RdfFormat.N_TRIPLES,
    "rdf-n-quads": RdfFormat.N_QUADS,
    "rdf-trig": RdfFormat.TRIG,
    "rdf-xml": RdfFormat.RDF_XML,
}
MAX_REQUEST_BYTES = 512 * 1024
EXE = shutil.which("eurasia-kg")

if not (RDF11 / "manifest.ttl").is_file() or not (SPARQL11 / "manifest-sparql11-query.ttl").is_file():
    pytest.skip(f"the W3C test suites are missing: {RDF11.parent.parent}", allow_module_level=True)


@dataclass(frozen=True)
class NegativeRdf:
    """An ``rdft:Test…NegativeSyntax`` or ``…NegativeEval`` entry: a file that must be refused."""

    iri: str
    suite: str
    path: Path

    @property
    def format(self) -> RdfFormat:
        return SUITES[self.suite]


def negative_rdf(suite: str) -> list[NegativeRdf]:
    manifest = RDF11 / suite / "manifest.ttl"
    g = rdflib.Graph().parse(manifest, format="turtle", publicID=manifest.absolute().as_uri())
    found = []
    for entries in g.objects(None, w3c.MF.entries):
        for entry in Collection(g, entries):
            kind = str(g.value(entry, rdflib.RDF.type))
            if kind.startswith(str(RDFT)) and "Negative" in kind:
                action = str(g.value(entry, w3c.MF.action))
                found.append(NegativeRdf(str(entry), suite, w3c.local_path(action)))
    return found


RDF_TESTS = {suite: negative_rdf(suite) for suite in SUITES}
SPARQL_TESTS = [
    t
    for manifest in ("manifest-sparql11-query.ttl", "manifest-sparql11-update.ttl")
    for t in w3c.read_suite(SPARQL11 / manifest)
    if t.kind in {"query-syntax-bad", "update-syntax-bad"}
]
# A NegativeSyntaxTest11 in the update manifest holds an update (.ru), not a query.
QUERY_TESTS = [t for t in SPARQL_TESTS if t.operation.endswith(".rq")]
UPDATE_TESTS = [t for t in SPARQL_TESTS if t.operation.endswith(".ru")]


def cases(tests: list, name=lambda t: t.iri.rsplit("/", 2)[-2] + "/" + t.iri.rsplit("#", 1)[-1]) -> list:
    return [
        pytest.param(
            t,
            id=name(t),
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN[t.iri])] if t.iri in KNOWN else [],
        )
        for t in tests
    ]


# -- the server and its state ------------------------------------------------------------------


@dataclass
class Target:
    server: LiveServer
    health: dict[str, object]
    digest: str


def health(server: LiveServer) -> dict[str, object]:
    answer = w3c.http("GET", server.url + "health")
    assert answer.status == 200, answer.text
    return json.loads(answer.body)


def digest(server: LiveServer) -> str:
    """A hash of the whole dataset: its N-Quads lines, sorted (blank node labels are the
    store's own, stable while the store is unchanged)."""
    answer = w3c.http("GET", server.store, headers={"Accept": "application/n-quads"})
    assert answer.status == 200, answer.text
    return hashlib.sha256(b"\n".join(sorted(answer.body.splitlines()))).hexdigest()


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    with eurasia_kg(
        tmp_path_factory.mktemp("bad-input"),
        "embedded",
        query_timeout="10",
        max_request_bytes=str(MAX_REQUEST_BYTES),
    ) as server:
        yield Target(server, health(server), digest(server))


def unchanged(target: Target) -> None:
    assert health(target.server) == target.health, "a refused request changed the store"


def refused(answer: w3c.HttpAnswer, status: int = 400) -> str:
    """The answer is a short plain-text refusal with ``status``; its text."""
    assert answer.status == status, f"{answer.status}: {answer.text[:500]}"
    assert answer.content_type.startswith("text/plain"), answer.content_type
    assert answer.text.strip() and "Traceback" not in answer.text
    return answer.text


def write(server: LiveServer, method: str, path: str, body: bytes, content_type: str) -> w3c.HttpAnswer:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": content_type}
    return w3c.http(method, server.url + path, body, headers)


GRAPH = "store?" + urllib.parse.urlencode({"graph": "http://example.org/bad-input"})


# -- W3C negative RDF syntax tests -----------------------------------------------------------


TRIPLE_TESTS = [t for suite in ("rdf-turtle", "rdf-n-triples", "rdf-xml") for t in RDF_TESTS[suite]]
ALL_RDF_TESTS = [t for tests in RDF_TESTS.values() for t in tests]


@pytest.mark.parametrize("test", cases(TRIPLE_TESTS))
def test_graph_store_refuses_w3c_negative_rdf(target: Target, test: NegativeRdf) -> None:
    """PUT and POST of a bad Turtle, N-Triples or RDF/XML file: 400 with the parser's
    message, and nothing written."""
    for method in ("PUT", "POST"):
        answer = write(target.server, method, GRAPH, test.path.read_bytes(), test.format.media_type)
        text = refused(answer)
        assert text.startswith("syntax error: "), text
        assert "line" in text or "after statement" in text, f"no position: {text}"
        unchanged(target)


@pytest.mark.parametrize("test", cases(ALL_RDF_TESTS))
def test_load_refuses_w3c_negative_rdf(test: NegativeRdf) -> None:
    """``eurasia-kg load``'s check (``graph.load.check``, run before anything is written)
    refuses each bad file, naming the file and the position."""
    rdf_file = load.identify(test.path)
    assert rdf_file.format == test.format
    with pytest.raises(load.LoadError) as refusal:
        load.check(rdf_file, base_iri=None)
    message = str(refusal.value)
    assert message.startswith(f"{test.path}: ")
    assert "line" in message or "after statement" in message, f"no position: {message}"


@pytest.fixture(scope="module")
def loaded_store(tmp_path_factory: pytest.TempPathFactory, seed_settings: Settings) -> Path:
    """An on-disk store holding one small graph, for the command line to refuse changes to."""
    path = tmp_path_factory.mktemp("cli") / "store"
    store = EmbeddedStore(path)
    store.update('INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/a> <http://x/b> "c" } }')
    store.close()
    return path


@pytest.mark.parametrize("suite", list(SUITES))
def test_load_command_refuses_a_suite_and_loads_nothing(
    loaded_store: Path, tmp_path: Path, suite: str
) -> None:
    """The real command, with a good file first and then every bad file of the suite: it stops
    at the first bad file, says which and where, exits non-zero and loads nothing."""
    good = tmp_path / "good.nq"
    good.write_text("<http://example.org/x> <http://example.org/y> <http://x/z> <http://x/h> .\n")
    bad = [str(t.path) for t in RDF_TESTS[suite]]
    env = {**os.environ, "EURASIA_KG_STORE": str(loaded_store)}
    assert EXE, "eurasia-kg is not installed"
    done = subprocess.run(
        [EXE, "load", str(good), *bad], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode != 0
    assert f"{bad[0]}: " in done.stderr and "nothing was loaded" in done.stderr, done.stderr
    store = EmbeddedStore(loaded_store)
    try:
        assert len(store) == 1 and [g.value for g in store.named_graphs()] == ["http://example.org/g"]
    finally:
        store.close()


# -- W3C negative SPARQL syntax tests ---------------------------------------------------------


TERM = re.compile(r"_:\w+|<[^>\s]+>|[?$]\w+")


def readable(answer: str, request: bytes) -> None:
    """A syntax error with its position, or naming the term at fault; or the guard's refusal
    (LOAD, a graph not in the store), which names what it refused."""
    if answer.startswith("syntax error"):
        named = [t for t in TERM.findall(answer) if t.encode() in request]
        assert answer.startswith("syntax error at line ") or named, f"no position, no term: {answer}"
    else:
        assert "is refused" in answer or "not in the store" in answer, answer


def sparql_id(test: w3c.W3CTest) -> str:
    return test.id


@pytest.mark.parametrize("test", cases(QUERY_TESTS, sparql_id))
def test_endpoint_refuses_w3c_negative_query(target: Target, test: w3c.W3CTest) -> None:
    text = w3c.operation_text(test.operation)
    by_post = w3c.query(target.server.sparql, text)
    readable(refused(by_post), text)
    url = target.server.sparql + "?" + urllib.parse.urlencode({"query": text.decode("utf-8")})
    by_get = w3c.http("GET", url, headers={"Accept": w3c.QUERY_ACCEPT})
    assert refused(by_get) == by_post.text
    unchanged(target)


@pytest.mark.parametrize("test", cases(UPDATE_TESTS, sparql_id))
def test_endpoint_refuses_w3c_negative_update(target: Target, test: w3c.W3CTest) -> None:
    text = w3c.operation_text(test.operation)
    readable(refused(w3c.update(target.server.update, TOKEN, text)), text)
    form = urllib.parse.urlencode({"update": text.decode("utf-8")}).encode()
    answer = write(target.server, "POST", "update", form, "application/x-www-form-urlencoded")
    readable(refused(answer), text)
    unchanged(target)


def test_known_failures_name_tests_that_run() -> None:
    """Every known failure names a test of this module: no stale entries."""
    assert not set(KNOWN) - {t.iri for t in [*ALL_RDF_TESTS, *SPARQL_TESTS]}


def test_suites_are_complete() -> None:
    """The manifests were read in full: a reader that found nothing would pass vacuously."""
    counts = {suite: len(tests) for suite, tests in RDF_TESTS.items()}
    expected = {"rdf-turtle": 94, "rdf-n-triples": 29, "rdf-n-quads": 34, "rdf-trig": 115, "rdf-xml": 40}
    assert counts == expected
    assert (len(QUERY_TESTS), len(UPDATE_TESTS)) == (40, 21)
