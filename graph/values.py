"""The values pages and pictures compute from, and what each may be: one table for the way
in and the way out.

A coordinate, a date, an amount, a duration or a count is read by the map, the timeline and
the entity pages as a number or a day. Each property's rule says which datatypes its value
may have, what lexical form and what range. ``graph.admission`` refuses a statement whose
value breaks its rule (``problem``); ``server.figures`` and ``server.display`` read values
through ``read``, which gives None for one that breaks it (a store written before the rule,
or a remote store that has no admission check), so that the page shows the text and the
picture leaves it out. ``ontology/shapes.ttl`` states the same rules for the build
(``tests/test_ontology.py`` checks that the shapes and this table agree).

A property is the ontology's term of that name under whatever base the dataset has: an IRI
ending in ``ontology#latitude`` is a latitude (so the check needs no settings, and a
foreign vocabulary that spells its terms so is held to the same rules).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from pyoxigraph import Literal, NamedNode

XSD = "http://www.w3.org/2001/XMLSchema#"
VOCABULARY_END = "ontology#"
MOST_CHARACTERS = 40  # no value the pages read needs more; it keeps parsing cheap and bounded

_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_DOUBLE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")
_ZONE = r"(?:Z|[+-](?:(?:0\d|1[0-3]):[0-5]\d|14:00))?"
_DATES = {
    XSD + "date": re.compile(rf"(\d{{4}})-(\d{{2}})-(\d{{2}}){_ZONE}"),
    XSD + "gYearMonth": re.compile(rf"(\d{{4}})-(\d{{2}}){_ZONE}"),
    XSD + "gYear": re.compile(rf"(\d{{4}}){_ZONE}"),
}
_DURATION = re.compile(r"-?P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?")
NUMBERS = (XSD + "decimal", XSD + "integer", XSD + "double", XSD + "float")
INTEGERS = (XSD + "integer", XSD + "positiveInteger", XSD + "nonNegativeInteger", XSD + "int", XSD + "long")
TEMPORAL = tuple(_DATES)


def _number(datatype: str, text: str) -> Decimal | None:
    """The value of a finite number in its datatype's lexical form (INF and NaN are not)."""
    form = _DOUBLE if datatype in {XSD + "double", XSD + "float"} else _DECIMAL
    if datatype in INTEGERS:
        form = _INTEGER
    return Decimal(text) if form.fullmatch(text) else None


def _date(datatype: str, text: str) -> str | None:
    """The text of a real day, month or year from 0001 to 9999 (2021-02-30 is none)."""
    match = _DATES[datatype].fullmatch(text)
    if match is None:
        return None
    year, month, day = (int(part) for part in (*match.groups(), "1", "1")[:3])
    try:
        datetime.date(year, month, day)
    except ValueError:
        return None
    return text


@dataclass(frozen=True)
class Rule:
    """What a property's value may be: a literal of one of ``datatypes``, in lexical form,
    and for numbers between ``low`` and ``high`` (inclusive)."""

    what: str  # for messages: "a latitude in degrees"
    datatypes: tuple[str, ...]
    example: str  # a good value, for messages: '"35.6944"^^xsd:decimal'
    low: Decimal | None = None
    high: Decimal | None = None

    def value(self, term: object) -> object | None:
        """The value of ``term`` under this rule (a Decimal, a date's text, a duration's text,
        a bool), or None when it breaks the rule."""
        if not isinstance(term, Literal) or term.datatype is None:
            return None
        datatype, text = term.datatype.value, term.value
        if datatype not in self.datatypes or len(text) > MOST_CHARACTERS:
            return None
        reader = _READERS.get(datatype, _number)
        found = reader(datatype, text)
        if isinstance(found, Decimal):
            if (self.low is not None and found < self.low) or (self.high is not None and found > self.high):
                return None
        return found

    def demand(self) -> str:
        names = " or ".join("xsd:" + d.removeprefix(XSD) for d in self.datatypes)
        if self.low is None or self.high is None:
            return f"{self.what} ({names}, e.g. {self.example})"
        kind = "a whole number" if self.datatypes == INTEGERS else "a number"
        return f"{self.what}: {kind} from {self.low} to {self.high} ({names}, e.g. {self.example})"


