"""The OpenAPI description at /openapi.json: a valid document that names every route, and a
live server that keeps to it under schemathesis.

Reads go to a read-only server whose data no test changes, so their answers are the same
from run to run; writes go to a throwaway server with a write token. Schemathesis runs
derandomized, with its coverage cases and at most 8 generated examples per operation, so a
run is repeatable and bounded (about 700 requests).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from schemathesis.checks import (  # the module looks registered checks up by name
    allow_header_conformance,
    content_type_conformance,
    ignored_auth,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from graph.settings import Settings
from server import create_app
from server.openapi import description
from tests.servers import TOKEN, LiveServer, eurasia_kg
from tests.test_endpoint import call

WRITES = {("POST", "/update"), ("PUT", "/store"), ("POST", "/store"), ("DELETE", "/store")}
TIMEOUT = 60  # seconds; a write starts a writer process, which is slow on a loaded machine
METHODS_FLASK_ADDS = {"HEAD", "OPTIONS"}  # Flask answers these for every rule by itself

# The SPARQL and RDF bodies are text; schemathesis sends them as it sends text/plain.
schemathesis.serializer.alias(
    ["application/sparql-query", "application/sparql-update", "application/n-triples"], "text/plain"
)


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with eurasia_kg(tmp_path_factory.mktemp("reader"), token=None, query_timeout="5") as server:
        yield server


@pytest.fixture(scope="module")
def writer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with eurasia_kg(tmp_path_factory.mktemp("writer"), query_timeout="5") as server:
        yield server


def test_served_description_is_valid_openapi(reader: LiveServer) -> None:
    reply = call("GET", reader.url + "openapi.json")
    assert reply.status == 200 and reply.headers["content-type"] == "application/json"
    document = json.loads(reply.body)
    validate(document)  # raises OpenAPIValidationError, naming the place, when it is not
    assert document["openapi"].startswith("3.1")
    assert document["servers"] == [{"url": reader.url.rstrip("/")}]


def test_description_is_served_with_cors(reader: LiveServer) -> None:
    reply = call("GET", reader.url + "openapi.json", Origin="https://example.org")
    assert reply.headers["access-control-allow-origin"] in {"*", "https://example.org"}


def test_every_route_is_described_and_nothing_else(tmp_path: Path) -> None:
    settings = Settings.from_env({}).with_(store=str(tmp_path / "store"))
    app = create_app(settings, build_if_empty=False)
    try:
        routes = {
            (method, _openapi_path(rule.rule))
            for rule in app.url_map.iter_rules()
            for method in (rule.methods or set()) - METHODS_FLASK_ADDS
        }
    finally:
        app.extensions["eurasia_kg"].store.close()
    paths = description()["paths"]
    described = {
        (method.upper(), path) for path, item in paths.items() for method in item if method != "parameters"
    }
    assert routes - described == set(), "routes the description leaves out"
    assert {(m, p) for m, p in described if m not in METHODS_FLASK_ADDS} - routes == set(), (
        "operations the app does not have"
    )


def _openapi_path(rule: str) -> str:
    """Flask's ``/id/<path:slug>`` as OpenAPI's ``/id/{slug}``."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


@pytest.fixture(scope="module")
def api(reader: LiveServer) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(reader.url + "openapi.json")


schema = schemathesis.pytest.from_fixture("api")


def documented_unavailable(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """A 5xx is allowed only as documented, with Retry-After: 503 (a timeout, a busy server)
    and 507 (a full disk); status_code_conformance checks that the operation documents it."""
    if response.status_code in {503, 507}:
        assert "Retry-After" in response.headers, f"a {response.status_code} without Retry-After"
        return True
    return not_a_server_error(ctx, response, case)


CHECKS = [
    documented_unavailable,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    unsupported_method,  # a method the description does not name gets 405 with Allow
    allow_header_conformance,  # and Allow (in answer to OPTIONS) names what it describes
]


@schema.parametrize()
@settings(
    max_examples=8,
    derandomize=True,
    database=None,  # nothing remembered between runs: each run is the same
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_keeps_to_its_description(
    case: schemathesis.Case, reader: LiveServer, writer: LiveServer
) -> None:
    if (case.method, case.path) in WRITES:
        case.call_and_validate(
            base_url=writer.url.rstrip("/"),
            headers={"Authorization": f"Bearer {TOKEN}"},
            checks=[*CHECKS, ignored_auth],
            timeout=TIMEOUT,
        )
    else:
        case.call_and_validate(checks=CHECKS, timeout=TIMEOUT)


# What schemathesis found, each as the smallest request that showed it.


@pytest.mark.parametrize("path", ["id/%E1%9A%9B%E1%9A%84", "graph/%F2%9D%9A%A9", "id/%C3%A9.ttl"])
def test_a_path_outside_latin_1_gets_an_ascii_link_header(reader: LiveServer, path: str) -> None:
    """A non-Latin-1 character of the path went raw into the Link header, which waitress
    cannot encode: a 500 instead of the 404 for an IRI the store does not hold."""
    reply = call("GET", reader.url + path)
    assert reply.status == 404, reply.text
    assert reply.headers["link"].isascii()
    assert f"</{path.removesuffix('.ttl')}.ttl>" in reply.headers["link"]


def test_graph_store_writes_no_graph_but_the_one_it_names(writer: LiveServer) -> None:
    """A JSON-LD body whose @graph has an @id was written to that graph, beside the one the
    request names (a PUT to ?graph=<target> filled http://example.org/elsewhere)."""
    body = (
        '{"@id": "http://example.org/elsewhere", '
        '"@graph": [{"@id": "http://example.org/a", "http://example.org/b": "c"}]}'
    )
    url = writer.store + "?graph=http://example.org/target"
    reply = call("PUT", url, body, Content_Type="application/ld+json", Authorization=f"Bearer {TOKEN}")
    assert reply.status == 400 and "http://example.org/elsewhere" in reply.text, reply.text
    for graph in ("target", "elsewhere"):  # nothing was written, here or elsewhere
        assert call("GET", f"{writer.store}?graph=http://example.org/{graph}").status == 404


def test_graph_store_says_which_formats_it_takes(writer: LiveServer) -> None:
    """The 415 names the formats a graph write takes; N3 (whose formulae are graphs of their
    own) is not one of them."""
    body = "{ <http://example.org/a> <http://example.org/b> 1 } a <http://example.org/F> ."
    url = writer.store + "?graph=http://example.org/n3"
    reply = call("PUT", url, body, Content_Type="text/n3", Authorization=f"Bearer {TOKEN}")
    assert reply.status == 415, reply.text
    offered = reply.text.split("send one of ")[1].strip().split(", ")
    assert offered == ["text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml"]


def test_answers_without_content_say_no_content_type(writer: LiveServer) -> None:
    """A 201 from the Graph Store and a 204 from an update came labelled text/html, with a
    Content-Security-Policy, though they have no body and the description gives them none."""
    turtle = "<http://example.org/a> <http://example.org/b> <http://example.org/c> ."
    token = {"Authorization": f"Bearer {TOKEN}"}
    created = call("POST", writer.store, turtle, Content_Type="text/turtle", **token)
    updated = call(
        "POST",
        writer.update,
        f"DROP GRAPH <{created.headers['location']}>",
        Content_Type="application/sparql-update",
        **token,
    )
    assert (created.status, updated.status) == (201, 204)
    for reply in (created, updated):
        assert reply.body == b""
        assert "content-type" not in reply.headers and "content-security-policy" not in reply.headers
