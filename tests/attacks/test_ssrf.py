"""Finding 1 of the attack run: a keyword glued to its target (``SERVICE:x``) was read as a
prefixed name by the guard and as the keyword by pyoxigraph, so an anonymous query made the
worker call any URL and hand the answer back.

Now the guard reads keywords where the engine does, and, behind it, the store workers cannot
open a network connection at all (``graph.offline``); allowlist entries are matched on the IRI
the engine would call, and no error text names an internal address.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from graph.sandbox import OutboundFailed, SandboxedStore
from graph.worker import UpdateJob
from tests.attacks.client import Reply, call, size, update
from tests.canary import Canary
from tests.servers import LiveServer, eurasia_kg, free_port

# Each names the canary through the prologue "PREFIX : <canary/> PREFIX c: <canary/>".
GLUED = {
    "colon": "SERVICE:sparql {{ ?s ?p ?o }}",
    "colon-silent": "SERVICE SILENT:sparql {{ ?s ?p ?o }}",
    "silent-glued": "SERVICESILENT<{c}sparql> {{ ?s ?p ?o }}",
    "prefix-glued": "SERVICEc:sparql {{ ?s ?p ?o }}",
    "all-glued": "SERVICESILENTc:sparql{{?s ?p ?o}}",
    "odd-case": "sErViCe:sparql {{ ?s ?p ?o }}",
    "escaped-iri": r"SERVICE<{c}sp\u0061rql>{{ ?s ?p ?o }}",
    "after-boolean": "?a ?b trueSERVICE:sparql {{ ?s ?p ?o }}",
    "after-double": "?a ?b 1e5SERVICE:sparql {{ ?s ?p ?o }}",
    "iri-glued": "SERVICE<{c}sparql>{{ ?s ?p ?o }}",
    "after-a-comment-ended-by-cr": "# a comment\rSERVICE <{c}sparql> {{ ?s ?p ?o }}",
    "comment-ended-by-cr-between": "SERVICE # a comment\r<{c}sparql> {{ ?s ?p ?o }}",
}
WRAPPED = {
    "select": "SELECT * WHERE {{ {p} }}",
    "ask": "ASK {{ {p} }}",
    "construct": "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {p} }}",
    "describe": "DESCRIBE ?s WHERE {{ {p} }}",
    "subquery": "SELECT * WHERE {{ {{ SELECT * WHERE {{ {p} }} }} }}",
    "optional": "SELECT * WHERE {{ OPTIONAL {{ {p} }} }}",
    "union": "SELECT * WHERE {{ {{ }} UNION {{ {p} }} }}",
    "minus": "SELECT * WHERE {{ ?a ?b ?c MINUS {{ {p} }} }}",
    "exists": "ASK {{ FILTER EXISTS {{ {p} }} }}",
    "not-exists": "ASK {{ FILTER NOT EXISTS {{ {p} }} }}",
}


def _query(server: LiveServer, how: str, query: str) -> Reply:
    if how == "get":
        return call("GET", f"{server.sparql}?{urllib.parse.urlencode({'query': query})}")
    if how == "form":
        body = urllib.parse.urlencode({"query": query})
        return call("POST", server.sparql, body, Content_Type="application/x-www-form-urlencoded")
    return call("POST", server.sparql, query, Content_Type="application/sparql-query")


def _prologue(bird: Canary) -> str:
    return f"PREFIX : <{bird.url}> PREFIX c: <{bird.url}>\n"


@pytest.mark.parametrize("form", list(WRAPPED))
@pytest.mark.parametrize("spelling", list(GLUED))
def test_service_glued_to_its_target_reaches_nothing(
    server: LiveServer, bird: Canary, spelling: str, form: str
) -> None:
    pattern = GLUED[spelling].format(c=bird.url)
    query = _prologue(bird) + WRAPPED[form].format(p=pattern)
    for how in ["get", "form", "direct"]:
        reply = _query(server, how, query)
        assert reply.status == 400, (how, query, reply.text)
        assert f"SERVICE <{bird.url}sparql> is refused" in reply.text, reply.text


# Found by the second outside re-test: texts the guard read apart from pyoxigraph, which
# undoes codepoint escapes only inside strings and IRIs and reads "<" in an expression as
# less-than. Each hides the SERVICE after it from a tokenizer that reads them otherwise.
DESYNCS = {
    "escaped-quote": "BIND('\\u0027' AS ?a) SERVICE <{c}sparql> {{ }} BIND('x' AS ?b)",
    "escaped-backslash": 'BIND("\\u005C" AS ?a) SERVICE <{c}sparql> {{ }} BIND("x" AS ?b)',
    "escaped-line-feed-in-a-comment": "# \\u000A QQQ\n SERVICE <{c}sparql> {{ }}\n# QQQ\n",
    "less-than-then-a-comment": "BIND((1<2&&'>#'='') AS ?q) SERVICE <{c}sparql> {{ }}",
    "less-than-then-a-string": "BIND((1<2&&'>'='>') AS ?q) SERVICE <{c}sparql> {{ }} BIND('x' AS ?z)",
}


@pytest.mark.parametrize("name", list(DESYNCS))
def test_escapes_and_less_than_signs_hide_no_service(server: LiveServer, bird: Canary, name: str) -> None:
    query = "SELECT * WHERE { " + DESYNCS[name].format(c=bird.url).replace("QQQ", "'" * 3) + " }"
    for how in ["get", "form", "direct"]:
        reply = _query(server, how, query)
        assert reply.status == 400, (how, query, reply.text)


@pytest.mark.parametrize(
    "text",
    [
        "LOAD:data.ttl",
        "LOADSILENT<{c}data.ttl>",
        "load silent:data.ttl INTO GRAPH <http://example.org/attack>",
        "INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE:sparql {{ ?s ?p ?o }} }}",
        "DELETE {{ ?s ?p ?o }} WHERE {{ SERVICEc:sparql {{ ?s ?p ?o }} }}",
    ],
)
def test_load_and_update_glued_to_their_target_reach_nothing(
    server: LiveServer, bird: Canary, text: str
) -> None:
    before = size(server)
    reply = update(server, _prologue(bird) + text.format(c=bird.url))
    assert reply.status == 400, reply.text
    assert "refused" in reply.text
    assert size(server) == before


@dataclass
class Allowing:
    server: LiveServer
    allowed: str  # the one prefix SERVICE may call


@pytest.fixture(scope="module")
def allowing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Allowing]:
    """A server whose operator allows one SERVICE endpoint: not the canary, but a closed port
    of this machine, so that a call let through fails and its error text can be read."""
    allowed = f"http://127.0.0.1:{free_port()}/allowed/"
    with eurasia_kg(tmp_path_factory.mktemp("allowing"), allowed_services=allowed) as live:
        yield Allowing(live, allowed)


def test_the_allowlist_is_matched_after_prefix_expansion(allowing: Allowing, bird: Canary) -> None:
    """``PREFIX : <allowed/> PREFIX:<evil/>`` redeclares ``:``, glued: the guard must check the
    IRI the engine calls, the canary's, not the allowed one."""
    allowed = allowing.allowed
    for glue in ["PREFIX:", "PREFIX :", "prefix:"]:
        query = f"PREFIX : <{allowed}> {glue}<{bird.url}> SELECT * WHERE {{ SERVICE :sparql {{ ?s ?p ?o }} }}"
        reply = _query(allowing.server, "get", query)
        assert reply.status == 400, (glue, reply.text)
        assert f"SERVICE <{bird.url}sparql> is refused" in reply.text


