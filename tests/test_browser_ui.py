"""The linked-data browser in a real browser: Chromium (Debian's, driven by Playwright's sync
API) against a real ``eurasia-kg serve`` on the report's graph.

Each test opens a fresh browser context, records every request the page makes and every error
it logs (a Content-Security-Policy violation is logged as a console error), and ends by checking
that nothing left the server and nothing went wrong. Each page type is photographed, full page,
into ``screenshots/`` at the root of the repository (git-ignored), named after the test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

try:
    from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    pytest.skip("the PyPI package playwright is not installed", allow_module_level=True)

from tests.servers import LiveServer, eurasia_kg

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.is_file():  # pragma: no cover - depends on the machine
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"
TIMEOUT_MS = 10_000
IRI = re.compile(r"^\s*https?://", re.IGNORECASE)
TOUR = "Zarif’s tour of Central Asia"
SENTENCE_6 = "Javad Zarif recently concluded a grand tour"
RAILWAY = "Herat–Mazār-i-Sharīf railway"


@dataclass
class Tab:
    """A page in its own browser context, with what it requested and the errors it logged."""

    page: Page
    server: LiveServer
    test: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def shot(self, what: str, locator: Locator | None = None) -> None:
        """A screenshot of the whole page (or of one element) as screenshots/<test>-<what>.png."""
        path = SCREENSHOTS / f"{self.test}-{what}.png"
        if locator is None:
            self.page.screenshot(path=path, full_page=True)
        else:
            locator.screenshot(path=path)

    def assert_clean(self, expected_errors: re.Pattern[str] | None = None) -> None:
        """Every request went to the server under test, and no error was logged but those
        ``expected_errors`` matches. The browser's own request for /favicon.ico (a 404, see
        test_favicon) is left out: it is no request of the page's and comes at no fixed time."""
        assert self.requests, "the page made no request at all"
        elsewhere = [url for url in self.requests if not url.startswith(self.server.url)]
        assert not elsewhere, f"requests left the server: {elsewhere}"
        favicon = f"({self.server.url}favicon.ico)"
        unexpected = [
            e
            for e in self.errors
            if not e.endswith(favicon) and not (expected_errors and expected_errors.search(e))
        ]
        assert not unexpected, f"errors in the browser: {unexpected}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``eurasia-kg serve`` without a write token: the browser only reads."""
    with eurasia_kg(tmp_path_factory.mktemp("browser-ui"), token=None) as live:
        yield live


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def tab(browser: Browser, server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Tab]:
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    tab = Tab(page, server, name)
    context.on("request", lambda r: tab.requests.append(r.url))  # the page's, its workers' and popups
    page.on(
        "console",
        lambda m: tab.errors.append(f"{m.text} ({m.location['url']})") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: tab.errors.append(f"uncaught: {e}"))
    page.on("response", lambda r: tab.errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("requestfailed", lambda r: tab.errors.append(f"failed: {r.url} {r.failure}"))
    yield tab
    context.close()


def group(page: Page, prop: str, direction: str = "Statements") -> Locator:
    """The rows of one property on an entity page, in "Statements" or "Referred to by"."""
    section = page.locator("section.statements").filter(has=page.get_by_role("heading", name=direction))
    return section.locator(f"tbody.group[data-property$='#{prop}']")


def test_journey_home_iran_tour_sentence(tab: Tab) -> None:
    """Home → Iran (States list) → "Javad Zarif’s visit to Dushanbe" (Iran's events) →
    "Javad Zarif" (the visit's visitor) → "Zarif’s tour of Central Asia" (his events) → the
    provenance of the tour's visitor statement → "The claim" (of sentence 6) → the sentence.

    The Iran page does not link the tour itself: Iran is no participant of the tour in the
    graph, so the way to it is through one of Zarif's visits and Zarif."""
    page = tab.page
    response = page.goto("/")
    assert response is not None and response.ok
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    expect(page).to_have_title(re.compile("Home"))
    tab.shot("home")

    page.get_by_role("navigation", name="States").get_by_role("link", name="Iran", exact=True).click()
    expect(page).to_have_url(re.compile(r"/id/iran$"))
    expect(page.locator("main h1")).to_have_text("Iran")
    expect(page.locator("p.types")).to_contain_text("state")
    tab.shot("entity-iran")

    events = page.locator("section.events")
    expect(events.get_by_role("heading")).to_have_text("Events, in time order")
    events.get_by_role("link", name="Javad Zarif’s visit to Dushanbe", exact=True).click()
    expect(page.locator("main h1")).to_have_text("Javad Zarif’s visit to Dushanbe")

    group(page, "visitor").get_by_role("link", name="Javad Zarif", exact=True).click()
    expect(page.locator("main h1")).to_have_text("Javad Zarif")

    page.locator("section.events").get_by_role("link", name=TOUR, exact=True).click()
    expect(page).to_have_url(re.compile(r"/id/zarif-central-asia-tour$"))
    expect(page.locator("main h1")).to_have_text(TOUR)
    expect(page.locator("p.types")).to_contain_text("tour")

    visitor = group(page, "visitor")
    expect(visitor.locator("td").first).to_have_text("Javad Zarif")
    details = visitor.locator("details.provenance")
    expect(details).to_have_count(1)
    quote = details.locator("blockquote")
    expect(quote).to_be_hidden()  # closed until asked
    summary = details.locator("summary")
    expect(summary).to_contain_text("reported fact")
    expect(summary).to_contain_text("sentence 6")
    expect(summary).to_contain_text("cited: IRNA, 5 April 2021")
    summary.click()
    expect(details).to_have_attribute("open", "")
    expect(quote).to_be_visible()
    expect(quote).to_contain_text(SENTENCE_6)
    expect(quote).to_contain_text("(April 5–8)")
    expect(details.locator("p.citation")).to_have_text("The report cites “Irna, April 5”.")
    tab.shot("tour")

    details.get_by_role("link", name="The claim", exact=True).click()
    expect(page).to_have_url(re.compile(r"/graph/edm-18-60/s6$"))
    expect(page.locator("main h1")).to_have_text("claim of sentence 6 of edm-18-60")
    expect(page.locator("p.types")).to_contain_text("claim")
    expect(group(page, "modality")).to_contain_text("reported fact")
    tab.shot("claim")

    sentence = group(page, "statedIn").locator("td").first.get_by_role("link")
    expect(sentence).to_contain_text("sentence 6")
    sentence.click()
    expect(page).to_have_url(re.compile(r"/id/edm-18-60/s6$"))
    expect(page.locator("p.types")).to_contain_text("sentence")
    expect(group(page, "position").locator("td").first).to_have_text("6")
    expect(group(page, "text").locator("td").first).to_contain_text(SENTENCE_6)
    tab.shot("sentence")
    tab.assert_clean()


def test_search_from_the_header(tab: Tab) -> None:
    page = tab.page
    page.goto("/")
    box = page.get_by_role("searchbox", name="Search names")
    box.fill("mazar")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=mazar$"))
    expect(page.locator("main h1")).to_have_text("Search")
    expect(page.locator("main")).to_contain_text("3 results for “mazar”.")
    hit = page.locator("ol.hits li").filter(has=page.get_by_role("link", name="Mazār-i-Sharīf", exact=True))
    expect(hit).to_have_count(1)
    expect(hit.locator(".kind")).to_have_text("city")
    expect(page.locator("ol.hits li").first.get_by_role("link")).to_have_text("Mazār-i-Sharīf")
    expect(box).to_have_value("mazar")  # the box keeps the question
    tab.shot("search")

    box.fill("irna")
    page.get_by_role("search").get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/search\?q=irna$"))
    first = page.locator("ol.hits li").first  # the outlet before the citations that name it
    expect(first.get_by_role("link")).to_have_text("IRNA")
    expect(first.locator(".kind")).to_have_text("news outlet")
    first.get_by_role("link").click()
    expect(page.locator("main h1")).to_have_text("IRNA")
    tab.assert_clean()


def test_query_page_named_question(tab: Tab) -> None:
    page = tab.page
    page.goto("/sparql")
    expect(page.locator("main h1")).to_have_text("SPARQL query")
    page.locator("#named").select_option("corridors-bypassing")
    expect(page.locator("#named-description")).to_contain_text("Corridors that avoid the given state")
    state = page.locator("#params input[name='state']")
    expect(state).to_have_value("turkmenistan")
    expect(page.locator("#query")).to_have_value(re.compile(r"kgo:bypasses"))
    page.locator("#run").click()

    table = page.locator("#results table")
    expect(table).to_be_visible()
    expect(page.locator("#status")).to_have_text("Done.")
    expect(page.locator("#error")).to_be_hidden()
    expect(table.locator("thead th")).to_have_text(["state", "corridor", "label", "modality", "sentence"])
    row = table.locator("tbody tr").filter(has_text=RAILWAY).filter(has_text="forecast")
    expect(row).to_have_count(1)
    expect(row.locator("td")).to_have_text(["Turkmenistan", RAILWAY, RAILWAY, "forecast", "22"])
    links = table.locator("td a")
    assert links.count() >= 2
    for text in links.all_inner_texts():
        assert not IRI.match(text), f"an IRI cell shows the IRI, not its label: {text}"
    expect(row.locator("td a").first).to_have_attribute("href", "/id/turkmenistan")
    expect(page.locator("#download-csv")).to_have_attribute(
        "href", "/queries/corridors-bypassing?state=turkmenistan&format=csv"
    )
    tab.shot("query-results")

    row.get_by_role("link", name=RAILWAY, exact=True).click()
    expect(page).to_have_url(re.compile(r"/id/herat-mazar-i-sharif-railway$"))
    expect(page.locator("main h1")).to_have_text(RAILWAY)
    tab.assert_clean()


def test_query_page_syntax_error(tab: Tab) -> None:
    page = tab.page
    page.goto("/sparql")
    page.locator("#query").fill("SELECT ?x WHERE {")
    page.locator("#run").click()
    error = page.locator("#error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("syntax error at line 1")
    expect(error).not_to_contain_text("<html")  # text, not an HTML page dumped into the box
    expect(page.locator("#status")).to_have_text("")
    expect(page.locator("#results table")).to_have_count(0)
    tab.shot("query-error")
    # the browser itself logs the failed fetch; that one error is expected
    tab.assert_clean(expected_errors=re.compile(r"400.*/sparql\?query="))


def test_map_and_timeline(tab: Tab) -> None:
    page = tab.page
    page.goto("/")
    map_svg = page.locator("svg.picture.map")
    expect(map_svg).to_have_count(1)
    expect(map_svg).to_be_visible()
    labels = map_svg.locator("a.place text")
    for name in ("Tehran", "Dushanbe", "Chabahar"):
        expect(labels.filter(has_text=re.compile(f"^{name}$"))).to_have_count(1)
    east_caspian = map_svg.locator(
        "a.corridor[data-iri='https://w3id.org/eurasia-kg/id/east-caspian-rail-corridor']"
    )
    expect(east_caspian).to_have_count(1)
    expect(east_caspian.locator("polyline")).to_be_visible()
    expect(east_caspian).to_have_attribute("href", "/id/east-caspian-rail-corridor")
    box = east_caspian.locator("polyline").bounding_box()
    assert box and box["width"] > 20, box
    expect(map_svg.locator("a.corridor")).to_have_count(3)
    tab.shot("map", map_svg)

    timeline = page.locator("svg.picture.timeline")
    expect(timeline).to_be_visible()
    visit = timeline.locator("a.event[data-iri='https://w3id.org/eurasia-kg/id/fazli-visit-to-dushanbe']")
    expect(visit).to_have_class(re.compile(r"\bmonth\b"))
    expect(visit.locator("text")).to_contain_text("Rahmani Fazli’s visit to Dushanbe")
    tour = timeline.locator("a.event[data-iri='https://w3id.org/eurasia-kg/id/zarif-central-asia-tour']")
    expect(tour).to_have_class(re.compile(r"\binterval\b"))
    expect(tour.locator("text")).to_contain_text(TOUR)
    expect(tour.locator("rect")).to_be_visible()  # a bar, not a point
    tab.shot("timeline", timeline)

    map_svg.locator("a.place[data-iri='https://w3id.org/eurasia-kg/id/chabahar']").click()
    expect(page).to_have_url(re.compile(r"/id/chabahar$"))
    expect(page.locator("main h1")).to_have_text("Chabahar")
    highlighted = page.locator("svg.picture.map a.place.highlight")
    expect(highlighted).to_have_attribute("data-iri", "https://w3id.org/eurasia-kg/id/chabahar")

    page.goto("/")
    page.locator("svg.picture.timeline").locator(
        "a.event[data-iri='https://w3id.org/eurasia-kg/id/zarif-central-asia-tour']"
    ).click()
    expect(page.locator("main h1")).to_have_text(TOUR)
    tab.assert_clean()


def test_class_and_ontology_pages(tab: Tab) -> None:
    """From Iran's type badge to the class "state", and from there to the ontology."""
    page = tab.page
    page.goto("/id/iran")
    page.locator("p.types").get_by_role("link", name="state", exact=True).click()
    expect(page.locator("main h1")).to_contain_text("state")
    expect(page.locator("main h1 .kind")).to_have_text("class")
    instances = page.locator("section.instances")
    expect(instances.get_by_role("link", name="Iran", exact=True)).to_have_count(1)
    expect(instances.get_by_role("link", name="Tajikistan", exact=True)).to_have_count(1)
    tab.shot("class")

    page.get_by_role("link", name="the ontology").click()
    expect(page).to_have_url(re.compile(r"/ontology$"))
    expect(page.locator("main h1")).to_have_text("The eurasia-kg ontology")
    classes = page.locator("article.ontology section").filter(has=page.get_by_role("heading", name="Classes"))
    expect(classes.locator("dt#State")).to_have_count(1)
    expect(page.locator("dt#visitor")).to_contain_text("visitor")
    tab.shot("ontology")
    tab.assert_clean()


def test_keyboard_skip_link(tab: Tab) -> None:
    page = tab.page
    page.goto("/id/iran")
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    expect(focused).to_have_text("Skip to content")
    expect(focused).to_have_attribute("href", "#main")
    box = focused.bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0, f"the focused skip link is off screen: {box}"
    tab.shot("skip-link-focused")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/id/iran#main$"))
    page.keyboard.press("Tab")  # the next stop is inside the main content, past the header
    assert page.evaluate("document.activeElement.closest('main') !== null")
    tab.assert_clean()


@pytest.mark.parametrize(
    "path",
    [
        "/id/iran",
        "/",
        "/id/zarif-central-asia-tour",
        "/graph/edm-18-60/s6",
        "/search?q=mazar",
        "/sparql",
    ],
    ids=["iran", "home", "tour", "claim", "search", "query"],
)
def test_phone_width(tab: Tab, path: str) -> None:
    """At a phone's width (375 px) a page wraps instead of scrolling sideways."""
    page = tab.page
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(path)
    expect(page.locator("main h1")).to_be_visible()
    tab.shot("phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375 + 1, f"{path} is {width} px wide at a 375 px viewport"
    tab.assert_clean()


def test_favicon(tab: Tab) -> None:
    """The browser asks every site for an icon; a missing one is an error in its console."""
    page = tab.page
    page.goto("/")
    declared = page.locator("link[rel~='icon']")
    if declared.count():
        href = declared.first.get_attribute("href") or ""
        assert href.startswith(("/", "data:", tab.server.url)), href
        return
    response = page.request.get("/favicon.ico")
    assert response.ok, f"/favicon.ico: {response.status}"


@pytest.mark.parametrize(
    "path",
    [
        "/id/iran",
        "/id/zarif-central-asia-tour",
        "/graph/edm-18-60/s6",
        "/id/edm-18-60/s6",
    ],
)
def test_links_show_labels(tab: Tab, path: str) -> None:
    """No link to an entity shows a raw IRI where the entity has a label."""
    page = tab.page
    page.goto(path)
    links = page.evaluate(
        """() => [...document.querySelectorAll('a[href^="/id/"]')]
                 .map((a) => [a.getAttribute('href'), a.textContent.trim()])"""
    )
    assert len(links) > 5
    empty = [href for href, text in links if not text]
    assert not empty, f"links without text: {empty}"
    raw = [(href, text) for href, text in links if IRI.match(text)]
    assert not raw, f"links showing an IRI instead of a label: {raw}"
    tab.assert_clean()
