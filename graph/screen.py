"""A screen on the bytes of N-Triples and N-Quads: whether they may spell a character that
``graph.admission`` refuses, decided as the bytes are read instead of on every parsed term.

The N-Triples and N-Quads parser already refuses relative and invalid IRIs and ill-formed
language tags, so only characters remain to check, and checking them term by term costs four
times the parse. Almost all data is printable ASCII without a backslash, which one C-speed
``bytes.translate`` confirms; only the other reads go through the regular expression.

Values the pages compute from (``graph.values``: coordinates, dates, counts...) are checked
too: a line whose bytes name such a property is parsed alone and its value checked against
its rule; a value that breaks it makes the bytes suspect.
"""

from __future__ import annotations

import re
from typing import IO

from pyoxigraph import RdfFormat, parse

from graph import values
from graph.streams import ReadThrough

# Bytes that may spell a character admission refuses: the C0 controls other than tab, LF and
# CR; DEL and the C1 controls (U+0080-U+009F, which IRIs may not hold); U+FFFE and U+FFFF; and
# the escapes \u, \U, \b and \f. Surrogates cannot be in UTF-8.
SUSPECT = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\xc2[\x80-\x9f]|\xef\xbf[\xbe\xbf]|\\[uUbf]")
# Printable ASCII but the backslash, and tab, LF, CR: bytes that can start no SUSPECT match.
_PLAIN = bytes(range(0x20, 0x7F)).replace(b"\\", b"") + b"\t\n\r"


def suspect(data: bytes) -> bool:
    """Whether ``data`` holds bytes that may spell a refused character.

    >>> suspect(b'<http://example.org/a> <http://example.org/b> "caf\\xc3\\xa9" .')
    False
    >>> suspect(b'"bell\\\\u0007"')
    True
    """
    if not data.translate(None, _PLAIN):  # nothing but plain bytes left nothing behind
        return False
    return SUSPECT.search(data) is not None


VALUE_LINE = re.compile(values.PREDICATE_PATTERN.replace("$", ">").encode())
LONGEST_LINE = 1 << 20  # a longer line is suspect: the full check reads it


def value_suspect(lines: bytes) -> bool:
    """Whether a line of ``lines`` (whole lines) names a value property and its value breaks
    the property's rule; a line that does not parse alone is suspect too (the full check says
    what is wrong).

    >>> latitude = b"<https://w3id.org/eurasia-kg/ontology#latitude>"
    >>> value_suspect(b'<http://x/a> ' + latitude + b' "1e308"^^<http://www.w3.org/2001/XMLSchema#double> .')
    True
    >>> value_suspect(b'<http://x/a> <http://x/latitude> "1e308" .')
    False
    """
    for found in VALUE_LINE.finditer(lines):
        start, end = lines.rfind(b"\n", 0, found.start()) + 1, lines.find(b"\n", found.end())
        line = lines[start : end if end >= 0 else len(lines)]
        try:
            quads = list(parse(line, format=RdfFormat.N_QUADS))
        except SyntaxError:
            return True
        if any(values.problem(q.predicate, q.object) for q in quads):
            return True
    return False


class Suspect(Exception):
    """Raised by a stopping ``Screening`` at the first suspect bytes, from inside the reader
    of a load, so that the load ends before it writes anything."""


class Screening(ReadThrough):
    """A read-only stream over ``raw`` that notes whether any bytes read are suspect (a match
    across two reads too) and counts the lines read. With ``stop``, it raises Suspect instead
    of reading on."""

    def __init__(self, raw: IO[bytes], stop: bool = False) -> None:
        super().__init__(raw)
        self.stop = stop
        self.suspect = False
        self.lines = 0
        self._tail = b""
        self._line = b""  # the last line read so far, when it names a value property

    def seen(self, data: bytes) -> None:
        self.lines += data.count(b"\n")
        # A match is at most 3 bytes: one across two reads starts in the last 2 bytes of the
        # previous read and ends in the first 2 of this one.
        if not self.suspect and (suspect(data) or suspect(self._tail + data[:2])):
            self.suspect = True
            if self.stop:
                raise Suspect
        self._tail = data[-2:] if len(data) >= 2 else (self._tail + data)[-2:]
        if not self.suspect and self._values_suspect(data):
            self.suspect = True
            if self.stop:
                raise Suspect

    def _values_suspect(self, data: bytes) -> bool:
        """Whether a whole line read so far names a value property with a value that breaks
        its rule; the last, unfinished line is kept for the next read."""
        text = self._line + data if self._line else data
        end = text.rfind(b"\n") + 1
        self._line = text[end:]
        if len(self._line) > LONGEST_LINE:
            return True
        return end > 0 and VALUE_LINE.search(text, 0, end) is not None and value_suspect(text[:end])
