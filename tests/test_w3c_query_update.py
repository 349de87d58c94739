"""The W3C SPARQL 1.1 Query and Update test suites, run through the live HTTP endpoint.

One ``eurasia-kg serve`` on an embedded store (no union default graph) serves the module.
Each test loads its dataset with one SPARQL update (``DROP ALL ; CREATE ... ; INSERT DATA``)
sent to /update, then:

- query evaluation tests (``mf:QueryEvaluationTest``) POST the query to /sparql with
  ``BASE <query file>`` in front and compare the parsed answer with ``mf:result`` (.srx,
  .srj, .ttl): solutions as multisets with blank nodes matched by a bijection (and the
  order of plain ``ORDER BY`` variables), booleans exactly, graphs by isomorphism;
- update evaluation tests (``mf:UpdateEvaluationTest``) POST the request to /update
  (expecting 204), read the whole dataset back from ``GET /store`` as N-Quads and compare it
  with the expected ``ut:data`` / ``ut:graphData`` by isomorphism;
- syntax tests (``mf:PositiveSyntaxTest11``, ``mf:NegativeSyntaxTest11`` and their update
  forms) expect 200 (204 for updates) for a good operation and a 400 saying "syntax error"
  for a bad one. A positive update that parses but then fails to run (a 400 from the store,
  not the parser) passes too: the test is about syntax.

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

from pathlib import Path

import pytest
from pyoxigraph import QueryBoolean, QuerySolutions, RdfFormat, parse

from tests import w3c_eval as w3c
from tests.conftest import SHARED
from tests.servers import TOKEN, eurasia_kg

SUITE = SHARED / "w3c-rdf-tests" / "sparql" / "sparql11"
KNOWN = Path(__file__).parent / "w3c"

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


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    with eurasia_kg(
        tmp_path_factory.mktemp("w3c"),
        "embedded",
        token=TOKEN,
        union_default_graph="false",
        query_timeout="10",
        result_limit="1000000",
    ) as live:
        yield live


def load(server, test: w3c.W3CTest) -> None:
    answer = w3c.update(server.update, server.token, w3c.load_update(test.data, test.graphs).encode())
    assert answer.status == 204, f"loading the test data failed: {answer.status} {answer.text}"


@pytest.mark.parametrize("test", cases(QUERY_TESTS, {"query"}, QUERY_KNOWN))
def test_query_evaluation(server, test: w3c.W3CTest) -> None:
    load(server, test)
    text = w3c.operation_text(test.operation)
    answer = w3c.query(server.sparql, text)
    assert answer.status == 200, f"{answer.status}: {answer.text}"
    actual = w3c.parse_answer(answer)
    assert test.result is not None
    expected = w3c.read_expected(test.result)
    if isinstance(expected, QueryBoolean):
        assert isinstance(actual, QueryBoolean), f"expected a boolean, got {type(actual).__name__}"
        assert bool(actual) == bool(expected)
    elif isinstance(expected, QuerySolutions):
        assert isinstance(actual, QuerySolutions), f"expected solutions, got {type(actual).__name__}"
        ordered = w3c.order_keys(text.decode("utf-8"))
        w3c.assert_same_solutions(expected, actual, ordered)
    else:
        assert isinstance(actual, list), f"expected a graph, got {type(actual).__name__}"
        w3c.assert_isomorphic(w3c.graph_of(expected), w3c.graph_of(actual), "the graph")


@pytest.mark.parametrize("test", cases(QUERY_TESTS, {"query-syntax", "query-syntax-bad"}, QUERY_KNOWN))
def test_query_syntax(server, test: w3c.W3CTest) -> None:
    answer = w3c.query(server.sparql, w3c.operation_text(test.operation))
    if test.kind == "query-syntax":
        assert answer.status == 200, f"{answer.status}: {answer.text}"
    else:
        assert answer.status == 400, f"{answer.status}: {answer.text}"
        assert answer.text.startswith("syntax error"), answer.text


@pytest.mark.parametrize("test", cases(UPDATE_TESTS, {"update"}, UPDATE_KNOWN))
def test_update_evaluation(server, test: w3c.W3CTest) -> None:
    load(server, test)
    answer = w3c.update(server.update, server.token, w3c.operation_text(test.operation))
    assert answer.status == 204, f"{answer.status}: {answer.text}"
    dump = w3c.http("GET", server.store, headers={"Accept": "application/n-quads"})
    assert dump.status == 200, f"{dump.status}: {dump.text}"
    actual = w3c.dataset(parse(dump.body, format=RdfFormat.N_QUADS))
    expected = w3c.dataset(w3c.expected_dataset(test.result_data, test.result_graphs))
    w3c.assert_isomorphic(expected, actual, "the store after the update")


@pytest.mark.parametrize("test", cases(UPDATE_TESTS, {"update-syntax", "update-syntax-bad"}, UPDATE_KNOWN))
def test_update_syntax(server, test: w3c.W3CTest) -> None:
    answer = w3c.update(server.update, server.token, w3c.operation_text(test.operation))
    if test.kind == "update-syntax":
        parsed = answer.status == 204 or (answer.status == 400 and not answer.text.startswith("syntax error"))
        assert parsed, f"{answer.status}: {answer.text}"
    else:
        assert answer.status == 400, f"{answer.status}: {answer.text}"
        assert answer.text.startswith("syntax error"), answer.text


def test_known_failures_name_suite_tests() -> None:
    """Every known failure names a test that runs here: no stale entries."""
    assert not set(QUERY_KNOWN) - {t.iri for t in QUERY_TESTS}
    assert not set(UPDATE_KNOWN) - {t.iri for t in UPDATE_TESTS}
