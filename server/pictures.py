"""Pictures for the linked-data browser: a map, a timeline and a neighbourhood graph, as SVG.

Each function returns one ``<svg>`` element as a string, to inline in an HTML page: no script,
no external resource, no web font, and the same input always gives the same string (so pages
can be cached and tested). Every text that comes from the data is escaped, and a link whose
scheme is not http(s) or mailto is replaced by ``#``. The pictures scale with their container
(``width="100%"`` and a ``viewBox``) and carry ``role="img"`` with a ``<title>`` and a
``<desc>``. Each item is an SVG 2 ``<a href>`` (focusable, so keyboard-reachable) with a
``<title>`` tooltip, a ``data-iri`` attribute and CSS classes a stylesheet can restyle.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from typing import TypeVar
from xml.sax.saxutils import escape

SVG_NS = "http://www.w3.org/2000/svg"
FONT = "system-ui, sans-serif"
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SAFE_HREF = re.compile(r"(?:https?:|mailto:|[^:/?#]*(?:[/?#]|$))", re.IGNORECASE)
_HALO = 'paint-order="stroke" stroke="#fff" stroke-width="3" stroke-linejoin="round"'
_DASHES = {"reported": "", "forecast": "8 5"}  # any other modality (belief, rumour...) is dotted
_DOTTED = "2 4"
Box = tuple[float, float, float, float]  # x0, y0, x1, y1


def _esc(text: str) -> str:
    """Text from the data, safe in element content and in double-quoted attributes; characters
    XML does not allow at all (most control characters) are dropped."""
    return escape(_NOT_XML.sub("", text), {'"': "&quot;", "'": "&apos;"})


def _n(value: float) -> str:
    """A coordinate with one decimal, without a trailing ``.0`` or a negative zero."""
    text = f"{value:.1f}".removesuffix(".0")
    return "0" if text == "-0" else text


def _token(value: str) -> str:
    """A CSS class token from a data value: "corridor opening" becomes "corridor-opening"."""
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-") or "unknown"


def _classes(*tokens: str) -> str:
    return " ".join(t for t in tokens if t)


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _text_px(text: str, size: float, bold: bool = False) -> float:
    """A generous width of a text in a proportional sans-serif font, for layout without a font."""
    return (0.68 if bold else 0.62) * size * len(text)


def _uid(kind: str, title: str) -> str:
    """An id prefix for the title, description and markers, distinct per picture on a page."""
    return f"{kind}-{hashlib.sha256(title.encode()).hexdigest()[:8]}"


def _svg(uid: str, title: str, desc: str, width: float, height: float, body: Iterable[str]) -> str:
    head = (
        f'<svg xmlns="{SVG_NS}" class="picture {uid.split("-")[0]}" role="img" '
        f'aria-labelledby="{uid}-title {uid}-desc" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'width="100%" preserveAspectRatio="xMidYMid meet" font-family="{FONT}" font-size="12" fill="#222">\n'
        f'<title id="{uid}-title">{_esc(title)}</title>\n<desc id="{uid}-desc">{_esc(desc)}</desc>\n'
    )
    return head + "\n".join(body) + "\n</svg>"


def _item(classes: str, iri: str, href: str, tooltip: str, body: str) -> str:
    """One navigable item: a link with a tooltip, the item's IRI and its classes."""
    safe = href if _SAFE_HREF.match(href) else "#"
    return (
        f'<a class="{classes}" data-iri="{_esc(iri)}" href="{_esc(safe)}">'
        f"<title>{_esc(tooltip)}</title>{body}</a>"
    )


def _text(x: float, y: float, text: str, anchor: str = "start", size: float = 12, extra: str = "") -> str:
    """A label with a white halo, so it stays readable over lines and symbols; its colour is
    inherited (dark grey from the ``<svg>`` element unless a group says otherwise)."""
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" font-size="{_n(size)}" '
        f"{_HALO}{extra}>{_esc(text)}</text>"
    )


# --- Map -----------------------------------------------------------------------------------

MAP_WIDTH = 800.0
MAP_PAD = 36.0  # room for the graticule's degree labels
MAP_MAX_HEIGHT = 640.0  # of the mapped area; a tall box is widened instead of growing taller
MAP_MARGIN = 1.0  # degrees around the points
LEGEND_HEIGHT = 64.0
# Budgets: however many places the data has and whatever their coordinates, a map draws at most
# so many items, grid lines and label characters (the function takes a bounded time and size).
MAX_PLACES = 1000
MAX_CORRIDORS = 200
MAX_GRID_LINES = 40  # each way; the graticule's 5° step widens to keep within it
MAP_LABEL_LIMIT = 40
_MODE_COLOURS = {"rail": "#8b1a1a", "road": "#c76b00", "sea": "#1f5f99", "multimodal": "#6a3d9a"}
_KIND_RANK = {"capital": 0, "state": 1, "port": 2, "crossing": 3, "city": 4}


