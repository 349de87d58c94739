"""The SVG pictures: well-formed, accessible, escaped, and drawn to scale (small synthetic data)."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import pytest

from server import pictures
from server.pictures import (
    LABEL_AT,
    SVG_NS,
    GraphEdge,
    GraphNode,
    MapCorridor,
    MapPlace,
    TimelineEvent,
    map_svg,
    neighbourhood_svg,
    timeline_svg,
)

S = f"{{{SVG_NS}}}"
HOSTILE = "<script>alert(1)</script> \"&' Zarif’s tour"
EX = "http://example.org/"

TEHRAN = MapPlace(EX + "Tehran", "Tehran", "capital", 35.69, 51.39, "/resource?iri=Tehran&lang=en")
DUSHANBE = MapPlace(EX + "Dushanbe", "Dushanbe", "capital", 38.56, 68.77, "/d")
MAZAR = MapPlace(EX + "Mazar", "Mazār-i-Sharīf", "city", 36.71, 67.11, "/m")
HAIRATAN = MapPlace(EX + "Hairatan", "Hairatan", "crossing", 37.23, 67.42, "/h")
BANDAR = MapPlace(EX + "Bandar", "Bandar Abbas", "port", 27.18, 56.27, "/b")
RAIL = MapCorridor(
    EX + "rail",
    "Five Nations Railway",
    ((36.7, 67.1), (35.0, 62.0), (35.69, 51.39)),
    "rail",
    "forecast",
    "/c",
)
ROAD = MapCorridor(
    EX + "road", "INSTC", ((27.18, 56.27), (35.69, 51.39), (38.0, 48.0)), None, "reported", "/r"
)


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # noqa: S314 - our own output, which is what is under test
    assert root.tag == S + "svg"
    return root


def items(root: ET.Element) -> dict[str, ET.Element]:
    """The elements that stand for data items, by IRI."""
    return {el.attrib["data-iri"]: el for el in root.iter() if "data-iri" in el.attrib}


def classes(el: ET.Element) -> set[str]:
    return set(el.get("class", "").split())


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(S + "text")]


def check_accessible(root: ET.Element, title: str) -> None:
    """role=img labelled by its title and description, scaling, and a tooltip on every link."""
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert re.fullmatch(r"0 0 [\d.]+ [\d.]+", root.get("viewBox", ""))
    ids = {el.get("id"): el for el in root.iter() if el.get("id")}
    labelled = [ids[i] for i in root.attrib["aria-labelledby"].split()]
    assert [el.tag for el in labelled] == [S + "title", S + "desc"]
    assert labelled[0].text == title and labelled[1].text
    assert len(ids) == len([el for el in root.iter() if el.get("id")])  # ids are unique
    for link in root.iter(S + "a"):
        assert link.get("href") and link[0].tag == S + "title" and link[0].text
    assert not [el for el in root.iter() if el.tag in {S + "script", S + "foreignObject", "script"}]
    assert all(el.tag == S + "a" for el in root.iter() if "href" in el.attrib)  # nothing external


# --- map -------------------------------------------------------------------------------------


def places_map(highlight: str | None = None) -> ET.Element:
    places = [TEHRAN, DUSHANBE, MAZAR, HAIRATAN, BANDAR]
    return parse(
        map_svg(places, [RAIL, ROAD], "Corridors", "Coordinates: GeoNames; not from the report", highlight)
    )


def centre(item: ET.Element) -> tuple[float, float]:
    """The centre of a place's symbol."""
    shape = next(el for el in item if el.tag in {S + "circle", S + "rect", S + "polygon"})
    if shape.tag == S + "circle":
        return float(shape.attrib["cx"]), float(shape.attrib["cy"])
    if shape.tag == S + "rect":
        return float(shape.attrib["x"]) + float(shape.attrib["width"]) / 2, float(shape.attrib["y"]) + 5
    xs, ys = zip(*(map(float, p.split(",")) for p in shape.attrib["points"].split()), strict=True)
    return sum(xs) / len(xs), sum(ys) / len(ys)


