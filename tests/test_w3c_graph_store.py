"""The W3C SPARQL 1.1 Graph Store HTTP Protocol tests, run over HTTP against ``eurasia-kg serve``
on the embedded store and on ``oxigraph serve``.

The manifest's requests go to "/gsp"; here they go to /store, with the write token for PUT,
POST and DELETE. eurasia-kg identifies graphs indirectly (``?graph=<IRI>``, ``?default``)
and creates graphs by POST to /store; the tests that need direct identification do not apply.
Those, and the tests that fail for a known reason, are listed with the reason in
w3c/graph-store-known-failures.tsv.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.w3c_manifest import (
    BACKENDS,
    SPARQL11,
    Harness,
    Request,
    W3CTest,
    cases,
    expect_known,
    harness_for,
    known_failures,
    load,
    request_target,
)

TESTS = load(SPARQL11 / "graph-store-protocol" / "manifest.ttl")
KNOWN = known_failures(Path(__file__).parent / "w3c" / "graph-store-known-failures.tsv")
# The manifest's mf:requires features that eurasia-kg's /store does not offer.
UNSUPPORTED = {"DirectGraphIdentification"}
WRITES = {"PUT", "POST", "DELETE", "PATCH"}


@pytest.fixture(scope="module", params=BACKENDS)
def harness(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    with harness_for(request.param, tmp_path_factory.mktemp(f"w3c-gsp-{request.param}")) as live:
        yield live


def route(request: Request, path: str) -> tuple[str, bool]:
    return request_target("/gsp", "/store", path), request.method in WRITES


@pytest.mark.parametrize("test", cases(TESTS))
def test_w3c_graph_store(request: pytest.FixtureRequest, harness: Harness, test: W3CTest) -> None:
    expect_known(request, KNOWN, test)
    harness.run(test, route)


def test_known_failures_are_manifest_tests() -> None:
    assert {iri for iri, _ in KNOWN} <= {t.iri for t in TESTS}


def test_tests_needing_unsupported_features_are_not_applicable() -> None:
    needing = {(t.iri, backend) for t in TESTS if t.requires & UNSUPPORTED for backend in BACKENDS}
    listed = {key for key, row in KNOWN.items() if row.kind == "not-applicable"}
    assert needing == listed