@dataclass(frozen=True)
class MapPlace:
    iri: str
    label: str
    kind: str  # "capital" | "city" | "port" | "crossing" | "state"
    lat: float
    lon: float
    href: str


@dataclass(frozen=True)
class MapCorridor:
    iri: str
    label: str
    points: tuple[tuple[float, float], ...]  # (lat, lon) in route order
    mode: str | None  # "rail" | "road" | "sea" | "multimodal" | None
    modality: str  # "reported" | "forecast" | ...
    href: str


@dataclass(frozen=True)
class _Frame:
    """An equirectangular projection of a latitude/longitude box onto the canvas, north up."""

    west: float
    east: float
    south: float
    north: float
    px_lon: float  # pixels per degree of longitude
    px_lat: float  # pixels per degree of latitude

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        return MAP_PAD + (lon - self.west) * self.px_lon, MAP_PAD + (self.north - lat) * self.px_lat

    @property
    def height(self) -> float:
        return (self.north - self.south) * self.px_lat + 2 * MAP_PAD


def _frame(points: Sequence[tuple[float, float]]) -> _Frame:
    """Fit the bounding box of the points, plus a margin, to the canvas. Degrees of longitude
    are shrunk by the cosine of the middle latitude, so shapes are not stretched east-west;
    without points the frame is Iran and Central Asia."""
    lats = [p[0] for p in points] or [24.0, 56.0]
    lons = [p[1] for p in points] or [44.0, 80.0]
    south, north = max(min(lats) - MAP_MARGIN, -85.0), min(max(lats) + MAP_MARGIN, 85.0)
    west, east = min(lons) - MAP_MARGIN, max(lons) + MAP_MARGIN
    kx = math.cos(math.radians((south + north) / 2))
    inner = MAP_WIDTH - 2 * MAP_PAD
    px = min(inner / ((east - west) * kx), MAP_MAX_HEIGHT / (north - south))
    widen = inner / (px * kx) - (east - west)  # so a tall box still fills the width
    return _Frame(west - widen / 2, east + widen / 2, south, north, px * kx, px)


_Drawn = TypeVar("_Drawn", "MapPlace", "MapCorridor")


def _within(items: list[_Drawn], most: int, highlight: str | None) -> tuple[list[_Drawn], int]:
    """The first ``most`` items in their order (and the highlighted one, wherever it is), and
    how many are left out."""
    kept = items[:most] + [i for i in items[most:] if i.iri == highlight]
    return kept, len(items) - len(kept)


def _on_earth(lat: float, lon: float) -> bool:
    return -90 <= lat <= 90 and -180 <= lon <= 180  # False for NaN


def _degrees(value: int, positive: str, negative: str) -> str:
    return f"{abs(value)}°{positive if value >= 0 else negative}"


def _step(low: float, high: float, most: int) -> int:
    """The grid step in degrees: 5, or the next multiple of 5 that draws at most ``most`` lines
    between ``low`` and ``high``.

    >>> _step(24, 56, 40), _step(-180, 180, 40)
    (5, 10)
    """
    return 5 * max(1, math.ceil((high - low) / (5 * most)))


def _graticule(frame: _Frame) -> list[str]:
    """Parallels and meridians every 5° (wider when the frame is large: MAX_GRID_LINES),
    labelled in the left and bottom margins."""
    lines = ['<g class="graticule" stroke="#ccd" stroke-width="0.6">']
    labels = ['<g class="graticule-labels" fill="#667" font-size="10">']
    bottom, right = frame.height - MAP_PAD, MAP_WIDTH - MAP_PAD
    step = _step(frame.south, frame.north, MAX_GRID_LINES)
    for lat in range(math.ceil(frame.south / step) * step, math.floor(frame.north / step) * step + 1, step):
        y = _n(frame.xy(lat, frame.west)[1])
        lines.append(f'<line x1="{_n(MAP_PAD)}" y1="{y}" x2="{_n(right)}" y2="{y}"/>')
        labels.append(
            f'<text x="{_n(MAP_PAD - 4)}" y="{y}" dy="3" text-anchor="end">{_degrees(lat, "N", "S")}</text>'
        )
    step = _step(frame.west, frame.east, MAX_GRID_LINES)
    for lon in range(math.ceil(frame.west / step) * step, math.floor(frame.east / step) * step + 1, step):
        x = _n(frame.xy(frame.south, lon)[0])
        lines.append(f'<line x1="{x}" y1="{_n(MAP_PAD)}" x2="{x}" y2="{_n(bottom)}"/>')
        labels.append(
            f'<text x="{x}" y="{_n(bottom + 14)}" text-anchor="middle">{_degrees(lon, "E", "W")}</text>'
        )
    return [*lines, "</g>", *labels, "</g>"]