_READERS: dict[str, Callable[[str, str], object | None]] = {
    **dict.fromkeys(TEMPORAL, _date),
    XSD + "duration": lambda _, text: text if _DURATION.fullmatch(text) else None,
    XSD + "boolean": lambda _, text: {"true": True, "1": True, "false": False, "0": False}.get(text),
}
_AMOUNT = Decimal(10) ** 15
_COUNT = Decimal(10) ** 12
_DATE_RULE = Rule(
    "a date of a year from 0001 to 9999",
    TEMPORAL,
    '"2021-04-06"^^xsd:date, "2021-04"^^xsd:gYearMonth or "2021"^^xsd:gYear',
)
_AMOUNT_RULE = Rule("an amount", NUMBERS, '"579000000"^^xsd:decimal', -_AMOUNT, _AMOUNT)
RULES: dict[str, Rule] = {
    "latitude": Rule("a latitude in degrees", NUMBERS, '"35.6944"^^xsd:decimal', Decimal(-90), Decimal(90)),
    "longitude": Rule(
        "a longitude in degrees", NUMBERS, '"51.4215"^^xsd:decimal', Decimal(-180), Decimal(180)
    ),
    **dict.fromkeys(
        ["date", "startDate", "endDate", "attestedOn", "signedOn", "citedDate", "accessedOn"], _DATE_RULE
    ),
    **dict.fromkeys(["growthRate", "startValue", "endValue"], _AMOUNT_RULE),
    "duration": Rule("a duration", (XSD + "duration",), '"P6M"^^xsd:duration'),
    **dict.fromkeys(
        ["stopNumber", "count", "volume", "issueNumber", "position"],
        Rule("a count", INTEGERS, '"2"^^xsd:positiveInteger', Decimal(1), _COUNT),
    ),
    **dict.fromkeys(
        ["startOffset", "endOffset"],
        Rule("an offset", INTEGERS, '"0"^^xsd:nonNegativeInteger', Decimal(0), _COUNT),
    ),
    "yearInferred": Rule("a yes or no", (XSD + "boolean",), '"true"^^xsd:boolean'),
}
# The predicates' local names, for the SPARQL form of the check (graph.admission).
PREDICATE_PATTERN = VOCABULARY_END + "(" + "|".join(sorted(RULES)) + ")$"


def rule(predicate: object) -> Rule | None:
    """The rule for a predicate's values, or None when the pages compute nothing from them.

    >>> rule(NamedNode("https://w3id.org/eurasia-kg/ontology#latitude")).what
    'a latitude in degrees'
    >>> rule(NamedNode("http://www.w3.org/2000/01/rdf-schema#label"))
    """
    if not isinstance(predicate, NamedNode):
        return None
    iri = predicate.value
    head, _, name = iri.rpartition("#")
    return RULES.get(name) if head.endswith(VOCABULARY_END[:-1]) else None


def read(predicate: object, term: object) -> object | None:
    """The value of ``term`` as the object of ``predicate``: a Decimal for a number, the text
    of a date or a duration, a bool; None when it breaks the predicate's rule (or the
    predicate has none).

    >>> lat = NamedNode("https://w3id.org/eurasia-kg/ontology#latitude")
    >>> read(lat, Literal("35.6944", datatype=NamedNode(XSD + "decimal")))
    Decimal('35.6944')
    >>> read(lat, Literal("1e308", datatype=NamedNode(XSD + "double")))
    """
    found = rule(predicate)
    return found.value(term) if found else None


def problem(predicate: object, term: object) -> str | None:
    """What makes ``term`` unfit as the object of ``predicate``, or None.

    >>> problem(NamedNode("https://w3id.org/eurasia-kg/ontology#latitude"), Literal("abc"))
    'its value "abc" is not a latitude in degrees: a number from -90 to 90 (xsd:decimal or \
xsd:integer or xsd:double or xsd:float, e.g. "35.6944"^^xsd:decimal)'
    """
    found = rule(predicate)
    if found is None or found.value(term) is not None:
        return None
    return f"its value {_shown(term)} is not {found.demand()}"


def _shown(term: object) -> str:
    if isinstance(term, Literal):
        text = term.value if len(term.value) <= 60 else term.value[:59] + "…"
        text = "".join(c if c.isprintable() else f"\\u{ord(c):04X}" for c in text)
        if term.language:
            return f'"{text}"@{term.language}'
        datatype = term.datatype.value if term.datatype else XSD + "string"
        if datatype == XSD + "string":
            return f'"{text}"'
        return f'"{text}"^^' + (
            f"xsd:{datatype[len(XSD) :]}" if datatype.startswith(XSD) else f"<{datatype}>"
        )
    if isinstance(term, NamedNode):
        return f"<{term.value[:80]}> (an IRI, not a literal)"
    return f"{term} (a blank node, not a literal)"
