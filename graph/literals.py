"""Typed literals from the plain text of a source file, checked against their datatype.

A value is typed by its property's ``rdfs:range``. Each check says what is wrong and what
would be right, because the message goes straight to the analyst editing the source.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from pyoxigraph import Literal, NamedNode

from graph.namespaces import RDF, XSD

_DURATION = re.compile(r"-?P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?")
_YEAR = re.compile(r"-?\d{4}")
_YEAR_MONTH = re.compile(r"-?\d{4}-(0[1-9]|1[0-2])")


class LiteralError(ValueError):
    """The text is not a valid lexical form of the datatype; the message says how to fix it."""


def temporal(text: str) -> Literal:
    """A date at its precision: ``2021-02-23`` a day, ``2021-02`` a month, ``2021`` a year.

    >>> temporal("2021-02").datatype.value
    'http://www.w3.org/2001/XMLSchema#gYearMonth'
    """
    if _YEAR.fullmatch(text):
        return Literal(text, datatype=NamedNode(XSD + "gYear"))
    if _YEAR_MONTH.fullmatch(text):
        return Literal(text, datatype=NamedNode(XSD + "gYearMonth"))
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        raise LiteralError(
            f"{text!r} is not a date: write a day as 2021-02-23, a month as 2021-02 or a year as 2021"
        ) from None
    if len(text) != 10:
        raise LiteralError(f"{text!r} is not a date: write a day as YYYY-MM-DD, e.g. 2021-02-23")
    return Literal(text, datatype=NamedNode(XSD + "date"))


def _integer(minimum: int) -> Callable[[str], None]:
    def check(text: str) -> None:
        if not re.fullmatch(r"[+-]?\d+", text) or int(text) < minimum:
            raise LiteralError(f"{text!r} is not a whole number of at least {minimum}")

    return check


def _decimal(text: str) -> None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or "e" in text.lower():
        raise LiteralError(f"{text!r} is not a decimal number: write e.g. 38 or 133000000 or 2.5")


def _boolean(text: str) -> None:
    if text not in {"true", "false"}:
        raise LiteralError(f"{text!r} is not a boolean: write true or false")


def _duration(text: str) -> None:
    if not _DURATION.fullmatch(text):
        raise LiteralError(
            f"{text!r} is not an ISO 8601 duration: write P6M for six months, P10Y for ten "
            "years, P4D for four days"
        )


_CHECKS: dict[str, Callable[[str], None]] = {
    XSD + "integer": _integer(-(10**18)),
    XSD + "nonNegativeInteger": _integer(0),
    XSD + "positiveInteger": _integer(1),
    XSD + "decimal": _decimal,
    XSD + "boolean": _boolean,
    XSD + "duration": _duration,
}


def typed(text: str, range_iri: str | None, temporal_iri: str) -> Literal:
    """The literal for ``text`` under a property whose range is ``range_iri``.

    ``temporal_iri`` is the ontology's date-at-its-precision datatype. A range of
    ``rdf:langString`` or none gives English text; ``xsd:string`` gives text verbatim.

    Raises LiteralError with a fix when the text does not fit the range.
    """
    if range_iri == temporal_iri:
        return temporal(text)
    if range_iri is None or range_iri == RDF + "langString":
        return Literal(text, language="en")
    if range_iri == XSD + "string":
        return Literal(text)
    check = _CHECKS.get(range_iri)
    if check is None:
        raise LiteralError(
            f"the ontology gives this property the range <{range_iri}>, which sources cannot write yet"
        )
    check(text)
    return Literal(text, datatype=NamedNode(range_iri))
