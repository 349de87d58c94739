"""Property-based test of the pages: no value in the store breaks one (issue 16, finding 4).

Hypothesis writes arbitrary literals of every datatype (ill-typed, extreme, empty, long),
IRIs and blank nodes as the value of every property the pages and pictures compute from
(coordinates, dates, amounts, durations, counts, flags), on an entity of each kind: a city,
a state, a person, a visit in a claim graph, a tour, an agreement, a trade observation, a
border closure, a corridor, a report with its sentence and citation. The values go in
through the build's own write path (``ReplaceGraphsJob``), which has no admission check: the
store holds what a store written before the rules, or a remote store with no check, could
hold. Then every page kind is loaded with Flask's test client over the app: the home page
(map and timeline), each entity's page, the claim graph's, a place page of the seed graph
(/id/iran: the map of every place), the search. None may answer 500, and none may take the
test's process (the HTTP process here) beyond a memory and a time budget.
"""

from __future__ import annotations

import contextlib
import resource
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pyoxigraph import BlankNode, Literal, NamedNode, Quad, RdfFormat, serialize

from graph import values, worker
from graph.build import build
from graph.settings import Settings
from graph.store import EmbeddedStore
from server import create_app
from server.context import Context

BASE = "https://w3id.org/eurasia-kg/"
KGO, ID, XSD = BASE + "ontology#", BASE + "id/", "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE, LABEL = (
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
    "http://www.w3.org/2000/01/rdf-schema#label",
)
FUZZ = BASE + "graph/fuzz"  # the prefix of the graphs each example replaces
ENTITIES, CLAIM = FUZZ + "-entities", FUZZ + "-claim"
PAGES = [
    "/",
    *(
        f"/id/fuzz-{kind}"
        for kind in ("city", "state", "person", "visit", "tour", "agreement", "trade", "closure", "corridor")
    ),
    "/id/fuzz-report",
    "/id/fuzz-report/s1",
    "/id/fuzz-report/c1",
    "/graph/fuzz-claim",
    "/id/iran",
    "/search?q=fuzz",
    "/search?q=fuzz&format=json",
]
MEMORY_MB = 256  # above the process's size after the first example
SECONDS = 60  # for all the pages of one example


# -- what hypothesis writes -------------------------------------------------------------------

DATATYPES = sorted(
    {d for rule in values.RULES.values() for d in rule.datatypes}
    | {XSD + t for t in ("string", "dateTime", "time", "gDay", "hexBinary", "unsignedByte", "short")}
    | {"http://example.org/datatype"}
)
LONG = {  # drawn by name, so that a failing example prints short
    "<5000 ones>": "1" * 5000,
    "<400 nines and .5>": "9" * 400 + ".5",
    "<P, 5000 nines, Y>": "P" + "9" * 5000 + "Y",
    "<2000 slashes>": "/" * 2000,
    "<2021/ 500 times>": "2021/" * 500,
}
EXTREMES = [
    *LONG,
    "",
    " ",
    *"""1e308 -1e308 1e-308 1e400 NaN nan INF -INF +INF 1_000 0x10 90.0000000000000000000000001 -90 180
    -180.0 0 -0 0000 0001 9999 9999-12 9999-12-31 0001-01-01 -2021 12021-01-01 2021-02-30 2021-13
    2021-04-06T10:00:00Z 2021-04-06Z 2021-04-06+14:00 2021-04-06/2021-04-01 P PT P6M P1Y2M3W4DT5H6M7.5S
    -P1D true false 1 yes ١٢٣ ٣٥.٥""".split(),
]
lexicals = st.one_of(
    st.sampled_from(EXTREMES),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers().map(str),
    st.dates().map(lambda d: d.isoformat()),
    st.dates().map(lambda d: d.isoformat()[:7]),
    st.dates().map(lambda d: d.isoformat()[:4]),
)
Spec = tuple[str, ...]  # ("typed", lexical, datatype), ("en", lexical), ("iri", iri) or ("blank",)
specs = st.one_of(
    st.tuples(st.just("typed"), lexicals, st.sampled_from(DATATYPES)),
    st.tuples(st.just("typed"), lexicals, st.sampled_from(DATATYPES)),
    st.tuples(st.just("en"), lexicals),
    st.tuples(st.just("iri"), st.sampled_from(["http://example.org/x", ID + "iran", KGO + "latitude"])),
    st.just(("blank",)),
)