def _stroke(mode: str | None, modality: str, width: float) -> str:
    """Line presentation: colour by mode of transport, dashes by modality of the claim."""
    dash = _DASHES.get(modality, _DOTTED)
    return (
        f'fill="none" stroke="{_MODE_COLOURS.get(mode or "", "#555")}" stroke-width="{_n(width)}" '
        f'stroke-linecap="round" stroke-linejoin="round"' + (f' stroke-dasharray="{dash}"' if dash else "")
    )


def _corridor(corridor: MapCorridor, frame: _Frame, highlighted: bool) -> str:
    """A corridor as a polyline through its points, labelled at its middle point."""
    xy = [frame.xy(lat, lon) for lat, lon in corridor.points]
    points = " ".join(f"{_n(x)},{_n(y)}" for x, y in xy)
    mode, lit = corridor.mode or "unknown", "highlight" if highlighted else ""
    line = f'<polyline points="{points}" {_stroke(corridor.mode, corridor.modality, 5 if lit else 3)}/>'
    mx, my = xy[len(xy) // 2]
    label = _text(mx, my - 7, truncate(corridor.label, MAP_LABEL_LIMIT), "middle", 11, ' font-style="italic"')
    classes = _classes("corridor", _token(mode), _token(corridor.modality), lit)
    tooltip = f"{corridor.label} ({mode} corridor, {corridor.modality})"
    return _item(classes, corridor.iri, corridor.href, tooltip, line + label)


def _symbol(kind: str, x: float, y: float, s: float) -> str:
    """The symbol of a kind of place centred on (x, y), ``s`` being its half-width."""
    at = f'cx="{_n(x)}" cy="{_n(y)}"'
    if kind == "capital":  # a double circle, as in atlases
        return (
            f'<circle {at} r="{_n(s)}" fill="#fff" stroke="#222" stroke-width="1.5"/>'
            f'<circle {at} r="{_n(s / 2)}" fill="#222"/>'
        )
    if kind == "port":  # a square with an anchor's shank and stock
        return (
            f'<rect x="{_n(x - s)}" y="{_n(y - s)}" width="{_n(2 * s)}" height="{_n(2 * s)}" '
            f'fill="#1f5f99"/><path d="M{_n(x)} {_n(y - s + 2)}V{_n(y + s - 2)}M{_n(x - s + 2)} '
            f'{_n(y - s / 3)}H{_n(x + s - 2)}" stroke="#fff" stroke-width="1.2"/>'
        )
    if kind == "crossing":
        diamond = f"{_n(x)},{_n(y - s)} {_n(x + s)},{_n(y)} {_n(x)},{_n(y + s)} {_n(x - s)},{_n(y)}"
        return f'<polygon points="{diamond}" fill="#c76b00" stroke="#222" stroke-width="1"/>'
    if kind == "state":
        return (
            f'<circle {at} r="{_n(s)}" fill="none" stroke="#222" stroke-width="1.5" stroke-dasharray="2 2"/>'
        )
    return f'<circle {at} r="{_n(s * 0.7)}" fill="#222"/>'


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


class _Taken:
    """The boxes drawn so far, filed by the grid cells they cover, so that whether a new box
    overlaps one looks at its neighbours only (a map of 600 places took half a second)."""

    CELL = 64.0

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], list[Box]] = {}

    def _cells(self, box: Box) -> Iterator[tuple[int, int]]:
        for i in range(math.floor(box[0] / self.CELL), math.floor(box[2] / self.CELL) + 1):
            for j in range(math.floor(box[1] / self.CELL), math.floor(box[3] / self.CELL) + 1):
                yield i, j

    def append(self, box: Box) -> None:
        for cell in self._cells(box):
            self.cells.setdefault(cell, []).append(box)

    def overlaps(self, box: Box) -> bool:
        return any(_overlaps(box, other) for cell in self._cells(box) for other in self.cells.get(cell, ()))


