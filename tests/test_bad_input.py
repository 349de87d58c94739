"""Bad input is refused with a clear 400, 413 or 415 and changes nothing (issue 6, point 1).

One ``eurasia-kg serve`` on an embedded store serves the module, with a small request limit
so that an oversized body is cheap to send. Every refused request must leave the store as
it was: ``unchanged`` compares the quad and graph counts (``/health``) after each request,
and the last tests compare a hash of the whole dataset with the one taken at the start and
fetch every export and an entity page.

- The W3C negative syntax tests of RDF 1.1 (Turtle, N-Triples, N-Quads, TriG, RDF/XML;
  ``$EURASIA_KG_SHARED/w3c-rdf-tests/rdf/rdf11``) go to every write path that takes their
  format: PUT and POST /store for the triple formats (the Graph Store Protocol takes no
  quads), and ``eurasia-kg load`` for all five: in-process through ``graph.load`` for each
  file, and as the real command once per suite with every bad file of the suite after a good
  one (nothing may be loaded).
- The SPARQL 1.1 negative syntax tests (``tests.w3c_eval``: the query and update manifests)
  go to /sparql by GET and POST, and the update ones to /update.
- Data that parses but no export could carry (``graph.admission``), non-UTF-8 bodies, wrong
  content types, oversized bodies and pathologically long or nested queries.

Known failures would be listed with their reason in ``tests/w3c/bad-input-known-failures.tsv``
and run as strict xfails; there are none today.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import re
import shutil
import subprocess
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import rdflib
from pyoxigraph import RdfFormat, parse
from rdflib.collection import Collection

from graph import load
from graph.settings import Settings
from graph.store import EmbeddedStore
from tests import w3c_eval as w3c
from tests.conftest import SHARED
from tests.servers import TOKEN, LiveServer, eurasia_kg
from tests.w3c_manifest import send

RDF11 = SHARED / "w3c-rdf-tests" / "rdf" / "rdf11"
SPARQL11 = SHARED / "w3c-rdf-tests" / "sparql" / "sparql11"
KNOWN = w3c.known_failures(Path(__file__).parent / "w3c" / "bad-input-known-failures.tsv")
RDFT = rdflib.Namespace("http://www.w3.org/ns/rdftest#")
SUITES = {
    "rdf-turtle": RdfFormat.TURTLE,
    "rdf-n-triples": RdfFormat.N_TRIPLES,
    "rdf-n-quads": RdfFormat.N_QUADS,
    "rdf-trig": RdfFormat.TRIG,
    "rdf-xml": RdfFormat.RDF_XML,
}
MAX_REQUEST_BYTES = 512 * 1024
EXE = shutil.which("eurasia-kg")

if not (RDF11 / "manifest.ttl").is_file() or not (SPARQL11 / "manifest-sparql11-query.ttl").is_file():
    pytest.skip(f"the W3C test suites are missing: {RDF11.parent.parent}", allow_module_level=True)


@dataclass(frozen=True)
class NegativeRdf:
    """An ``rdft:Test…NegativeSyntax`` or ``…NegativeEval`` entry: a file that must be refused."""

    iri: str
    suite: str
    path: Path

    @property
    def format(self) -> RdfFormat:
        return SUITES[self.suite]


def negative_rdf(suite: str) -> list[NegativeRdf]:
    manifest = RDF11 / suite / "manifest.ttl"
    g = rdflib.Graph().parse(manifest, format="turtle", publicID=manifest.absolute().as_uri())
    found = []
    for entries in g.objects(None, w3c.MF.entries):
        for entry in Collection(g, entries):
            kind = str(g.value(entry, rdflib.RDF.type))
            if kind.startswith(str(RDFT)) and "Negative" in kind:
                action = str(g.value(entry, w3c.MF.action))
                found.append(NegativeRdf(str(entry), suite, w3c.local_path(action)))
    return found


RDF_TESTS = {suite: negative_rdf(suite) for suite in SUITES}
SPARQL_TESTS = [
    t
    for manifest in ("manifest-sparql11-query.ttl", "manifest-sparql11-update.ttl")
    for t in w3c.read_suite(SPARQL11 / manifest)
    if t.kind in {"query-syntax-bad", "update-syntax-bad"}
]
# A NegativeSyntaxTest11 in the update manifest holds an update (.ru), not a query.
QUERY_TESTS = [t for t in SPARQL_TESTS if t.operation.endswith(".rq")]
UPDATE_TESTS = [t for t in SPARQL_TESTS if t.operation.endswith(".ru")]


def cases(tests: list, name=lambda t: t.iri.rsplit("/", 2)[-2] + "/" + t.iri.rsplit("#", 1)[-1]) -> list:
    return [
        pytest.param(
            t,
            id=name(t),
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN[t.iri])] if t.iri in KNOWN else [],
        )
        for t in tests
    ]


# -- the server and its state ------------------------------------------------------------------


@dataclass
class Target:
    server: LiveServer
    health: dict[str, object]
    digest: str


def health(server: LiveServer) -> dict[str, object]:
    answer = w3c.http("GET", server.url + "health")
    assert answer.status == 200, answer.text
    return json.loads(answer.body)


def digest(server: LiveServer) -> str:
    """A hash of the whole dataset: its N-Quads lines, sorted (blank node labels are the
    store's own, stable while the store is unchanged)."""
    answer = w3c.http("GET", server.store, headers={"Accept": "application/n-quads"})
    assert answer.status == 200, answer.text
    return hashlib.sha256(b"\n".join(sorted(answer.body.splitlines()))).hexdigest()


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    with eurasia_kg(
        tmp_path_factory.mktemp("bad-input"),
        "embedded",
        query_timeout="10",
        max_request_bytes=str(MAX_REQUEST_BYTES),
    ) as server:
        yield Target(server, health(server), digest(server))


def unchanged(target: Target) -> None:
    assert health(target.server) == target.health, "a refused request changed the store"


def refused(answer: w3c.HttpAnswer, status: int = 400) -> str:
    """The answer is a short plain-text refusal with ``status``; its text."""
    assert answer.status == status, f"{answer.status}: {answer.text[:500]}"
    assert answer.content_type.startswith("text/plain"), answer.content_type
    assert answer.text.strip() and "Traceback" not in answer.text
    return answer.text


def write(server: LiveServer, method: str, path: str, body: bytes, content_type: str) -> w3c.HttpAnswer:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": content_type}
    return w3c.http(method, server.url + path, body, headers)


GRAPH = "store?" + urllib.parse.urlencode({"graph": "http://example.org/bad-input"})


# -- W3C negative RDF syntax tests -----------------------------------------------------------


TRIPLE_TESTS = [t for suite in ("rdf-turtle", "rdf-n-triples", "rdf-xml") for t in RDF_TESTS[suite]]
ALL_RDF_TESTS = [t for tests in RDF_TESTS.values() for t in tests]


@pytest.mark.parametrize("test", cases(TRIPLE_TESTS))
def test_graph_store_refuses_w3c_negative_rdf(target: Target, test: NegativeRdf) -> None:
    """PUT and POST of a bad Turtle, N-Triples or RDF/XML file: 400 with the parser's
    message, and nothing written."""
    for method in ("PUT", "POST"):
        answer = write(target.server, method, GRAPH, test.path.read_bytes(), test.format.media_type)
        text = refused(answer)
        assert text.startswith("syntax error: "), text
        assert "line" in text or "after statement" in text, f"no position: {text}"
        unchanged(target)


@pytest.mark.parametrize("test", cases(ALL_RDF_TESTS))
def test_load_refuses_w3c_negative_rdf(test: NegativeRdf) -> None:
    """``eurasia-kg load``'s check (``graph.load.check``, run before anything is written)
    refuses each bad file, naming the file and the position."""
    rdf_file = load.identify(test.path)
    assert rdf_file.format == test.format
    with pytest.raises(load.LoadError) as refusal:
        load.check(rdf_file, base_iri=None)
    message = str(refusal.value)
    assert message.startswith(f"{test.path}: ")
    assert "line" in message or "after statement" in message, f"no position: {message}"


@pytest.fixture(scope="module")
def loaded_store(tmp_path_factory: pytest.TempPathFactory, seed_settings: Settings) -> Path:
    """An on-disk store holding one small graph, for the command line to refuse changes to."""
    path = tmp_path_factory.mktemp("cli") / "store"
    store = EmbeddedStore(path)
    store.update('INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/a> <http://x/b> "c" } }')
    store.close()
    return path


@pytest.mark.parametrize("suite", ["rdf-turtle", "rdf-xml"])  # a parser with lines, one without
def test_load_command_refuses_a_suite_and_loads_nothing(
    loaded_store: Path, tmp_path: Path, suite: str
) -> None:
    """The real command, with a good file first and then every bad file of the suite: it stops
    at the first bad file, says which and where, exits non-zero and loads nothing."""
    good = tmp_path / "good.nq"
    good.write_text("<http://example.org/x> <http://example.org/y> <http://x/z> <http://x/h> .\n")
    bad = [str(t.path) for t in RDF_TESTS[suite]]
    env = {**os.environ, "EURASIA_KG_STORE": str(loaded_store)}
    assert EXE, "eurasia-kg is not installed"
    done = subprocess.run(
        [EXE, "load", str(good), *bad], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode != 0
    assert f"{bad[0]}: " in done.stderr and "nothing was loaded" in done.stderr, done.stderr
    store = EmbeddedStore(loaded_store)
    try:
        assert len(store) == 1 and [g.value for g in store.named_graphs()] == ["http://example.org/g"]
    finally:
        store.close()


# -- W3C negative SPARQL syntax tests ---------------------------------------------------------


TERM = re.compile(r"_:\w+|<[^>\s]+>|[?$]\w+")


def readable(answer: str, request: bytes) -> None:
    """A syntax error with its position, or naming the term at fault; or the guard's refusal
    (LOAD, a graph not in the store), which names what it refused."""
    if answer.startswith("syntax error"):
        named = [t for t in TERM.findall(answer) if t.encode() in request]
        assert answer.startswith("syntax error at line ") or named, f"no position, no term: {answer}"
    else:
        assert "is refused" in answer or "not in the store" in answer, answer


def sparql_id(test: w3c.W3CTest) -> str:
    return test.id


@pytest.mark.parametrize("test", cases(QUERY_TESTS, sparql_id))
def test_endpoint_refuses_w3c_negative_query(target: Target, test: w3c.W3CTest) -> None:
    text = w3c.operation_text(test.operation)
    by_post = w3c.query(target.server.sparql, text)
    readable(refused(by_post), text)
    url = target.server.sparql + "?" + urllib.parse.urlencode({"query": text.decode("utf-8")})
    by_get = w3c.http("GET", url, headers={"Accept": w3c.QUERY_ACCEPT})
    assert refused(by_get) == by_post.text
    unchanged(target)


@pytest.mark.parametrize("test", cases(UPDATE_TESTS, sparql_id))
def test_endpoint_refuses_w3c_negative_update(target: Target, test: w3c.W3CTest) -> None:
    text = w3c.operation_text(test.operation)
    readable(refused(w3c.update(target.server.update, TOKEN, text)), text)
    form = urllib.parse.urlencode({"update": text.decode("utf-8")}).encode()
    answer = write(target.server, "POST", "update", form, "application/x-www-form-urlencoded")
    readable(refused(answer), text)
    unchanged(target)


def test_known_failures_name_tests_that_run() -> None:
    """Every known failure names a test of this module: no stale entries."""
    assert not set(KNOWN) - {t.iri for t in [*ALL_RDF_TESTS, *SPARQL_TESTS]}


def test_suites_are_complete() -> None:
    """The manifests were read in full: a reader that found nothing would pass vacuously."""
    counts = {suite: len(tests) for suite, tests in RDF_TESTS.items()}
    expected = {"rdf-turtle": 94, "rdf-n-triples": 29, "rdf-n-quads": 34, "rdf-trig": 115, "rdf-xml": 40}
    assert counts == expected
    assert (len(QUERY_TESTS), len(UPDATE_TESTS)) == (40, 21)


# -- data that parses but cannot be served -----------------------------------------------------

SUBJECT = "<http://example.org/kuryk>"
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
RDF_XML_CHARREF = (
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description rdf:about="http://example.org/kuryk"><rdf:value>Kuryk&#1;</rdf:value>'
    b"</rdf:Description></rdf:RDF>"
)
UNSERVABLE = [  # (name, media type, body, what the refusal must name)
    ("turtle-control", "text/turtle", f'{SUBJECT} {LABEL} "Kur\\u0001yk" .'.encode(), "U+0001"),
    ("turtle-ffff", "text/turtle", f'{SUBJECT} {LABEL} "Kuryk\\uFFFF" .'.encode(), "U+FFFF"),
    ("ntriples-backspace", "application/n-triples", f'{SUBJECT} {LABEL} "\\b" .'.encode(), "U+0008"),
    ("rdfxml-charref", "application/rdf+xml", RDF_XML_CHARREF, "U+0001"),
    ("jsonld-control", "application/ld+json", b'{"@id": "http://x/k", "http://x/p": "\\u001f"}', "U+001F"),
    ("turtle-iri-space", "text/turtle", f'<http://example.org/a b> {LABEL} "x" .'.encode(), "line 1"),
    ("turtle-surrogate", "text/turtle", f'{SUBJECT} {LABEL} "\\uD800" .'.encode(), "D800"),
    ("turtle-language", "text/turtle", f'{SUBJECT} {LABEL} "Kuryk"@kk_KZ .'.encode(), "line 1"),
]


def still_served(target: Target) -> None:
    """The exports that a bad literal would break first, and an entity page, still work."""
    for url, kind in [
        ("export/eurasia-kg-all.rdf", "application/rdf+xml"),
        ("export/eurasia-kg-all.nq", "application/n-quads"),
        ("id/kazakhstan", "text/html"),
    ]:
        answer = w3c.http("GET", target.server.url + url, headers={"Accept": kind})
        assert answer.status == 200 and answer.content_type.startswith(kind), (url, answer.status)
        if kind == "application/rdf+xml":
            rdflib.Graph().parse(data=answer.body, format="xml")  # well-formed XML 1.0


@pytest.mark.parametrize(
    ("media_type", "body", "named"), [c[1:] for c in UNSERVABLE], ids=[c[0] for c in UNSERVABLE]
)
def test_graph_store_refuses_data_no_export_can_carry(
    target: Target, media_type: str, body: bytes, named: str
) -> None:
    for method in ("PUT", "POST"):
        text = refused(write(target.server, method, GRAPH, body, media_type))
        assert named in text, text
        unchanged(target)
    still_served(target)


def test_multipart_upload_is_checked_part_by_part(target: Target) -> None:
    boundary = "part-boundary"
    good = f'{SUBJECT} {LABEL} "Kuryk" .'.encode()
    bad = f'{SUBJECT} {LABEL} "Kur\\u0001yk" .'.encode()
    parts = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="f{i}"; filename="{name}"\r\n'
        f"Content-Type: text/turtle\r\n\r\n".encode()
        + data
        + b"\r\n"
        for i, (name, data) in enumerate([("good.ttl", good), ("bad.ttl", bad)])
    )
    body = parts + f"--{boundary}--\r\n".encode()
    text = refused(write(target.server, "POST", GRAPH, body, f"multipart/form-data; boundary={boundary}"))
    assert text.startswith("bad.ttl: ") and "U+0001" in text, text
    unchanged(target)


UPDATES = {
    "insert-data": 'INSERT DATA { <http://example.org/kuryk> <http://x/label> "Kur\\u0001yk" }',
    "good-then-bad": (
        'INSERT DATA { <http://example.org/kuryk> <http://x/label> "Kuryk" } ;\n'
        'INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/kuryk> <http://x/p> "\\uFFFE" } }'
    ),
    "computed": (
        "INSERT { ?state <http://x/code> ?code } WHERE {\n"
        "  GRAPH ?g { ?state a <https://w3id.org/eurasia-kg/ontology#State> }\n"
        '  BIND(CONCAT(STR(?state), "\\u0002") AS ?code) }'
    ),
    "delete-then-insert": (
        "DELETE WHERE { GRAPH ?g { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?o } } ;\n"
        'INSERT { <http://example.org/kuryk> <http://x/p> ?o } WHERE { BIND(CONCAT("a", "\\u001B") AS ?o) }'
    ),
}


@pytest.mark.parametrize("update", list(UPDATES.values()), ids=list(UPDATES))
def test_update_refuses_literals_no_export_can_carry(target: Target, update: str) -> None:
    """INSERT DATA and INSERT ... WHERE with computed values: the update checks its own result
    before it commits, so a refused update changes nothing, not even its good parts."""
    text = refused(w3c.update(target.server.update, TOKEN, update.encode()))
    assert "the update would add" in text and "nothing was changed" in text and "U+" in text, text
    unchanged(target)
    still_served(target)


@pytest.mark.parametrize(
    "expression",
    ['IRI("http://example.org/a b")', 'IRI("http://example.org/<x>")', 'STRLANG("Kuryk", "kk_KZ")'],
)
def test_update_cannot_compute_an_invalid_iri_or_language_tag(target: Target, expression: str) -> None:
    """pyoxigraph refuses to make such a term: the expression is an error, the variable stays
    unbound, and SPARQL leaves the template's triple out (section 3.1.3 of SPARQL 1.1 Update)."""
    update = f"INSERT {{ <http://example.org/kuryk> <http://x/p> ?o }} WHERE {{ BIND({expression} AS ?o) }}"
    answer = w3c.update(target.server.update, TOKEN, update.encode())
    assert answer.status == 204, answer.text
    unchanged(target)


@pytest.mark.parametrize(
    ("media_type", "body", "named"), [c[1:] for c in UNSERVABLE], ids=[c[0] for c in UNSERVABLE]
)
def test_load_refuses_data_no_export_can_carry(
    tmp_path: Path, media_type: str, body: bytes, named: str
) -> None:
    path = tmp_path / "data"
    path.write_bytes(body)
    with pytest.raises(load.LoadError) as refusal:
        load.check(load.identify(path, media_type), base_iri="http://example.org/")
    assert str(refusal.value).startswith(f"{path}: ") and named in str(refusal.value)


# -- values no page can compute from (issue 16, finding 4) ------------------------------------

KGO = "https://w3id.org/eurasia-kg/ontology#"
XSD = "http://www.w3.org/2001/XMLSchema#"
CITY = "<https://w3id.org/eurasia-kg/id/bad-value-city>"
UNREADABLE = [  # (name, predicate, object as N-Triples, what the refusal must name)
    ("latitude-1e308", "latitude", f'"1e308"^^<{XSD}double>', "not a latitude in degrees: a number from -90"),
    ("latitude-abc", "latitude", f'"abc"^^<{XSD}double>', "latitude"),
    ("latitude-nan", "latitude", f'"NaN"^^<{XSD}double>', "latitude"),
    ("longitude-inf", "longitude", f'"INF"^^<{XSD}double>', "not a longitude in degrees"),
    ("longitude-200", "longitude", f'"200"^^<{XSD}decimal>', "from -180 to 180"),
    ("latitude-iri", "latitude", "<http://example.org/north>", "an IRI, not a literal"),
    ("latitude-blank", "latitude", "_:somewhere", "a blank node, not a literal"),
    ("latitude-string", "latitude", '"35.7"', "latitude"),
    ("date-february-30", "date", f'"2021-02-30"^^<{XSD}date>', "not a date"),
    ("date-year-0", "startDate", f'"0000"^^<{XSD}gYear>', "not a date"),
    ("date-text", "endDate", '"last spring"', "not a date"),
    ("duration-words", "duration", f'"six months"^^<{XSD}duration>', "not a duration"),
    ("count-zero", "position", f'"0"^^<{XSD}positiveInteger>', "a whole number from 1 to"),
    ("amount-huge", "startValue", f'"1e300"^^<{XSD}double>', "not an amount"),
]


def _value_statement(predicate: str, obj: str) -> bytes:
    return f"{CITY} <{KGO}{predicate}> {obj} .".encode()


@pytest.mark.parametrize(
    ("predicate", "obj", "named"), [c[1:] for c in UNREADABLE], ids=[c[0] for c in UNREADABLE]
)
def test_graph_store_refuses_values_no_page_can_read(
    target: Target, predicate: str, obj: str, named: str
) -> None:
    body = _value_statement(predicate, obj)
    for method, media_type in (("PUT", "text/turtle"), ("POST", "application/n-triples")):
        text = refused(write(target.server, method, GRAPH, body, media_type))
        assert f"{KGO}{predicate}" in text and named in text and "nothing was written" in text, text
        unchanged(target)
    still_served(target)


@pytest.mark.parametrize(
    ("predicate", "obj", "named"), [c[1:] for c in UNREADABLE], ids=[c[0] for c in UNREADABLE]
)
def test_update_refuses_values_no_page_can_read(target: Target, predicate: str, obj: str, named: str) -> None:
    """INSERT DATA, and the same value computed by INSERT ... WHERE after a good statement: the
    check in the update's own transaction refuses both, and nothing is changed."""
    statement = _value_statement(predicate, obj).decode().removesuffix(" .")
    computed = statement.replace(obj, "?o") if not obj.startswith("_:") else statement
    inserts = [
        f"INSERT DATA {{ GRAPH <http://example.org/bad-input> {{ {statement} }} }}",
        f'INSERT DATA {{ {CITY} <{KGO}latitude> "35.7"^^<{XSD}decimal> }} ;\n'
        f"INSERT {{ {computed} }} WHERE {{ BIND({obj if not obj.startswith('_:') else 'BNODE()'} AS ?o) }}",
    ]
    for update in inserts:
        text = refused(w3c.update(target.server.update, TOKEN, update.encode()))
        assert "the update would add" in text and named in text and "nothing was changed" in text, text
        unchanged(target)
    still_served(target)


def test_update_admits_good_values(target: Target) -> None:
    """The check refuses the value, not the property: a good coordinate and date are written."""
    good = (
        f'{CITY} <{KGO}latitude> "35.7"^^<{XSD}decimal> ; <{KGO}longitude> "-51"^^<{XSD}integer> ; '
        f'<{KGO}date> "2021-04"^^<{XSD}gYearMonth> ; <{KGO}duration> "P6M"^^<{XSD}duration>'
    )
    done = w3c.update(target.server.update, TOKEN, f"INSERT DATA {{ {good} }}".encode())
    assert done.status == 204, done.text
    assert w3c.update(target.server.update, TOKEN, f"DELETE DATA {{ {good} }}".encode()).status == 204
    unchanged(target)


@pytest.mark.parametrize(
    ("predicate", "obj", "named"), [c[1:] for c in UNREADABLE], ids=[c[0] for c in UNREADABLE]
)
@pytest.mark.parametrize("media_type", ["application/n-triples", "text/turtle"])
def test_load_refuses_values_no_page_can_read(
    tmp_path: Path, predicate: str, obj: str, named: str, media_type: str
) -> None:
    """N-Triples take the fast path (its bytes screened for characters): values are checked there too."""
    path = tmp_path / "data"
    path.write_bytes(_value_statement(predicate, obj))
    with pytest.raises(load.LoadError) as refusal:
        load.check(load.identify(path, media_type), base_iri="http://example.org/")
    assert str(refusal.value).startswith(f"{path}: ") and named in str(refusal.value)


# -- bodies, content types, sizes, nesting -----------------------------------------------------


def test_bodies_that_are_not_utf8_are_refused(target: Target) -> None:
    latin1 = 'ASK { FILTER("Kuryk é" = "x") }'.encode("latin-1")
    server = target.server
    assert "not valid UTF-8 (byte" in refused(w3c.query(server.sparql, latin1))
    assert "not valid UTF-8" in refused(w3c.http("GET", server.sparql + "?query=ASK%7B%7D%E9"))
    assert "not valid UTF-8" in refused(
        w3c.http(
            "POST",
            server.sparql,
            b"query=ASK%7B%7D%E9",
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
    )
    assert "not valid UTF-8" in refused(
        w3c.update(server.update, TOKEN, b'INSERT DATA { <http://x/a> <http://x/b> "\xe9" }')
    )
    turtle = f'{SUBJECT} {LABEL} "Kuryk \xe9" .'.encode("latin-1")
    assert "Invalid UTF-8" in refused(write(server, "PUT", GRAPH, turtle, "text/turtle"))
    assert "must be UTF-8" in refused(
        write(server, "PUT", GRAPH, turtle, "text/turtle; charset=iso-8859-1"), 415
    )
    query = w3c.http(
        "POST", server.sparql, latin1, {"Content-Type": "application/sparql-query; charset=latin1"}
    )
    assert "must be UTF-8" in refused(query, 415)
    unchanged(target)


def test_wrong_content_types_get_415(target: Target) -> None:
    server, turtle = target.server, f'{SUBJECT} {LABEL} "Kuryk" .'.encode()
    assert "send one of" in refused(
        w3c.http("POST", server.sparql, b"ASK {}", {"Content-Type": "application/json"}), 415
    )
    assert "send one of" in refused(write(server, "POST", "update", b"CLEAR ALL", "text/plain"), 415)
    for media_type in ("application/pdf", "application/n-quads", "application/trig", "text/n3"):
        assert "text/turtle" in refused(write(server, "PUT", GRAPH, turtle, media_type), 415)
    # No Content-Type at all (http.client adds none of its own).
    reply = send(server, "PUT", "/" + GRAPH, [("Authorization", f"Bearer {TOKEN}")], turtle)
    assert reply.status == 415 and b"text/turtle" in reply.body
    unchanged(target)


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("sparql", "application/sparql-query"), ("update", "application/sparql-update"), (GRAPH, "text/turtle")],
)
def test_oversized_bodies_get_413(target: Target, path: str, content_type: str) -> None:
    """The server answers as soon as it reads Content-Length, and may close the connection
    before the body is sent: the client sends what it can, then reads the answer."""
    url = urllib.parse.urlsplit(target.server.url)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=60)
    try:
        connection.putrequest("POST", "/" + path)
        for name, value in [("Authorization", f"Bearer {TOKEN}"), ("Content-Type", content_type)]:
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(MAX_REQUEST_BYTES + 1))
        connection.endheaders()
        with contextlib.suppress(OSError):  # closed by the server after its answer
            connection.send(b"#" + b"x" * MAX_REQUEST_BYTES)
        response = connection.getresponse()
        assert response.status == 413, response.status
        assert b"exceeds" in response.read()
    finally:
        connection.close()
    unchanged(target)