# Found by the third outside re-test. Each mattered only with an allowlist, where the workers
# keep the network and the guard alone decides: {allowed} is the allowed prefix, {evil} the
# canary's, {dotted} a base whose dot segments the engine sends as written.
ALLOWLIST_DESYNCS = {
    "less-than-then-a-comment": "PREFIX : <{evil}> SELECT * {{ BIND(1 AS ?a) BIND(2 AS ?b) "
    "FILTER(?a<?b)SERVICE:x#>\n{{}} }}",
    "long-string-with-a-bad-escape": "SELECT * {{ VALUES ?x {{ QQQx' }} SERVICE <{evil}x> {{ }} #\\qQQQ\n}}",
    "two-dot-groups-in-a-name": "PREFIX ex: <http://x/> PREFIX : <{evil}> "
    "SELECT * {{ ?s ?p ex:a.b.SERVICE:x{{}} }}",
    "version-then-prefix": 'PREFIX : <{allowed}> VERSION "1.2" PREFIX : <{evil}> '
    "SELECT * {{ SERVICE :x {{}} }}",
    "version-then-base": 'BASE <{allowed}> VERSION "1.2" BASE <{evil}> SELECT * {{ SERVICE <x> {{}} }}',
    "base-with-dot-segments": "BASE <{dotted}> SELECT * {{ SERVICE <x> {{}} }}",
    "long-s-for-silent": "PREFIX : <{allowed}> PREFIX \u017filent: <{evil}> "
    "SELECT * {{ SERVICE \u017filent:x {{}} }}",
    "dotless-i-for-silent": "PREFIX : <{allowed}> PREFIX s\u0131lent: <{evil}> "
    "SELECT * {{ SERVICE s\u0131lent:x {{}} }}",
    "http-without-slashes": "BASE <{allowed}> SELECT * {{ SERVICE <http:{evil_rest}x> {{}} }}",
}