def _label_spot(
    x: float, y: float, s: float, width: float, taken: _Taken, limits: Box
) -> tuple[float, float, str]:
    """Where a label goes: right of the symbol, else left, above or below, whichever first
    overlaps no other symbol or label and stays on the canvas; right when none is free."""
    spots = [(x + s + 4, y + 4, "start"), (x - s - 4, y + 4, "end"), (x, y - s - 5, "middle")]
    spots.append((x, y + s + 14, "middle"))
    for tx, ty, anchor in spots:
        left = {"start": tx, "end": tx - width, "middle": tx - width / 2}[anchor]
        box = (left, ty - 11, left + width, ty + 3)
        inside = limits[0] <= box[0] and box[2] <= limits[2] and limits[1] <= box[1] and box[3] <= limits[3]
        if inside and not taken.overlaps(box):
            taken.append(box)
            return tx, ty, anchor
    return spots[0]


def _places(places: Sequence[MapPlace], frame: _Frame, highlight: str | None) -> list[str]:
    """Place symbols and labels. Labels are placed most important first (the highlighted
    place, then capitals...); that place is drawn last, so it is on top."""
    size = {p.iri: 8.0 if p.iri == highlight else 5.0 for p in places}
    taken = _Taken()
    for place in places:
        x, y = frame.xy(place.lat, place.lon)
        taken.append((x - size[place.iri], y - size[place.iri], x + size[place.iri], y + size[place.iri]))
    limits = (4.0, 4.0, MAP_WIDTH - 4, frame.height - MAP_PAD + 2)  # off the longitude labels
    items = []
    for place in sorted(places, key=lambda p: (p.iri != highlight, _KIND_RANK.get(p.kind, 9), p.label)):
        lit = place.iri == highlight
        x, y = frame.xy(place.lat, place.lon)
        s = size[place.iri]
        bold = lit or place.kind == "capital"
        name = truncate(place.label, MAP_LABEL_LIMIT)
        width = _text_px(name, 13 if lit else 12, bold)
        tx, ty, anchor = _label_spot(x, y, s, width, taken, limits)
        weight = ' font-weight="bold"' if bold else ""
        label = _text(tx, ty, name, anchor, 13 if lit else 12, weight)
        classes = _classes("place", _token(place.kind), "highlight" if lit else "")
        tooltip = f"{place.label} ({place.kind}, {place.lat:.2f}°, {place.lon:.2f}°)"
        items.append(_item(classes, place.iri, place.href, tooltip, _symbol(place.kind, x, y, s) + label))
    return items[::-1]


def _map_legend(top: float, source_note: str) -> list[str]:
    """The symbols of places, the colours and dashes of corridors, and the source note."""
    out = [f'<g class="legend" font-size="11" transform="translate(0 {_n(top)})">']
    for i, kind in enumerate(_KIND_RANK):
        x = MAP_PAD + 100 * i
        out.append(_symbol(kind, x + 6, 12, 5) + _text(x + 16, 16, kind, size=11))
    styles = [(m, "reported", m) for m in _MODE_COLOURS] + [
        (None, "reported", "reported"),
        (None, "forecast", "forecast"),
        (None, "belief", "other claim"),
    ]
    x = MAP_PAD
    for mode, modality, name in styles:
        line = f'<path d="M{_n(x)} 32h22" {_stroke(mode, modality, 3)}/>'
        out.append(line + _text(x + 27, 36, name, size=11))
        x += 27 + _text_px(name, 11) + 16
    out.append(_text(MAP_WIDTH - 8, 56, source_note, "end", 10, ' class="source-note" font-style="italic"'))
    return [*out, "</g>"]


def map_svg(
    places: Sequence[MapPlace],
    corridors: Sequence[MapCorridor],
    title: str,
    source_note: str,
    highlight: str | None = None,
) -> str:
    """A map of places and corridors on a 5° graticule, with a legend and the source of the
    coordinates; ``highlight`` is the IRI of a place or corridor to emphasise. A place or a
    corridor's point off the Earth (a latitude beyond ±90°, a longitude beyond ±180°, NaN) is
    left out; beyond MAX_PLACES places and MAX_CORRIDORS corridors (the highlighted one
    first), the description counts the rest."""
    places, left_out = _within([p for p in places if _on_earth(p.lat, p.lon)], MAX_PLACES, highlight)
    on_earth = [
        MapCorridor(c.iri, c.label, points, c.mode, c.modality, c.href)
        for c in corridors
        if len(points := tuple(p for p in c.points if _on_earth(*p))) > 0
    ]
    drawn, more_corridors = _within(on_earth, MAX_CORRIDORS, highlight)
    left_out += more_corridors
    frame = _frame([(p.lat, p.lon) for p in places] + [point for c in drawn for point in c.points])
    body = [f'<rect class="background" width="{_n(MAP_WIDTH)}" height="{_n(frame.height)}" fill="#f7f9fb"/>']
    body += _graticule(frame)
    body += [_corridor(c, frame, c.iri == highlight) for c in drawn]
    body += _places(places, frame, highlight)
    body += _map_legend(frame.height, source_note)
    names = "; ".join([f"{p.label} ({p.kind})" for p in places] + [f"{c.label} corridor" for c in drawn])
    more = f", and {left_out} more not drawn" if left_out > 0 else ""
    desc = f"Map of {len(places)} places and {len(drawn)} corridors: {names}{more}. {source_note}"
    return _svg(_uid("map", title), title, desc, MAP_WIDTH, frame.height + LEGEND_HEIGHT, body)


