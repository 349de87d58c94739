"""Finding 5 of the attack run: ``ASK { <urn:s> <urn:p> 1, 1, … }`` with a million objects,
or a 500,000-item collection, passed the guard and killed the query worker.

pyoxigraph plans a group of triple patterns in time that grows with the square of their
number, and a collection's chain of blank nodes faster still, until its stack overflows. The
guard now refuses such shapes with a 400 that names the limit, while the largest request
within each limit is answered, and the workers stay up throughout.
"""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

import pytest

from graph.sandbox import SandboxedStore, WorkerCrashed
from server.guard import MAX_COLLECTION, MAX_PATTERNS
from tests.attacks.client import call
from tests.servers import LiveServer

HOSTILE = {
    "a million objects": ("ASK { <urn:s> <urn:p> " + ", ".join(["1"] * 1_000_000) + " }", "triple patterns"),
    "a 500,000-item collection": ("ASK { <urn:s> <urn:p> (" + " 1" * 500_000 + " ) }", "collection"),
    "10,000 triples": ("ASK { " + " . ".join(["<urn:s> <urn:p> 1"] * 10_000) + " }", "triple patterns"),
    "10,000 predicates": ("ASK { <urn:s> " + " ; ".join(["<urn:p> 1"] * 10_000) + " }", "triple patterns"),
    "collections of collections": ("ASK { <urn:s> <urn:p> (" + " (1 2)" * 600 + " ) }", "collection"),
    "many short collections": (
        "ASK { " + " ".join(["<urn:s> <urn:p> (1 2 3) ."] * 300) + " }",
        "triple patterns",
    ),
}
WITHIN = {
    "objects": "ASK { <urn:s> <urn:p> " + ", ".join(["1"] * MAX_PATTERNS) + " }",
    "collection": "ASK { <urn:s> <urn:p> (" + " 1" * MAX_COLLECTION + " ) }",
}


def _ask(server: LiveServer, query: str) -> tuple[int, str]:
    reply = call(
        "POST", server.sparql, query, Content_Type="application/sparql-query", Accept="application/json"
    )
    return reply.status, reply.text


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_query_shapes_are_refused_naming_the_limit(server: LiveServer, name: str) -> None:
    query, limit = HOSTILE[name]
    status, text = _ask(server, query)
    assert status == 400, text
    assert limit in text and "at most" in text, text


@pytest.mark.parametrize("name", list(WITHIN))
def test_the_largest_query_within_each_limit_is_answered(server: LiveServer, name: str) -> None:
    status, text = _ask(server, WITHIN[name])
    assert status == 200, text
    assert json.loads(text)["boolean"] is False


def test_the_workers_survive_them_all(server: LiveServer) -> None:
    for query, _ in HOSTILE.values():
        _ask(server, query)
    url = f"{server.sparql}?{urllib.parse.urlencode({'query': 'ASK { ?s ?p ?o }'})}"
    reply = call("GET", url, Accept="application/json")
    assert reply.status == 200 and json.loads(reply.text)["boolean"] is True
    assert "worker died" not in server.log.read_text()


def test_a_query_that_crashes_its_worker_gets_a_clear_answer(tmp_path: Path) -> None:
    """Behind the guard: a shape that overflows the worker's stack, sent to the store
    unguarded, is reported as the request's doing, and the next query is answered."""
    store = SandboxedStore(tmp_path / "store", workers=1, timeout=60)
    try:
        with pytest.raises(WorkerCrashed, match="SIGSEGV"):
            store.answer("ASK { <urn:s> <urn:p> (" + " 1" * 300_000 + " ) }")
        assert store.answer("ASK { }").data is True
    finally:
        store.close()
