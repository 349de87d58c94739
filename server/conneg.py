"""Content negotiation: which serialization to answer with, as one pure function.

``negotiate`` takes the request's ``Accept`` header (q-values, wildcards), an explicit
``format`` parameter and the formats that fit the answer, and returns the format to use, or
None when nothing acceptable is on offer (HTTP 406).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pyoxigraph import QueryResultsFormat, RdfFormat
from werkzeug.http import parse_accept_header


@dataclass(frozen=True)
class Format:
    name: str  # the value of the ``format`` parameter
    media_type: str
    aliases: tuple[str, ...] = ()  # further media types that ask for it
    nicknames: tuple[str, ...] = ()  # further ``format`` values (SPARQLWrapper sends format=xml)

    @property
    def media_types(self) -> tuple[str, ...]:
        return (self.media_type, *self.aliases)


# First is the default when the client accepts anything.
RESULTS = (
    Format("json", "application/sparql-results+json", ("application/json",)),
    Format("xml", "application/sparql-results+xml", ("application/xml",)),
    Format("csv", "text/csv"),
    Format("tsv", "text/tab-separated-values"),
)
GRAPHS = (
    Format("turtle", "text/turtle", ("application/x-turtle",), ("ttl",)),
    Format("ntriples", "application/n-triples", ("text/plain",), ("nt",)),
    Format("jsonld", "application/ld+json", ("application/json",), ("json", "json-ld")),
    Format("rdfxml", "application/rdf+xml", ("application/xml",), ("xml", "rdf")),
    Format("nquads", "application/n-quads", (), ("nq",)),
    Format("trig", "application/trig"),
)
DATASETS = tuple(f for f in GRAPHS if f.name in {"trig", "nquads"}) + tuple(
    f for f in GRAPHS if f.name not in {"trig", "nquads"}
)
HTML = Format("html", "text/html", ("application/xhtml+xml",))
JSON = Format("json", "application/json")
GRAPHS_BY_NAME = {f.name: f for f in GRAPHS}

PYOXIGRAPH_RESULTS = {
    "json": QueryResultsFormat.JSON,
    "xml": QueryResultsFormat.XML,
    "csv": QueryResultsFormat.CSV,
    "tsv": QueryResultsFormat.TSV,
}
PYOXIGRAPH_RDF = {
    "turtle": RdfFormat.TURTLE,
    "ntriples": RdfFormat.N_TRIPLES,
    "jsonld": RdfFormat.JSON_LD,
    "rdfxml": RdfFormat.RDF_XML,
    "nquads": RdfFormat.N_QUADS,
    "trig": RdfFormat.TRIG,
}


def negotiate(accept: str | None, offers: Sequence[Format], explicit: str | None = None) -> Format | None:
    """The format to answer with.

    ``explicit`` (a ``format`` parameter: a name such as ``json`` or a media type) wins when it
    is on offer; otherwise the ``Accept`` header decides, the client's highest q-value first and
    the order of ``offers`` breaking ties; no header means the first offer.

    >>> negotiate("text/csv;q=0.5, application/sparql-results+xml", RESULTS).name
    'xml'
    >>> negotiate("image/png", RESULTS) is None
    True
    """
    if explicit:
        wanted = explicit.strip().lower()
        return next((f for f in offers if wanted in {f.name, *f.nicknames, *f.media_types}), None)
    if not accept or not accept.strip():
        return offers[0]
    ranges = [(value.split(";")[0].strip().lower(), q) for value, q in parse_accept_header(accept)]
    best: tuple[float, int] | None = None
    chosen = None
    for rank, offer in enumerate(offers):
        q = _quality(offer, ranges)
        if q > 0 and (best is None or (q, -rank) > best):
            best, chosen = (q, -rank), offer
    return chosen


def _quality(offer: Format, ranges: list[tuple[str, float]]) -> float:
    """The q-value of the most specific range matching the offer (RFC 9110, 12.5.1): an exact
    match of any of its media types, else its main type with a wildcard subtype, else */*."""
    exact = [q for value, q in ranges if value in offer.media_types]
    if exact:
        return max(exact)
    kind = offer.media_type.split("/")[0]
    for candidate in (f"{kind}/*", "*/*"):
        qualities = [q for value, q in ranges if value == candidate]
        if qualities:
            return max(qualities)
    return 0.0
