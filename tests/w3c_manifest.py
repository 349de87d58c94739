"""The W3C SPARQL 1.1 Protocol and Graph Store Protocol test manifests, and a runner that sends
their HTTP requests to a live ``eurasia-kg serve`` and checks the answers.

A manifest test is a sequence of ``ht:Request``s, each with the response it expects
(``mf:expectedStatus``, ``mf:expectedBoolean``, ``mf:expectedFormat``, ``mf:expectedLocation``,
response headers and an RDF body). Known failures and tests that do not apply are data: a TSV
file per suite, read by ``known_failures`` and applied to each test by ``expect_known``.
"""

from __future__ import annotations

import http.client
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit
from urllib.request import url2pathname

import pytest
from pyoxigraph import QueryBoolean, QueryResultsFormat, QuerySolutions, RdfFormat, parse, parse_query_results
from rdflib import RDF, Graph, Namespace
from rdflib.collection import Collection
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from rdflib.term import Node

from tests.conftest import SHARED
from tests.servers import LiveServer, eurasia_kg

SPARQL11 = SHARED / "w3c-rdf-tests" / "sparql" / "sparql11"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
BACKENDS = ("embedded", "oxigraph")
# hts: names the status codes by their reason phrases written together ("NoContent").
STATUS_NAMES = {re.sub(r"[^A-Za-z]", "", s.phrase): s.value for s in HTTPStatus}
STATUS_CLASS = re.compile(r"StatusCode([1-5])xx")


@dataclass(frozen=True)
class Expected:
    """What an ``ht:Response`` of the manifest expects."""

    statuses: tuple[str, ...]  # local names in hts:, e.g. "Created", "StatusCode2xx"
    boolean: bool | None = None
    format: str | None = None  # "boolean", "tabular" or "RDF"
    location: str | None = None  # a template variable that takes the Location header's value
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # the manifest's ht:absolutePath, e.g. "/sparql/?query=..."
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    expected: Expected

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


@dataclass(frozen=True)
class W3CTest:
    iri: str
    name: str
    requests: tuple[Request, ...]
    graph_data: tuple[tuple[Path, str], ...] = ()  # (file, graph IRI) loaded before the requests
    data: tuple[Path, ...] = ()  # files loaded into the default graph
    requires: frozenset[str] = field(default_factory=frozenset)  # local names in mf:

    @property
    def id(self) -> str:
        return self.iri.rsplit("#", 1)[-1]


def load(manifest: Path) -> list[W3CTest]:
    """The tests of ``manifest`` in the order of its ``mf:entries``, then those of the
    manifests it includes (``mf:include``)."""
    graph = Graph()
    graph.parse(manifest, format="turtle")
    tests: list[W3CTest] = []
    for root in graph.subjects(RDF.type, MF.Manifest):
        for entries in graph.objects(root, MF.entries):
            tests.extend(_test(graph, entry) for entry in Collection(graph, entries))
        for includes in graph.objects(root, MF.include):
            for included in Collection(graph, includes):
                tests.extend(load(_path(included)))
    return tests


def _path(iri: Node) -> Path:
    parts = urlsplit(str(iri))
    if parts.scheme != "file":
        raise ValueError(f"{iri} is not a local file")
    return Path(url2pathname(parts.path))


def _test(graph: Graph, test: Node) -> W3CTest:
    action = graph.value(test, MF.action)
    requests = graph.value(action, HT.requests)
    if action is None or requests is None:
        raise ValueError(f"{test}: no mf:action with ht:requests")
    return W3CTest(
        iri=str(test),
        name=str(graph.value(test, MF.name)),
        requests=tuple(_request(graph, r) for r in Collection(graph, requests)),
        graph_data=tuple(
            (_path(graph.value(d, UT.graph)), str(graph.value(d, RDFS.label)))
            for d in graph.objects(test, UT.graphData)
        ),
        data=tuple(_path(d) for d in graph.objects(test, UT.data)),
        requires=frozenset(_local(r) for r in graph.objects(test, MF.requires)),
    )


def _request(graph: Graph, request: Node) -> Request:
    response = graph.value(request, HT.resp)
    boolean = graph.value(response, MF.expectedBoolean)
    fmt = graph.value(response, MF.expectedFormat)
    location = graph.value(response, MF.expectedLocation)
    return Request(
        method=str(graph.value(request, HT.methodName)),
        path=str(graph.value(request, HT.absolutePath)),
        headers=_headers(graph, request),
        body=_body(graph, request),
        expected=Expected(
            statuses=tuple(sorted(_local(s) for s in graph.objects(response, MF.expectedStatus))),
            boolean=None if boolean is None else bool(boolean.toPython()),  # type: ignore[union-attr]
            format=None if fmt is None else str(fmt),
            location=None if location is None else str(location),
            headers=_headers(graph, response),
            body=_body(graph, response),
        ),
    )


def _headers(graph: Graph, node: Node) -> tuple[tuple[str, str], ...]:
    headers = graph.value(node, HT.headers)
    if headers is None:
        return ()
    return tuple(
        (str(graph.value(h, HT.fieldName)), str(graph.value(h, HT.fieldValue)))
        for h in Collection(graph, headers)
    )


