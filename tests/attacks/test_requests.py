"""Writes only with the token, never through GET, never from another origin; no path traversal
in the exports; no debug console and no stack trace in any answer."""

from __future__ import annotations

import subprocess
import urllib.parse
from pathlib import Path

import pytest

from tests.attacks.client import SCRATCH, Reply, call, get, size
from tests.servers import LiveServer

TRIPLE = "<http://example.org/a> <http://example.org/b> <http://example.org/c> ."
INSERT = f"INSERT DATA {{ GRAPH <{SCRATCH}> {{ {TRIPLE} }} }}"
EVIL = "https://evil.example"


def writes(server: LiveServer) -> list[tuple[str, str, str | None, str]]:
    """(method, url, body, media type) of a write through every write route."""
    graph = f"{server.store}?graph={urllib.parse.quote(SCRATCH, safe='')}"
    form = urllib.parse.urlencode({"update": INSERT})
    return [
        ("POST", server.update, INSERT, "application/sparql-update"),
        ("POST", server.update, form, "application/x-www-form-urlencoded"),
        ("PUT", graph, TRIPLE, "text/turtle"),
        ("POST", graph, TRIPLE, "text/turtle"),
        ("POST", server.store, TRIPLE, "text/turtle"),
        ("DELETE", graph, None, "text/plain"),
    ]


def send(method: str, url: str, body: str | None, media_type: str, **headers: str) -> Reply:
    return call(method, url, body, Content_Type=media_type, **headers)


@pytest.mark.parametrize(
    "authorization", [None, "Bearer not-the-token", "Bearer ", "Basic dGVzdA==", "test-write-token"]
)
def test_writes_need_the_token(server: LiveServer, authorization: str | None) -> None:
    before = size(server)
    for method, url, body, media_type in writes(server):
        headers = {"Authorization": authorization} if authorization is not None else {}
        reply = send(method, url, body, media_type, **headers)
        assert reply.status == 401, (method, url, reply.text)
        assert reply.headers["www-authenticate"].startswith("Bearer")
    assert size(server) == before


@pytest.mark.parametrize(
    "origin",
    [
        {"Origin": EVIL},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": EVIL, "Sec-Fetch-Site": "cross-site"},
    ],
)
@pytest.mark.parametrize("token", [True, False])
def test_writes_from_other_origins_are_refused(
    server: LiveServer, origin: dict[str, str], token: bool
) -> None:
    """A page elsewhere can post a form to /update without a preflight; it is refused, even
    if it carries the token."""
    before = size(server)
    for method, url, body, media_type in writes(server):
        headers = {**origin, **({"Authorization": f"Bearer {server.token}"} if token else {})}
        reply = send(method, url, body, media_type, **headers)
        assert reply.status == 403, (method, url, reply.text)
        assert "access-control-allow-origin" not in reply.headers
    assert size(server) == before


def test_same_origin_writes_with_the_token_work(server: LiveServer) -> None:
    own = server.url.rstrip("/")
    reply = send(
        "PUT", writes(server)[2][1], TRIPLE, "text/turtle", Origin=own, Authorization=f"Bearer {server.token}"
    )
    assert reply.status in {201, 204}, reply.text
    assert (
        send(
            "DELETE", writes(server)[2][1], None, "text/plain", Authorization=f"Bearer {server.token}"
        ).status
        == 204
    )


@pytest.mark.parametrize("path", ["update", "store", "sparql"])
def test_preflight_grants_no_write(server: LiveServer, path: str) -> None:
    for method in ["POST", "PUT", "DELETE"]:
        reply = call(
            "OPTIONS",
            server.url + path,
            Origin=EVIL,
            Access_Control_Request_Method=method,
            Access_Control_Request_Headers="authorization, content-type",
        )
        allowed = reply.headers.get("access-control-allow-methods", "")
        if path == "sparql":  # queries are open to every origin, and /sparql writes nothing
            assert method not in allowed or method == "POST"
            continue
        assert "access-control-allow-origin" not in reply.headers
        assert method not in allowed
        assert "authorization" not in reply.headers.get("access-control-allow-headers", "").lower()


@pytest.mark.parametrize(
    "path",
    [
        f"update?update={urllib.parse.quote(INSERT)}",
        f"store?graph={urllib.parse.quote(SCRATCH)}&_method=PUT",
        f"store?graph={urllib.parse.quote(SCRATCH)}&method=DELETE",
        f"sparql?update={urllib.parse.quote(INSERT)}",
        f"sparql?query={urllib.parse.quote(INSERT)}",
    ],
)
def test_no_write_through_get(server: LiveServer, path: str) -> None:
    graph = writes(server)[2][1]
    token = {"Authorization": f"Bearer {server.token}"}
    assert send("PUT", graph, TRIPLE, "text/turtle", **token).status in {201, 204}
    before = size(server)
    for override in ["PUT", "POST", "DELETE"]:
        reply = get(server, path, X_HTTP_Method_Override=override, X_Method_Override=override, **token)
        # /store answers a GET by reading the graph; /sparql without a query by describing itself
        expected = {200} if path.startswith(("store", "sparql?update")) else {400, 405}
        assert reply.status in expected, (path, reply.status, reply.text)
    assert size(server) == before
    assert call("GET", graph, Accept="application/n-triples").text.strip() == TRIPLE
    assert send("DELETE", graph, None, "text/plain", **token).status == 204


# -- exports -----------------------------------------------------------------------------------

