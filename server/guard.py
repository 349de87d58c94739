"""The query guard: what a query or update would reach outside the store, checked before it runs.

pyoxigraph evaluates ``SERVICE`` and ``LOAD`` by making HTTP requests of its own, so a public
endpoint must refuse them before evaluation. The guard reads the request with a SPARQL
tokenizer (comments, strings and IRIs are single tokens, so a keyword inside them is never
mistaken for one), one token at a time and in constant memory, and reads keywords where the
engine reads them: pyoxigraph matches a keyword by its letters, with no word boundary after
it, so ``SERVICE:x`` is ``SERVICE :x``. It reports the query form, the ``SERVICE``, ``LOAD``,
``FROM`` and ``FROM NAMED`` targets resolved as the engine resolves them (prefixes, ``BASE``,
the endpoint's URL), and the measures ``check`` bounds: nesting, operators, triple patterns,
collection items, tokens. The parser proper (pyoxigraph) still checks the syntax afterwards,
and the workers that run it cannot reach the network anyway (``graph.offline``).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator
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
# pyoxigraph plans a group of triple patterns in time that grows with the square of their
# number (1,000 take 0.2 s, 10,000 take 17 s) and an RDF collection's chain of blank nodes
# faster still (64 items take 0.1 s, 300 take 40 s, 300,000 overflow the stack); `oxigraph
# serve`, a remote store, overflows its request thread's stack at 2,500 to 5,000 objects.
# DATA blocks are read without planning, so they are not counted.
MAX_PATTERNS = 500  # the . , ; between triple patterns, and two per collection item
MAX_COLLECTION = 64  # items of one ( ... ) list that is not an expression
# Tokens cost about a microsecond each in this process: the cap bounds the guard's time
# (10 MiB of typical data is some 600,000 tokens); its memory is constant (one token at a time).
MAX_TOKENS = 1_000_000
# What check() refuses: a Shape's measure, its limit, and what the client is told.
LIMITS = [
    (
        "depth",
        MAX_DEPTH,
        f"the request nests more than {MAX_DEPTH} levels deep ((, {{ or [ in one another); "
        f"at most {MAX_DEPTH} are allowed",
    ),
    (
        "prefix_run",
        MAX_PREFIX_RUN,
        f"the request chains more than {MAX_PREFIX_RUN} prefix operators "
        f"(! - + ^) in a row; at most {MAX_PREFIX_RUN} are allowed",
    ),
    (
        "operators",
        MAX_OPERATORS,
        f"the request has more than {MAX_OPERATORS} operators and group keywords "
        f"(OPTIONAL, UNION, FILTER, BIND, / | && + ...); at most {MAX_OPERATORS} are allowed: split it "
        "into smaller requests, or give long lists of values in VALUES",
    ),
    (
        "patterns",
        MAX_PATTERNS,
        f"the request has more than {MAX_PATTERNS:,} triple patterns (counting the "
        f". , ; between them and two for each item of a ( ... ) collection); at most {MAX_PATTERNS:,} are "
        "allowed: give long lists of values in VALUES, or split the request",
    ),
    (
        "collection",
        MAX_COLLECTION,
        f"the request has a collection ( ... ) of more than {MAX_COLLECTION} "
        f"items in a pattern; at most {MAX_COLLECTION} are allowed there (INSERT DATA may hold longer ones)",
    ),
    (
        "tokens",
        MAX_TOKENS,
        f"the request has more than {MAX_TOKENS:,} tokens; at most {MAX_TOKENS:,} are "
        "allowed: split it into smaller requests",
    ),
]

_OPERATORS = {"!", "-", "+", "*", "/", "|", "&", "=", "<", ">", "^", "?"}
_GROUP_WORDS = {"OPTIONAL", "UNION", "MINUS", "FILTER", "BIND", "GRAPH", "SERVICE", "EXISTS"}
_PREFIX = {"!", "-", "+", "^"}
_SEPARATORS = {".", ",", ";"}
_LITERAL_WORDS = {"TRUE", "FALSE"}

_FORMS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}
_VOLATILE = {"RAND", "NOW", "UUID", "STRUUID"}
# pyoxigraph reads a keyword wherever its letters start, with no word boundary after it:
# SERVICE:x is SERVICE :x, SERVICESILENT<x> is SERVICE SILENT <x>, trueSERVICE:x (after an
# object) is true SERVICE :x. So a name holding one of these is read as that keyword.
# ASCII only, as the engine compares keywords: "ſilent".upper() is "SILENT" to Python.
_OUTBOUND = re.compile("SERVICE|LOAD", re.IGNORECASE | re.ASCII)
_SILENT = re.compile("SILENT", re.IGNORECASE | re.ASCII)


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
    patterns: int = 0  # separators of triple patterns and collection items, outside DATA blocks
    collection: int = 0  # the most items in one collection
    tokens: int = 0


def shape(text: str, base: str = "") -> Shape:
    """The shape of ``text``; relative IRIs resolve against ``base`` (the endpoint's URL,
    as the engine is given it) unless the text declares its own BASE.

    >>> s = shape('PREFIX ex: <http://ex.org/> SELECT * FROM ex:g { SERVICE <http://x/> {} }')
    >>> (s.form, s.from_graphs, s.services)
    ('SELECT', ['http://ex.org/g'], ['http://x/'])
    >>> shape('SELECT ("SERVICE <http://x/>" AS ?s) {} # SERVICE').services
    []
    >>> shape('PREFIX : <http://x/> ASK { SERVICE:y {} }').services
    ['http://x/y']
    """
    reader = _Reader(base)
    for kind, value in _as_the_engine_reads(text, reader):
        reader.take(kind, value)
        if reader.over():
            break  # check() refuses it: a 10 MiB bomb costs no more than its first tokens
    return reader.result


def _as_the_engine_reads(text: str, reader: _Reader) -> Iterator[tuple[str, str]]:
    """The tokens of ``text`` as (kind, value), with the keywords the engine reads inside a
    name taken out of it: ``SERVICE:x`` gives SERVICE and ``:x``, and in a prologue
    ``PREFIX:<x>`` gives PREFIX, ``:`` and ``<x>``."""
    for match in sparql_text.tokens(text):
        kind, value = match.lastgroup or "other", match.group()
        if kind == "other" and value == "\\":
            # Nowhere in SPARQL is a backslash valid outside a string, an IRI or a name's escape;
            # refusing it keeps the tokenizer and the parser from ever reading the text apart.
            read = match.string[: match.start()]  # the text with codepoint escapes undone
            line, column = read.count("\n") + 1, len(read) - read.rfind("\n")
            raise GuardError(
                f"syntax error at line {line}, column {column}: a backslash outside a string, "
                "an IRI or a prefixed name's escape"
            )
        if kind == "iri" and ("'" in value or ("#" in value and reader.after_operand_in_parens())):
            # In an expression "<" after an operand is less-than: (1<2&&'>#'=) holds a string to
            # the engine, and FILTER(?a<?b)SERVICE:x#> a comment; to this tokenizer, an IRI each.
            raise GuardError(
                f"the request has {value[:80]!r}, which reads both as an IRI and as '<' (less than) "
                "followed by more; write an apostrophe in an IRI as %27, or put spaces around a "
                "less-than sign"
            )
        if kind not in {"word", "pname"}:
            yield kind, value
            continue
        name = value.partition(":")[0]
        outbound = _OUTBOUND.search(name)
        if outbound:
            yield "word", outbound.group().upper()
            rest = value[outbound.end() :]
            silent = _SILENT.match(rest)
            if silent:
                yield "word", "SILENT"
                rest = rest[silent.end() :]
            if rest:
                yield ("pname" if ":" in rest else "word"), rest
        elif (glued := _glued(name, reader)) and kind == "pname":
            yield "word", glued
            yield "pname", value[len(glued) :]
        else:
            yield kind, value


def keyword(value: str) -> str:
    """``value`` in upper case if it is ASCII, as a keyword must be; else ""."""
    return value.upper() if value.isascii() else ""


def _glued(name: str, reader: _Reader) -> str:
    """The keyword the engine would read at the start of a prefixed name ``name:…`` where the
    reader stands: PREFIX in a prologue, SILENT after SERVICE or LOAD, NAMED after FROM."""
    upper = keyword(name[:6])
    waiting = reader.expecting[-1] if reader.expecting else ""
    for word, where in (
        ("PREFIX", reader.prologue),
        ("SILENT", waiting == "silent"),
        ("NAMED", waiting == "named"),
    ):
        if where and upper.startswith(word):
            return word
    return ""


class _Reader:
    """Reads a request's tokens one at a time into a Shape, keeping only what the next
    token needs: the prefixes and base declared, the keyword waiting for its target, and
    the open brackets."""

    def __init__(self, base: str) -> None:
        self.result = Shape()
        self.prefixes: dict[str, str] = {}
        self.base = base
        self.prologue = True  # where PREFIX and BASE may stand: the start, and after an update's ;
        self.expecting: list[str] = []  # what the last keyword waits for
        self.depth = 0
        self.run = 0
        self.data_block: int | None = None  # the depth of the DATA or VALUES block being read
        self.data_pending = False  # DATA or VALUES was read; its block starts at the next {
        self.groups: list[list[int]] = []  # per open bracket: [is a paren, items, is an expression]
        self.prefix_name = ""
        self.last = ("", "")  # the token before this one

    def after_operand_in_parens(self) -> bool:
        """Whether the next token stands inside ( ), right after an operand: where the engine
        reads "<" as less-than."""
        kind, value = self.last
        operand = (
            kind in {"var", "number", "string", "iri", "pname"}
            or value == ")"
            or (kind == "word" and keyword(value) in _LITERAL_WORDS)
        )
        return operand and bool(self.groups) and self.groups[-1][0] == 1

    def over(self) -> bool:
        return any(getattr(self.result, measure) > limit for measure, limit, _ in LIMITS)

    def take(self, kind: str, value: str) -> None:
        found = self.result
        found.tokens += 1
        self.last = kind, value
        self.run = self.run + 1 if value in _PREFIX else 0
        found.prefix_run = max(found.prefix_run, self.run)
        if self.expecting and self._fulfil(kind, value):
            return
        word = keyword(value) if kind == "word" else ""
        if self.prologue and word in {"PREFIX", "BASE", "VERSION"}:
            self.expecting = {
                "PREFIX": ["prefix iri", "prefix name"],
                "BASE": ["base"],
                "VERSION": ["version"],
            }[word]
            return
        self.prologue = value == ";" and self.depth == 0
        self._count(kind, value, word)
        if word in _FORMS and found.form is None:
            found.form = word
        elif word in _VOLATILE:
            found.volatile = True
        elif word in {"SERVICE", "LOAD"}:
            self.expecting = [word, "silent"]
        elif word == "FROM":
            self.expecting = ["FROM", "named"]

    def _fulfil(self, kind: str, value: str) -> bool:
        """Give the waiting keyword this token, its target or a word of it (SILENT, NAMED)."""
        wanted = self.expecting.pop()
        if wanted == "silent":
            if keyword(value) == "SILENT":
                return True
            wanted = self.expecting.pop()
        elif wanted == "named":
            wanted = self.expecting.pop()
            if keyword(value) == "NAMED":
                self.expecting = ["FROM NAMED"]
                return True
        if wanted == "prefix name":
            self.prefix_name = value.rstrip(":") if kind == "pname" else ""
            return True
        if wanted == "version":  # VERSION "1.2": the prologue goes on after it
            return True
        self.expecting.clear()
        target = self._target(kind, value)
        if wanted == "prefix iri":
            if target is not None:
                self.prefixes[self.prefix_name] = target
        elif wanted == "base":
            self.base = target or self.base
        elif wanted in {"SERVICE", "LOAD"}:
            found = self.result
            (found.services if wanted == "SERVICE" else found.loads).append(target or "?")
            self._count(kind, value, "")
        elif target is not None:
            found = self.result
            (found.from_named if wanted == "FROM NAMED" else found.from_graphs).append(target)
        return True

    def _target(self, kind: str, value: str) -> str | None:
        """The IRI a token names, as the engine resolves it; "?name" for a variable."""
        if kind == "iri":
            return _resolved(sparql_text.iri(value), self.base)
        if kind == "pname":
            prefix, _, local = value.partition(":")
            return self.prefixes.get(prefix, f"{prefix}:") + _LOCAL_ESCAPE.sub(r"\1", local)
        if kind == "var":
            return value
        return None

    def _count(self, kind: str, value: str, word: str) -> None:
        """Depth, operators, triple patterns and collection items."""
        found = self.result
        group = self.groups[-1] if self.groups else None
        in_paren = group is not None and group[0] == 1
        if kind == "open":
            if in_paren and group is not None:
                self._item(group)  # a bracket in a list is one item of it
            self.depth += 1
            found.depth = max(found.depth, self.depth)
            self.groups.append([int(value == "("), 0, 0])
            if self.data_pending and value == "{":
                self.data_block, self.data_pending = self.depth, False
            return
        if kind == "close":
            if self.groups:
                paren, items, expression = self.groups.pop()
                if paren and not expression and items > 1 and self.data_block is None:
                    found.patterns += 2 * items  # a collection: two triples an item
            self.data_block = None if self.depth == self.data_block else self.data_block
            self.depth -= 1
            return
        if self.data_block is not None:
            return
        if value in _OPERATORS or word in _GROUP_WORDS:
            found.operators += 1
        if word in {"DATA", "VALUES"}:
            self.data_pending = True
        if in_paren and group is not None and not self.data_pending:
            if value in _OPERATORS or value == "," or (word and word not in _LITERAL_WORDS):
                group[2] = 1  # an expression or an argument list, not a collection
            else:
                self._item(group)
        elif value in _SEPARATORS and not self.data_pending:
            found.patterns += 1

    def _item(self, group: list[int]) -> None:
        group[1] += 1
        if not group[2]:
            self.result.collection = max(self.result.collection, group[1])


def _resolved(reference: str, base: str) -> str:
    """``reference`` resolved against ``base`` where that is certain to give what the engine
    calls; otherwise an IRI that lies below no allowed prefix. An absolute IRI stands as it
    is (urljoin would read ``http:x`` as relative), and dot segments in either are kept in
    sight rather than resolved, since the engine may send them as written."""
    if _SCHEME.match(reference) or not base:
        return reference
    if _DOT_SEGMENT.search(base) or _DOT_SEGMENT.search(reference):
        return base + reference  # dot segments stay, and within() finds them
    try:
        return urljoin(base, reference)
    except ValueError:  # not an IRI urllib can read (a bad IPv6 host): nothing is permitted
        return reference


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_LOCAL_ESCAPE = re.compile(r"\\(.)")


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

    for measure, limit, refusal in LIMITS:
        if getattr(found, measure) > limit:
            raise GuardError(refusal)
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
    query or fragment ends, so that ``http://a.example`` does not let ``http://a.example.evil/`` in;
    and a path with ``.`` or ``..`` segments, spelled out or percent-encoded, is below no prefix,
    since the server it names may well resolve them out of it.

    >>> within("http://a.example/sparql", "http://a.example"), within("http://a.example.evil/", "http://a.example")
    (True, False)
    >>> within("http://a.example/sparql/../admin", "http://a.example/sparql/")
    False
    """
    if not iri.startswith(prefix) or _DOT_SEGMENT.search(iri):
        return False
    rest = iri[len(prefix) :]
    return not rest or prefix.endswith(("/", "#", "?")) or rest[0] in "/#?"


_DOT_SEGMENT = re.compile(r"(?:^|/)(?:\.|%2e){1,2}(?:[/?#]|$)", re.IGNORECASE)