PATHOLOGICAL = {
    "nested braces": "ASK " + "{" * 100_000 + "}" * 100_000,
    "nested parentheses": "ASK { FILTER(" + "(" * 10_000 + "true" + ")" * 10_000 + ") }",
    "nested OPTIONALs": "SELECT * { " + "OPTIONAL { ?s ?p ?o " * 1_000 + "}" * 1_000 + " }",
    "negations": "ASK { FILTER(" + "!" * 10_000 + "true) }",
    "long path": "ASK { ?s " + "/".join(["<http://x/p>"] * 12_000) + " ?o }",
    "long sum": "ASK { FILTER(" + "+".join(["1"] * 12_000) + " > 0) }",
    "many OPTIONALs": "SELECT * { " + " ".join(["OPTIONAL { ?s ?p ?o }"] * 12_000) + " }",
}


@pytest.mark.parametrize("query", list(PATHOLOGICAL.values()), ids=list(PATHOLOGICAL))
def test_pathological_queries_are_refused_and_the_server_stays_up(target: Target, query: str) -> None:
    """These overflowed the engine's stack and killed the worker (a 503); now the guard
    refuses them with a 400 before any worker sees them, and the next query is answered."""
    text = refused(w3c.query(target.server.sparql, query.encode()))
    assert "at most" in text, text
    update = "INSERT { <http://x/a> <http://x/b> <http://x/c> } WHERE " + query.split(" ", 1)[1]
    assert "at most" in refused(w3c.update(target.server.update, TOKEN, update.encode()))
    answer = w3c.query(target.server.sparql, b"ASK { ?s ?p ?o }")
    assert answer.status == 200 and w3c.parse_answer(answer) is True
    unchanged(target)