def term(spec: Spec) -> Literal | NamedNode | BlankNode:
    kind, *rest = spec
    if kind == "iri":
        return NamedNode(rest[0])
    if kind == "blank":
        return BlankNode()
    text = LONG.get(rest[0], rest[0])
    return Literal(text, language="en") if kind == "en" else Literal(text, datatype=NamedNode(rest[1]))


SLOTS = {  # subject: the value properties written on it
    "city": ["latitude", "longitude"],
    "state": ["latitude", "longitude"],
    "visit": ["date", "startDate", "endDate", "duration", "stopNumber", "count"],
    "tour": ["startDate", "endDate", "duration"],
    "agreement": ["signedOn", "attestedOn", "duration"],
    "trade": ["growthRate", "startValue", "endValue", "startDate", "endDate"],
    "closure": ["duration", "startDate", "endDate", "date"],
    "report": ["volume", "issueNumber"],
    "report/s1": ["position", "startOffset", "endOffset"],
    "report/c1": ["citedDate", "accessedOn", "yearInferred"],
}
slot_values = st.fixed_dictionaries(
    {(subject, name): specs for subject, names in SLOTS.items() for name in names}
)


def fuzz_quads(found: dict[tuple[str, str], object]) -> list[Quad]:
    """One entity of each kind, in a graph of entities and a claim graph, carrying ``found``."""

    def iri(name: str) -> NamedNode:
        return NamedNode(ID + "fuzz-" + name)

    def kgo(name: str) -> NamedNode:
        return NamedNode(KGO + name)

    entities, claim = NamedNode(ENTITIES), NamedNode(CLAIM)
    kinds = {
        "city": "City",
        "state": "State",
        "person": "Person",
        "visit": "Visit",
        "tour": "Tour",
        "agreement": "Agreement",
        "trade": "TradeObservation",
        "closure": "BorderClosure",
        "corridor": "Corridor",
        "report": "Report",
        "report/s1": "Sentence",
        "report/c1": "Citation",
    }
    quads = []
    for name, kind in kinds.items():
        quads.append(Quad(iri(name), NamedNode(RDF_TYPE), kgo(kind), entities))
        quads.append(Quad(iri(name), NamedNode(LABEL), Literal(f"Fuzz {name}", language="en"), entities))
    for (subject, name), term in found.items():
        quads.append(Quad(iri(subject), kgo(name), term, entities))  # type: ignore[arg-type]
    links = [
        ("city", "capitalOf", iri("state")),
        ("visit", "visitor", iri("person")),
        ("visit", "destination", iri("city")),
        ("visit", "partOf", iri("tour")),
        ("agreement", "party", iri("state")),
        ("trade", "tradePartner", iri("state")),
        ("trade", "tradePartner", NamedNode(ID + "iran")),
        ("trade", "unit", kgo("Percent")),
        ("corridor", "connects", iri("city")),
        ("corridor", "connects", NamedNode(ID + "tehran")),
        ("corridor", "transportMode", kgo("Rail")),
        ("report/s1", "inReport", iri("report")),
        ("report/s1", "text", Literal("A fuzz sentence.", language="en")),
        ("report/c1", "inReport", iri("report")),
        ("report/c1", "printedAs", Literal("Fuzz News, 2021")),
        ("city", "mentionedIn", iri("report/s1")),
    ]
    quads += [
        Quad(iri(s), kgo(p), o, claim if p in {"visitor", "connects"} else entities) for s, p, o in links
    ]
    quads.append(Quad(iri("visit"), NamedNode(RDF_TYPE), kgo("Visit"), claim))
    quads += [
        Quad(claim, NamedNode(RDF_TYPE), kgo("Claim"), entities),
        Quad(claim, kgo("modality"), kgo("Forecast"), entities),
        Quad(claim, kgo("statedIn"), iri("report/s1"), entities),
        Quad(claim, kgo("citation"), iri("report/c1"), entities),
    ]
    return quads


