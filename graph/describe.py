"""What the browser shows of a resource: names, types (asserted or inferred), statements in
both directions grouped by property, each with its provenance, the events it takes part in,
and the sentences that name it. Everything comes from the queries in ``queries/browser``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from itertools import groupby
from pathlib import Path
from typing import Any

from pyoxigraph import BlankNode, NamedNode, QuerySolutions

import queries
from graph import sparql_text, values
from graph.namespaces import RDFS, SKOS, WD, XSD, Dataset
from graph.store import Store

BROWSER_QUERIES = Path(queries.__file__).resolve().parent / "browser"


@cache
def browser_query(name: str) -> queries.NamedQuery:
    return queries.load_file(BROWSER_QUERIES / f"{name}.rq")


@cache
def _sparql(name: str, base: str) -> str:
    return browser_query(name).sparql(Dataset(base))


def select(
    store: Store, name: str, dataset: Dataset, **bindings: NamedNode | Sequence[NamedNode]
) -> list[dict[str, Any]]:
    """The rows of the browser query ``name`` (terms, None where unbound). A binding is a
    term, or a list of terms for the variable to take each of; they go in as a VALUES block
    (``graph.sparql_text.bind``), which pyoxigraph starts from, where ``substitutions=``
    would be applied only after a plan made as if the variable were free (seconds at 1M)."""
    result = store.query(sparql_text.bind(_sparql(name, dataset.base), bindings))
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
    position: int | None  # None when the sentence's position breaks its rule (graph.values)
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


def describe(store: Store, dataset: Dataset, iri: str) -> View:
    """Everything the entity page shows of ``iri``: a few queries, each bound to ``iri`` (or
    to the graphs of its statements), so that the cost follows the entity, not the store."""
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
        events=_events(store, dataset, entity),
        mentions=sorted(
            (
                Mention(r["sentence"].value, _position(r["position"]), r["text"].value, r["report"].value)
                for r in select(store, "mentions", dataset, entity=entity)
            ),
            key=lambda m: (m.report, m.position or 0),  # ORDER BY ?report ?position
        ),
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
    for found in names.values():
        found.sort()
    return names, sorted(types.values(), key=lambda t: (t.inferred, t.label))


def _statements(
    store: Store, dataset: Dataset, entity: NamedNode
) -> tuple[list[PropertyGroup], list[PropertyGroup], list[str]]:
    groups: OrderedDict[tuple[str, str], PropertyGroup] = OrderedDict()
    statements: dict[tuple[str, str, str], Statement] = {}
    same_as: list[str] = []
    for row in _statement_rows(store, dataset, entity):
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


STATEMENT_ORDER = ("direction", "propertyLabel", "property", "valueLabel", "value")
PROVENANCE = ("modality", "position", "sentence", "citation", "outlet", "citedDate", "yearInferred")


def _statement_rows(store: Store, dataset: Dataset, entity: NamedNode) -> list[dict[str, Any]]:
    """The rows of statements.rq, each joined with the provenance of its graph (one row per
    citation), ordered by statement, then by the position of the sentence and the citation:
    as one query would give them. Two queries, because pyoxigraph evaluates an OPTIONAL over
    every claim graph of the store before it joins (a second a page at 100k triples)."""
    rows = sorted(select(store, "statements", dataset, entity=entity), key=_statement_order)
    graphs = sorted({r["graph"].value for r in rows})
    provenance: dict[str, list[dict[str, Any]]] = {}
    if graphs:
        for found in select(store, "provenance", dataset, graph=[NamedNode(g) for g in graphs]):
            provenance.setdefault(found["graph"].value, []).append(found)
    unknown = [dict.fromkeys(PROVENANCE)]
    joined: list[dict[str, Any]] = []
    for _, run in groupby(rows, _statement_order):
        same = [{**r, **p} for r in run for p in provenance.get(r["graph"].value, unknown)]
        joined += sorted(same, key=_sentence_order)  # stable: ties keep the engine's order
    return joined


def _statement_order(row: dict[str, Any]) -> tuple[tuple[Any, ...], ...]:
    return tuple(order_key(row[name]) for name in STATEMENT_ORDER)


NUMERIC = {XSD + t for t in ("integer", "decimal", "float", "double", "int", "long", "nonNegativeInteger")}


def order_key(term: Any) -> tuple[Any, ...]:
    """A sort key for a term (or None, unbound) in the order SPARQL's ORDER BY gives (SPARQL
    1.1, 15.1) as pyoxigraph applies it: unbound, then blank nodes (all equal), IRIs, and
    literals, which compare by value within their kind (numbers as numbers, language-tagged
    strings within their language, the others as text within their datatype).

    >>> from pyoxigraph import Literal
    >>> sorted([Literal("10", datatype=NamedNode(XSD + "integer")),
    ...         Literal("9", datatype=NamedNode(XSD + "integer")), None], key=order_key)
    [None, <Literal value=9 datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#integer>>, \
<Literal value=10 datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#integer>>]
    """
    if term is None:
        return (0,)
    if isinstance(term, BlankNode):
        return (1,)
    if isinstance(term, NamedNode):
        return (2, term.value)
    if term.language:
        return (3, "@", term.language, term.value)
    datatype = term.datatype.value
    if datatype in NUMERIC:
        try:
            return (3, "number", float(term.value))
        except ValueError:
            pass  # an ill-typed number: as text
    return (3, datatype, term.value)


def _sentence_order(row: dict[str, Any]) -> tuple[bool, int, bool, str]:
    """ORDER BY ?position ?citation, where an unbound value sorts first (SPARQL 1.1, 15.1)."""
    position, citation = row["position"], row["citation"]
    return (
        position is not None,
        _position(position) or 0,
        citation is not None,
        citation.value if citation is not None else "",
    )


def _position(term: Any) -> int | None:
    """A sentence's position, or None when it is unbound or breaks its rule (not a count)."""
    found = values.RULES["position"].value(term)
    return int(found) if isinstance(found, Decimal) else None


def _add_provenance(statement: Statement, row: dict[str, Any], dataset: Dataset) -> None:
    graph = row["graph"].value
    found = next((p for p in statement.provenance if p.graph == graph), None)
    if found is None:
        found = Provenance(graph, _graph_kind(graph, row, dataset))
        if row["source"] is not None:
            found.source = row["source"].value
        if row["modality"] is not None:
            found.modality = row["modality"].value
            found.position = _position(row["position"])
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


def _events(store: Store, dataset: Dataset, entity: NamedNode) -> list[EventRef]:
    """The events ``entity`` takes part in, in time order (undated ones last)."""
    events: OrderedDict[str, EventRef] = OrderedDict()
    for row in select(store, "participation", dataset, entity=entity):
        iri = row["event"].value
        event = events.setdefault(iri, EventRef(iri, row["label"].value, row["kind"].value, _when(row), []))
        if row["role"].value not in event.roles:
            event.roles.append(row["role"].value)
    return list(events.values())


def _when(row: dict[str, Any]) -> str:
    if row["date"] is not None:
        return str(row["date"].value)
    if row["start"] is not None:
        end = row["end"].value if row["end"] is not None else ""
        return f"{row['start'].value}/{end}" if end else str(row["start"].value)
    return ""