TRAVERSALS = [
    "export/..%2f..%2fetc%2fpasswd",
    "export/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "export/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "export/%252e%252e%252fetc%252fpasswd",
    "export/..%5c..%5cetc%5cpasswd",
    "export/%2fetc%2fpasswd",
    "export//etc/passwd",
    "export/../../etc/passwd",
    "export/eurasia-kg-all.nq%00.txt",
    "export/eurasia-kg-all.nq%2f..%2f..%2fserver.log",
    "export/..%2fserver.log",
    "export/..%2fstore%2fCURRENT",
    "export/.",
    "export/..",
    "static/..%2f..%2f..%2fetc%2fpasswd",
    "static/%2e%2e/%2e%2e/pyproject.toml",
    "ontology.%2e%2e%2fpasswd",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_no_path_traversal(server: LiveServer, path: str) -> None:
    reply = get(server, path)
    assert reply.status in {400, 404}, (reply.status, reply.text[:200])
    assert "root:" not in reply.text and "[project]" not in reply.text


def test_cli_export_writes_only_where_told(tmp_path: Path) -> None:
    """``eurasia-kg export -o`` writes the file it is given and nothing beside it."""
    output = "sub/../../escape.nt"
    work = tmp_path / "work"
    work.mkdir()
    (work / "sub").mkdir()
    given = tmp_path / "in"
    given.mkdir()
    store = given / "store"
    (given / "data.nt").write_text(TRIPLE + "\n")
    loaded = subprocess.run(
        ["eurasia-kg", "--store", str(store), "load", str(given / "data.nt")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert loaded.returncode == 0, loaded.stderr
    result = subprocess.run(
        ["eurasia-kg", "--store", str(store), "export", "--format", "ntriples", "-o", output],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    written = (work / output).resolve()
    assert written.read_text().startswith("# eurasia-kg dump")
    assert sorted(p.name for p in written.parent.iterdir() if p.is_file()) == ["escape.nt"]


# -- leaks -------------------------------------------------------------------------------------

REPOSITORY = str(Path(__file__).resolve().parents[2])
LEAKS = [
    "traceback",
    'file "/',
    REPOSITORY.lower(),
    "site-packages",
    "werkzeug",
    "debugger",
    "pyoxigraph.",
    "exception",
    "error(",
]
PROVOCATIONS = [
    ("GET", "console", None, None),
    ("GET", "?__debugger__=yes&cmd=resource&f=style.css", None, None),
    ("GET", "sparql?__debugger__=yes&cmd=print(1)&frm=0&s=x", None, None),
    ("GET", "sparql?query=SELECT%20%7B", None, None),
    ("GET", "sparql?query=" + "%7B" * 5000, None, None),
    ("GET", "sparql?query=ASK%7B%7D&query=ASK%7B%7D", None, None),
    ("POST", "sparql", b"\xff\xfe", "application/sparql-query"),
    ("POST", "sparql", b"query=%ff", "application/x-www-form-urlencoded"),
    ("POST", "sparql", b"ASK {}", "application/sparql-query; charset=latin-1"),
    ("POST", "sparql", b"{}", "application/json"),
    ("GET", "sparql?query=ASK%7B%7D&format=nonsense", None, None),
    ("POST", "update", b"DROP WHAT", "application/sparql-update"),
    ("PUT", "store?graph=http://example.org/x", b"<a> <b> .", "text/turtle"),
    ("PUT", "store?graph=http://example.org/x", b"\x00\x01", "application/rdf+xml"),
    ("PUT", "store?graph=http://example.org/x", b"<x/>", "application/x-unknown"),
    ("PUT", "store?graph=%00", b"", "text/turtle"),
    ("POST", "store", b"--x\r\nbroken", "multipart/form-data; boundary=x"),
    ("GET", "store?graph=x&default", None, None),
    ("GET", "id/%00", None, None),
    ("GET", "id/x%0aSet-Cookie:%20a=b", None, None),
    ("GET", "graph/%ff%fe", None, None),
    ("GET", "resource?uri=%ff", None, None),
    ("GET", "resource?uri=http://example.org/%0a", None, None),
    ("GET", "search?q=" + "x" * 300, None, None),
    ("GET", "search?q=%ff", None, None),
    ("GET", "queries/visits?state=%00", None, None),
    ("GET", "queries/events-in-month?month=9999-99", None, None),
    ("POST", "labels", b"{not json", "application/json"),
    ("POST", "labels", b'{"iris": "x"}', "application/json"),
    ("GET", "export/nonexistent", None, None),
    ("GET", ".well-known/void?format=nonsense", None, None),
    ("DELETE", "sparql", None, None),
    ("PATCH", "store", b"x", "text/turtle"),
    ("TRACE", "", None, None),
]


@pytest.mark.parametrize(("method", "path", "body", "media_type"), PROVOCATIONS)
def test_no_debug_console_and_no_stack_trace(
    server: LiveServer, method: str, path: str, body: bytes | None, media_type: str | None
) -> None:
    headers = {"Content_Type": media_type} if media_type else {}
    if method in {"PUT", "POST"} and path.startswith(("update", "store")):
        headers["Authorization"] = f"Bearer {server.token}"
    reply = call(method, server.url + path, body, **headers)
    assert reply.status < 500, (reply.status, reply.text[:300])
    leaked = [leak for leak in LEAKS if leak in reply.text.lower()]
    assert not leaked, reply.text[:500]
    assert "set-cookie" not in reply.headers
