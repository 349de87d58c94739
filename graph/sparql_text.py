"""SPARQL text as tokens: comments, strings and IRIs are single tokens, so that a keyword or
a brace inside them is never mistaken for one. Used by the query guard and to bind values
into queries (for a remote store, and for the browser's queries, see ``bind``)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

# A comment, and a short string, ends at a line end, \r or \n, as in the SPARQL grammar: a
# comment read on past a \r would hide what the engine reads after it. Every repetition that
# alternates is possessive (*+, ++): the regex engine then keeps no backtracking state per
# character, so a 10 MiB string or name costs no more than its text.
# A string holds only the escapes the grammar has: with any other, the engine reads the quotes
# as other strings ('''x\\q''' is '' and 'x'...), and so must this tokenizer.
_ESCAPE = r"(?:\\[tbnrf\"'\\]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})"
# pyoxigraph ends a local name after one group of dots and name characters: ex:a.b.c is
# ex:a.b, then . and c.
_NAME_CHAR = r"(?:[\w\u00B7-\uFFFF:-]|%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?\#@%])"
TOKEN = re.compile(
    rf"""
    (?P<comment>\#[^\r\n]*)
  | (?P<string>'''(?:[^'\\]|{_ESCAPE}|'(?!''))*+'''|\"\"\"(?:[^"\\]|{_ESCAPE}|"(?!""))*+\"\"\"
              |'(?:[^'\\\r\n]|{_ESCAPE})*+'|"(?:[^"\\\r\n]|{_ESCAPE})*+")
  | (?P<iri><(?:[^<>"{{}}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{{4}}|\\U[0-9A-Fa-f]{{8}})*+>)
  | (?P<var>[?$][\w\u00B7\u00C0-\uFFFF]+)
  | (?P<pname>(?:[A-Za-z\u00C0-\uFFFF][\w\u00B7-\uFFFF.-]*)?:
              (?:{_NAME_CHAR}++(?:\.++{_NAME_CHAR}++)?+)?)
  | (?P<word>[A-Za-z_][\w-]*)
  | (?P<number>[0-9]+\.[0-9]*[eE][+-]?[0-9]+|[0-9]*\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+(?:[eE][+-]?[0-9]+)?)
  | (?P<open>[{{(\[])
  | (?P<close>[}})\]])
  | (?P<space>\s+)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def unescape(match: re.Match[str]) -> str:
    code = int(match.group(1) or match.group(2), 16)
    return chr(code) if code <= 0x10FFFF else match.group()


def tokens(text: str) -> Iterator[re.Match[str]]:
    """The tokens of ``text`` without white space and comments; ``match.lastgroup`` is the
    kind (string, iri, var, pname, word, number, open, close, other). Local names follow the
    grammar's PN_LOCAL exactly (``\\#`` and ``%23`` escapes included): a name read shorter
    than the parser reads it could hide the rest of its line as a comment. Codepoint escapes
    (``\\u0041``) are left as they are: pyoxigraph undoes them only inside strings and IRIs,
    as SPARQL 1.2 does, and undoing them anywhere else first would read ``'\\u0027'`` as a
    string that ends early. ``iri`` gives an IRI token's IRI."""
    for match in TOKEN.finditer(text):
        if match.lastgroup not in {"comment", "space"}:
            yield match


def iri(token: str) -> str:
    """The IRI of an IRI token, its codepoint escapes undone.

    >>> iri("<http://example.org/\\u0061>")
    'http://example.org/a'
    """
    return CODEPOINT.sub(unescape, token[1:-1])


def where_clause_start(text: str) -> int | None:
    """The offset just inside the opening brace of the query's WHERE clause (the first brace
    after WHERE, or the first brace at all when WHERE is omitted); None if there is none.

    >>> q = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    >>> q[where_clause_start(q):].strip()
    '?s ?p ?o }'
    """
    found = list(tokens(text))
    words = [i for i, m in enumerate(found) if m.lastgroup == "word" and m.group().upper() == "WHERE"]
    after = words[0] if words else -1
    for match in found[after + 1 :]:
        if match.group() == "{":
            return match.end()
    return None


def bind(sparql: str, substitutions: Mapping[str, Any]) -> str:
    """The query with its bindings as VALUES blocks at the start of its WHERE clause, where
    they bind before any FILTER of the clause runs, as pyoxigraph's substitutions do. A value
    is a pyoxigraph term, or a sequence of terms for a variable to take each of in turn.
    Terms are written in N-Triples syntax, which SPARQL reads as is: a term object, validated
    when it was made, never text pasted in. Raises ValueError when the query has no WHERE
    clause (or group) to bind in.

    pyoxigraph 0.5 plans a query before it applies ``substitutions=``, so a query whose
    variables are bound that way is evaluated as if they were free; a VALUES block is planned
    with the query, and evaluation starts from it.

    >>> from pyoxigraph import NamedNode
    >>> bind("SELECT ?s WHERE { ?s ?p ?o }", {"o": NamedNode("http://x/")})
    'SELECT ?s WHERE { VALUES (?o) { (<http://x/>) } ?s ?p ?o }'
    >>> bind("SELECT ?s { ?s ?p ?o }", {"s": [NamedNode("http://a/"), NamedNode("http://b/")]})
    'SELECT ?s { VALUES ?s { <http://a/> <http://b/> } ?s ?p ?o }'
    """
    if not substitutions:
        return sparql
    text = sparql
    start = where_clause_start(text)
    if start is None:
        raise ValueError("the query has no WHERE clause to bind values in")
    single = {name: term for name, term in substitutions.items() if not isinstance(term, (list, tuple))}
    blocks = []
    if single:
        names = " ".join(f"?{name}" for name in single)
        blocks.append(f"VALUES ({names}) {{ ({' '.join(str(term) for term in single.values())}) }}")
    for name, terms in substitutions.items():
        if name not in single:
            blocks.append(f"VALUES ?{name} {{ {' '.join(str(term) for term in terms)} }}")
    return f"{text[:start]} {' '.join(blocks)}{text[start:]}"
