"""SPARQL text as tokens: comments, strings and IRIs are single tokens, so that a keyword or
a brace inside them is never mistaken for one. Used by the query guard and to bind values
into queries sent to a remote store."""

from __future__ import annotations

import re
from collections.abc import Iterator

TOKEN = re.compile(
    r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
              |'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][\w\u00B7\u00C0-\uFFFF]+)
  | (?P<pname>(?:[A-Za-z\u00C0-\uFFFF][\w\u00B7-\uFFFF.-]*)?:
              (?:(?:[\w\u00B7-\uFFFF:.-]|%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?\#@%])*
                 (?:[\w\u00B7-\uFFFF:-]|%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?\#@%]))?)
  | (?P<word>[A-Za-z_][\w-]*)
  | (?P<open>[{(\[])
  | (?P<close>[})\]])
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
    kind (string, iri, var, pname, word, open, close, other). Local names follow the grammar's
    PN_LOCAL exactly (``\\#`` and ``%23`` escapes included): a name read shorter than the
    parser reads it could hide the rest of its line as a comment. Codepoint escapes (\\u0041)
    are undone first, as the SPARQL grammar says."""
    for match in TOKEN.finditer(CODEPOINT.sub(unescape, text)):
        if match.lastgroup not in {"comment", "space"}:
            yield match


def where_clause_start(text: str) -> int | None:
    """The offset just inside the opening brace of the query's WHERE clause (the first brace
    after WHERE, or the first brace at all when WHERE is omitted); None if there is none.
    Offsets refer to ``text`` after codepoint escapes are undone.

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
