"""The W3C SPARQL 1.1 Query and Update test suites, run through the live HTTP endpoint.

One ``eurasia-kg serve`` on an embedded store (no union default graph) serves the module.
An evaluation test loads its dataset with one SPARQL update sent to /update
(``DROP ALL ; CREATE GRAPH ... ; INSERT DATA {...}``, terms in N-Triples syntax, files read
with their own ``file:`` IRI as base; a ``qt:graphData`` graph is named by that IRI, a
``ut:graphData`` graph by its ``rdfs:label``). Query tests are grouped by dataset and skip
the load when the store already holds it, since every write costs a writer process. Then:

- query evaluation tests (``mf:QueryEvaluationTest``) POST the query to /sparql with
  ``BASE <query file>`` in front and compare the parsed answer with ``mf:result`` (.srx,
  .srj, or .ttl holding a graph or an ``rs:ResultSet``): solutions as multisets with blank
  nodes matched by a bijection (plus the order of plain ``ORDER BY`` variables), booleans
  exactly, graphs by isomorphism (``rdflib.compare``); literals by term equality, with no
  numeric normalization;
- update evaluation tests (``mf:UpdateEvaluationTest``) POST the request to /update
  (expecting 204), read the whole dataset back from ``GET /store`` as N-Quads and compare it
  with the expected ``ut:data`` / ``ut:graphData`` by isomorphism;
- syntax tests (``mf:PositiveSyntaxTest11``, ``mf:NegativeSyntaxTest11`` and their update
  forms) send the operation as it is: a good one must be answered (200, or 204 for an
  update) or parsed and then refused by the store when it runs (400 "the store refused
  ...", e.g. an unsupported custom function or DROP of a missing graph: the test is about
  syntax); a bad one must be refused with 400 "syntax error ...".

The suites are the sub-manifests of ``manifest-sparql11-query.ttl`` and
``manifest-sparql11-update.ttl`` (test data in ``$EURASIA_KG_SHARED/w3c-rdf-tests``). Not
run: entailment regimes (``entailment/``), federated query (``service/``,
``syntax-fed/``), the protocol, Graph Store Protocol and service-description suites
(``protocol/``, ``http-rdf-update/``, ``graph-store-protocol/``,
``service-description/``) and the result-format suites (``csv-tsv-res/``, ``json-res/``):
they test other specifications or need other servers.

Tests the endpoint fails are listed with the reason in ``tests/w3c/query-known-failures.tsv``
and ``tests/w3c/update-known-failures.tsv`` and run as strict xfails.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pyoxigraph import RdfFormat, parse

from tests import w3c_eval as w3c
from tests.conftest import SHARED
from tests.servers import TOKEN, LiveServer, eurasia_kg

SUITE = SHARED / "w3c-rdf-tests" / "sparql" / "sparql11"
KNOWN = Path(__file__).parent / "w3c"
STORE_REFUSED = "the store refused the request"  # server/errors.py: parsed, then failed to run
SYNTAX_ERROR = "syntax error"  # server/errors.py: pyoxigraph's parser refused it

if not (SUITE / "manifest-sparql11-query.ttl").is_file():
    pytest.skip(f"the W3C test suite is missing: {SUITE}", allow_module_level=True)

QUERY_TESTS = w3c.read_suite(SUITE / "manifest-sparql11-query.ttl")
UPDATE_TESTS = w3c.read_suite(SUITE / "manifest-sparql11-update.ttl")
QUERY_KNOWN = w3c.known_failures(KNOWN / "query-known-failures.tsv")
UPDATE_KNOWN = w3c.known_failures(KNOWN / "update-known-failures.tsv")


def cases(tests: list[w3c.W3CTest], kinds: set[str], known: dict[str, str]) -> list[object]:
    return [
        pytest.param(
            test,
            id=test.id,
            marks=[pytest.mark.xfail(strict=True, reason=known[test.iri])] if test.iri in known else [],
        )
        for test in tests
        if test.kind in kinds
    ]


def by_dataset(tests: list[w3c.W3CTest]) -> list[w3c.W3CTest]:
    """Query tests grouped by dataset (datasets in order of first use, tests in manifest
    order within a group), so that consecutive tests on one dataset share its load."""
    first: dict[object, int] = {}
    for test in tests:
        first.setdefault((test.data, test.graphs), len(first))
    return sorted(tests, key=lambda t: first[(t.data, t.graphs)])


@dataclass
class Endpoint:
    """The live server, and which query dataset it holds (None: unknown, after an update)."""

    server: LiveServer
    loaded: object = None

    def load(self, test: w3c.W3CTest, reuse: bool = False) -> None:
        """Replace the store's contents with the test's dataset in one update; with ``reuse``,
        skip it when the store already holds that dataset (queries change nothing)."""
        key = (test.data, test.graphs)
        if reuse and key == self.loaded:
            return
        self.loaded = None
        answer = w3c.update(self.server.update, TOKEN, w3c.load_update(test.data, test.graphs).encode())
        assert answer.status == 204, f"loading the test data failed: {answer.status} {answer.text}"
        self.loaded = key

    def update(self, text: bytes) -> w3c.HttpAnswer:
        self.loaded = None
        return w3c.update(self.server.update, TOKEN, text)


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    with eurasia_kg(
        tmp_path_factory.mktemp("w3c"),
        "embedded",
        token=TOKEN,
        union_default_graph="false",
        query_timeout="10",
        result_limit="1000000",
    ) as live:
        yield Endpoint(live)


@pytest.mark.parametrize("test", cases(by_dataset(QUERY_TESTS), {"query"}, QUERY_KNOWN))
def test_query_evaluation(endpoint: Endpoint, test: w3c.W3CTest) -> None:
    endpoint.load(test, reuse=True)
    text = w3c.operation_text(test.operation)
    answer = w3c.query(endpoint.server.sparql, text)
    assert answer.status == 200, f"{answer.status}: {answer.text}"
    actual = w3c.parse_answer(answer)
    assert test.result is not None
    expected = w3c.read_expected(test.result)
    assert type(actual) is type(expected), f"expected a {type(expected).__name__}, got {actual!r}"
    if isinstance(expected, bool):
        assert actual == expected
    elif isinstance(expected, w3c.Table):
        assert isinstance(actual, w3c.Table)
        w3c.assert_same_solutions(expected, actual, w3c.order_keys(text.decode("utf-8")))
    else:
        assert isinstance(actual, list)
        w3c.assert_isomorphic(w3c.graph_of(expected), w3c.graph_of(actual), "the graph")


@pytest.mark.parametrize("test", cases(QUERY_TESTS, {"query-syntax", "query-syntax-bad"}, QUERY_KNOWN))
def test_query_syntax(endpoint: Endpoint, test: w3c.W3CTest) -> None:
    answer = w3c.query(endpoint.server.sparql, w3c.operation_text(test.operation))
    check_syntax(answer, 200, good=test.kind == "query-syntax")


@pytest.mark.parametrize("test", cases(UPDATE_TESTS, {"update"}, UPDATE_KNOWN))
def test_update_evaluation(endpoint: Endpoint, test: w3c.W3CTest) -> None:
    endpoint.load(test)
    answer = endpoint.update(w3c.operation_text(test.operation))
    assert answer.status == 204, f"{answer.status}: {answer.text}"
    dump = w3c.http("GET", endpoint.server.store, headers={"Accept": "application/n-quads"})
    assert dump.status == 200, f"{dump.status}: {dump.text}"
    actual = w3c.dataset(parse(dump.body, format=RdfFormat.N_QUADS))
    expected = w3c.dataset(w3c.expected_dataset(test.result_data, test.result_graphs))
    w3c.assert_isomorphic(expected, actual, "the store after the update")


@pytest.mark.parametrize("test", cases(UPDATE_TESTS, {"update-syntax", "update-syntax-bad"}, UPDATE_KNOWN))
def test_update_syntax(endpoint: Endpoint, test: w3c.W3CTest) -> None:
    answer = endpoint.update(w3c.operation_text(test.operation))
    check_syntax(answer, 204, good=test.kind == "update-syntax")


def check_syntax(answer: w3c.HttpAnswer, success: int, good: bool) -> None:
    """A good operation is answered (``success``), or parsed and refused by the store when it
    runs (e.g. an unsupported custom function); a bad one is refused as a syntax error."""
    if good:
        ran = answer.status == success or (answer.status == 400 and answer.text.startswith(STORE_REFUSED))
        assert ran, f"{answer.status}: {answer.text}"
    else:
        assert answer.status == 400 and answer.text.startswith(SYNTAX_ERROR), (
            f"{answer.status}: {answer.text}"
        )


def test_known_failures_name_suite_tests() -> None:
    """Every known failure names a test that runs here: no stale entries."""
    assert not set(QUERY_KNOWN) - {t.iri for t in QUERY_TESTS}
    assert not set(UPDATE_KNOWN) - {t.iri for t in UPDATE_TESTS}
