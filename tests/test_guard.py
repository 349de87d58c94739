"""The query guard: what reaches outside the store is refused before anything runs."""

from __future__ import annotations

import pytest

from server.guard import GuardError, check, shape

STORE = {"http://example.org/g"}

REFUSED = [
    ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", "SERVICE"),
    ("SELECT * WHERE { service silent <http://127.0.0.1:9/> { ?s ?p ?o } }", "SERVICE"),
    ("SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }", "SERVICE"),
    (
        "PREFIX e: <http://127.0.0.1:9/> SELECT * WHERE { SERVICE e:sparql { } }",
        "SERVICE <http://127.0.0.1:9/sparql>",
    ),
    # pyoxigraph undoes codepoint escapes in strings and IRIs only: this is no keyword to it.
    (r"SELECT * WHERE { \u0053ERVICE <http://127.0.0.1:9/> { } }", "backslash"),
    (r"SELECT * WHERE { SERVICE <http://127.0.0.1:9/\u0061> { } }", "SERVICE <http://127.0.0.1:9/a>"),
    ("SELECT * FROM <http://127.0.0.1:9/data.ttl> WHERE { ?s ?p ?o }", "not in the store"),
    ("SELECT * FROM NAMED <file:///etc/passwd> WHERE { GRAPH ?g { ?s ?p ?o } }", "not in the store"),
    ("BASE <http://127.0.0.1:9/> SELECT * FROM <data> WHERE { ?s ?p ?o }", "http://127.0.0.1:9/data"),
    ("LOAD <http://127.0.0.1:9/data.ttl>", "LOAD"),
    ("LOAD SILENT <file:///etc/passwd> INTO GRAPH <http://example.org/g>", "LOAD"),
    ("SELECT * WHERE " + "{" * 100 + "}" * 100, "nests more than 64 levels"),
    # A name with an escaped "#" must not turn the rest of its line into a comment.
    (
        "PREFIX ex: <http://example.org/> SELECT * WHERE { ex:a\\#b ?p ?o SERVICE <http://127.0.0.1:9/> {} }",
        "SERVICE",
    ),
    (
        "PREFIX ex: <http://example.org/> SELECT * WHERE { ex:a%23b ?p ?o SERVICE <http://127.0.0.1:9/> {} }",
        "SERVICE",
    ),
    (
        'PREFIX ex: <http://example.org/> SELECT * WHERE { ex:a\\\' ?p "x" '
        "SERVICE <http://127.0.0.1:9/> {} }",
        "SERVICE",
    ),
    ("SELECT * WHERE { ?s ?p ?o } \\ # SERVICE <http://127.0.0.1:9/>", "backslash"),
    ("SELECT * WHERE { ?x#y\n SERVICE <http://127.0.0.1:9/> {} }", "SERVICE"),
    ("ASK { FILTER(" + "(" * 80 + "1" + ")" * 80 + ") }", "nests"),
]

ALLOWED = [
    "SELECT * WHERE { ?service ?from ?load }",
    "SELECT * WHERE { ?s <http://example.org/SERVICE> 'SERVICE <http://x/>' }",
    'SELECT * WHERE { ?s ?p """FROM <http://x/>\nLOAD <http://y/>""" } # SERVICE <http://z/>',
    "PREFIX ex: <http://example.org/> SELECT * WHERE { ?s ex:service ex:load }",
    "SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }",
    "SELECT * WHERE { ?a ?b ?c FILTER(?a < ?b && ?c > 3) }",
    "INSERT DATA { <http://a> <http://b> 'LOAD <http://evil/>' }",
]


@pytest.mark.parametrize(("text", "message"), REFUSED)
def test_refused(text: str, message: str) -> None:
    with pytest.raises(GuardError) as raised:
        check(shape(text), STORE)
    assert message in str(raised.value)


@pytest.mark.parametrize("text", ALLOWED)
def test_allowed(text: str) -> None:
    check(shape(text), STORE)


def test_allowlist_lets_named_services_through() -> None:
    found = shape("SELECT * WHERE { SERVICE <https://query.wikidata.org/sparql> { } }")
    check(found, STORE, allowed=["https://query.wikidata.org/"])
    with pytest.raises(GuardError):
        check(found, STORE, allowed=["https://example.org/"])


@pytest.mark.parametrize(
    ("service", "prefix", "let_in"),
    [
        ("https://query.wikidata.org/sparql", "https://query.wikidata.org", True),
        ("https://query.wikidata.org", "https://query.wikidata.org", True),
        ("https://query.wikidata.org.evil.example/sparql", "https://query.wikidata.org", False),
        ("https://query.wikidata.orgy/", "https://query.wikidata.org", False),
        ("https://a.example/sparql-evil", "https://a.example/sparql", False),
        ("https://a.example/sparql?x=1", "https://a.example/sparql", True),
    ],
)
def test_an_allowed_prefix_ends_at_a_boundary(service: str, prefix: str, let_in: bool) -> None:
    found = shape(f"SELECT * WHERE {{ SERVICE <{service}> {{ }} }}")
    if let_in:
        check(found, STORE, allowed=[prefix])
    else:
        with pytest.raises(GuardError):
            check(found, STORE, allowed=[prefix])


def test_protocol_graphs_must_be_in_the_store() -> None:
    check(shape("ASK {}"), STORE, protocol_graphs=["http://example.org/g"])
    with pytest.raises(GuardError, match="not in the store"):
        check(shape("ASK {}"), STORE, protocol_graphs=["http://127.0.0.1:9/other"])


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("PREFIX a: <http://a/> select * {}", "SELECT"),
        ("# SELECT\nASK {}", "ASK"),
        ("BASE <http://x/> CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "CONSTRUCT"),
        ("DESCRIBE <http://x/>", "DESCRIBE"),
        ("INSERT DATA { <a> <b> <c> }", None),
    ],
)
def test_query_form(text: str, form: str | None) -> None:
    assert shape(text).form == form