def _body(graph: Graph, node: Node) -> bytes | None:
    body = graph.value(node, HT.body)
    if body is None:
        return None
    encoding = graph.value(body, CNT.characterEncoding)
    return str(graph.value(body, CNT.chars)).encode(str(encoding or "UTF-8"))


def _local(iri: Node) -> str:
    return re.split(r"[#/]", str(iri))[-1]


# -- known failures ----------------------------------------------------------------------


@dataclass(frozen=True)
class Known:
    kind: str  # "not-applicable" (skipped) or "known-failure" (xfail, strict)
    reason: str


def known_failures(path: Path) -> dict[tuple[str, str], Known]:
    """The rows of a TSV of known failures: columns test IRI, backend ("*" for both), kind,
    reason; a header row and lines starting with "#" are ignored. Keyed by (IRI, backend)."""
    rows: dict[tuple[str, str], Known] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#") or line.startswith("test\t"):
            continue
        cells = line.split("\t")
        if len(cells) != 4 or cells[2] not in {"not-applicable", "known-failure"} or not cells[3].strip():
            raise ValueError(f"{path}:{number}: expected test, backend, kind, reason: {line!r}")
        iri, backend, kind, reason = cells
        for name in BACKENDS if backend == "*" else [backend]:
            if name not in BACKENDS or (iri, name) in rows:
                raise ValueError(f"{path}:{number}: unknown or repeated backend {name!r}")
            rows[(iri, name)] = Known(kind, reason.strip())
    return rows


def cases(tests: Iterable[W3CTest]) -> list:
    """One pytest parameter per test, named by the test's local name."""
    return [pytest.param(test, id=test.id) for test in tests]


def expect_known(
    request: pytest.FixtureRequest, known: Mapping[tuple[str, str], Known], test: W3CTest
) -> None:
    """Skip a test that does not apply to the server under test, or mark a known failure as
    expected to fail (strictly: once it passes, it must leave the list)."""
    backend = request.getfixturevalue("harness").backend
    row = known.get((test.iri, backend))
    if row is None:
        return
    if row.kind == "not-applicable":
        pytest.skip(f"not applicable: {row.reason}")
    request.applymarker(pytest.mark.xfail(strict=True, reason=row.reason))


# -- running the requests ----------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def send(
    server: LiveServer, method: str, target: str, headers: Iterable[tuple[str, str]], body: bytes | None
) -> Reply:
    """One HTTP request to the server, exactly as given: no header is added, none is changed
    (http.client adds only Host, Accept-Encoding: identity and Content-Length)."""
    url = urlsplit(server.url)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=60)
    try:
        connection.putrequest(method, target, skip_accept_encoding=True)
        for name, value in headers:
            connection.putheader(name, value)
        if body is not None or method in {"POST", "PUT"}:
            connection.putheader("Content-Length", str(len(body or b"")))
        connection.endheaders(body)
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        connection.close()


Route = Callable[[Request, str], tuple[str, bool]]  # (request, its path) -> (target, writes?)


@contextmanager
def harness_for(backend: str, directory: Path) -> Iterator[Harness]:
    """``eurasia-kg serve`` on ``backend`` with a plain default graph, as the W3C tests assume
    (eurasia-kg's default is the union of the graphs)."""
    with eurasia_kg(directory, backend, union_default_graph="false", query_timeout="10") as server:
        yield Harness(server)


class Harness:
    """A live server under test, and what is known of its store: the data of the last test
    that was loaded, or None when the store may hold anything else."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.loaded: tuple[object, ...] | None = None

    @property
    def backend(self) -> str:
        return self.server.backend

    def write_headers(self) -> list[tuple[str, str]]:
        return [("Authorization", f"Bearer {self.server.token}")]

    def prepare(self, test: W3CTest) -> None:
        """Make the store hold exactly the test's ``ut:data`` (default graph) and
        ``ut:graphData`` (named graphs): one update that drops everything and inserts the
        data, skipped when the store already holds exactly that."""
        wanted = (test.data, test.graph_data)
        if self.loaded == wanted:
            return
        blocks = [_triples(path) for path in test.data]
        blocks += [f"GRAPH <{iri}> {{\n{_triples(path)}}}" for path, iri in test.graph_data]
        update = "DROP ALL" + (" ;\nINSERT DATA {\n" + "\n".join(blocks) + "\n}" if blocks else "")
        self.loaded = None
        headers = [*self.write_headers(), ("Content-Type", "application/sparql-update")]
        reply = send(self.server, "POST", "/update", headers, update.encode("utf-8"))
        assert reply.status in {200, 204}, f"preparing the store: {reply.status} {reply.body!r}"
        self.loaded = wanted

    def run(self, test: W3CTest, route: Route) -> None:
        """Send the test's requests in order, each checked against its expected response."""
        self.prepare(test)
        variables: dict[str, str] = {}
        for step, request in enumerate(test.requests, 1):
            path, body = request.path, request.body
            for variable, value in variables.items():
                path = path.replace(variable, quote(value, safe="") if "?" in path else value)
                body = body.replace(variable.encode(), value.encode()) if body is not None else None
            target, writes = route(request, path)
            headers = [*request.headers, *(self.write_headers() if writes else [])]
            reply = send(self.server, request.method, target, headers, body)
            if writes and reply.status // 100 != 4:  # a refused write changes nothing
                self.loaded = None
            context = (
                f"{test.name}\nstep {step}: {request.method} {target} -> {reply.status}\n"
                f"{reply.headers}{reply.body[:500].decode('utf-8', 'replace')}"
            )
            check(reply, request.expected, writes, context)
            if request.expected.location:
                variables[request.expected.location] = reply.headers["Location"]


