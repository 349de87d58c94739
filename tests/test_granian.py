"""``eurasia-kg serve --http granian``: the same endpoint under the Rust HTTP server.

The endpoint's behaviour is tested in depth under waitress (test_endpoint and the W3C
suites); these check what the HTTP server itself decides: requests and answers pass through
whole, the body limit holds, writes need the token, and the server stops cleanly with its
worker processes.
"""

from __future__ import annotations

import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyoxigraph import QueryResultsFormat, parse_query_results

from tests.servers import TOKEN, LiveServer, eurasia_kg

STATES = "SELECT ?s WHERE { ?s a <https://w3id.org/eurasia-kg/ontology#State> }"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with eurasia_kg(tmp_path_factory.mktemp("granian"), http="granian", max_request_bytes="100000") as live:
        yield live


def send(url: str, data: bytes | None = None, method: str = "GET", **headers: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_queries_are_answered(server: LiveServer) -> None:
    status, body = send(f"{server.sparql}?{urllib.parse.urlencode({'query': STATES})}")
    assert status == 200
    states = {row["s"].value for row in parse_query_results(body, format=QueryResultsFormat.JSON)}
    assert "https://w3id.org/eurasia-kg/id/iran" in states


def test_writes_need_the_token_and_are_read_back(server: LiveServer) -> None:
    graph = f"{server.store}?graph=http://example.org/granian"
    turtle = b"<http://example.org/a> <http://example.org/b> 1 ."
    assert send(graph, turtle, "PUT", **{"Content-Type": "text/turtle"})[0] == 401
    auth = {"Content-Type": "text/turtle", "Authorization": f"Bearer {TOKEN}"}
    assert send(graph, turtle, "PUT", **auth)[0] == 201
    status, body = send(graph)
    assert status == 200 and b"http://example.org/a" in body


def test_the_body_limit_holds(server: LiveServer) -> None:
    auth = {"Content-Type": "text/turtle", "Authorization": f"Bearer {TOKEN}"}
    status, _ = send(f"{server.store}?graph=http://example.org/big", b"#" * 200_000, "POST", **auth)
    assert status == 413


def test_the_server_stops_with_its_workers(tmp_path: Path) -> None:
    with eurasia_kg(tmp_path, http="granian") as live:
        assert send(f"{live.sparql}?{urllib.parse.urlencode({'query': 'ASK {}'})}")[0] == 200
        descendants = _descendants(live.pid)
        assert descendants  # the granian worker and the query workers' fork server at least
    # The fork server and multiprocessing's resource tracker leave once they see the parent gone.
    deadline = time.monotonic() + 30
    while (alive := [pid for pid in descendants if not _gone(pid)]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert alive == []


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    output = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True, check=True)  # noqa: S607
    children: dict[int, list[int]] = {}
    for line in output.stdout.splitlines():
        child, parent = map(int, line.split())
        children.setdefault(parent, []).append(child)
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _gone(pid: int) -> bool:
    """Whether ``pid`` has exited (a zombie waits only to be reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True
