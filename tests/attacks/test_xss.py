"""No XSS from any literal, IRI or language tag on any page.

Labels, notes, other spellings and IRIs carrying script payloads are written with the token,
then every page that shows them is parsed with an HTML parser (Python's, then Chromium's
DOM): no script runs but the app's own, no element has an event handler attribute, and no
link is a ``javascript:`` URL. In Chromium, every payload would also set ``window.__xss`` or
open a dialog; neither happens. The payloads must show up as text, so a page that dropped them
would not pass for safe.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, serialize

from tests.attacks.client import get, size, store, update
from tests.servers import LiveServer

BASE = "https://w3id.org/eurasia-kg/"
KGO, ID, XSD = BASE + "ontology#", BASE + "id/", "http://www.w3.org/2001/XMLSchema#"
RDFS_LABEL = NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
GRAPH = BASE + "graph/xss"

SCRIPT = "<script>window.__xss=1;alert(1)</script>"
IMG = '"><img src=x onerror="window.__xss=2;alert(2)">'
TITLE = "</title><script>window.__xss=3</script>"
SVG = '</text></svg><svg onload="window.__xss=4"><script>window.__xss=5</script></svg>'
QUOTE = "' onmouseover='window.__xss=6' x='"
JS_IRI = "javascript:window.__xss=7;alert(7)"
QUOTE_IRI = "http://example.org/x'onmouseover='window.__xss=8'"
STATE, VISIT = ID + "xss-state", ID + "xss-visit"


def payload_triples() -> list[Triple]:
    def t(s: str, p: str, o: NamedNode | Literal) -> Triple:
        return Triple(NamedNode(s), NamedNode(p), o)

    def en(text: str) -> Literal:
        return Literal(text, language="en")

    rdf_type, skos = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "http://www.w3.org/2004/02/skos/core#"
    return [
        t(STATE, rdf_type, NamedNode(KGO + "State")),
        t(STATE, RDFS_LABEL.value, en(SCRIPT)),
        t(STATE, skos + "altLabel", en(IMG)),
        t(STATE, skos + "altLabel", Literal(QUOTE)),
        t(STATE, skos + "note", en(TITLE)),
        t(STATE, KGO + "latitude", Literal("40.5", datatype=NamedNode(XSD + "decimal"))),
        t(STATE, KGO + "longitude", Literal("60.5", datatype=NamedNode(XSD + "decimal"))),
        t(STATE, "http://www.w3.org/2002/07/owl#sameAs", NamedNode(JS_IRI)),
        t(STATE, "http://www.w3.org/2000/01/rdf-schema#seeAlso", NamedNode(QUOTE_IRI)),
        t(VISIT, rdf_type, NamedNode(KGO + "Visit")),
        t(VISIT, RDFS_LABEL.value, en(SVG)),
        t(VISIT, KGO + "date", Literal("2021-04-01", datatype=NamedNode(XSD + "date"))),
        t(VISIT, KGO + "destination", NamedNode(STATE)),
        t(VISIT, KGO + "visitor", NamedNode(ID + "javad-zarif")),
        t(QUOTE_IRI, RDFS_LABEL.value, Literal(SCRIPT)),
        t(JS_IRI, RDFS_LABEL.value, Literal(IMG)),
    ]


PAGES = [
    "",
    "id/xss-state",
    "id/xss-visit",
    "id/javad-zarif",
    "graph/xss",
    f"resource?uri={urllib.parse.quote(QUOTE_IRI, safe='')}",
    f"resource?uri={urllib.parse.quote(JS_IRI, safe='')}",
    f"resource?uri={urllib.parse.quote(STATE + SCRIPT, safe='')}",
    "search?q=script",
    "search?q=onerror",
    "search?q=" + urllib.parse.quote(SCRIPT),
    "ontology",
    "sparql",
    "id/" + urllib.parse.quote(SCRIPT, safe=""),
    "resource?uri=" + urllib.parse.quote("http://example.org/unknown'onmouseover='window.__xss=9'", safe=""),
    "search?q=" + urllib.parse.quote(IMG),
]


@pytest.fixture(scope="module")
def payloads(server: LiveServer) -> Iterator[LiveServer]:
    """The payloads in their own graph, removed afterwards."""
    body = (serialize(payload_triples(), format=RdfFormat.N_TRIPLES) or b"").decode()
    reply = store(server, "PUT", body, "application/n-triples", graph=GRAPH)
    assert reply.status in {201, 204}, reply.text
    yield server
    assert store(server, "DELETE", None, "", graph=GRAPH).status == 204


class Audit(HTMLParser):
    """What a page would run: script elements, event handler attributes, script URLs."""

    URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "srcdoc"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.text: list[str] = []
        self.scripts: list[str] = []  # the text of application/json scripts, to be parsed
        self._json = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in self.URL_ATTRIBUTES and re.match(r"\s*(javascript|vbscript|data:text)", value, re.I):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "script":
            own = values.get("src", "").startswith("/static/")
            self._json = values.get("type") == "application/json"
            if not (own or self._json):
                self.problems.append(f"<script {values}>")
        if tag in {"iframe", "object", "embed", "base", "frame", "foreignobject"}:
            self.problems.append(f"<{tag}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._json = False

    def handle_data(self, data: str) -> None:
        (self.scripts if self._json else self.text).append(data)


def audit(html: str) -> Audit:
    parser = Audit()
    parser.feed(html)
    parser.close()
    for script in parser.scripts:
        json.loads(script)  # a payload that broke out of the JSON would make it invalid
    return parser


def test_pages_run_no_payload(payloads: LiveServer) -> None:
    for path in PAGES:
        reply = get(payloads, path, Accept="text/html")
        assert reply.status in {200, 400, 404}, (path, reply.text)
        if not reply.headers["content-type"].startswith("text/html"):
            # a refusal is plain text, which no browser may sniff into HTML
            assert reply.status != 200, path
            assert reply.headers["content-type"].startswith("text/plain"), path
            assert reply.headers["x-content-type-options"] == "nosniff", path
            continue
        assert audit(reply.text).problems == [], path


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("id/xss-state", [SCRIPT, IMG, QUOTE, TITLE]),
        ("id/xss-visit", [SVG]),
        (f"resource?uri={urllib.parse.quote(QUOTE_IRI, safe='')}", [SCRIPT, QUOTE_IRI]),
        (f"resource?uri={urllib.parse.quote(JS_IRI, safe='')}", [IMG, JS_IRI]),
        ("search?q=script", [SCRIPT]),
        ("search?q=" + urllib.parse.quote(IMG), [IMG]),
        (PAGES[-2], ["http://example.org/unknown'onmouseover='window.__xss=9'"]),
        ("", [SCRIPT]),
    ],
)
def test_payloads_are_shown_as_text(payloads: LiveServer, path: str, shown: list[str]) -> None:
    """The payloads reach the pages, as text: the pages above were really tested."""
    text = " ".join(audit(get(payloads, path, Accept="text/html").text).text)
    for payload in shown:
        assert payload in text


def test_search_json_is_json(payloads: LiveServer) -> None:
    reply = get(payloads, "search?q=script&format=json")
    assert reply.headers["content-type"].startswith("application/json")
    labels = {hit["label"] for hit in json.loads(reply.body)["hits"]}
    assert SCRIPT in labels


def test_named_query_results_are_not_html(payloads: LiveServer) -> None:
    reply = get(payloads, "queries/describe-entity?entity=xss-state", Accept="text/html, */*;q=0.1")
    assert reply.status == 200, reply.text
    assert reply.headers["content-type"].startswith("text/turtle")
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert "window.__xss=1" in reply.text


@pytest.mark.parametrize("tag", ['en"><script>alert(1)</script>', "en-<script>", "en onmouseover=alert(1)"])
def test_language_tags_cannot_carry_markup(payloads: LiveServer, tag: str) -> None:
    """A language tag is letters, digits and hyphens: the parsers refuse any other, and
    STRLANG with one binds nothing."""
    before = size(payloads)
    literal = '"x"@' + tag
    reply = store(payloads, "POST", f"<{STATE}> <{RDFS_LABEL.value}> {literal} .", "text/turtle", graph=GRAPH)
    assert reply.status == 400, reply.text
    text = (
        f"INSERT {{ GRAPH <{GRAPH}> {{ <{STATE}> <{RDFS_LABEL.value}> ?o }} }} "
        f'WHERE {{ BIND(STRLANG("x", {json.dumps(tag)}) AS ?o) }}'
    )
    assert update(payloads, text).status in {204, 400}
    assert size(payloads) == before


# -- in Chromium -------------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
FIRED = """() => {
  const handlers = [...document.querySelectorAll('*')].flatMap(e =>
    [...e.attributes].filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name));
  const scripts = [...document.scripts].filter(s => !(s.src && new URL(s.src).pathname.startsWith('/static/'))
    && s.type !== 'application/json').map(s => s.outerHTML);
  const links = [...document.querySelectorAll('[href]')].map(e => e.getAttribute('href'))
    .filter(h => /^\\s*javascript:/i.test(h));
  return {xss: window.__xss ?? null, handlers, scripts, links};
}"""


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.is_file():  # pragma: no cover - depends on the machine
        pytest.skip(f"no Chromium at {CHROMIUM}")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"], headless=True
        )
        yield browser
        browser.close()


SHOWN = PAGES[:9]  # the pages that show payloads


def test_no_payload_fires_in_chromium(payloads: LiveServer, chromium: object) -> None:
    if payloads.backend != "embedded":
        pytest.skip("the pages come from the same templates on both backends; the parser checks both")
    context = chromium.new_context(base_url=payloads.url)  # type: ignore[attr-defined]
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        for path in SHOWN:
            page.goto("/" + path)
            page.mouse.move(5, 5)
            page.hover("body")  # onmouseover payloads, had one become an attribute
            found = page.evaluate(FIRED)
            assert found == {"xss": None, "handlers": [], "scripts": [], "links": []}, path
        # The query page renders results with script of its own: run a query over the payloads.
        page.goto("/sparql")
        page.fill(
            "#query", f"SELECT ?s ?label WHERE {{ GRAPH <{GRAPH}> {{ ?s <{RDFS_LABEL.value}> ?label }} }}"
        )
        page.click("#run")
        page.wait_for_selector("#results table")
        assert SCRIPT in page.inner_text("#results")
        page.hover("#results table")
        assert page.evaluate(FIRED) == {"xss": None, "handlers": [], "scripts": [], "links": []}
    finally:
        context.close()
    assert dialogs == []