def test_map_is_accessible_and_has_an_item_per_place_and_corridor() -> None:
    root = places_map()
    check_accessible(root, "Corridors")
    found = items(root)
    assert set(found) == {p.iri for p in (TEHRAN, DUSHANBE, MAZAR, HAIRATAN, BANDAR)} | {RAIL.iri, ROAD.iri}
    assert all(el.tag == S + "a" for el in found.values())
    assert classes(found[TEHRAN.iri]) == {"place", "capital"}
    assert classes(found[HAIRATAN.iri]) == {"place", "crossing"}
    assert classes(found[BANDAR.iri]) == {"place", "port"}
    assert classes(found[RAIL.iri]) == {"corridor", "rail", "forecast"}
    assert classes(found[ROAD.iri]) == {"corridor", "unknown", "reported"}
    assert found[TEHRAN.iri].get("href") == "/resource?iri=Tehran&lang=en"
    assert "Mazār-i-Sharīf" in texts(found[MAZAR.iri])


def test_map_projects_north_up_and_east_right() -> None:
    found = items(places_map())
    (tx, ty), (dx, dy), (bx, by) = (centre(found[p.iri]) for p in (TEHRAN, DUSHANBE, BANDAR))
    assert tx < bx < dx
    assert dy < ty < by
    # equirectangular: equal steps in longitude are equal steps in x
    assert (dx - tx) / (68.77 - 51.39) == pytest.approx((bx - tx) / (56.27 - 51.39), rel=0.02)


def test_forecast_corridors_are_dashed_and_reported_ones_solid() -> None:
    found = items(places_map())
    assert found[RAIL.iri].find(S + "polyline").get("stroke-dasharray")
    assert found[ROAD.iri].find(S + "polyline").get("stroke-dasharray") is None
    assert len(found[RAIL.iri].find(S + "polyline").attrib["points"].split()) == 3


def test_map_has_graticule_legend_and_source_note() -> None:
    shown = texts(places_map())
    assert {"30°N", "35°N", "55°E", "60°E", "65°E"} <= set(shown)
    assert {"capital", "port", "crossing", "city", "forecast"} <= set(shown)
    assert "Coordinates: GeoNames; not from the report" in shown


def test_map_highlight() -> None:
    found = items(places_map(highlight=DUSHANBE.iri))
    assert "highlight" in classes(found[DUSHANBE.iri])
    assert not any("highlight" in classes(el) for iri, el in found.items() if iri != DUSHANBE.iri)
    radius = {iri: float(found[iri].find(S + "circle").attrib["r"]) for iri in (DUSHANBE.iri, TEHRAN.iri)}
    assert radius[DUSHANBE.iri] > radius[TEHRAN.iri]
    assert found[DUSHANBE.iri].find(S + "text").get("font-weight") == "bold"


def test_map_labels_do_not_overlap_nearby_places() -> None:
    """Hairatan and Mazar are 0.6° apart: their labels go on different rows or sides."""
    found = items(places_map())
    a, b = (found[p.iri].find(S + "text") for p in (MAZAR, HAIRATAN))
    assert (a.get("y"), a.get("text-anchor")) != (b.get("y"), b.get("text-anchor"))


@pytest.mark.parametrize(
    ("lat", "lon"),
    [(1e308, 1e308), (math.nan, 50.0), (math.inf, 50.0), (35.0, -math.inf), (91.0, 50.0), (35.0, 181.0)],
)
def test_a_place_off_the_earth_is_left_out(lat: float, lon: float) -> None:
    """Issue 16, finding 4: a latitude of 1e308 made the graticule a range of 1e307 lines."""
    bad = MapPlace(EX + "Nowhere", "Nowhere", "city", lat, lon, "/n")
    rail = MapCorridor(EX + "r", "R", ((lat, lon), (35.69, 51.39), (38.56, 68.77)), "rail", "reported", "/r")
    root = parse(map_svg([bad, TEHRAN, DUSHANBE], [rail], "Map", "note"))
    assert set(items(root)) == {TEHRAN.iri, DUSHANBE.iri, rail.iri}
    assert len(items(root)[rail.iri].find(S + "polyline").attrib["points"].split()) == 2
    assert {"35°N", "55°E", "60°E"} <= set(texts(root))  # the frame of the good places


def test_the_map_has_a_budget() -> None:
    """Places all over the Earth with long names: a bounded number of items, grid lines and
    label characters."""
    name = "Long name " * 1000
    many = [
        MapPlace(f"{EX}p{i}", name, "city", -89 + (i * 7) % 179, -179 + (i * 13) % 359, "/p")
        for i in range(pictures.MAX_PLACES + 10)
    ]
    root = parse(map_svg(many, [], "Map", "note", highlight=many[-1].iri))
    drawn = items(root)
    assert len(drawn) == pictures.MAX_PLACES + 1 and many[-1].iri in drawn
    assert len(list(root.iter(S + "line"))) <= 2 * (pictures.MAX_GRID_LINES + 1)
    assert max(len(t) for t in texts(root)) <= max(pictures.MAP_LABEL_LIMIT, len("Coordinates"))
    assert "9 more not drawn" in root.find(S + "desc").text