# -- the app, and the budget its pages run under ------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FlaskClient, Context]]:
    """The app over an on-disk store holding the seed graph (built once for the module)."""
    from tests.conftest import SHARED

    directory: Path = tmp_path_factory.mktemp("fuzz-values")
    settings = Settings.from_env({}).with_(
        reports=SHARED / "seed", store=str(directory / "store"), answer_cache_mb=0, workers=2
    )
    store = EmbeddedStore(settings.store)
    build(settings, store)
    store.close()
    app = create_app(settings, build_if_empty=False)
    kg: Context = app.extensions["eurasia_kg"]
    try:
        yield app.test_client(), kg
    finally:
        kg.store.close()


class OverBudget(Exception):  # noqa: N818 - it says what happened
    """Raised in the request by the budget's timer: the page took too much memory or time."""


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


@contextlib.contextmanager
def budget(limit_mb: float, seconds: float) -> Iterator[list[str]]:
    """Samples this process's memory every 20 ms while the pages render; beyond ``limit_mb``
    or ``seconds`` it raises OverBudget in the page's code, again at every sample (Flask
    answers 500, and the yielded list says why), so a runaway page fails the test instead of
    the machine."""
    why: list[str] = []
    start = time.monotonic()

    def check(_signal: int, _frame: FrameType | None) -> None:
        if rss_mb() > limit_mb or time.monotonic() - start > seconds:  # each time: every page stops
            why.append(f"{rss_mb():.0f} MiB after {time.monotonic() - start:.1f} s")
            raise OverBudget(why[0])

    previous = signal.signal(signal.SIGALRM, check)
    signal.setitimer(signal.ITIMER_REAL, 0.02, 0.02)
    try:
        yield why
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def load_pages(client: FlaskClient) -> list[tuple[str, int]]:
    return [(path, client.get(path, headers={"Accept": "text/html"}).status_code) for path in PAGES]


def write(kg: Context, quads: list[Quad]) -> None:
    data = serialize(quads, format=RdfFormat.N_QUADS) or b""
    kg.store.write(worker.ReplaceGraphsJob(FUZZ, data))
    kg.changed()


@pytest.fixture(scope="module")
def ceiling(site: tuple[FlaskClient, Context]) -> float:
    """The memory budget: the process after one round of pages over good values, plus MEMORY_MB."""
    client, kg = site
    good = {(s, n): values_example(n) for s, names in SLOTS.items() for n in names}
    write(kg, fuzz_quads(good))
    assert all(status == 200 for _, status in load_pages(client)), load_pages(client)
    return rss_mb() + MEMORY_MB


def values_example(name: str) -> Literal:
    """A value that keeps its property's rule (from the rule's message)."""
    example = values.RULES[name].example.split(",")[0].split(" or ")[0]
    text, _, datatype = example.partition("^^xsd:")
    return Literal(text.strip('"'), datatype=NamedNode(XSD + datatype))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(found=slot_values)
def test_no_value_breaks_a_page(
    site: tuple[FlaskClient, Context], ceiling: float, found: dict[tuple[str, str], Spec]
) -> None:
    client, kg = site
    write(kg, fuzz_quads({slot: term(spec) for slot, spec in found.items()}))
    with budget(ceiling, SECONDS) as over:
        answers = load_pages(client)
    assert not over, f"over budget: {over[0]}"
    assert [a for a in answers if a[1] != 200] == []