# --- Timeline ------------------------------------------------------------------------------

TIMELINE_WIDTH = 900.0
TIMELINE_SIDE = 24.0  # margin left and right of the axis
TIMELINE_HEADER = 44.0  # year and quarter labels above the rows
TIMELINE_ROW = 24.0
DENSE_FROM = date(2019, 1, 1)  # most events are from here on: give this part most of the width
SPARSE_SHARE = 0.25  # of the width, for the years before DENSE_FROM
MIN_BAR = 2.0  # pixels, so a month in the compressed years stays visible
# Budgets: however many events and whatever their dates (0001 to 9999), a timeline draws at
# most MAX_EVENTS rows and MAX_YEAR_LINES year lines (the step between them widens).
MAX_EVENTS = 400
MAX_YEAR_LINES = 60
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:T[0-9:.]+)?(?:Z|[+-]\d{2}:\d{2})?")
_QUARTERS = {4: "Apr", 7: "Jul", 10: "Oct"}


@dataclass(frozen=True)
class TimelineEvent:
    iri: str
    label: str
    start: str  # lexical xsd value at its precision: "1998", "2014-11", "2021-04-06"
    end: str | None  # for an interval ("2021-04-08"); None for a single date
    kind: str  # e.g. "visit", "tour", "corridor opening"
    modality: str  # "reported" | "forecast" | ...
    href: str


def _period(lexical: str) -> tuple[date, date, str]:
    """The days a date covers at its precision, as [first, after the last), and the precision:
    "2014" is a whole year, "2014-11" a month, "2014-11-05" a day. ValueError if unreadable."""
    match = _DATE.fullmatch(lexical.strip())
    if match is None:
        raise ValueError(f"not an xsd:gYear, xsd:gYearMonth or xsd:date: {lexical!r}")
    year, month, day = match[1], match[2], match[3]
    try:
        if month is None:
            return date(int(year), 1, 1), date(int(year) + 1, 1, 1), "year"
        first = date(int(year), int(month), int(day or 1))
        if day is None:
            return first, (first + timedelta(days=31)).replace(day=1), "month"
        return first, first + timedelta(days=1), "day"
    except OverflowError:  # the last day of 9999 has no day after it
        raise ValueError(f"beyond the last date this timeline can draw: {lexical!r}") from None


def _extent(event: TimelineEvent) -> tuple[date, date, str]:
    """The days an event covers; an interval runs from its start's first day to its end's last."""
    first, after, precision = _period(event.start)
    if event.end is None:
        return first, after, precision
    after = _period(event.end)[1]
    if after <= first:
        raise ValueError(f"interval ends before it starts: {event.start} – {event.end}")
    return first, after, "interval"


@dataclass(frozen=True)
class _Axis:
    """A piecewise-linear time axis through (day, x) knots in increasing order."""

    knots: tuple[tuple[date, float], ...]

    def x(self, day: date) -> float:
        segments = list(pairwise(self.knots))
        (d0, x0), (d1, x1) = next((s for s in segments if day <= s[1][0]), segments[-1])
        return x0 + (x1 - x0) * (day - d0).days / (d1 - d0).days


def _axis(first: date, after: date, left: float, right: float) -> _Axis:
    """Years before DENSE_FROM get SPARSE_SHARE of the width when a linear axis would give them
    more: most events are recent, and a linear 1998-2021 axis would squeeze a month into a few
    pixels. Each part is linear, so widths compare truly within a part."""
    share = (DENSE_FROM - first).days / (after - first).days
    if share > SPARSE_SHARE and DENSE_FROM < after:
        split = left + (right - left) * SPARSE_SHARE
        return _Axis(((first, left), (DENSE_FROM, split), (after, right)))
    return _Axis(((first, left), (after, right)))