def test_empty_map_shows_the_region() -> None:
    root = parse(map_svg([], [], "Nothing", "note"))
    assert items(root) == {}
    assert {"25°N", "55°N", "45°E", "80°E"} <= set(texts(root))


# --- escaping --------------------------------------------------------------------------------


def test_hostile_labels_are_escaped_everywhere() -> None:
    iri = EX + 'x"y<z>'
    place = MapPlace(iri, HOSTILE, "city", 36.0, 60.0, "javascript:alert(1)")
    event = TimelineEvent(iri, HOSTILE, "2021-02", None, HOSTILE, HOSTILE, "/e?a=1&b=2")
    node = GraphNode(iri, HOSTILE, HOSTILE, "/n")
    pictures = [
        map_svg(
            [place],
            [MapCorridor(EX + "c", HOSTILE, ((36, 60), (37, 61)), "sea", "x", "/c")],
            HOSTILE,
            HOSTILE,
        ),
        timeline_svg([event], title=HOSTILE),
        neighbourhood_svg(
            GraphNode(EX + "c", "C", "k", "/c"), [node], [GraphEdge(EX + "c", iri, HOSTILE)], HOSTILE
        ),
    ]
    for svg in pictures:
        assert "<script" not in svg
        root = parse(svg)
        assert root.find(S + "title").text == HOSTILE
        assert items(root)[iri].find(S + "title").text.startswith(HOSTILE)
        assert any(HOSTILE[:20] in t for t in texts(root))  # node labels are truncated
        assert not [el for el in root.iter() if "script" in el.tag]
        for el in root.iter():
            assert re.fullmatch(r"[a-z0-9 -]*", el.get("class", "")), el.get("class")
    assert items(parse(pictures[0]))[iri].get("href") == "#"
    assert items(parse(pictures[1]))[iri].get("href") == "/e?a=1&b=2"


def test_control_characters_are_dropped() -> None:
    svg = map_svg([MapPlace(EX + "p", "bell\x07tab\tend", "city", 36, 60, "/p")], [], "t\x00", "n")
    assert "belltab\tend" in texts(parse(svg))


def test_pictures_are_deterministic() -> None:
    assert map_svg([TEHRAN, DUSHANBE], [RAIL], "M", "n") == map_svg([TEHRAN, DUSHANBE], [RAIL], "M", "n")
    events = [TimelineEvent(EX + "e", "E", "2020", None, "visit", "reported", "/e")]
    assert timeline_svg(events) == timeline_svg(events)


# --- timeline --------------------------------------------------------------------------------

EVENTS = [
    TimelineEvent(EX + "tour", "Zarif’s tour", "2021-04-06", "2021-04-08", "tour", "reported", "/tour"),
    TimelineEvent(EX + "visit", "Visit to Kabul", "2021-02", None, "visit", "reported", "/visit"),
    TimelineEvent(EX + "year", "Year of cooperation", "2020", None, "agreement", "forecast", "/year"),
    TimelineEvent(EX + "old", "Strategic partnership", "1998", None, "agreement", "reported", "/old"),
    TimelineEvent(EX + "deal", "Chabahar deal", "2014-11", None, "agreement", "reported", "/deal"),
    TimelineEvent(EX + "opening", "Railway opens", "2021-05-10", None, "corridor opening", "forecast", "/o"),
]


def mark(item: ET.Element) -> tuple[float, float]:
    """The left and right x of an event's mark (a bar, or a point for a day)."""
    rect = [el for el in item if el.tag == S + "rect" and el.get("height") == "12"]
    if rect:
        x = float(rect[0].attrib["x"])
        return x, x + float(rect[0].attrib["width"])
    cx = float(item.find(S + "circle").attrib["cx"])
    return cx, cx