def _triples(path: Path) -> str:
    """The triples of an RDF file in N-Triples syntax, which INSERT DATA reads as is."""
    fmt = RdfFormat.from_extension(path.suffix.lstrip("."))
    if fmt is None:
        raise ValueError(f"{path}: unknown RDF format")
    return "".join(f"{q.triple} .\n" for q in parse(path=path, format=fmt))


def check(reply: Reply, expected: Expected, authorized: bool, context: str) -> None:
    assert any(_status_matches(reply.status, name) for name in expected.statuses), (
        f"expected {' or '.join(expected.statuses)}\n{context}"
    )
    # The write token was sent: a 401 or 403 would be the harness's fault, not the protocol's.
    assert not (authorized and reply.status in {401, 403}), f"authorization refused\n{context}"
    for name, value in expected.headers:
        actual = reply.headers.get(name)
        assert actual is not None, f"no {name} header\n{context}"
        if name.lower() == "content-type":
            assert _media_type(actual) == _media_type(value), f"expected {name}: {value}\n{context}"
        else:
            assert actual == value, f"expected {name}: {value}\n{context}"
    if expected.location:
        assert reply.headers.get("Location"), f"expected a Location header\n{context}"
    content_type = reply.headers.get("Content-Type", "")
    if expected.format in {"boolean", "tabular"} or expected.boolean is not None:
        result = _results(reply.body, content_type, context)
        kind = (
            QueryBoolean if expected.format == "boolean" or expected.boolean is not None else QuerySolutions
        )
        assert isinstance(result, kind), f"expected a {expected.format} result\n{context}"
        if isinstance(result, QuerySolutions):
            list(result)  # parses every row
        if expected.boolean is not None:
            assert bool(result) is expected.boolean, f"expected {expected.boolean}\n{context}"
    if expected.format == "RDF":
        fmt = RdfFormat.from_media_type(content_type.split(";")[0].strip())
        assert fmt is not None and not fmt.supports_datasets, f"expected RDF\n{context}"
        list(parse(reply.body, format=fmt))
    if expected.body is not None:
        media_type = next(v for k, v in expected.headers if k.lower() == "content-type")
        want = Graph().parse(data=expected.body, format=media_type.split(";")[0].strip())
        got = Graph().parse(data=reply.body, format=content_type.split(";")[0].strip())
        if not isomorphic(want, got):
            _, missing, extra = graph_diff(to_isomorphic(want), to_isomorphic(got))
            raise AssertionError(
                f"the graph differs from the expected one\nmissing:\n{missing.serialize(format='nt')}"
                f"extra:\n{extra.serialize(format='nt')}\n{context}"
            )


def _status_matches(status: int, name: str) -> bool:
    if match := STATUS_CLASS.fullmatch(name):
        return status // 100 == int(match.group(1))
    if name not in STATUS_NAMES:
        raise ValueError(f"unknown status hts:{name}")
    return status == STATUS_NAMES[name]


def _media_type(value: str) -> tuple[str, frozenset[tuple[str, str]]]:
    """A Content-Type's media type and parameters, compared case-insensitively."""
    kind, *params = (p.strip() for p in value.split(";"))
    pairs = (p.partition("=") for p in params if p)
    return kind.lower(), frozenset(
        (k.strip().lower(), unquote(v.strip().strip('"')).lower()) for k, _, v in pairs
    )


def _results(body: bytes, content_type: str, context: str) -> QueryBoolean | QuerySolutions:
    fmt = QueryResultsFormat.from_media_type(content_type.split(";")[0].strip())
    assert fmt is not None, f"not a SPARQL results format: {content_type!r}\n{context}"
    return parse_query_results(body, format=fmt)


def request_target(prefix: str, endpoint: str, path: str) -> str:
    """The manifest's ``path`` with its ``prefix`` (e.g. "/sparql") replaced by ``endpoint``:
    "/sparql/?query=..." becomes "/sparql?query=...", "/gsp/person/1.ttl" "/store/person/1.ttl"."""
    if not path.startswith(prefix):
        raise ValueError(f"{path} does not start with {prefix}")
    rest = path[len(prefix) :]
    return endpoint + (rest[1:] if rest == "/" or rest.startswith("/?") else rest)
