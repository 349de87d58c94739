"""How values read on a page: dates at their precision, numbers with their unit, durations
in words, and links that stay inside the browser."""

from __future__ import annotations

import datetime
import math
import re
from urllib.parse import quote

from pyoxigraph import Literal, NamedNode

from graph import values
from graph.namespaces import XSD, Dataset

_DURATION = re.compile(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")
_UNITS = ("year", "month", "week", "day")


def href(iri: str, dataset: Dataset) -> str:
    """Where the browser shows ``iri``: /id/… and /graph/… for the dataset's own IRIs,
    /ontology for the ontology, /resource?uri=… for anything else (its terms included)."""
    for space in ("id/", "graph/"):
        if iri.startswith(dataset.base + space):
            return "/" + space + quote(iri[len(dataset.base) + len(space) :], safe="/-_.~")
    if iri == dataset.ontology_iri:
        return "/ontology"
    return "/resource?uri=" + quote(iri, safe="")


def compact(iri: str, dataset: Dataset) -> str:
    """A prefixed name for an IRI that has no label: "schema:Country", "owl:Class".

    >>> compact("http://schema.org/Country", Dataset("https://example.org/"))
    'schema:Country'
    """
    for prefix, namespace in sorted(dataset.prefixes().items(), key=lambda item: -len(item[1])):
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def when(lexical: str) -> str:
    """A date as precise as it was given: "2021-02" -> "February 2021";
    "2021-04-05/2021-04-08" -> "5 April 2021 – 8 April 2021".

    >>> when("2021-02"), when("1998"), when("2021-04-06")
    ('February 2021', '1998', '6 April 2021')
    """
    start, slash, end = lexical.partition("/")
    if slash:
        return f"{_day(start)} – {_day(end)}" if end else _day(start)
    return _day(lexical)


def _day(lexical: str) -> str:
    """One date as precise as it was given; any other text as written."""
    if len(lexical) > values.MOST_CHARACTERS:
        return lexical
    parts = lexical.split("-")
    try:
        if len(parts) == 3:
            day = datetime.date.fromisoformat(lexical)
            return f"{day.day} {day:%B %Y}"
        if len(parts) == 2:
            return f"{datetime.date(int(parts[0]), int(parts[1]), 1):%B %Y}"
    except ValueError:
        pass
    return lexical


def duration(lexical: str) -> str:
    """ "P6M" -> "6 months"; other forms as written."""
    match = _DURATION.match(lexical) if len(lexical) <= values.MOST_CHARACTERS else None
    if not match or not any(match.groups()):
        return lexical
    words = [
        f"{n} {unit}{'s' if int(n) != 1 else ''}" for n, unit in zip(match.groups(), _UNITS, strict=True) if n
    ]
    return ", ".join(words)


def number(lexical: str, unit: str | None = None) -> str:
    """ "579000000" with unit "US dollar" -> "579,000,000 US dollars"; a text that is no
    finite number (or longer than any number the pages read) as written.

    >>> number("579000000", "US dollar"), number("1e999"), number("NaN")
    ('579,000,000 US dollars', '1e999', 'NaN')
    """
    try:
        value = float(lexical) if len(lexical) <= values.MOST_CHARACTERS else math.nan
    except ValueError:
        return lexical
    if not math.isfinite(value):
        return lexical
    text = f"{int(value):,}" if value.is_integer() else f"{value:,}"
    if not unit:
        return text
    if unit == "percent":
        return f"{text} %"
    return f"{text} {unit}{'s' if value != 1 else ''}"


def value(term: object, unit: str | None = None) -> str:
    """A literal's text for a page."""
    if not isinstance(term, Literal):
        return term.value if isinstance(term, NamedNode) else str(term)
    datatype = term.datatype.value if term.datatype else ""
    if datatype in {XSD + "date", XSD + "gYearMonth", XSD + "gYear"}:
        return when(term.value)
    if datatype == XSD + "duration":
        return duration(term.value)
    if datatype == XSD + "boolean":
        return "yes" if term.value in {"true", "1"} else "no"
    if datatype in {XSD + "decimal", XSD + "integer", XSD + "positiveInteger", XSD + "nonNegativeInteger"}:
        return number(term.value, unit)
    return term.value


def precision(term: object) -> str | None:
    """ "day", "month" or "year" for a date literal; None otherwise."""
    if isinstance(term, Literal) and term.datatype is not None:
        return {XSD + "date": "day", XSD + "gYearMonth": "month", XSD + "gYear": "year"}.get(
            term.datatype.value
        )
    return None
