"""Property-based tests of the query guard, with pyoxigraph itself as the oracle.

Hypothesis writes queries and updates that reach a canary HTTP server on 127.0.0.1 in every
spelling SPARQL allows (prefixed names, BASE, codepoint escapes, variables, SILENT, odd case,
comments between keywords, and keywords glued to what precedes and follows them, with no
space: ``SERVICE:x``, ``SERVICESILENT<x>``, ``?o trueSERVICE:x``, ``PREFIX:<x>``)
at every nesting (OPTIONAL, UNION, MINUS, EXISTS, subqueries, GRAPH),
among decoys (the words inside comments, strings and IRIs). Each text is run *unguarded* in a
fresh pyoxigraph store: whenever that reaches the canary, the guard must have refused the text.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pyoxigraph import NamedNode, Quad, QueryBoolean, Store

from server.guard import GuardError, check, shape
from tests.canary import Canary, canary

# An operator's allowlist: a closed port (pyoxigraph will not even call port 9), so that the
# guard's reading of prefixes and bases, not only of keywords, is what the oracle checks.
ALLOWED = "http://127.0.0.1:9/allowed/"


@pytest.fixture(scope="module")
def bird() -> Iterator[Canary]:
    with canary() as running:
        yield running


def _escaped(text: str) -> str:
    return "".join(f"\\u{ord(c):04X}" for c in text)


@st.composite
def targets(draw: st.DrawFn, base: str) -> tuple[str, str]:
    """A (prologue, term) pair naming a resource of the canary."""
    local = draw(st.sampled_from(["x", "sparql", "a-b", "data.ttl"]))
    port_and_path = base.removeprefix("http://")
    forms = [
        ("", f"<{base}{local}>"),
        (f"PREFIX c: <{base}>\n", f"c:{local}"),
        (f"PREFIX : <{base}>\n", f":{local}"),
        (f"BASE <{base}>\n", f"<{local}>"),
        ("BASE <http://127.0.0.1/>\n", f"<//{port_and_path}{local}>"),
        ("", f"<{base}{_escaped(local)}>"),
        (f"PREFIX c: <{base}>\n", f"c:{local[0]}\\-{local[1:]}"),
        (f"PREFIX c: <{base}>\n", f"c:%41{local}"),
        (f"PREFIX c:<{base}>#no space\n", f"c:{local}"),
        (f"PREFIX:<{base}>\n", f":{local}"),
        (f"prefix:<{base}>", f":{local}"),
        (f"PREFIX : <http://allowed.example/> PREFIX:<{base}>\n", f":{local}"),
        # An allowed prefix or base first, then redeclared in ways a reader may miss.
        (f'PREFIX : <{ALLOWED}> VERSION "1.2" PREFIX : <{base}>\n', f":{local}"),
        (f'BASE <{ALLOWED}> VERSION"1.2"BASE <{base}>\n', f"<{local}>"),
        (f"PREFIX : <{ALLOWED}> PREFIX \u017filent: <{base}>\n", f"\u017filent:{local}"),
        (f"BASE <{base}x//../{ALLOWED.split('/', 3)[3]}>\n", f"<{local}>"),
        (f"BASE <{ALLOWED}>\n", f"<http:{base.removeprefix('http:')}{local}>"),
    ]
    return draw(st.sampled_from(forms))


def keywords(word: str) -> st.SearchStrategy[str]:
    return st.sampled_from(
        [word, word.lower(), word.title(), word[0] + word[1:].lower(), _escaped(word[0]) + word[1:]]
    )


separators = st.sampled_from([" ", "\n", "\t", " #c\n", "\r\n  ", "\r", " #c\r", "#c\r\n", "#>\n"])
# pyoxigraph reads a keyword where its letters start, with nothing between it and what follows
# (SERVICE:x, SERVICESILENT<x>), and after a literal glued to it (?o trueSERVICE:x).
glue = st.one_of(st.just(""), separators)
leads = st.sampled_from(
    [
        "",
        "?a ?b true",
        "?a ?b false",
        "?a ?b 1e5",
        "?a ?b 7",
        "?a ?b 1.5",
        "# a comment ends at CR\r",
        "BIND(1 AS ?lt) FILTER(?lt<?lt)",  # then SERVICE:x#> reads as an IRI to a careless reader
    ]
)
decoys = st.sampled_from(
    [
        "",
        "# SERVICE <{base}x> {{ }}\n",
        'FILTER("SERVICE <{base}x>" != "")',
        "FILTER('''LOAD <{base}x>\nSERVICE''' != \"\")",
        "BIND(<urn:SERVICE:{{}}> AS ?decoy)",
        '?s <urn:p> "a # not a comment" .',
        "BIND('\\u0027' AS ?decoy)",  # an escaped quote inside a string stays inside it
        'BIND("\\u005C" AS ?decoy)',
    ]
)
# Texts that read one way to a tokenizer that undoes escapes everywhere, or takes "<" in an
# expression for an IRI's start, and another way to pyoxigraph: what follows must still be seen.
desyncs = st.sampled_from(
    [
        "# \\u000A '''\n",  # an escaped line feed in a comment, then a long string's opener
        "\n# '''\n",
        "BIND((1<2&&'>#'='') AS ?lt)",
        "BIND((1<2&&'>'='>') AS ?lt)",
        "BIND('a\\u0022b' AS ?decoy)",
        "VALUES ?q {{ QQQq' }}".replace("QQQ", "'" * 3),  # a long string that a bad escape ends...
        "#\\qQQQ\n".replace("QQQ", "'" * 3),  # ...here, to a reader that takes any escape
    ]
)


@st.composite
def services(draw: st.DrawFn, base: str) -> tuple[str, str]:
    """A (prologue, pattern) pair: a SERVICE call on the canary, maybe through a variable."""
    prologue, term = draw(targets(base))
    silent = draw(st.sampled_from(["", "SILENT", "silent"]))
    keyword = draw(keywords("SERVICE"))
    space, space_after = draw(glue), draw(glue)
    lead = draw(leads)
    inner = draw(st.sampled_from(["{ ?s ?p ?o }", "{?s ?p ?o}"]))
    if draw(st.booleans()):
        binding = draw(st.sampled_from(["VALUES ?svc {{ {t} }}", "BIND({t} AS ?svc)"])).format(t=term)
        return prologue, f"{binding} {lead}{keyword}{space}{silent}{space_after}?svc {inner}"
    return prologue, f"{lead}{keyword}{space}{silent}{space_after}{term}{draw(glue)}{inner}"


def nest(pattern: str, wrapping: str) -> str:
    return {
        "plain": pattern,
        "group": f"{{ {pattern} }}",
        "optional": f"OPTIONAL {{ {pattern} }}",
        "union": f"{{ }} UNION {{ {pattern} }}",
        "minus": f"?a ?b ?c MINUS {{ {pattern} }}",
        "exists": f"FILTER EXISTS {{ {pattern} }}",
        "not exists": f"FILTER NOT EXISTS {{ {pattern} }}",
        "subquery": f"{{ SELECT * WHERE {{ {pattern} }} }}",
        "graph": f"GRAPH ?g {{ {pattern} }}",
    }[wrapping]


wrappings = st.sampled_from(
    ["plain", "group", "optional", "union", "minus", "exists", "not exists", "subquery", "graph"]
)
forms = st.sampled_from(
    [
        "SELECT * WHERE {{ {body} }}",
        "ASK {{ {body} }}",
        "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {body} }}",
        "INSERT {{ <urn:a> <urn:b> <urn:c> }} WHERE {{ {body} }}",
        "DELETE {{ ?s ?p ?o }} WHERE {{ {body} }}",
    ]
)


@st.composite
def requests(draw: st.DrawFn, base: str) -> str:
    """A query or update that calls the canary unless the guard stops it."""
    if draw(st.integers(0, 5)) == 0:
        prologue, term = draw(targets(base))
        keyword = draw(keywords("LOAD"))
        silent = draw(st.sampled_from(["", " SILENT", "SILENT", "silent"]))
        into = draw(st.sampled_from(["", " INTO GRAPH <urn:g>", " into graph <urn:g>"]))
        return f"{prologue}{keyword}{silent}{draw(glue)}{term}{into}"
    prologue, pattern = draw(services(base))
    for _ in range(draw(st.integers(0, 3))):
        pattern = nest(pattern, draw(wrappings))
    before, after = (draw(st.one_of(decoys, desyncs)).format(base=base) for _ in range(2))
    body = f"{before} {pattern} {after}"
    return prologue + draw(forms).format(body=body)


def _run_unguarded(text: str) -> None:
    """Run ``text`` as a query, or else as an update, on a store of one triple (so that
    OPTIONAL, MINUS and EXISTS have something to evaluate against)."""
    store = Store()
    store.add(Quad(NamedNode("urn:a"), NamedNode("urn:b"), NamedNode("urn:c")))
    try:
        answer = store.query(text)
        if not isinstance(answer, QueryBoolean):
            list(answer)  # solutions and triples are computed as they are read
    except SyntaxError:
        try:
            store.update(text)
        except (SyntaxError, OSError, RuntimeError):
            pass  # what pyoxigraph cannot parse or run still counts if it reached the canary
    except (OSError, RuntimeError):
        pass


def _refused(text: str) -> bool:
    try:
        check(shape(text), (), [ALLOWED])
    except GuardError:
        return True
    return False


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_nothing_the_guard_lets_through_reaches_the_network(bird: Canary, data: st.DataObject) -> None:
    text = data.draw(requests(bird.url), label="request")
    refused = _refused(text)
    bird.take()
    _run_unguarded(text)
    hits = bird.take()
    event("reached the canary unguarded" if hits else "stayed home unguarded")
    assert refused or not hits, f"the guard let through a request to {hits}"


@settings(max_examples=100, deadline=None)
@given(st.lists(decoys, min_size=1, max_size=4), forms)
def test_the_words_in_comments_strings_and_iris_are_not_refused(chosen: list[str], form: str) -> None:
    text = form.format(body=" ".join(d.format(base="http://127.0.0.1:9/") for d in chosen))
    assert not _refused(text), text


def test_the_oracle_sees_a_plain_service_call(bird: Canary) -> None:
    """Without the guard, pyoxigraph really does call out: the property above is not vacuous."""
    bird.take()
    _run_unguarded(f"SELECT * WHERE {{ SERVICE SILENT <{bird.url}x> {{ ?s ?p ?o }} }}")
    assert [hit.split()[1] for hit in bird.take()] == ["/x"]
