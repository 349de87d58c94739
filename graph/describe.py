"""What the browser shows of a resource: names, types (asserted or inferred), statements in
both directions grouped by property, each with its provenance, the events it takes part in,
and the sentences that name it. Everything comes from the queries in ``queries/browser``.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pyoxigraph import NamedNode, QuerySolutions

import queries
from graph.namespaces import RDFS, SKOS, WD, Dataset
from graph.store import Store

BROWSER_QUERIES = Path(queries.__file__).resolve().parent / "browser"


@cache
def browser_query(name: str) -> queries.NamedQuery:
    return queries.load_file(BROWSER_QUERIES / f"{name}.rq")


def select(store: Store, name: str, dataset: Dataset, **bindings: Any) -> list[dict[str, Any]]:
    """The rows of the browser query ``name`` (terms, None where unbound)."""
    query = browser_query(name)
    result = store.query(query.sparql(dataset), substitutions=bindings)
    if not isinstance(result, QuerySolutions):
        raise TypeError(f"queries/browser/{name}.rq must be a SELECT query")
    names = [v.value for v in result.variables]
    return [{n: solution[n] for n in names} for solution in result]


@dataclass
class Citation:
    printed: str
    outlet: str | None
    date: str | None
    year_inferred: bool = False


@dataclass
class Provenance:
    graph: str
    kind: str  # "claim", "inferred", "background", "entities", "ontology", "other"
    source: str | None = None  # for a background graph: the public source it names
    modality: str | None = None
    position: int | None = None
    sentence: str | None = None
    citations: list[Citation] = field(default_factory=list)


@dataclass
class Statement:
    value: Any  # a pyoxigraph term
    label: str | None
    provenance: list[Provenance] = field(default_factory=list)


@dataclass
class PropertyGroup:
    property: str
    label: str
    direction: str  # "out" or "in"
    statements: list[Statement] = field(default_factory=list)


@dataclass
class TypeOf:
    iri: str
    label: str
    inferred: bool


@dataclass
class EventRef:
    iri: str
    label: str
    kind: str
    when: str  # lexical, at its precision ("" when undated)
    roles: list[str]


@dataclass
class Mention:
    sentence: str
    position: int
    text: str
    report: str


@dataclass
class View:
    iri: str
    label: str
    alt_labels: list[str]
    notes: list[str]
    definitions: list[str]
    types: list[TypeOf]
    outgoing: list[PropertyGroup]
    incoming: list[PropertyGroup]
    events: list[EventRef]
    mentions: list[Mention]
    same_as: list[str]

    @property
    def wikidata(self) -> list[str]:
        return [iri for iri in self.same_as if iri.startswith(WD)]

    def known(self) -> bool:
        return bool(
            self.types or self.outgoing or self.incoming or self.alt_labels or self.notes or self.label_found
        )

    label_found: bool = False


def describe(store: Store, dataset: Dataset, iri: str, events: EventIndex | None = None) -> View:
    """Everything the entity page shows of ``iri``. ``events`` may be kept from an earlier
    call while the store does not change."""
    entity = NamedNode(iri)
    names, types = _about(store, dataset, entity)
    outgoing, incoming, same_as = _statements(store, dataset, entity)
    label = (names.get(RDFS + "label") or [""])[0]
    title = next(iter(names.get(dataset.vocabulary + "title", [])), "")
    view = View(
        iri=iri,
        label=label or title or _fallback_label(iri),
        alt_labels=names.get(SKOS + "altLabel", []),
        notes=names.get(SKOS + "note", []),
        definitions=names.get(SKOS + "definition", []),
        types=types,
        outgoing=outgoing,
        incoming=incoming,
        events=(events or EventIndex(store, dataset)).of(iri),
        mentions=[
            Mention(r["sentence"].value, int(r["position"].value), r["text"].value, r["report"].value)
            for r in select(store, "mentions", dataset, entity=entity)
        ],
        same_as=same_as,
    )
    view.label_found = bool(label or title or names.get(dataset.vocabulary + "text"))
    return view


def _fallback_label(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _about(store: Store, dataset: Dataset, entity: NamedNode) -> tuple[dict[str, list[str]], list[TypeOf]]:
    names: dict[str, list[str]] = {}
    types: dict[str, TypeOf] = {}
    for row in select(store, "about", dataset, entity=entity):
        if row["property"] is not None:
            names.setdefault(row["property"].value, []).append(row["value"].value)
        elif row["type"] is not None:
            iri = row["type"].value
            inferred = row["inferred"] is not None and row["inferred"].value == "true"
            label = row["typeLabel"].value if row["typeLabel"] is not None else _fallback_label(iri)
            if iri not in types or not inferred:
                types[iri] = TypeOf(iri, label, inferred)
    for values in names.values():
        values.sort()
    return names, sorted(types.values(), key=lambda t: (t.inferred, t.label))


def _statements(
    store: Store, dataset: Dataset, entity: NamedNode
) -> tuple[list[PropertyGroup], list[PropertyGroup], list[str]]:
    groups: OrderedDict[tuple[str, str], PropertyGroup] = OrderedDict()
    statements: dict[tuple[str, str, str], Statement] = {}
    same_as: list[str] = []
    for row in select(store, "statements", dataset, entity=entity):
        prop, direction, value = row["property"].value, row["direction"].value, row["value"]
        if prop == "http://www.w3.org/2002/07/owl#sameAs":
            same_as.append(value.value)  # shown as links out, not as a statement
            continue
        label = row["propertyLabel"].value if row["propertyLabel"] is not None else _fallback_label(prop)
        group = groups.setdefault((direction, prop), PropertyGroup(prop, label, direction))
        key = (direction, prop, str(value))
        if key not in statements:
            value_label = row["valueLabel"].value if row["valueLabel"] is not None else None
            statements[key] = Statement(value, value_label)
            group.statements.append(statements[key])
        _add_provenance(statements[key], row, dataset)
    outgoing = [g for (d, _), g in groups.items() if d == "out"]
    incoming = [g for (d, _), g in groups.items() if d == "in"]
    return outgoing, incoming, sorted(set(same_as))


def _add_provenance(statement: Statement, row: dict[str, Any], dataset: Dataset) -> None:
    graph = row["graph"].value
    found = next((p for p in statement.provenance if p.graph == graph), None)
    if found is None:
        found = Provenance(graph, _graph_kind(graph, row, dataset))
        if row["source"] is not None:
            found.source = row["source"].value
        if row["modality"] is not None:
            found.modality = row["modality"].value
            found.position = int(row["position"].value)
            found.sentence = row["sentence"].value
        statement.provenance.append(found)
    if row["citation"] is not None and all(c.printed != row["citation"].value for c in found.citations):
        found.citations.append(
            Citation(
                row["citation"].value,
                row["outlet"].value if row["outlet"] is not None else None,
                row["citedDate"].value if row["citedDate"] is not None else None,
                row["yearInferred"] is not None and row["yearInferred"].value == "true",
            )
        )


def _graph_kind(graph: str, row: dict[str, Any], dataset: Dataset) -> str:
    if row["modality"] is not None:
        return "claim"
    if row["source"] is not None:
        return "background"
    if graph == dataset.inferred_graph.value:
        return "inferred"
    if graph == dataset.ontology_graph.value:
        return "ontology"
    for kind in ("background", "entities", "provenance"):
        if graph.endswith("/" + kind):
            return kind
    return "other"


class EventIndex:
    """The events of every entity, from one query; kept until the store changes."""

    def __init__(self, store: Store, dataset: Dataset) -> None:
        self.by_entity: dict[str, OrderedDict[str, EventRef]] = {}
        for row in select(store, "participation", dataset):
            events = self.by_entity.setdefault(row["entity"].value, OrderedDict())
            iri = row["event"].value
            found = EventRef(iri, row["label"].value, row["kind"].value, _when(row), [])
            event = events.setdefault(iri, found)
            if row["role"].value not in event.roles:
                event.roles.append(row["role"].value)

    def of(self, iri: str) -> list[EventRef]:
        """The events ``iri`` takes part in, in time order (undated ones last)."""
        return list(self.by_entity.get(iri, {}).values())


def _when(row: dict[str, Any]) -> str:
    if row["date"] is not None:
        return str(row["date"].value)
    if row["start"] is not None:
        end = row["end"].value if row["end"] is not None else ""
        return f"{row['start'].value}/{end}" if end else str(row["start"].value)
    return ""
