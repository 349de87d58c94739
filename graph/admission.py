"""Admission: data that parses but cannot be served is refused on the way in.

Every term that enters the store must be one that every export format and every page can
carry, so that no single triple can break a dump or an entity page later:

- text (literal values, IRIs) holds no character that XML 1.0 cannot carry: the C0 controls
  other than tab, line feed and carriage return, U+FFFE and U+FFFF; RDF/XML and the HTML
  pages would break on them. Nor does it hold an unpaired surrogate, which is no character
  at all (UTF-8 cannot encode it);
- an IRI is absolute (it has a scheme: a relative IRI left unresolved means something
  different in every document it is written into) and holds none of the characters RFC 3987
  excludes (space, ``<>"{}|^`\\`` and the controls);
- a language tag is well-formed (BCP 47 syntax, as RDF 1.1 requires);
- a value the pages and pictures compute from (a coordinate, a date, an amount, a duration,
  a count) is a literal of the datatype, lexical form and range its property's rule gives
  (``graph.values``): a latitude of 1e308, NaN or "abc" would break the map.

pyoxigraph's own terms already hold valid IRIs and language tags (its constructors and
parsers check them), so for them the check comes down to the characters of literals; text
from elsewhere (a YAML source, rdflib) is checked in full before it becomes a term.

All write paths use this module: the Graph Store Protocol and ``eurasia-kg load``
(``check_quads``), the build (``text_problem`` on every source scalar, ``check_quads`` on
the compiled graph) and SPARQL Update (``guarded_update``: the update itself checks, in its
own transaction, that it left no such literal or value behind).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode, Quad, Triple

from graph import values

# XML 1.0 Char excludes these; the surrogates cannot even be encoded.
_NOT_XML = "\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
NOT_XML = re.compile(f"[{_NOT_XML}]")
NOT_IRI = re.compile(f'[{_NOT_XML}\\t\\n\\r\\x20<>"{{}}|^`\\\\\\x7f-\\x9f]')
SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")


class Inadmissible(ValueError):
    """A term that could break an export or a page; nothing was written."""


def text_problem(text: str) -> str | None:
    """What makes ``text`` unfit for the store, or None.

    >>> text_problem("Kuryk")
    >>> text_problem("bell\\x07")
    'U+0007 at character 5 cannot be carried by XML 1.0 (RDF/XML, the HTML pages)'
    """
    found = NOT_XML.search(text)
    if found is None:
        return None
    code = ord(found.group())
    what = "an unpaired surrogate" if 0xD800 <= code <= 0xDFFF else "cannot be carried by XML 1.0"
    if what.startswith("an"):
        return f"U+{code:04X} at character {found.start() + 1} is {what}, not a character"
    return f"U+{code:04X} at character {found.start() + 1} {what} (RDF/XML, the HTML pages)"


def iri_problem(iri: str) -> str | None:
    """What makes ``iri`` unfit for the store, or None.

    >>> iri_problem("http://example.org/kuryk")
    >>> iri_problem("kuryk")
    'it is relative (no scheme such as http:); resolve it against a base IRI'
    >>> iri_problem("http://example.org/a b")
    "' ' at character 21 is not allowed in an IRI"
    >>> iri_problem("http://example.org/a\\tb")
    'U+0009 at character 21 is not allowed in an IRI'
    """
    if not SCHEME.match(iri):
        return "it is relative (no scheme such as http:); resolve it against a base IRI"
    found = NOT_IRI.search(iri)
    if found is not None:
        char = found.group()
        shown = repr(char) if char.isprintable() else f"U+{ord(char):04X}"
        return f"{shown} at character {found.start() + 1} is not allowed in an IRI"
    return None


def language_problem(tag: str) -> str | None:
    """What makes ``tag`` an ill-formed language tag, or None.

    >>> language_problem("kk-Cyrl")
    >>> language_problem("english please")
    'it is not a well-formed BCP 47 language tag (letters and digits in groups of 1 to 8, joined by -)'
    """
    if LANGUAGE_TAG.fullmatch(tag):
        return None
    return "it is not a well-formed BCP 47 language tag (letters and digits in groups of 1 to 8, joined by -)"


def term_problem(term: object) -> str | None:
    """What makes a pyoxigraph term unfit for the store (naming the term), or None."""
    if isinstance(term, NamedNode):
        problem = iri_problem(term.value)
        return f"the IRI <{_shown(term.value)}>: {problem}" if problem else None
    if isinstance(term, Literal):
        problem = text_problem(term.value)
        if problem:
            return f'the literal "{_around(term.value)}": {problem}'
        if term.language and (problem := language_problem(term.language)):
            return f"the language tag {term.language!r}: {problem}"
        return term_problem(term.datatype)
    if isinstance(term, Triple):  # an RDF 1.2 triple term: its parts must pass too
        return next(filter(None, (term_problem(t) for t in term)), None)
    if isinstance(term, BlankNode | DefaultGraph):
        return None
    return f"{term!r} is not an RDF term"


def quad_problem(quad: Quad | Triple) -> str | None:
    parts: list[object] = [quad.subject, quad.predicate, quad.object]
    if isinstance(quad, Quad):
        parts.append(quad.graph_name)
    found = next(filter(None, (term_problem(t) for t in parts)), None)
    return found or value_problem(quad.predicate, quad.object)


def value_problem(predicate: object, obj: object) -> str | None:
    """What makes ``obj`` unfit as a value of ``predicate`` (``graph.values``), or None.

    >>> value_problem(NamedNode("https://w3id.org/eurasia-kg/ontology#longitude"),
    ...               Literal("200", datatype=NamedNode("http://www.w3.org/2001/XMLSchema#decimal")))
    '<https://w3id.org/eurasia-kg/ontology#longitude>: its value "200"^^xsd:decimal is not a longitude \
in degrees: a number from -180 to 180 (xsd:decimal or xsd:integer or xsd:double or xsd:float, e.g. \
"51.4215"^^xsd:decimal)'
    """
    problem = values.problem(predicate, obj)
    return f"{predicate}: {problem}" if problem else None


def check_quads(quads: Iterable[Quad | Triple], where: Callable[[int], str] = "statement {}".format) -> int:
    """Check every quad (or triple); the number checked. ``where(n)`` names the n-th (from 1)
    for the message. Raises Inadmissible on the first one that cannot be served."""
    count = 0
    for count, quad in enumerate(quads, 1):  # noqa: B007 - the count is the answer
        problem = quad_problem(quad)
        if problem:
            raise Inadmissible(f"{where(count)} (subject {_shown(str(quad.subject))}): {problem}")
    return count


def checked(quads: Iterable[Quad], where: Callable[[int], str] = "statement {}".format) -> Iterable[Quad]:
    """The quads, each checked as it passes (for streams). Raises Inadmissible."""
    for count, quad in enumerate(quads, 1):
        problem = quad_problem(quad)
        if problem:
            raise Inadmissible(f"{where(count)} (subject {_shown(str(quad.subject))}): {problem}")
        yield quad


def _around(text: str, width: int = 30) -> str:
    """The part of ``text`` around its first inadmissible character, for a message."""
    found = NOT_XML.search(text)
    start = max(0, found.start() - width) if found else 0
    end = start + 2 * width + 1
    return ("…" if start else "") + _shown(text[start:end], 10 * width) + ("…" if end < len(text) else "")


def _shown(text: str, most: int = 80) -> str:
    """``text`` for a message: unprintable characters escaped, long text shortened."""
    escaped = "".join(c if c.isprintable() or c == " " else f"\\u{ord(c):04X}" for c in text)
    return escaped if len(escaped) <= most else escaped[: most - 1] + "…"


# -- SPARQL Update -------------------------------------------------------------------------

MARKER = "urn:eurasia-kg:admission:passed"
RECORD = "urn:eurasia-kg:admission:record"
UNFIT = "urn:eurasia-kg:admission:unfit-value"
# The characters of NOT_XML that a store can hold (not the surrogates), as SPARQL escapes.
_XML_ESCAPED = "\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\uFFFE\\uFFFF"
# A literal XML cannot carry, or a value that breaks its property's rule: the predicate's name
# is matched in SPARQL, and only values not SURELY_FIT go to Python (UNFIT, graph.values: the
# same rule as for the other write paths, not a second one). IF, not &&: pyoxigraph evaluates
# both sides of this && (it called UNFIT for every quad of the store), but only one branch of IF.
_XSD = "http://www.w3.org/2001/XMLSchema#"
_DATES = "ontology#(" + "|".join(n for n, r in values.RULES.items() if r.datatypes == values.TEMPORAL) + ")$"
# Values the rule surely admits, told in SPARQL so that most values need no call to Python (a
# call costs tens of microseconds): coordinates as plain decimals in range, dates of years
# 1000-9999 with days up to the 28th. Only a shortcut: tests/test_fuzz_values.py checks that
# whatever it admits, graph.values admits too.
SURELY_FIT = f"""COALESCE(
    (STRENDS(STR(?p), "ontology#latitude") && DATATYPE(?o) = <{_XSD}decimal>
     && REGEX(STR(?o), "^-?[0-9]{{1,2}}([.][0-9]{{1,30}})?$") && ABS(?o) <= 90)
    || (STRENDS(STR(?p), "ontology#longitude") && DATATYPE(?o) = <{_XSD}decimal>
        && REGEX(STR(?o), "^-?[0-9]{{1,3}}([.][0-9]{{1,30}})?$") && ABS(?o) <= 180)
    || (REGEX(STR(?p), "{_DATES}") && (
        (DATATYPE(?o) = <{_XSD}gYear> && REGEX(STR(?o), "^[1-9][0-9]{{3}}$"))
        || (DATATYPE(?o) = <{_XSD}gYearMonth> && REGEX(STR(?o), "^[1-9][0-9]{{3}}-(0[1-9]|1[0-2])$"))
        || (DATATYPE(?o) = <{_XSD}date>
            && REGEX(STR(?o), "^[1-9][0-9]{{3}}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$")))),
    false)"""
_OFFENDING = f"""{{ ?s ?p ?o }} UNION {{ GRAPH ?g {{ ?s ?p ?o }} }}
  FILTER((isLiteral(?o) && REGEX(STR(?o), "[{_XML_ESCAPED}]"))
         || IF(REGEX(STR(?p), "{values.PREDICATE_PATTERN}"),
               IF({SURELY_FIT}, false, <{UNFIT}>(?p, ?o)), false))"""
# Appended to an update that inserts, so that it runs in the update's own transaction and sees
# its result. When no literal in the store holds a character XML cannot carry and no value
# breaks its rule, the marker graph is created and dropped again; otherwise it is never
# created, the non-SILENT DROP fails, and pyoxigraph rolls the whole update back. It reads
# every quad of the store (in Rust, about 1 s per million quads for the literals, and half as
# much again for the predicates' names). IRIs and language tags need no check here:
# pyoxigraph refuses invalid ones, computed (IRI(), STRLANG(), STRDT()) or not.
_CHECK = f"""
INSERT {{ GRAPH <{MARKER}> {{ <{MARKER}> <{MARKER}> <{MARKER}> }} }}
WHERE {{ FILTER NOT EXISTS {{ {_OFFENDING} }} }} ;
DROP GRAPH <{MARKER}>
"""
# Run after a refusal, to name the offending literal: RECORD (a custom function, in Python)
# notes what the check finds, and the second CREATE always fails, so nothing is ever committed.
_DIAGNOSE = f"""
DELETE {{ }} WHERE {{ {{ {_OFFENDING} }} FILTER(<{RECORD}>(?s, ?p, ?o)) }} ;
CREATE GRAPH <{MARKER}> ;
CREATE GRAPH <{MARKER}>
"""


def inserts(tokens: list[tuple[str | None, str]]) -> bool:
    """Whether an update's tokens hold INSERT (the only way an update adds new terms: ADD,
    COPY and MOVE copy what the store already holds)."""
    return any(kind == "word" and value.upper() == "INSERT" for kind, value in tokens)


def guarded_update(update: str, tokens: list[tuple[str | None, str]], diagnose: bool = False) -> str:
    """``update`` followed by the admission check; with ``diagnose``, by the run that names
    what the check refused and never commits. ``tokens`` are the update's tokens
    (``graph.sparql_text.tokens``). Only for an update that parses on its own, so that the
    appended text cannot change how the update itself reads."""
    last = tokens[-1][1] if tokens else ""
    return update + "\n" + ("" if last == ";" else ";") + (_DIAGNOSE if diagnose else _CHECK)


def unfit(predicate: object, obj: object) -> Literal:
    """The custom function named UNFIT: whether ``obj`` breaks the rule for ``predicate``'s
    values (``graph.values``)."""
    return Literal(values.problem(predicate, obj) is not None)


FUNCTIONS = {NamedNode(UNFIT): unfit}  # the custom functions the check calls


class Recorder:
    """The custom function named RECORD: keeps the triples the check found."""

    def __init__(self) -> None:
        self.found: list[tuple[Triple, str]] = []

    def __call__(self, subject: object, predicate: object, obj: object) -> Literal:
        # The engine may call it for any quad (it need not cut the FILTER's && short).
        problem = term_problem(obj)
        if problem is not None:
            problem = f"with {problem}"
        elif (problem := values.problem(predicate, obj)) is not None:
            problem = f"where {problem}"
        if problem is not None and len(self.found) < 1:
            self.found.append((Triple(subject, predicate, obj), problem))  # type: ignore[arg-type]
        return Literal(True)

    def refusal(self) -> Inadmissible:
        if not self.found:
            return Inadmissible(
                "the update would add a literal that XML 1.0 cannot carry, or a value that breaks "
                "its property's rule (graph.values); nothing was changed"
            )
        triple, problem = self.found[0]
        return Inadmissible(
            f"the update would add {_shown(str(triple.subject))} {_shown(str(triple.predicate))} "
            f"{problem}; nothing was changed"
        )