def test_the_reproducer_breaks_no_page(site: tuple[FlaskClient, Context], ceiling: float) -> None:
    """The finding itself: a City at latitude and longitude 1e308 (then "abc", NaN, INF, an
    IRI, a blank node): every page still answers, and the process stays within its budget."""
    client, kg = site
    for bad in [
        Literal("1e308", datatype=NamedNode(XSD + "double")),
        Literal("abc", datatype=NamedNode(XSD + "double")),
        Literal("NaN", datatype=NamedNode(XSD + "double")),
        Literal("INF", datatype=NamedNode(XSD + "double")),
        Literal("-INF", datatype=NamedNode(XSD + "double")),
        NamedNode("http://example.org/north"),
        BlankNode(),
    ]:
        found = {(s, n): values_example(n) for s, names in SLOTS.items() for n in names}
        found[("city", "latitude")] = found[("city", "longitude")] = bad
        write(kg, fuzz_quads(found))
        with budget(ceiling, SECONDS) as over:
            answers = load_pages(client)
        assert not over, f"{bad}: over budget, {over[0]}"
        assert [a for a in answers if a[1] != 200] == [], bad
        home = client.get("/").get_data(as_text=True)
        the_map = home[home.index('class="picture map"') :].split("</svg>", 1)[0]
        assert ID + "fuzz-tehran" not in the_map and f'data-iri="{ID}fuzz-city"' not in the_map, bad
        assert f'data-iri="{ID}tehran"' in the_map  # the other places are still drawn
        if isinstance(bad, Literal) and bad.value != "1e308":  # the store writes 1e308 out in full
            assert f">{bad.value}<" in client.get("/id/fuzz-city").get_data(as_text=True)  # as its text


# -- the SPARQL shortcut of the update check admits nothing graph.values refuses --------------

near_misses = st.one_of(
    st.decimals(min_value=-200, max_value=200, allow_nan=False, places=4).map(str),
    st.sampled_from(["90", "-90", "90.0", "90.000001", "-90.0000000000000000000000000001", "180", "180.5"]),
    st.dates().map(lambda d: d.isoformat()),
    st.dates().map(lambda d: d.isoformat()[:7]),
    st.from_regex(r"-?[0-9]{1,4}(\.[0-9]{0,32})?", fullmatch=True),
    st.from_regex(r"[0-9]{3,5}(-[0-9]{1,2}(-[0-9]{1,2})?)?", fullmatch=True),
    lexicals,
)


@st.composite
def near_values(draw: st.DrawFn) -> tuple[str, str, str]:
    """(property, lexical, datatype), the datatype most often one its rule allows."""
    name = draw(st.sampled_from(sorted(values.RULES)))
    datatype = draw(st.sampled_from(values.RULES[name].datatypes) | st.sampled_from(DATATYPES))
    if draw(st.booleans()):  # near the shortcut's edges: coordinates, and dates of any year
        if name in {"latitude", "longitude"}:
            places = draw(st.integers(0, 32))
            return name, str(draw(st.decimals(-181, 181, allow_nan=False, places=places))), XSD + "decimal"
        if values.RULES[name].datatypes == values.TEMPORAL:
            datatype = draw(st.sampled_from(values.TEMPORAL))
            day = draw(st.dates()).isoformat()
            return name, day[: {XSD + "gYear": 4, XSD + "gYearMonth": 7}.get(datatype, 10)], datatype
    return name, draw(near_misses), datatype


@settings(max_examples=300, deadline=None)
@given(drawn=near_values())
def test_what_the_update_check_admits_in_sparql_the_rule_admits(drawn: tuple[str, str, str]) -> None:
    """``graph.admission.SURELY_FIT`` spares the update check a call to Python for most values;
    it must never admit one that ``graph.values`` refuses (the value as the store holds it)."""
    from pyoxigraph import DefaultGraph, Store

    from graph import admission

    name, lexical, datatype = drawn
    store = Store()
    predicate = NamedNode(KGO + name)
    store.add(Quad(NamedNode(ID + "a"), predicate, term(("typed", lexical, datatype)), DefaultGraph()))
    stored = next(iter(store)).object
    admitted = bool(list(store.query(f"SELECT * WHERE {{ ?s ?p ?o FILTER({admission.SURELY_FIT}) }}")))
    event("admitted in SPARQL" if admitted else "left to graph.values")
    if admitted:
        assert values.problem(predicate, stored) is None, stored
