"""What each page shows besides the description itself: the overview of the home page, the
ontology's terms, and the pictures (map, timeline, neighbourhood), from the browser queries
and the SVG renderers in ``server.pictures``."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal
from itertools import groupby
from typing import Any

from flask import Response
from pyoxigraph import NamedNode, serialize

from graph import values
from graph.describe import View, select
from graph.namespaces import OWL, RDF, RDFS, Dataset
from graph.store import Store
from ontology import ontology_triples
from server import conneg, display, pictures
from server.context import Context

log = logging.getLogger(__name__)
PAGE = 25


def kept(kg: Context, name: str) -> list[dict[str, Any]]:
    """The rows of a browser query that takes no parameters, kept until the store changes."""
    return kg.memo(name, lambda: select(kg.store, name, Dataset(kg.settings.base)))


MAP_WEST = 40.0  # the map shows Iran, Central Asia and their neighbours
ENTRY_CLASSES = ("State", "Corridor", "Visit", "NewsOutlet", "Agreement", "Tour")
PLACE_KINDS = {"State", "City", "Port", "BorderCrossing", "Corridor", "Region", "Sea"}


def overview(kg: Context) -> dict[str, Any]:
    """The home page: the reports (now that they carry their title as label), the counts by
    class, entry points, the map and the timeline; kept until the store changes."""
    return kg.memo("overview-page", lambda: _overview(kg))


def _overview(kg: Context) -> dict[str, Any]:
    store, dataset = kg.store, Dataset(kg.settings.base)
    counts = [(r["class"].value, r["label"].value, int(r["count"].value)) for r in kept(kg, "overview")]
    entry_points = {}
    for name in [*ENTRY_CLASSES, "Report"]:
        rows = select(store, "instances", dataset, **{"class": dataset.term(name)})
        entry_points[name] = [(r["thing"].value, r["label"].value) for r in rows if r["label"] is not None]
    reports = entry_points.pop("Report")
    return {
        "counts": counts,
        "entry_points": entry_points,
        "reports": reports,
        "map_svg": map_svg(kg),
        "timeline_svg": timeline_svg(kg),
    }


def map_svg(kg: Context, highlight: str | None = None) -> str:
    """The map of the places and corridors with coordinates; a place whose latitude or
    longitude breaks its rule (``graph.values``) is left out (its page shows the text)."""
    dataset = Dataset(kg.settings.base)
    places, off_map = [], []
    for row in kept(kg, "places"):
        where = _coordinates(row)
        if where is None:
            continue
        if where[1] < MAP_WEST:  # Vienna: far from the region the map is about
            off_map.append(row["label"].value)
            continue
        capital = row["capital"] is not None and row["capital"].value == "true"
        kind = "capital" if row["kind"].value == "city" and capital else row["kind"].value
        places.append(
            pictures.MapPlace(
                row["place"].value,
                row["label"].value,
                kind,
                *where,
                display.href(row["place"].value, dataset),
            )
        )
    capitals = {(p.lat, p.lon) for p in places if p.kind == "capital"}
    places = [p for p in places if p.kind != "state" or (p.lat, p.lon) not in capitals]  # the capital says it
    corridors = []
    rows = kept(kg, "corridors")
    for (iri, label, modality), group in groupby(
        rows, lambda r: (r["corridor"].value, r["label"].value, r["modality"].value)
    ):
        members = list(group)
        points = tuple(dict.fromkeys(p for p in map(_coordinates, members) if p is not None))
        mode = members[0]["mode"].value if members[0]["mode"] is not None else None
        if len(points) > 1:
            corridors.append(
                pictures.MapCorridor(iri, label, points, mode, modality, display.href(iri, dataset))
            )
    note = "Coordinates from GeoNames and Wikipedia, not from the reports"
    if off_map:
        shown = ", ".join(pictures.truncate(name, 40) for name in off_map[:OFF_MAP_NAMED])
        more = f" and {len(off_map) - OFF_MAP_NAMED} more" if len(off_map) > OFF_MAP_NAMED else ""
        note += f"; off the map: {shown}{more}"
    return pictures.map_svg(places, corridors, "Corridors, ports, crossings and capitals", note, highlight)


OFF_MAP_NAMED = 5


def _coordinates(row: dict[str, Any]) -> tuple[float, float] | None:
    """The (lat, lon) of a row of places.rq or corridors.rq, or None when either breaks its rule."""
    lat = values.RULES["latitude"].value(row["lat"])
    lon = values.RULES["longitude"].value(row["lon"])
    if not isinstance(lat, Decimal) or not isinstance(lon, Decimal):
        return None
    return float(lat), float(lon)


def timeline_svg(kg: Context, only: set[str] | None = None, highlight: str | None = None) -> str:
    """The timeline of every dated event (kept until the store changes), or of the events
    ``only`` (asked for them alone: the whole timeline takes half a minute at 1M triples)."""
    dataset = Dataset(kg.settings.base)
    events = []
    dates = values.RULES["date"]
    for row in _timeline_rows(kg, only):
        iri = row["event"].value
        start = dates.value(row["date"] if row["date"] is not None else row["start"])
        end = dates.value(row["end"]) if row["date"] is None and row["end"] is not None else None
        if not isinstance(start, str) or (row["date"] is None and row["end"] is not None and end is None):
            continue  # a date that breaks its rule: the event's page shows the text
        modality = (
            "forecast" if row["modality"] is not None and row["modality"].value == "forecast" else "reported"
        )
        events.append(
            pictures.TimelineEvent(
                iri,
                row["label"].value,
                start,
                end if isinstance(end, str) else None,
                row["kind"].value,
                modality,
                display.href(iri, dataset),
            )
        )
    if not events:
        return ""
    try:
        return pictures.timeline_svg(
            events, title="Timeline of events, 1998 to June 2021", highlight=highlight
        )
    except ValueError as error:  # a malformed date written over the protocol: no timeline, not a 500
        log.warning("timeline left out: %s", error)
        return ""


def _timeline_rows(kg: Context, only: set[str] | None) -> list[dict[str, Any]]:
    """The rows of timeline.rq, each with the modality of a claim that states the event (one
    row a claim), as one query with an OPTIONAL would give them."""
    if only is None:
        rows, modalities = kept(kg, "timeline"), kept(kg, "modalities")
    else:
        dataset = Dataset(kg.settings.base)
        named = [NamedNode(iri) for iri in sorted(only) if _is_iri(iri)]  # a blank node: left out
        if not named:
            return []
        rows = select(kg.store, "timeline", dataset, event=named)
        modalities = select(kg.store, "modalities", dataset, event=named)
    stated: dict[tuple[str, str], list[Any]] = {}
    for found in modalities:
        stated.setdefault((str(found["event"]), str(found["class"])), []).append(found["modality"])
    return [
        {**row, "modality": modality}
        for row in rows
        for modality in stated.get((str(row["event"]), str(row["class"])), [None])
    ]


def _is_iri(text: str) -> bool:
    try:
        NamedNode(text)
    except ValueError:
        return False
    return True


def neighbourhood_svg(view: View, dataset: Dataset) -> str:
    center = pictures.GraphNode(view.iri, view.label, "center", display.href(view.iri, dataset))
    nodes: dict[str, pictures.GraphNode] = {}
    edges = []
    for group in [*view.outgoing, *view.incoming]:
        for statement in group.statements:
            if not isinstance(statement.value, NamedNode) or statement.label is None:
                continue
            other = statement.value.value
            nodes.setdefault(
                other, pictures.GraphNode(other, statement.label, "entity", display.href(other, dataset))
            )
            source, target = (view.iri, other) if group.direction == "out" else (other, view.iri)
            edges.append(pictures.GraphEdge(source, target, group.label))
    if not nodes:
        return ""
    return pictures.neighbourhood_svg(center, list(nodes.values()), edges, f"{view.label} and its neighbours")


def page_for(kg: Context, view: View, args: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
    """The template for ``view`` and what it needs besides: the term page for the ontology's
    classes and properties, the entity page for everything else."""
    store, dataset = kg.store, Dataset(kg.settings.base)
    if view.iri.startswith(dataset.vocabulary):
        return "term.html", term_page(store, dataset, view)
    unit = next(
        (s.label for g in view.outgoing if g.property == dataset.vocabulary + "unit" for s in g.statements),
        None,
    )
    extra: dict[str, Any] = {
        "paged": _paged(view, args),
        "neighbourhood_svg": neighbourhood_svg(view, dataset),
        "unit": unit,
    }
    type_names = {t.iri.removeprefix(dataset.vocabulary) for t in view.types}
    if type_names & PLACE_KINDS:
        extra["map_svg"] = map_svg(kg, highlight=view.iri)
    events = {e.iri for e in view.events} | {view.iri}  # the entity itself, when it is a dated event
    extra["timeline_svg"] = timeline_svg(kg, only=events, highlight=view.iri)
    return "entity.html", extra


def _paged(view: View, args: Mapping[str, str]) -> dict[tuple[str, str], int]:
    """How many statements to show per (direction, property): PAGE, or all when asked."""
    shown = {}
    for group in [*view.outgoing, *view.incoming]:
        wanted = args.get("all") == f"{group.direction}:{group.property}"
        shown[(group.direction, group.property)] = len(group.statements) if wanted else PAGE
    return shown


def term_page(store: Store, dataset: Dataset, view: View) -> dict[str, Any]:
    rows = select(store, "term", dataset, term=NamedNode(view.iri))
    relations: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        other = row["other"]
        label = (
            row["otherLabel"].value
            if row["otherLabel"] is not None
            else display.compact(getattr(other, "value", str(other)), dataset)
        )
        relations.setdefault(row["relation"].value, []).append((getattr(other, "value", ""), label))
    instances = [
        (r["thing"].value, r["label"].value if r["label"] is not None else r["thing"].value)
        for r in select(store, "instances", dataset, **{"class": NamedNode(view.iri)})
    ]
    is_class = any(iri == OWL + "Class" for iri, _ in relations.get(RDF + "type", []))
    return {
        "relations": relations,
        "instances": instances if is_class else [],
        "is_class": is_class,
        "names": {
            "subclass": dataset.vocabulary + "subClass",
            "subproperty": dataset.vocabulary + "subProperty",
            "superclass": RDFS + "subClassOf",
            "superproperty": RDFS + "subPropertyOf",
        },
    }


def ontology_terms(store: Store, dataset: Dataset) -> dict[str, Any]:
    rows = select(store, "terms", dataset)
    kinds = {
        OWL + "Class": "Classes",
        OWL + "ObjectProperty": "Relations",
        OWL + "DatatypeProperty": "Values",
        OWL + "AnnotationProperty": "Annotations",
        RDFS + "Datatype": "Datatypes",
    }
    sections: dict[str, list[tuple[str, str, str]]] = {name: [] for name in kinds.values()}
    for row in rows:
        definition = row["definition"].value if row["definition"] is not None else ""
        sections[kinds[row["kind"].value]].append((row["term"].value, row["label"].value, definition))
    return {"sections": sections, "ontology_iri": dataset.ontology_iri}


def ontology_rdf(dataset: Dataset, chosen: conneg.Format) -> Response:
    body = serialize(
        ontology_triples(dataset.base), format=conneg.PYOXIGRAPH_RDF[chosen.name], prefixes=dataset.prefixes()
    )
    return Response(body, content_type=f"{chosen.media_type}; charset=utf-8")
