"""Query results for people and programs: a readable table, or the standard formats."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from pyoxigraph import (
    Literal,
    NamedNode,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    Triple,
    serialize,
)

from graph.store import QueryResult

SOLUTION_FORMATS = {
    "json": QueryResultsFormat.JSON,
    "csv": QueryResultsFormat.CSV,
    "tsv": QueryResultsFormat.TSV,
    "xml": QueryResultsFormat.XML,
}
GRAPH_FORMATS = {"turtle": RdfFormat.TURTLE, "ntriples": RdfFormat.N_TRIPLES}
CELL_WIDTH = 70


def render(result: QueryResult, fmt: str, prefixes: Mapping[str, str], hide: Collection[str] = ()) -> str:
    """``result`` as text in ``fmt``: ``table`` (the default for SELECT and ASK), a SPARQL
    results format (json, csv, tsv, xml) or, for CONSTRUCT and DESCRIBE, turtle or ntriples.

    ``hide`` names columns the table leaves out when they are empty (optional parameters
    that were not given).
    Raises ValueError when the format does not fit the kind of result.
    """
    if isinstance(result, QueryBoolean):
        if fmt == "table":
            return "yes" if bool(result) else "no"
        return _serialize_solutions(result, fmt)
    if isinstance(result, QuerySolutions):
        if fmt == "table":
            return table(result, prefixes, hide)
        return _serialize_solutions(result, fmt)
    fmt = "turtle" if fmt == "table" else fmt
    if fmt not in GRAPH_FORMATS:
        raise ValueError(f"a graph result is written as {' or '.join(GRAPH_FORMATS)}, not {fmt}")
    triples: Iterable[Triple] = result
    data = serialize(triples, format=GRAPH_FORMATS[fmt], prefixes=dict(prefixes))
    return (data or b"").decode("utf-8")


def _serialize_solutions(result: QuerySolutions | QueryBoolean, fmt: str) -> str:
    if fmt not in SOLUTION_FORMATS:
        raise ValueError(
            f"SELECT and ASK results are written as table, {', '.join(SOLUTION_FORMATS)}, not {fmt}"
        )
    return (result.serialize(format=SOLUTION_FORMATS[fmt]) or b"").decode("utf-8")


def cell(term: object, prefixes: Mapping[str, str]) -> str:
    """A term as a person reads it: IRIs as prefixed names where a prefix fits, literals as
    their text."""
    if term is None:
        return ""
    if isinstance(term, NamedNode):
        for prefix, iri in sorted(prefixes.items(), key=lambda item: -len(item[1])):
            if term.value.startswith(iri):
                return f"{prefix}:{term.value[len(iri) :]}"
        return f"<{term.value}>"
    if isinstance(term, Literal):
        return term.value
    return str(term)


def rows(result: QuerySolutions, prefixes: Mapping[str, str]) -> tuple[list[str], list[list[str]]]:
    """The variable names and every row as readable cells."""
    names = [v.value for v in result.variables]
    return names, [[cell(solution[name], prefixes) for name in names] for solution in result]


def table(result: QuerySolutions, prefixes: Mapping[str, str], hide: Collection[str] = ()) -> str:
    names, body = rows(result, prefixes)
    keep = [i for i, name in enumerate(names) if name not in hide or any(row[i] for row in body)]
    names, body = [names[i] for i in keep], [[row[i] for i in keep] for row in body]
    body = [[_clip(value) for value in row] for row in body]
    widths = [max([len(name), *(len(row[i]) for row in body)]) for i, name in enumerate(names)]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)).rstrip(), line]
    out += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in body]
    out.append(f"({len(body)} row{'s' if len(body) != 1 else ''})")
    return "\n".join(out)


def _clip(value: str) -> str:
    value = " ".join(value.split())
    return value if len(value) <= CELL_WIDTH else value[: CELL_WIDTH - 1] + "…"