def test_timeline_is_accessible_with_a_class_per_precision() -> None:
    root = parse(timeline_svg(EVENTS, title="Events"))
    check_accessible(root, "Events")
    found = items(root)
    assert len(found) == len(EVENTS)
    precision = {iri: classes(el) & {"year", "month", "day", "interval"} for iri, el in found.items()}
    assert precision == {
        EX + "tour": {"interval"},
        EX + "visit": {"month"},
        EX + "year": {"year"},
        EX + "old": {"year"},
        EX + "deal": {"month"},
        EX + "opening": {"day"},
    }
    assert all("event" in classes(el) for el in found.values())
    assert {"forecast", "kind-corridor-opening"} <= classes(found[EX + "opening"])
    assert found[EX + "opening"].find(S + "circle") is not None


def test_timeline_shows_the_date_as_written() -> None:
    found = items(parse(timeline_svg(EVENTS)))
    assert "2021-02 (month)" in "".join(found[EX + "visit"].find(S + "text").itertext())
    assert "2021-02" in found[EX + "visit"].find(S + "title").text
    assert "2021-04-06 – 2021-04-08 (interval)" in "".join(found[EX + "tour"].itertext())


def test_a_month_is_a_twelfth_of_a_year_in_the_same_part_of_the_axis() -> None:
    found = items(parse(timeline_svg(EVENTS)))
    year, month = (mark(found[EX + k]) for k in ("year", "visit"))
    ratio = (month[1] - month[0]) / (year[1] - year[0])
    assert ratio * 12 == pytest.approx(1, abs=0.1)  # February 2021 against 2020, a leap year
    day = mark(found[EX + "tour"])
    assert (day[1] - day[0]) / (month[1] - month[0]) == pytest.approx(3 / 28, abs=0.03)


def test_old_years_are_compressed_and_recent_months_readable() -> None:
    found = items(parse(timeline_svg(EVENTS)))
    old, recent = mark(found[EX + "old"]), mark(found[EX + "year"])
    assert old[1] - old[0] < (recent[1] - recent[0]) / 4
    month = mark(found[EX + "visit"])
    assert month[1] - month[0] >= 10


def test_marks_move_right_with_time_and_each_event_has_its_own_row() -> None:
    root = parse(timeline_svg(EVENTS))
    found = list(items(root).values())  # in document order: sorted by start
    starts = [mark(el)[0] for el in found]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    rows = [float(el.find(S + "text").attrib["y"]) for el in found]
    assert rows == sorted(rows) and len(set(rows)) == len(rows)
    assert [el.get("data-iri") for el in found][:2] == [EX + "old", EX + "deal"]
    width = float(root.attrib["viewBox"].split()[2])
    assert all(0 <= mark(el)[0] and mark(el)[1] <= width for el in found)


def test_timeline_axis_labels_and_growth() -> None:
    shown = texts(parse(timeline_svg(EVENTS)))
    assert {"2000", "2010", "2019", "2020", "2021", "Apr"} <= set(shown)
    heights = [float(parse(timeline_svg(EVENTS[:n])).attrib["viewBox"].split()[3]) for n in (2, 6)]
    assert heights[1] - heights[0] >= 4 * 20


def test_timeline_widens_to_events_outside_the_range_and_highlights() -> None:
    late = TimelineEvent(EX + "late", "Late", "2022-03", None, "visit", "forecast", "/l")
    root = parse(timeline_svg([*EVENTS, late], highlight=EX + "late"))
    width = float(root.attrib["viewBox"].split()[2])
    found = items(root)
    assert mark(found[EX + "late"])[1] <= width
    assert "highlight" in classes(found[EX + "late"])
    assert found[EX + "late"].find(S + "text").get("font-weight") == "bold"


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2021-13", None),
        ("21-04", None),
        ("April 2021", None),
        ("2021-04-08", "2021-04-06"),
        ("9999-12-31", None),
        ("0000", None),
        ("2021-04-06", "9999-12-31"),
    ],
)
def test_an_unreadable_date_leaves_its_event_out(start: str, end: str | None) -> None:
    """Issue 16, finding 4: one bad date left the whole timeline out (before: the picture of
    every event of the page). Now that event alone is left out, and the others are drawn."""
    bad = TimelineEvent(EX + "e", "Unreadable", start, end, "visit", "reported", "/e")
    root = parse(timeline_svg([bad, *EVENTS]))
    assert set(items(root)) == {e.iri for e in EVENTS}
    assert "Unreadable" not in root.find(S + "desc").text