def _year_step(years: int) -> int:
    """Years between year lines: 1, or the first of 2, 5, 10, 20, 50... that draws at most
    MAX_YEAR_LINES lines over ``years`` years.

    >>> _year_step(23), _year_step(200), _year_step(9998)
    (1, 5, 200)
    """
    step = 1
    while years / step > MAX_YEAR_LINES:
        step = step * 5 // 2 if str(step).startswith("2") else step * 2
    return step


def _ticks(axis: _Axis, first: date, after: date, bottom: float) -> list[str]:
    """A line at each new year, labelled every year where a year is wide and every fifth year
    where it is not; quarter lines and names where a quarter is wide enough."""
    out = ['<g class="axis" font-size="11" fill="#444">']
    if len(axis.knots) == 3:
        split = axis.knots[1][1]
        size = f'width="{_n(split - TIMELINE_SIDE)}" height="{_n(bottom - 20)}"'
        out.append(f'<rect class="compressed" x="{_n(TIMELINE_SIDE)}" y="20" {size} fill="#f1f1f1"/>')
    labelled = -math.inf
    step = _year_step(after.year - first.year)
    for year in range(first.year + (-first.year) % step, after.year + 1, step):
        for month in (1, 4, 7, 10) if step == 1 else (1,):
            day = date(year, month, 1)
            if not first <= day < after:
                continue
            x = axis.x(day)
            if month == 1:
                out.append(f'<line x1="{_n(x)}" y1="20" x2="{_n(x)}" y2="{_n(bottom)}" stroke="#bbb"/>')
                wide = year + step > 9999 or axis.x(date(year + step, 1, 1)) - x >= 40
                if (wide or year % (5 * step) == 0) and x - labelled >= 32:
                    out.append(f'<text x="{_n(x)}" y="16" text-anchor="middle">{year}</text>')
                    labelled = x
            elif x - axis.x(date(year, month - 3, 1)) >= 28:
                out.append(f'<line x1="{_n(x)}" y1="34" x2="{_n(x)}" y2="{_n(bottom)}" stroke="#e4e4e4"/>')
                name = _QUARTERS[month]
                out.append(f'<text x="{_n(x)}" y="31" text-anchor="middle" font-size="9">{name}</text>')
    return [*out, "</g>"]


def _mark(precision: str, modality: str, x0: float, x1: float, y: float, lit: bool) -> str:
    """A point for a day, a bar over the covered days for anything longer."""
    colour = {"reported": "#1f5f99", "forecast": "#c76b00"}.get(modality, "#666")
    dash = _DASHES.get(modality, _DOTTED)
    style = (
        f'fill="{colour}" fill-opacity="{"0.9" if modality == "reported" else "0.35"}" stroke="{colour}" '
        f'stroke-width="{"2.5" if lit else "1"}"' + (f' stroke-dasharray="{dash}"' if dash else "")
    )
    if precision == "day":
        return f'<circle cx="{_n((x0 + x1) / 2)}" cy="{_n(y)}" r="{"7" if lit else "5"}" {style}/>'
    width = max(x1 - x0, MIN_BAR)
    return f'<rect x="{_n(x0)}" y="{_n(y - 6)}" width="{_n(width)}" height="12" rx="2" {style}/>'


def _event(event: TimelineEvent, axis: _Axis, y: float, lit: bool) -> str:
    """One row: the mark, then the label and the date as written, on the side with more room."""
    first, after, precision = _extent(event)
    x0, x1 = axis.x(first), axis.x(after)
    when = f"{event.start} – {event.end}" if event.end else event.start
    when = f"{when} ({precision})"
    label = truncate(event.label, 48)
    needed = _text_px(label, 12) + _text_px(when, 10) + 4
    room_right = TIMELINE_WIDTH - TIMELINE_SIDE - x1 - 6
    right = room_right >= needed or room_right >= x0 - TIMELINE_SIDE - 6
    tx, anchor = (x1 + 6, "start") if right else (x0 - 6, "end")
    weight = ' font-weight="bold"' if lit else ""
    text = (
        f'<text x="{_n(tx)}" y="{_n(y + 4)}" text-anchor="{anchor}" fill="#222" {_HALO}{weight}>'
        f'{_esc(label)} <tspan class="date" font-size="10" fill="#555">{_esc(when)}</tspan></text>'
    )
    band = ""
    if lit:
        band = f'<rect x="0" y="{_n(y - TIMELINE_ROW / 2)}" width="{_n(TIMELINE_WIDTH)}" '
        band += f'height="{_n(TIMELINE_ROW)}" fill="#fff3c4"/>'
    classes = _classes("event", precision, _token(event.modality), "kind-" + _token(event.kind))
    classes = _classes(classes, "highlight" if lit else "")
    tooltip = f"{event.label}: {when}; {event.kind}, {event.modality}"
    mark = _mark(precision, event.modality, x0, x1, y, lit)
    return _item(classes, event.iri, event.href, tooltip, band + mark + text)


