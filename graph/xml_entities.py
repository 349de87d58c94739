"""RDF/XML entity declarations, checked before pyoxigraph parses a document.

pyoxigraph's RDF/XML parser expands the internal entities a document declares in its DOCTYPE,
entities inside entities included, and accepts a DOCTYPE anywhere in the document. A few
hundred bytes of nested entities (the "billion laughs") then expand to gigabytes and take the
process's memory. External entities (``SYSTEM``, ``PUBLIC``) are not fetched by the parser, but
they are refused here too, with a clear message, so that no future parser ever reads a file or
a URL named by a user.

What remains allowed is what ontology editors write: flat abbreviations such as
``<!ENTITY owl "http://www.w3.org/2002/07/owl#">``, whose expansion grows the document by at
most ``MAX_EXPANSION`` bytes.

Elements are checked too: the parser's time grows with the square of their nesting (20,000
deep took 3 s, 60,000 deep 100 s, in the request's own thread), so a document nested deeper
than ``MAX_DEPTH`` is refused before it is parsed.
"""

from __future__ import annotations

import re

MAX_EXPANSION = 64 * 1024 * 1024  # bytes that entity references may add to a document
MAX_DEPTH = 100  # elements inside elements; RDF/XML that people and tools write seldom nests 20

_MARKUP = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_EXTERNAL_DTD = re.compile(rb"<!\s*DOCTYPE[^\[>]*\b(?:SYSTEM|PUBLIC)\b", re.IGNORECASE)
_ENTITY = re.compile(rb"<!\s*ENTITY\b", re.IGNORECASE)
_FLAT = re.compile(rb'<!ENTITY\s+([A-Za-z_][\w.-]*)\s+"([^"&%<]*)"\s*>')


class EntityError(ValueError):
    """An RDF/XML document whose entity declarations or nesting are refused; nothing was parsed."""


def check(data: bytes, limit: int = MAX_EXPANSION) -> None:
    """Raise EntityError unless every entity ``data`` declares is a flat internal one and all
    their references together add at most ``limit`` bytes.

    >>> check(b'<!DOCTYPE r [<!ENTITY owl "http://www.w3.org/2002/07/owl#">]><r a="&owl;x"/>')
    >>> try:
    ...     check(b'<!DOCTYPE r [<!ENTITY a "x"><!ENTITY b "&a;&a;">]><r>&b;</r>')
    ... except EntityError as error:
    ...     print(str(error).split("; only")[0])
    RDF/XML entity declaration refused: <!ENTITY b "&a;&a;">
    """
    nesting(data)
    if not _MARKUP.search(data):
        return
    external = _EXTERNAL_DTD.search(data)
    if external:
        raise EntityError(
            f"RDF/XML with an external DTD refused: {_show(data, external.start())}; "
            "nothing named by a document is read"
        )
    added = 0
    for match in _ENTITY.finditer(data):
        flat = _FLAT.match(data, match.start())
        if flat is None:
            raise EntityError(
                f"RDF/XML entity declaration refused: {_show(data, match.start())}; only plain "
                'abbreviations like <!ENTITY owl "http://www.w3.org/2002/07/owl#"> are read: no '
                "SYSTEM or PUBLIC entities, no parameter entities, no entities inside entities"
            )
        name, value = flat.groups()
        added += data.count(b"&" + name + b";") * len(value)
        if added > limit:
            raise EntityError(
                f"RDF/XML entity references would expand the document by more than {limit} bytes"
            )


# Markup, each alternative possessive and allowed to run to the end, so that every "<" starts
# a match and the scan stays linear: a comment, a CDATA section, a processing instruction, or
# a tag (a declaration too), whose quoted attribute values may hold ">".
_TAGS = re.compile(
    rb"<!--(?:[^-]++|-(?!->))*+(?:-->|\Z)"
    rb"|<!\[CDATA\[(?:[^\]]++|\](?!\]>))*+(?:\]\]>|\Z)"
    rb"|<\?(?:[^?]++|\?(?!>))*+(?:\?>|\Z)"
    rb"""|<(?:[^>"']++|"[^"]*+(?:"|\Z)|'[^']*+(?:'|\Z))*+(?:>|\Z)"""
)


def nesting(data: bytes, limit: int = MAX_DEPTH) -> None:
    """Raise EntityError when elements in ``data`` nest deeper than ``limit``.

    A scan of the markup, before the parser: exact on well-formed XML (entities cannot add
    elements, since ``check`` refuses markup in their values), and on a document that is not,
    never less than the depth the parser reaches before its first error.

    >>> nesting(b'<a><!-- <b><b> --><b x=">"/><![CDATA[<b>]]></a>', limit=2)
    >>> try:
    ...     nesting(b"<a><b><c/></b></a>", limit=1)
    ... except EntityError as error:
    ...     print(error)
    RDF/XML nests elements more than 1 deep (at byte 4); flatten it with rdf:nodeID or rdf:about
    """
    if data.count(b"<") <= limit:
        return
    depth = 0
    for match in _TAGS.finditer(data):
        tag = match[0]
        if tag.startswith((b"<!", b"<?")):
            continue
        if tag.startswith(b"</"):
            depth -= 1
            continue
        if depth + 1 > limit:  # an empty element <e/> is as deep as one with content
            raise EntityError(
                f"RDF/XML nests elements more than {limit} deep (at byte {match.start() + 1}); "
                "flatten it with rdf:nodeID or rdf:about"
            )
        if not tag.endswith(b"/>"):
            depth += 1


def _show(data: bytes, start: int) -> str:
    end = data.find(b">", start)
    declaration = data[start : end + 1 if 0 <= end < start + 120 else start + 120]
    return declaration.decode("utf-8", "replace")
