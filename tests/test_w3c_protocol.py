"""The W3C SPARQL 1.1 Protocol tests, run over HTTP against ``eurasia-kg serve`` on the embedded
store and on ``oxigraph serve``.

The manifest's requests all go to "/sparql/"; here queries go to /sparql and updates to
/update, with the write token. Tests that fail for a known reason are listed, with the reason,
in w3c/protocol-known-failures.tsv.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

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

TESTS = load(SPARQL11 / "protocol" / "manifest.ttl")
KNOWN = known_failures(Path(__file__).parent / "w3c" / "protocol-known-failures.tsv")
# An operation whose first keyword, after any PREFIX and BASE, is an update's.
UPDATE = re.compile(
    r"\s*(?:(?:PREFIX\s+[^\s:]*:\s*|BASE\s*)<[^>]*>\s*)*"
    r"(?:INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b",
    re.IGNORECASE,
)


@pytest.fixture(scope="module", params=BACKENDS)
def harness(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    with harness_for(request.param, tmp_path_factory.mktemp(f"w3c-protocol-{request.param}")) as live:
        yield live


def is_update(request: Request, path: str) -> bool:
    """Whether the request is an update operation: by its media type, by its parameters (in
    the URL or a form body), else by the operation's first keyword."""
    media_type = (request.header("content-type") or "").split(";")[0].strip().lower()
    if media_type in {"application/sparql-update", "application/sparql-query"}:
        return media_type == "application/sparql-update"
    try:
        text = (request.body or b"").decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    names = {*parse_qs(urlsplit(path).query), *parse_qs(text)}
    if names & {"update", "using-graph-uri", "using-named-graph-uri"}:
        return True
    if names & {"query", "default-graph-uri", "named-graph-uri"}:
        return False
    return UPDATE.match(text) is not None


def route(request: Request, path: str) -> tuple[str, bool]:
    if is_update(request, path):
        return request_target("/sparql", "/update", path), True
    return request_target("/sparql", "/sparql", path), False


@pytest.mark.parametrize("test", cases(TESTS))
def test_w3c_protocol(request: pytest.FixtureRequest, harness: Harness, test: W3CTest) -> None:
    expect_known(request, KNOWN, test)
    harness.run(test, route)


def test_known_failures_are_manifest_tests() -> None:
    assert {iri for iri, _ in KNOWN} <= {t.iri for t in TESTS}


def test_requests_are_routed_by_operation() -> None:
    updates = {t.id for t in TESTS if any(is_update(r, r.path) for r in t.requests)}
    assert updates == {t.id for t in TESTS if "update" in t.id}
