"""Kept answers: served again until a write, never in the wrong format, never from a remote
store that may have changed behind the server's back."""

from __future__ import annotations

import urllib.parse
import urllib.request
from collections.abc import Iterator
from email.message import Message

import pytest

from server.sparql import CACHE, TRUNCATED
from tests.servers import TOKEN, LiveServer, eurasia_kg

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <http://example.org/cache> { ?s ?p ?o } }"
TURTLE = "text/turtle"


def ask(
    server: LiveServer,
    query: str,
    accept: str = "text/csv",
    headers: dict[str, str] | None = None,
    post: bool = False,
) -> tuple[str, str, Message]:
    """The body, the media type and the headers of the answer to ``query`` (GET, or a form POST)."""
    form = urllib.parse.urlencode({"query": query})
    url, data = (server.sparql, form.encode()) if post else (f"{server.sparql}?{form}", None)
    request = urllib.request.Request(url, data=data, headers={"Accept": accept, **(headers or {})})  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
        return response.read().decode(), response.headers.get_content_type(), response.headers


def put(url: str, triples: str, token: str | None = TOKEN) -> None:
    headers = {"Content-Type": TURTLE, **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(url, data=triples.encode(), method="PUT", headers=headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=60):  # noqa: S310 - loopback
        pass


def triples(n: int) -> str:
    return "".join(f"<http://example.org/s{i}> <http://example.org/p> {i} .\n" for i in range(n))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with eurasia_kg(tmp_path_factory.mktemp("cache"), result_limit="3") as live:
        yield live


def test_an_answer_is_kept_until_a_write(server: LiveServer) -> None:
    graph = f"{server.store}?graph=http://example.org/cache"
    put(graph, triples(2))
    answers = [ask(server, COUNT) for _ in range(2)]
    assert [body.split() for body, _, _ in answers] == [["n", "2"]] * 2
    assert [headers.get(CACHE) for _, _, headers in answers] == ["miss", "hit"]
    put(graph, triples(1))
    body, _, headers = ask(server, COUNT)
    assert (body.split(), headers.get(CACHE)) == (["n", "1"], "miss")


def test_a_query_that_may_answer_differently_is_never_kept(server: LiveServer) -> None:
    query = "SELECT (STRUUID() AS ?id) (NOW() AS ?t) WHERE {}"
    first, second = ask(server, query), ask(server, query)
    assert first[0] != second[0]
    assert first[2].get(CACHE) == second[2].get(CACHE) == "miss"


def test_each_format_is_kept_apart(server: LiveServer) -> None:
    csv_body, csv_type, _ = ask(server, COUNT, "text/csv")
    json_body, json_type, _ = ask(server, COUNT, "application/sparql-results+json")
    assert (csv_type, json_type) == ("text/csv", "application/sparql-results+json")
    assert ask(server, COUNT, "text/csv")[0] == csv_body
    assert ask(server, COUNT, "application/sparql-results+json")[0] == json_body


def test_a_kept_answer_still_says_it_was_cut_short(server: LiveServer) -> None:
    query = "SELECT ?s WHERE { ?s ?p ?o }"
    first, second = ask(server, query)[2], ask(server, query)[2]
    assert first.get(TRUNCATED) == second.get(TRUNCATED) == "limit=3"


def test_a_remote_store_changed_behind_the_server_is_seen(tmp_path_factory: pytest.TempPathFactory) -> None:
    with eurasia_kg(tmp_path_factory.mktemp("remote"), "oxigraph") as live:
        assert ask(live, COUNT)[0].split() == ["n", "0"]
        # Written to the oxigraph server itself, not through eurasia-kg.
        oxigraph_store = live.location.split("/query")[0] + "/store"
        put(f"{oxigraph_store}?graph=http://example.org/cache", triples(2), token=None)
        body, _, headers = ask(live, COUNT)
        assert (body.split(), headers.get(CACHE)) == (["n", "2"], "miss")


def test_a_replayed_answer_is_the_kept_one_again(server: LiveServer) -> None:
    """The third ask is replayed in front of the app (server.replay): the same bytes and headers."""
    query = "SELECT ?n WHERE { VALUES ?n { 1 2 } }"
    answers = [ask(server, query) for _ in range(3)]
    assert [a[2].get(CACHE) for a in answers] == ["miss", "hit", "hit"]
    assert answers[0][0] == answers[1][0] == answers[2][0]
    kept, replayed = ({(k.lower(), v) for k, v in a[2].items() if k.lower() != "date"} for a in answers[1:])
    assert kept == replayed


def test_posted_queries_are_kept_too(server: LiveServer) -> None:
    query = "SELECT ?n WHERE { VALUES ?n { 3 } }"
    first, second = ask(server, query, post=True), ask(server, query, post=True)
    assert first[0] == second[0]
    assert (first[2].get(CACHE), second[2].get(CACHE)) == ("miss", "hit")


def test_the_endpoints_own_address_is_part_of_the_key(server: LiveServer) -> None:
    """A relative IRI resolves against the endpoint's URL, so an answer asked through another
    host name is another answer."""
    query = 'SELECT (IRI("x") AS ?i) WHERE {}'
    here = ask(server, query, headers={"Host": "here.example"})
    there = ask(server, query, headers={"Host": "there.example"})
    again = ask(server, query, headers={"Host": "here.example"})
    assert "here.example" in here[0] and "there.example" in there[0]
    assert (again[0], again[2].get(CACHE)) == (here[0], "hit")


def test_replayed_answers_keep_their_cors_headers(server: LiveServer) -> None:
    query = "SELECT ?n WHERE { VALUES ?n { 4 } }"
    answers = [ask(server, query, headers={"Origin": "https://yasgui.example"}) for _ in range(3)]
    assert [a[2].get(CACHE) for a in answers] == ["miss", "hit", "hit"]
    assert {a[2].get("Access-Control-Allow-Origin") for a in answers} <= {"*", "https://yasgui.example"}
    assert all(CACHE in a[2].get("Access-Control-Expose-Headers", "") for a in answers)