def timeline_svg(
    events: Sequence[TimelineEvent],
    start: str = "1998",
    end: str = "2021-06",
    title: str = "Timeline",
    highlight: str | None = None,
) -> str:
    """Events on a time axis from ``start`` to the end of ``end`` (widened to cover every event),
    one row each in order of start, each date drawn at its precision. ValueError on a date that
    is not an xsd:gYear, xsd:gYearMonth or xsd:date in ``start`` or ``end``. An event whose
    date is unreadable, or whose interval ends before it starts, is left out; beyond
    MAX_EVENTS (the earliest, and the highlighted one), a note counts the rest."""
    extents = {}
    for event in events:
        with contextlib.suppress(ValueError):
            extents[event] = _extent(event)
    ordered = sorted(extents, key=lambda e: (extents[e][0], extents[e][1], e.label, e.iri))
    ordered = ordered[:MAX_EVENTS] + [e for e in ordered[MAX_EVENTS:] if e.iri == highlight]
    hidden = len(extents) - len(ordered)
    extents = {e: extents[e] for e in ordered}
    first = min([_period(start)[0], *(x[0] for x in extents.values())])
    after = max([_period(end)[1], *(x[1] for x in extents.values())])
    axis = _axis(first, after, TIMELINE_SIDE, TIMELINE_WIDTH - TIMELINE_SIDE)
    bottom = TIMELINE_HEADER + TIMELINE_ROW * len(ordered)
    body = _ticks(axis, first, after, bottom)
    body += [
        _event(e, axis, TIMELINE_HEADER + TIMELINE_ROW * (i + 0.5), e.iri == highlight)
        for i, e in enumerate(ordered)
    ]
    scale = "linear"
    if len(axis.knots) == 3:
        scale = f"years before {DENSE_FROM.year} compressed (shaded)"
        body.append(_text(TIMELINE_SIDE, bottom + 16, f"Scale: {scale}", "start", 10, ' class="scale-note"'))
    more = f", and {hidden} more not shown" if hidden > 0 else ""
    if hidden > 0:
        body.append(_text(TIMELINE_WIDTH - TIMELINE_SIDE, bottom + 16, more[2:], "end", 10, ' class="more"'))
    span = f"{first.isoformat()} to {(after - timedelta(days=1)).isoformat()}"
    names = "; ".join(f"{e.label} ({e.start}{' – ' + e.end if e.end else ''})" for e in ordered)
    desc = f"Timeline of {len(ordered)} events from {span}, time scale {scale}: {names}{more}"
    return _svg(_uid("timeline", title), title, desc, TIMELINE_WIDTH, bottom + 24, body)


# --- Neighbourhood -------------------------------------------------------------------------

GRAPH_SIZE = 880.0
RING = 210.0  # radius of the circle of neighbours
MAX_NEIGHBOURS = 24
NODE_LABEL_LIMIT = 28
LABEL_AT = 0.66  # where along a spoke, from the centre, its label stands
EDGE_LABEL_LIMIT = 24
_PALETTE = ("#1f5f99", "#8b1a1a", "#2e7d32", "#c76b00", "#6a3d9a", "#00838f", "#ad1457", "#5d4037")


@dataclass(frozen=True)
class GraphNode:
    iri: str
    label: str
    kind: str
    href: str


@dataclass(frozen=True)
class GraphEdge:
    source: str  # IRI of a node
    target: str
    label: str  # the property's label


@dataclass(frozen=True)
class _Spot:
    node: GraphNode
    x: float
    y: float
    r: float  # radius of the node's circle
    angle: float  # radians, clockwise from east; the way its label points


def _colour(kind: str) -> str:
    """A colour per kind of node, the same on every page whichever other kinds are shown."""
    return _PALETTE[int(hashlib.sha256(kind.encode()).hexdigest(), 16) % len(_PALETTE)]