@pytest.mark.parametrize("name", list(ALLOWLIST_DESYNCS))
def test_what_the_engine_reads_apart_is_refused_under_an_allowlist(
    allowing: Allowing, bird: Canary, name: str
) -> None:
    allowed = allowing.allowed
    text = (
        ALLOWLIST_DESYNCS[name]
        .replace("QQQ", "'" * 3)
        .format(
            allowed=allowed,
            evil=f"{bird.url}evil/",
            dotted=allowed.replace("/allowed/", "/evil//../allowed/"),
            evil_rest=f"{bird.url}evil/".removeprefix("http:"),
        )
    )
    reply = _query(allowing.server, "direct", text)
    assert reply.status == 400, (text, reply.text)
    assert "is refused" in reply.text or "reads both" in reply.text, reply.text


def test_dot_segments_do_not_leave_the_allowed_prefix(allowing: Allowing, bird: Canary) -> None:
    """Found by the outside re-test: ``<allowed/../evil>`` began with the allowed prefix, and a
    server that resolves dot segments would serve what is not allowed."""
    allowed = allowing.allowed
    for target in ["../evil", "%2e%2e/evil", ".%2E/evil", "./../evil", ".."]:
        for query in [
            f"SELECT * WHERE {{ SERVICE <{allowed}{target}> {{ ?s ?p ?o }} }}",
            f"PREFIX a: <{allowed}{target}/> SELECT * WHERE {{ SERVICE a:x {{ ?s ?p ?o }} }}",
        ]:
            reply = _query(allowing.server, "get", query)
            assert reply.status == 400, (query, reply.text)
            assert "is refused" in reply.text


def test_an_allowed_service_that_fails_names_no_internal_address(allowing: Allowing) -> None:
    allowed = allowing.allowed
    reply = _query(allowing.server, "get", f"SELECT * WHERE {{ SERVICE <{allowed}sparql> {{ ?s ?p ?o }} }}")
    assert reply.status == 502, reply.text
    port = urllib.parse.urlsplit(allowed).port
    for secret in ["127.0.0.1", str(port), "os error", "refused", "Connection"]:
        assert secret not in reply.text, reply.text
    silent = _query(
        allowing.server, "get", f"SELECT * WHERE {{ SERVICE SILENT <{allowed}sparql> {{ ?s ?p ?o }} }}"
    )
    assert silent.status == 200, silent.text  # SILENT: one empty solution, as SPARQL 1.1 says


def test_store_workers_cannot_open_a_network_connection(tmp_path: Path, bird: Canary) -> None:
    """Unguarded, straight to the sandbox: SERVICE and LOAD fail inside the worker, and the
    canary never hears of them; SERVICE SILENT gives its one empty solution."""
    store = SandboxedStore(tmp_path / "store", workers=1, timeout=20)
    try:
        with pytest.raises(OutboundFailed):
            store.answer(f"SELECT * WHERE {{ SERVICE <{bird.url}sparql> {{ ?s ?p ?o }} }}")
        silent = store.answer(f"SELECT * WHERE {{ SERVICE SILENT <{bird.url}sparql> {{ ?s ?p ?o }} }}")
        solutions = list(silent.result())  # type: ignore[arg-type]
        assert len(solutions) == 1 and all(solutions[0][v] is None for v in ("s", "p", "o"))
        with pytest.raises(OutboundFailed):
            store.write(UpdateJob(f"LOAD <{bird.url}data.ttl>"))
        assert len(store) == 0
    finally:
        store.close()
    assert bird.take() == []


def test_the_network_test_is_not_vacuous(tmp_path: Path, bird: Canary) -> None:
    """With ``network`` (an operator's allowlist), the same worker does reach the canary."""
    store = SandboxedStore(tmp_path / "store", workers=1, timeout=20, network=True)
    try:
        store.answer(f"SELECT * WHERE {{ SERVICE SILENT <{bird.url}sparql> {{ ?s ?p ?o }} }}")
    finally:
        store.close()
    assert [hit.split()[1] for hit in bird.take()] == ["/sparql"]
