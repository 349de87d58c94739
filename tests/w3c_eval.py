"""Running W3C SPARQL 1.1 test-suite entries against a live endpoint: reading the manifests,
loading a test's dataset in one write, sending operations over HTTP, and comparing answers.

Comparison rules:

- solutions: the same variables (as a set) and the same rows as a multiset, blank nodes
  matched by one consistent bijection across the whole result (backtracking search); terms
  are equal when pyoxigraph's terms are (lexical form, datatype, language: no numeric
  normalization). When the query ends in ``ORDER BY`` plain variables (``?x``, ``ASC(?x)``,
  ``DESC(?x)``), the sequence of those variables' values must also match the expected
  order; other order conditions are compared as multisets only.
- graphs (CONSTRUCT answers, the store after an update): isomorphism with
  ``rdflib.compare.isomorphic``. Terms come from pyoxigraph's parsers and become rdflib terms
  without literal normalization. A dataset becomes one graph whose predicates carry the
  name of their graph, so blank nodes shared between graphs are matched consistently.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import rdflib
from pyoxigraph import (
    BlankNode,
    DefaultGraph,
    Literal,
    NamedNode,
    Quad,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    Triple,
    parse,
    parse_query_results,
)
from rdflib.collection import Collection
from rdflib.compare import isomorphic

from graph.sparql_text import tokens

MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

KINDS = {
    MF.QueryEvaluationTest: "query",
    MF.PositiveSyntaxTest11: "query-syntax",
    MF.NegativeSyntaxTest11: "query-syntax-bad",
    MF.UpdateEvaluationTest: "update",
    MF.PositiveUpdateSyntaxTest11: "update-syntax",
    MF.NegativeUpdateSyntaxTest11: "update-syntax-bad",
}
QUERY_ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9"


# -- manifests ---------------------------------------------------------------------------


@dataclass(frozen=True)
class W3CTest:
    """One manifest entry. Files are named by their ``file:`` IRIs, which are also the base
    IRIs of the files and the names of ``qt:graphData`` graphs."""

    iri: str
    id: str  # "<directory>/<local name>"
    kind: str  # a value of KINDS
    name: str
    operation: str  # the query or update file
    data: tuple[str, ...] = ()  # files making up the default graph
    graphs: tuple[tuple[str, str], ...] = ()  # (graph name, file)
    result: str | None = None  # the expected answer of a query
    result_data: tuple[str, ...] = ()  # the expected store after an update
    result_graphs: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        return self.id


def local_path(iri: str) -> Path:
    return Path(urllib.request.url2pathname(urllib.parse.urlparse(iri).path))


def read_suite(manifest: Path) -> list[W3CTest]:
    """The tests of the sub-manifests that ``manifest`` includes, in manifest order."""
    top = rdflib.Graph().parse(manifest, format="turtle", publicID=manifest.absolute().as_uri())
    tests: list[W3CTest] = []
    for includes in top.objects(None, MF.include):
        for included in Collection(top, includes):
            tests.extend(_read_manifest(str(included)))
    return tests


def _read_manifest(iri: str) -> Iterator[W3CTest]:
    path = local_path(iri)
    g = rdflib.Graph().parse(path, format="turtle", publicID=iri)
    directory = path.parent.name
    for entries in g.objects(rdflib.URIRef(iri), MF.entries):
        for entry in Collection(g, entries):
            kind = KINDS.get(g.value(entry, rdflib.RDF.type))  # type: ignore[arg-type]
            if kind is None:
                continue
            local = str(entry).rsplit("#", 1)[-1]
            yield _entry(g, entry, kind, f"{directory}/{local}")


def _entry(g: rdflib.Graph, entry: rdflib.term.Node, kind: str, test_id: str) -> W3CTest:
    action = g.value(entry, MF.action)
    result = g.value(entry, MF.result)
    name = str(g.value(entry, MF.name) or test_id)
    if kind in {"query-syntax", "query-syntax-bad", "update-syntax", "update-syntax-bad"}:
        return W3CTest(str(entry), test_id, kind, name, str(action))
    if kind == "query":
        return W3CTest(
            str(entry),
            test_id,
            kind,
            name,
            str(g.value(action, QT.query)),
            data=tuple(sorted(str(d) for d in g.objects(action, QT.data))),
            graphs=tuple(sorted((str(d), str(d)) for d in g.objects(action, QT.graphData))),
            result=str(result) if result is not None else None,
        )
    return W3CTest(
        str(entry),
        test_id,
        kind,
        name,
        str(g.value(action, UT.request)),
        data=tuple(sorted(str(d) for d in g.objects(action, UT.data))),
        graphs=_labelled_graphs(g, action),
        result_data=tuple(sorted(str(d) for d in g.objects(result, UT.data))),
        result_graphs=_labelled_graphs(g, result),
    )


def _labelled_graphs(g: rdflib.Graph, node: rdflib.term.Node | None) -> tuple[tuple[str, str], ...]:
    if node is None:
        return ()
    found = []
    for graph_data in g.objects(node, UT.graphData):
        found.append((str(g.value(graph_data, rdflib.RDFS.label)), str(g.value(graph_data, UT.graph))))
    return tuple(sorted(found))


def known_failures(tsv: Path) -> dict[str, str]:
    """``test IRI <TAB> reason`` lines; blank lines and ``#`` comments are skipped."""
    known: dict[str, str] = {}
    for number, line in enumerate(tsv.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        iri, sep, reason = line.partition("\t")
        if not sep or not reason.strip():
            raise ValueError(f"{tsv}:{number}: expected 'test IRI<TAB>reason'")
        if iri in known:
            raise ValueError(f"{tsv}:{number}: {iri} is listed twice")
        known[iri] = reason.strip()
    return known


# -- data ----------------------------------------------------------------------------------


def read_rdf(iri: str) -> list[Triple]:
    """The triples of an RDF file, its base IRI being its own, blank nodes renamed apart."""
    path = local_path(iri)
    fmt = RdfFormat.from_extension(path.suffix.lstrip("."))
    if fmt is None:
        raise ValueError(f"unknown RDF format: {path}")
    return [q.triple for q in parse(path=path, format=fmt, base_iri=iri, rename_blank_nodes=True)]


def load_update(data: Iterable[str], graphs: Iterable[tuple[str, str]]) -> str:
    """One SPARQL update that empties the store and loads a test's dataset: ``data`` files
    into the default graph, each ``(name, file)`` into (a created) graph ``name``. Terms are
    written in N-Triples syntax, which SPARQL reads as is."""
    graphs = list(graphs)
    lines = ["DROP ALL ;"]
    lines += [f"CREATE SILENT GRAPH {NamedNode(name)} ;" for name in dict(graphs)]
    lines.append("INSERT DATA {")
    for iri in data:
        lines += [f"{t.subject} {t.predicate} {t.object} ." for t in read_rdf(iri)]
    for name, iri in graphs:
        lines.append(f"GRAPH {NamedNode(name)} {{")
        lines += [f"{t.subject} {t.predicate} {t.object} ." for t in read_rdf(iri)]
        lines.append("}")
    lines.append("}")
    return "\n".join(lines)


def operation_text(iri: str) -> bytes:
    """A query or update file's text, with ``BASE <its IRI>`` in front: the endpoint gets
    text only, so relative IRIs are resolved against the file as the suite intends."""
    return f"BASE {NamedNode(iri)}\n".encode() + local_path(iri).read_bytes()


# -- HTTP ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    content_type: str
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def http(
    method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> HttpAnswer:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
            return HttpAnswer(response.status, response.headers.get("Content-Type", ""), response.read())
    except urllib.error.HTTPError as error:
        with error:
            return HttpAnswer(error.code, error.headers.get("Content-Type", ""), error.read())


def query(endpoint: str, text: bytes) -> HttpAnswer:
    headers = {"Content-Type": "application/sparql-query", "Accept": QUERY_ACCEPT}
    return http("POST", endpoint, text, headers)


def update(endpoint: str, token: str, text: bytes) -> HttpAnswer:
    headers = {"Content-Type": "application/sparql-update", "Authorization": f"Bearer {token}"}
    return http("POST", endpoint, text, headers)


def parse_answer(answer: HttpAnswer) -> bool | Table | list[Triple]:
    """The parsed body of a successful query answer, by its media type."""
    media_type = answer.content_type.split(";")[0].strip()
    if media_type == "application/sparql-results+json":
        return answer_value(parse_query_results(answer.body, format=QueryResultsFormat.JSON))
    if media_type == "application/n-triples":
        return [q.triple for q in parse(answer.body, format=RdfFormat.N_TRIPLES)]
    raise AssertionError(f"unexpected answer type {answer.content_type!r}")


def dataset(quads: Iterable[Quad]) -> rdflib.Graph:
    """A dataset as one rdflib graph: a named graph's predicates carry the graph's name."""
    g = rdflib.Graph()
    for q in quads:
        predicate = q.predicate.value
        if not isinstance(q.graph_name, DefaultGraph):
            name = urllib.parse.quote(q.graph_name.value, safe="")
            predicate = f"urn:x-w3c-eval:graph:{name}:{urllib.parse.quote(predicate, safe='')}"
        g.add((to_rdflib(q.subject), rdflib.URIRef(predicate), to_rdflib(q.object)))
    return g


def expected_dataset(data: Iterable[str], graphs: Iterable[tuple[str, str]]) -> list[Quad]:
    quads = [Quad(t.subject, t.predicate, t.object, DefaultGraph()) for iri in data for t in read_rdf(iri)]
    for name, iri in graphs:
        quads += [Quad(t.subject, t.predicate, t.object, NamedNode(name)) for t in read_rdf(iri)]
    return quads


# -- comparison ------------------------------------------------------------------------------


def to_rdflib(term: object) -> rdflib.term.Node:
    if isinstance(term, NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language, normalize=False)
        datatype = term.datatype.value
        if datatype == XSD_STRING:
            return rdflib.Literal(term.value, normalize=False)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(datatype), normalize=False)
    raise TypeError(f"cannot compare {term!r}")


def assert_isomorphic(expected: rdflib.Graph, actual: rdflib.Graph, what: str) -> None:
    if not isomorphic(expected, actual):
        raise AssertionError(
            f"{what} differs\n--- expected ({len(expected)} triples)\n{_sorted_nt(expected)}"
            f"\n--- actual ({len(actual)} triples)\n{_sorted_nt(actual)}"
        )


def _sorted_nt(g: rdflib.Graph, most: int = 60) -> str:
    lines = sorted(f"{s.n3()} {p.n3()} {o.n3()} ." for s, p, o in g)
    extra = [f"... {len(lines) - most} more"] if len(lines) > most else []
    return "\n".join(lines[:most] + extra)


def graph_of(triples: Iterable[Triple]) -> rdflib.Graph:
    g = rdflib.Graph()
    for t in triples:
        g.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
    return g


RS = "http://www.w3.org/2001/sw/DataAccess/tests/result-set#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

Row = tuple[object, ...]


@dataclass
class Table:
    """Solutions: the variables, sorted, and one row of terms (None: unbound) per solution;
    ``ordered`` when the rows' order is meaningful (a results document, or ``rs:index``)."""

    variables: list[str]
    rows: list[Row]
    ordered: bool = True


def table(result: QuerySolutions) -> Table:
    variables = sorted(v.value for v in result.variables)
    return Table(variables, [tuple(solution[v] for v in variables) for solution in result])


def read_expected(iri: str) -> bool | Table | list[Triple]:
    """An expected answer: a results document (.srx, .srj, .tsv), or an RDF file holding a
    graph or a result set in the ``rs:`` vocabulary of the DAWG tests."""
    path = local_path(iri)
    results_format = QueryResultsFormat.from_extension(path.suffix.lstrip("."))
    if results_format is not None:
        return answer_value(parse_query_results(path=path, format=results_format))
    triples = read_rdf(iri)
    return rdf_result_set(triples) if _result_sets(triples) else triples


def answer_value(result: QuerySolutions | QueryBoolean | list[Triple]) -> bool | Table | list[Triple]:
    if isinstance(result, QueryBoolean):
        return bool(result)
    if isinstance(result, QuerySolutions):
        return table(result)
    return result


def _result_sets(triples: list[Triple]) -> list[object]:
    return [
        t.subject
        for t in triples
        if t.predicate.value == RDF_TYPE and t.object == NamedNode(RS + "ResultSet")
    ]


def rdf_result_set(triples: list[Triple]) -> bool | Table:
    """A result set written in RDF (``rs:ResultSet``, ``rs:solution``, ``rs:binding``)."""
    values: dict[tuple[object, str], list[object]] = {}
    for t in triples:
        values.setdefault((t.subject, t.predicate.value), []).append(t.object)

    def get(node: object, name: str) -> list[object]:
        return values.get((node, RS + name), [])

    (result_set,) = _result_sets(triples)
    for boolean in get(result_set, "boolean"):
        assert isinstance(boolean, Literal)  # noqa: S101
        return boolean.value == "true"
    variables = sorted(v.value for v in get(result_set, "resultVariable"))  # type: ignore[attr-defined]
    solutions = []
    for solution in get(result_set, "solution"):
        bound = {}
        for binding in get(solution, "binding"):
            (variable,), (value,) = get(binding, "variable"), get(binding, "value")
            bound[variable.value] = value  # type: ignore[attr-defined]
        index = [int(i.value) for i in get(solution, "index")]  # type: ignore[attr-defined]
        solutions.append((index, tuple(bound.get(v) for v in variables)))
    ordered = bool(solutions) and all(index for index, _ in solutions)
    if ordered:
        solutions.sort(key=lambda s: s[0])
    return Table(variables, [row for _, row in solutions], ordered)


def order_keys(query_text: str) -> list[str] | None:
    """The variables of the outer ``ORDER BY`` when it orders by plain variables only; ``None``
    when there is no outer ``ORDER BY`` or it has other conditions (order not checked)."""
    found = [(m.lastgroup, m.group()) for m in tokens(query_text)]
    depth, start = 0, None
    for i, (kind, value) in enumerate(found):
        if value == "{":
            depth += 1
        elif value == "}":
            depth -= 1
        elif depth == 0 and kind == "word" and value.upper() == "ORDER" and i + 1 < len(found):
            if found[i + 1][1].upper() == "BY":
                start = i + 2
    if start is None:
        return None
    keys, j = [], start
    while j < len(found):
        kind, value = found[j]
        if kind == "var":
            keys.append(value[1:])
            j += 1
        elif (
            kind == "word"
            and value.upper() in {"ASC", "DESC"}
            and j + 3 < len(found)
            and (found[j + 1][1], found[j + 2][0], found[j + 3][1]) == ("(", "var", ")")
        ):
            keys.append(found[j + 2][1][1:])
            j += 4
        elif kind == "word" and value.upper() in {"LIMIT", "OFFSET", "VALUES"}:
            break
        else:
            return None
    return keys or None


def assert_same_solutions(expected: Table, actual: Table, ordered_by: list[str] | None) -> None:
    assert expected.variables == actual.variables, (
        f"variables: expected {expected.variables}, got {actual.variables}"
    )
    variables, want, got = expected.variables, expected.rows, actual.rows
    if not rows_match(want, got):
        raise AssertionError(
            f"solutions differ ({variables})\n--- expected ({len(want)} rows)\n{_show(want)}"
            f"\n--- actual ({len(got)} rows)\n{_show(got)}"
        )
    if ordered_by and expected.ordered and all(v in variables for v in ordered_by):
        indexes = [variables.index(v) for v in ordered_by]

        def key(row: Row) -> tuple[object, ...]:
            return tuple("_:" if isinstance(row[i], BlankNode) else row[i] for i in indexes)

        want_keys, got_keys = [key(r) for r in want], [key(r) for r in got]
        assert want_keys == got_keys, f"ORDER BY {ordered_by}: expected {want_keys}, got {got_keys}"


def _show(rows: list[Row], most: int = 40) -> str:
    lines = ["  ".join("UNDEF" if t is None else str(t) for t in row) for row in rows]
    extra = [f"... {len(lines) - most} more"] if len(lines) > most else []
    return "\n".join(lines[:most] + extra)


def rows_match(expected: list[Row], actual: list[Row]) -> bool:
    """Whether the rows are equal as multisets up to one bijection between blank nodes."""
    if len(expected) != len(actual):
        return False

    def ground(row: Row) -> bool:
        return not any(isinstance(t, BlankNode) for t in row)

    if Counter(r for r in expected if ground(r)) != Counter(r for r in actual if ground(r)):
        return False
    want = [r for r in expected if not ground(r)]
    got = [r for r in actual if not ground(r)]
    if len(want) != len(got):
        return False
    forward: dict[BlankNode, BlankNode] = {}
    backward: dict[BlankNode, BlankNode] = {}
    used = [False] * len(got)

    def extend(row: Row, candidate: Row) -> list[tuple[BlankNode, BlankNode]] | None:
        added: list[tuple[BlankNode, BlankNode]] = []
        for a, b in zip(row, candidate, strict=True):
            if isinstance(a, BlankNode) and isinstance(b, BlankNode):
                mapped, reverse = forward.get(a), backward.get(b)
                if mapped is None and reverse is None:
                    forward[a], backward[b] = b, a
                    added.append((a, b))
                elif mapped != b or reverse != a:
                    break
            elif a != b:
                break
        else:
            return added
        for a, b in added:
            del forward[a], backward[b]
        return None

    def search(i: int) -> bool:
        if i == len(want):
            return True
        tried: set[Row] = set()
        for j, candidate in enumerate(got):
            if used[j] or candidate in tried:
                continue
            tried.add(candidate)
            added = extend(want[i], candidate)
            if added is None:
                continue
            used[j] = True
            if search(i + 1):
                return True
            used[j] = False
            for a, b in added:
                del forward[a], backward[b]
        return False

    return search(0)