def _node(spot: _Spot, centre: bool) -> str:
    """A circle with its label: below the centre node, pointing outwards for neighbours."""
    node = spot.node
    circle = f'<circle cx="{_n(spot.x)}" cy="{_n(spot.y)}" r="{_n(spot.r)}" fill="{_colour(node.kind)}" '
    circle += 'stroke="#fff" stroke-width="2"/>'
    label = truncate(node.label, NODE_LABEL_LIMIT)
    if centre:
        text = _text(spot.x, spot.y + spot.r + 16, label, "middle", 14, ' font-weight="bold"')
    else:
        lx, ly = spot.x + (spot.r + 6) * math.cos(spot.angle), spot.y + (spot.r + 6) * math.sin(spot.angle)
        flip = math.cos(spot.angle) < -1e-9  # keep labels on the left upright
        turn = f' transform="rotate({_n(math.degrees(spot.angle) + (180 if flip else 0))} {_n(lx)} {_n(ly)})"'
        text = _text(lx, ly + 4, label, "end" if flip else "start", 12, turn)
    classes = _classes("node", "center" if centre else "", "kind-" + _token(node.kind))
    return _item(classes, node.iri, node.href, f"{node.label} ({node.kind})", circle + text)


def _edge(edge: GraphEdge, spots: dict[str, _Spot], stack: int, marker: str) -> str:
    """A straight arrow between the circles, its label along it at the midpoint; ``stack``
    moves the label of a second or third edge between the same nodes off the first one."""
    a, b = spots[edge.source], spots[edge.target]
    length = math.hypot(b.x - a.x, b.y - a.y) or 1.0
    ux, uy = (b.x - a.x) / length, (b.y - a.y) / length
    x1, y1, x2, y2 = a.x + ux * a.r, a.y + uy * a.r, b.x - ux * (b.r + 2), b.y - uy * (b.r + 2)
    line = f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="#888" stroke-width="1.2" '
    line += f'marker-end="url(#{marker})"/>'
    angle = math.degrees(math.atan2(uy, ux))
    angle = angle - 180 if angle > 90 else angle + 180 if angle < -90 else angle
    # Spokes crowd near the centre: their labels go two thirds of the way out, where they part.
    inner, outer = (a, b) if a.r > b.r else (b, a)
    mx, my = inner.x + (outer.x - inner.x) * LABEL_AT, inner.y + (outer.y - inner.y) * LABEL_AT
    turn = f' transform="rotate({_n(angle)} {_n(mx)} {_n(my)})"'
    label = _text(mx, my - 4 - 12 * stack, truncate(edge.label, EDGE_LABEL_LIMIT), "middle", 10, turn)
    tooltip = f"{a.node.label} → {edge.label} → {b.node.label}"
    return (
        f'<g class="edge" data-source="{_esc(edge.source)}" data-target="{_esc(edge.target)}" fill="#555">'
        f"<title>{_esc(tooltip)}</title>{line}{label}</g>"
    )


def neighbourhood_svg(
    center: GraphNode, nodes: Sequence[GraphNode], edges: Sequence[GraphEdge], title: str
) -> str:
    """A node in the middle and its neighbours on a circle, clockwise from the top in the given
    order (the first MAX_NEIGHBOURS; a note counts the rest), with the edges between shown nodes."""
    others = list({n.iri: n for n in nodes if n.iri != center.iri}.values())
    shown, hidden = others[:MAX_NEIGHBOURS], len(others) - MAX_NEIGHBOURS
    mid = GRAPH_SIZE / 2
    spots = {center.iri: _Spot(center, mid, mid, 14.0, math.pi / 2)}
    for i, node in enumerate(shown):
        angle = -math.pi / 2 + 2 * math.pi * i / len(shown)
        spots[node.iri] = _Spot(node, mid + RING * math.cos(angle), mid + RING * math.sin(angle), 8.0, angle)
    uid = _uid("neighbourhood", title)
    body = [
        f'<defs><marker id="{uid}-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto"><path d="M0 0L10 5L0 10z" fill="#888"/></marker></defs>'
    ]
    pairs: dict[frozenset[str], int] = {}
    for edge in edges:
        if edge.source in spots and edge.target in spots and edge.source != edge.target:
            pair = frozenset((edge.source, edge.target))
            pairs[pair] = pairs.get(pair, -1) + 1
            body.append(_edge(edge, spots, pairs[pair], f"{uid}-arrow"))
    body += [_node(spot, spot.node.iri == center.iri) for spot in spots.values()]
    if hidden > 0:
        body.append(_text(12, 20, f"+{hidden} more not shown", size=12, extra=' class="more"'))
    names = "; ".join(f"{n.label} ({n.kind})" for n in shown)
    more = f", and {hidden} more not shown" if hidden > 0 else ""
    desc = f"{center.label} ({center.kind}) and {len(shown)} neighbours: {names}{more}."
    return _svg(uid, title, desc, GRAPH_SIZE, GRAPH_SIZE, body)