def test_a_long_query_within_the_limits_is_answered(target: Target) -> None:
    """3,000 BINDs: what overflowed the workers' former 8 MiB stack and killed
    them; the workers' larger stack holds it."""
    binds = " ".join(f"BIND({i} AS ?x{i})" for i in range(3_000))
    answer = w3c.query(target.server.sparql, f"SELECT ?x2999 WHERE {{ {binds} }}".encode())
    assert answer.status == 200, answer.text
    (row,) = w3c.parse_answer(answer).rows  # type: ignore[union-attr]
    assert row[0].value == "2999"


def test_long_data_and_values_blocks_are_not_pathological(target: Target) -> None:
    """The operator limit leaves DATA and VALUES blocks alone: their typed and negative
    literals (^^, -) are not chains of operators."""
    rows = " ".join(f'("{i}"^^<http://www.w3.org/2001/XMLSchema#integer> -{i})' for i in range(5_000))
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES (?a ?b) {{ {rows} }} }}"
    answer = w3c.query(target.server.sparql, query.encode())
    assert answer.status == 200, answer.text
    (row,) = w3c.parse_answer(answer).rows  # type: ignore[union-attr]
    assert row[0].value == "5000"


# -- after every refusal ---------------------------------------------------------------------


def test_the_store_is_as_it_was_and_every_export_is_served(target: Target) -> None:
    """Runs last: after every refused request above, the dataset is exactly what it was, and
    every dump and an entity page are served and parse."""
    assert digest(target.server) == target.digest
    for suffix in ("nq", "trig", "ttl", "nt", "jsonld", "rdf"):
        answer = w3c.http("GET", f"{target.server.url}export/eurasia-kg-all.{suffix}")
        assert answer.status == 200, (suffix, answer.status)
        fmt = RdfFormat.from_extension(suffix)
        assert fmt is not None and len(list(parse(answer.body, format=fmt))) > 1000, suffix
    rdflib.Graph().parse(data=answer.body, format="xml")  # expat: well-formed XML 1.0
    page = w3c.http("GET", target.server.url + "id/kazakhstan", headers={"Accept": "text/html"})
    assert page.status == 200 and "Kazakhstan" in page.text
