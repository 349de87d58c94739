"""The query guard: what a query or update would reach outside the store, checked before it runs.

pyoxigraph evaluates ``SERVICE`` and ``LOAD`` by making HTTP requests of its own, so a public
endpoint must refuse them before evaluation. The guard reads the request with a SPARQL
tokenizer (comments, strings and IRIs are single tokens, so a keyword inside them is never
mistaken for one) and reports the query form, the ``SERVICE``, ``LOAD``, ``FROM`` and
``FROM NAMED`` targets with prefixes and ``BASE`` resolved, and how deeply the text nests.
The parser proper (pyoxigraph) still checks the syntax afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from urllib.parse import urljoin

from graph import sparql_text

MAX_DEPTH = 64
# pyoxigraph's parser and evaluator recurse once per operator of a chain (1+1+...,
# !!!...x, p1/p2/..., OPTIONAL {...} OPTIONAL {...} ...): about 3,000 of them overflow an
# 8 MiB stack and kill the worker. Workers run jobs on a larger stack (graph.worker); these
# limits keep every request far below what that stack holds.
MAX_OPERATORS = 10_000  # outside DATA and VALUES blocks, whose literals may hold - and ^^
MAX_PREFIX_RUN = 64  # ! - + ^ in a row
_OPERATORS = {"!", "-", "+", "*", "/", "|", "&", "=", "<", ">", "^", "?"}
_GROUP_WORDS = {"OPTIONAL", "UNION", "MINUS", "FILTER", "BIND", "GRAPH", "SERVICE", "EXISTS"}
_PREFIX = {"!", "-", "+", "^"}

_FORMS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}
_VOLATILE = {"RAND", "NOW", "UUID", "STRUUID"}


class GuardError(ValueError):
    """The request would reach outside the store, or nests too deeply; nothing was run."""


@dataclass
class Shape:
    """What the tokenizer found in a query or update."""

    form: str | None = None  # SELECT, ASK, CONSTRUCT, DESCRIBE; None for an update
    services: list[str] = field(default_factory=list)  # "?var" for a variable endpoint
    loads: list[str] = field(default_factory=list)
    from_graphs: list[str] = field(default_factory=list)
    from_named: list[str] = field(default_factory=list)
    depth: int = 0
    volatile: bool = False  # calls RAND, NOW, UUID or STRUUID: each run may answer differently
    operators: int = 0  # operators and group keywords outside DATA and VALUES blocks
    prefix_run: int = 0  # the longest run of ! - + ^ in a row


def shape(text: str) -> Shape:
    """The shape of ``text``.

    >>> s = shape('PREFIX ex: <http://ex.org/> SELECT * FROM ex:g { SERVICE <http://x/> {} }')
    >>> (s.form, s.from_graphs, s.services)
    ('SELECT', ['http://ex.org/g'], ['http://x/'])
    >>> shape('SELECT ("SERVICE <http://x/>" AS ?s) {} # SERVICE').services
    []
    """
    result = Shape()
    prefixes: dict[str, str] = {}
    base = ""
    matches = _measured(text, result)
    tokens = [(m.lastgroup, m.group()) for m in matches]

    def target(index: int) -> str | None:
        if index >= len(tokens):
            return None
        kind, value = tokens[index]
        if kind == "iri":
            return urljoin(base, value[1:-1]) if base else value[1:-1]
        if kind == "pname":
            prefix, _, local = value.partition(":")
            return prefixes.get(prefix, f"{prefix}:") + local
        if kind == "var":
            return value
        return None

    for i, (kind, value) in enumerate(tokens):
        if kind == "other" and value == "\\":
            # Nowhere in SPARQL is a backslash valid outside a string, an IRI or a name's escape;
            # refusing it keeps the tokenizer and the parser from ever reading the text apart.
            read = matches[i].string[: matches[i].start()]  # the text with codepoint escapes undone
            line, column = read.count("\n") + 1, len(read) - read.rfind("\n")
            raise GuardError(
                f"syntax error at line {line}, column {column}: a backslash outside a string, "
                "an IRI or a prefixed name's escape"
            )
        if kind != "word":
            continue
        word = value.upper()
        if word == "PREFIX" and i + 2 < len(tokens) and tokens[i + 2][0] == "iri":
            prefixes[tokens[i + 1][1].rstrip(":")] = target(i + 2) or ""
        elif word == "BASE":
            base = target(i + 1) or base
        elif word in _FORMS and result.form is None:
            result.form = word
        elif word in _VOLATILE:
            result.volatile = True
        elif word in {"SERVICE", "LOAD"}:
            j = i + 1 + (i + 1 < len(tokens) and tokens[i + 1][1].upper() == "SILENT")
            (result.services if word == "SERVICE" else result.loads).append(target(j) or "?")
        elif word == "FROM":
            named = i + 1 < len(tokens) and tokens[i + 1][1].upper() == "NAMED"
            graph = target(i + 1 + named)
            if graph:
                (result.from_named if named else result.from_graphs).append(graph)
    return result


def _measured(text: str, result: Shape) -> list[re.Match[str]]:
    """The tokens of ``text``, and its depth, longest prefix run and operator count in
    ``result``. Reading stops once a limit is passed: ``check`` refuses the request then, and
    a 10 MiB bomb of braces costs no more than its first few hundred."""
    matches = []
    depth = run = 0
    data_block: int | None = None  # the depth of the DATA or VALUES block being read
    data_pending = False  # DATA or VALUES was read; its block starts at the next {
    for match in sparql_text.tokens(text):
        matches.append(match)
        kind, value = match.lastgroup, match.group()
        run = run + 1 if value in _PREFIX else 0
        result.prefix_run = max(result.prefix_run, run)
        if kind == "open":
            depth += 1
            result.depth = max(result.depth, depth)
            if data_pending and value == "{":
                data_block, data_pending = depth, False
        elif kind == "close":
            data_block = None if depth == data_block else data_block
            depth -= 1
        elif data_block is None and (value in _OPERATORS or value.upper() in _GROUP_WORDS):
            result.operators += 1
        if kind == "word" and value.upper() in {"DATA", "VALUES"} and data_block is None:
            data_pending = True
        if result.depth > MAX_DEPTH or result.prefix_run > MAX_PREFIX_RUN or result.operators > MAX_OPERATORS:
            break
    return matches


def check(
    found: Shape,
    graphs: Collection[str],
    allowed: Iterable[str] = (),
    protocol_graphs: Iterable[str] = (),
) -> None:
    """Refuse what reaches outside the store.

    ``graphs`` are the store's named graphs; ``allowed`` IRI prefixes that may be reached
    anyway; ``protocol_graphs`` the ``default-graph-uri``/``named-graph-uri`` of the request.
    Raises GuardError saying what was refused and how to change the request.
    """
    allowed = tuple(allowed)

    def permitted(iri: str) -> bool:
        return any(within(iri, prefix) for prefix in allowed)

    if found.depth > MAX_DEPTH:
        raise GuardError(
            f"the request nests more than {MAX_DEPTH} levels deep ((, {{ or [ in one another); "
            f"at most {MAX_DEPTH} are allowed"
        )
    if found.prefix_run > MAX_PREFIX_RUN:
        raise GuardError(
            f"the request chains more than {MAX_PREFIX_RUN} prefix operators (! - + ^) in a row; "
            f"at most {MAX_PREFIX_RUN} are allowed"
        )
    if found.operators > MAX_OPERATORS:
        raise GuardError(
            f"the request has more than {MAX_OPERATORS} operators and group keywords (OPTIONAL, UNION, "
            f"FILTER, BIND, / | && + ...); at most {MAX_OPERATORS} are allowed: split it into "
            "smaller requests, or give long lists of values in VALUES"
        )
    for service in found.services:
        if not permitted(service):
            raise GuardError(
                f"SERVICE <{service}> is refused: this endpoint makes no requests to other "
                "services (the operator can allow some with EURASIA_KG_ALLOWED_SERVICES)"
            )
    for load in found.loads:
        if not permitted(load):
            raise GuardError(
                f"LOAD <{load}> is refused: this endpoint fetches nothing from the network; "
                "send the data with the Graph Store Protocol (PUT or POST /store) instead"
            )
    for graph in [*found.from_graphs, *found.from_named, *protocol_graphs]:
        if graph not in graphs and not permitted(graph):
            raise GuardError(
                f"the graph <{graph}> is not in the store; FROM, FROM NAMED and the "
                "default-graph-uri and named-graph-uri parameters may name only graphs in the store"
            )


def within(iri: str, prefix: str) -> bool:
    """Whether ``iri`` is ``prefix`` or lies below it. A prefix ends where a path segment,
    query or fragment ends, so that ``http://a.example`` does not let ``http://a.example.evil/`` in.

    >>> within("http://a.example/sparql", "http://a.example"), within("http://a.example.evil/", "http://a.example")
    (True, False)
    """
    if not iri.startswith(prefix):
        return False
    rest = iri[len(prefix) :]
    return not rest or prefix.endswith(("/", "#", "?")) or rest[0] in "/#?"
