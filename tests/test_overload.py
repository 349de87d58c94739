"""Overload over real HTTP: a server with a tiny worker pool flooded with heavy queries sheds the
excess with 503 and Retry-After, answers the lookups sent meanwhile, never hangs, stops a
query that needs too much memory, and serves normally afterwards.

Speed is measured by ``python -m benchmarks.load``; these tests assert only outcomes.
"""

from __future__ import annotations

import http.client
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from pyoxigraph import QueryResultsFormat, parse_query_results

from tests.servers import LiveServer, eurasia_kg

HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # 10^9 rows and more
HUNGRY = "SELECT ?a ?d WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f LIMIT 1"  # sorts 10^6 rows
LOOKUP = "SELECT ?p ?o WHERE { <https://w3id.org/eurasia-kg/id/iran> ?p ?o } LIMIT 20"
LABEL = (
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
    "SELECT ?label WHERE { <https://w3id.org/eurasia-kg/id/iran> rdfs:label ?label }"
)
CLIENT_TIMEOUT = 60  # far above the server's 2 s query timeout: reaching it means a hang


@dataclass
class Reply:
    status: int
    retry_after: str | None
    text: str


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    """Two query workers, room for one long query, 2 s to run and 256 MiB to use."""
    with eurasia_kg(
        tmp_path_factory.mktemp("tiny"),
        token=None,
        workers="2",
        long_queries="1",
        query_timeout="2",
        query_memory_mb="256",
    ) as server:
        yield server


def ask(server: LiveServer, query: str) -> Reply:
    """One query on its own connection; a missing answer raises TimeoutError (a hang)."""
    url = urllib.parse.urlsplit(server.url)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=CLIENT_TIMEOUT)
    try:
        path = "/sparql?" + urllib.parse.urlencode({"query": query})
        connection.request("GET", path, headers={"Accept": "application/sparql-results+json"})
        response = connection.getresponse()
        return Reply(response.status, response.getheader("Retry-After"), response.read().decode())
    finally:
        connection.close()


def shed_properly(reply: Reply) -> bool:
    """A 503 or 429 that says when to come back, as a positive number of seconds."""
    return (
        reply.status in {429, 503}
        and reply.retry_after is not None
        and reply.retry_after.isdigit()
        and int(reply.retry_after) > 0
    )


def test_a_flood_of_heavy_queries_is_shed_and_lookups_go_on(tiny: LiveServer) -> None:
    with ThreadPoolExecutor(max_workers=16) as pool:
        heavy = [pool.submit(ask, tiny, HEAVY) for _ in range(8)]
        lookups = [pool.submit(ask, tiny, LOOKUP) for _ in range(8)]
        heavy_replies = [f.result() for f in heavy]  # TimeoutError here would be a hang
        lookup_replies = [f.result() for f in lookups]
    assert all(shed_properly(r) for r in heavy_replies), heavy_replies
    assert any("time limit" in r.text for r in heavy_replies)  # one ran to the timeout ...
    assert any("long-running" in r.text for r in heavy_replies)  # ... the excess was stopped early
    # The long query holds one worker at most, so lookups find the other: answered, or at worst
    # shed with a Retry-After, never left waiting.
    assert all(r.status == 200 or shed_properly(r) for r in lookup_replies), lookup_replies
    assert any(r.status == 200 for r in lookup_replies), lookup_replies


def test_a_query_that_needs_too_much_memory_is_stopped(tiny: LiveServer) -> None:
    reply = ask(tiny, HUNGRY)
    assert shed_properly(reply), reply
    assert "memory" in reply.text or "time limit" in reply.text


def test_the_server_answers_normally_afterwards(tiny: LiveServer) -> None:
    reply = ask(tiny, LABEL)
    assert reply.status == 200, reply
    rows = parse_query_results(reply.text.encode(), format=QueryResultsFormat.JSON)
    assert [r["label"].value for r in rows] == ["Iran"]