def test_the_timeline_axis_has_a_budget() -> None:
    """Dates from 0001 to 9999 (each one valid): a bounded number of year lines, not 10,000."""
    ends = [
        TimelineEvent(EX + "first", "First", "0001", None, "visit", "reported", "/f"),
        TimelineEvent(EX + "last", "Last", "9998-12-31", None, "visit", "reported", "/l"),
    ]
    root = parse(timeline_svg(ends))
    lines = [el for el in root.iter(S + "line")]
    assert 10 <= len(lines) <= pictures.MAX_YEAR_LINES + 1
    assert set(items(root)) == {EX + "first", EX + "last"}


def test_the_timeline_has_a_budget_of_rows() -> None:
    many = [
        TimelineEvent(f"{EX}e{i}", f"Event {i}", f"20{i % 20 + 1:02d}", None, "visit", "reported", "/e")
        for i in range(pictures.MAX_EVENTS + 49)
    ]
    many.append(TimelineEvent(EX + "latest", "Latest", "2099", None, "visit", "forecast", "/l"))
    root = parse(timeline_svg(many, highlight=many[-1].iri))
    drawn = items(root)
    assert len(drawn) == pictures.MAX_EVENTS + 1 and many[-1].iri in drawn  # the highlighted one too
    assert "49 more not shown" in root.find(S + "desc").text


# --- neighbourhood ---------------------------------------------------------------------------

IRAN = GraphNode(EX + "Iran", "Iran", "state", "/iran")


def neighbours(n: int) -> list[GraphNode]:
    return [GraphNode(f"{EX}n{i}", f"Neighbour {i}", ("place", "event")[i % 2], f"/n{i}") for i in range(n)]


def test_neighbourhood_is_accessible_with_arrows() -> None:
    nodes = neighbours(3)
    edges = [
        GraphEdge(IRAN.iri, nodes[0].iri, "participates in"),
        GraphEdge(nodes[1].iri, IRAN.iri, "borders"),
        GraphEdge(nodes[1].iri, nodes[2].iri, "linked to"),
        GraphEdge(nodes[0].iri, EX + "elsewhere", "not drawn"),
    ]
    root = parse(neighbourhood_svg(IRAN, [IRAN, *nodes], edges, "Around Iran"))
    check_accessible(root, "Around Iran")
    found = items(root)
    assert set(found) == {IRAN.iri} | {n.iri for n in nodes}
    assert {"node", "center"} <= classes(found[IRAN.iri])
    assert {"node", "kind-place"} <= classes(found[nodes[0].iri])
    drawn = [g for g in root.iter(S + "g") if "edge" in classes(g)]
    assert [g.get("data-target") for g in drawn] == [nodes[0].iri, IRAN.iri, nodes[2].iri]
    marker = root.find(f".//{S}marker").attrib["id"]
    assert all(g.find(S + "line").get("marker-end") == f"url(#{marker})" for g in drawn)


def test_edge_label_sits_two_thirds_out_along_the_spoke() -> None:
    """Near the centre the spokes crowd; their labels stand where they have parted."""
    nodes = neighbours(1)
    root = parse(neighbourhood_svg(IRAN, nodes, [GraphEdge(IRAN.iri, nodes[0].iri, "borders")], "t"))
    centre, outer = (items(root)[n.iri].find(S + "circle") for n in (IRAN, nodes[0]))
    at = [
        float(centre.attrib[k]) + LABEL_AT * (float(outer.attrib[k]) - float(centre.attrib[k]))
        for k in ("cx", "cy")
    ]
    label = next(g for g in root.iter(S + "g") if "edge" in classes(g)).find(S + "text")
    assert label.text == "borders"
    assert float(label.attrib["x"]) == pytest.approx(at[0], abs=1)
    assert float(label.attrib["y"]) == pytest.approx(at[1], abs=20)


def test_many_neighbours_are_cut_with_a_note_and_long_labels_truncated() -> None:
    nodes = [GraphNode(EX + "long", "A very long label of a neighbour that goes on and on", "k", "/l")]
    nodes += neighbours(29)
    root = parse(neighbourhood_svg(IRAN, nodes, [], "Crowded"))
    found = items(root)
    assert len(found) == 25
    assert "+6 more not shown" in texts(root)
    shown = found[EX + "long"].find(S + "text").text
    assert len(shown) <= 28 and shown.endswith("…")
    assert found[EX + "long"].find(S + "title").text.startswith(nodes[0].label)
