"""A seeded generator of synthetic geopolitics data in eurasia-kg's own ontology and layout.

    python -m benchmarks.generate --triples 1M [--seed 7] [-o data.nq.gz]

Writes N-Quads (gzip when the name ends in ``.gz``) as a stream, so 10M triples never sit in
memory. The data looks like what the compiler writes for many reports:

- ``syn/world``: a gazetteer (states, capitals and cities, ports, border crossings,
  corridors, ministries, posts, people and their tenures, outlets), with coordinates;
- per synthetic report ``syn-N``: ``syn-N/provenance`` (the report, its sentences with text
  and offsets, its citations with outlet and date, each claim's sentence, citations and
  modality, which sentences mention which entity) and one graph ``syn-N/sK`` per claim, with
  the facts of a visit, a negotiation, an agreement, a trade observation, a border closure or
  a tenure;
- ``inferred``: what the reasoner would add for them (participants, places events occurred in).

The report's own states and outlets keep their ids (``iran``, ``irna`` ...), so the named
questions' example parameters find synthetic answers too; they are not redeclared, so the
data is meant to be loaded into a store that holds the built report. The same seed and size
give the same bytes.
"""

from __future__ import annotations

import argparse
import gzip
import random
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

BASE = "https://w3id.org/eurasia-kg/"
KGO = BASE + "ontology#"
XSD = "http://www.w3.org/2001/XMLSchema#"
TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
ALT = "<http://www.w3.org/2004/02/skos/core#altLabel>"
DERIVED = "<http://www.w3.org/ns/prov#wasDerivedFrom>"
PROV_ENTITY = "<http://www.w3.org/ns/prov#Entity>"

# (slug, label, defined by the report already)
STATES = [
    ("iran", "Iran", True),
    ("tajikistan", "Tajikistan", True),
    ("uzbekistan", "Uzbekistan", True),
    ("kyrgyzstan", "Kyrgyzstan", True),
    ("kazakhstan", "Kazakhstan", True),
    ("turkmenistan", "Turkmenistan", True),
    ("afghanistan", "Afghanistan", True),
    ("russia", "Russia", True),
    ("turkey", "Turkey", True),
    ("azerbaijan", "Azerbaijan", False),
    ("armenia", "Armenia", False),
    ("georgia", "Georgia", False),
    ("pakistan", "Pakistan", False),
    ("india", "India", False),
    ("china", "China", False),
    ("mongolia", "Mongolia", False),
    ("belarus", "Belarus", False),
    ("ukraine", "Ukraine", False),
    ("iraq", "Iraq", False),
    ("oman", "Oman", False),
    ("qatar", "Qatar", False),
    ("saudi-arabia", "Saudi Arabia", False),
    ("uae", "United Arab Emirates", False),
]
OUTLETS = [
    ("irna", "IRNA", True),
    ("khovar", "Khovar", True),
    ("isna", "ISNA", True),
    ("farsnews", "Farsnews", True),
    ("tajikpress", "Tajikpress", True),
    ("azda-tv", "Azda TV", True),
    ("tass", "TASS", False),
    ("xinhua", "Xinhua", False),
    ("trend-az", "Trend", False),
    ("akipress", "AKIpress", False),
    ("kun-uz", "Kun.uz", False),
    ("tolo-news", "Tolo News", False),
    ("dawn", "Dawn", False),
    ("eurasianet", "Eurasianet", False),
    ("kabar", "Kabar", False),
]
SYLLABLES = ["ka", "ra", "mir", "zo", "sha", "bek", "dor", "an", "ul", "te", "lan", "gor", "da", "is", "nur"]
GIVEN = [
    "Ali",
    "Javad",
    "Shirali",
    "Rustam",
    "Aziz",
    "Nurlan",
    "Bakyt",
    "Sardor",
    "Farhad",
    "Dilshod",
    "Askar",
    "Timur",
    "Reza",
    "Mohammad",
    "Serdar",
    "Kairat",
    "Zafar",
    "Anvar",
    "Ilham",
    "Saparmurat",
]
FAMILY = [
    "Karimov",
    "Rahimi",
    "Mirzo",
    "Abdulloev",
    "Tokayev",
    "Sadyrov",
    "Yusupov",
    "Hosseini",
    "Ahmadi",
    "Berdiyev",
    "Nazarov",
    "Ismoilov",
    "Tashiev",
    "Aliyev",
    "Rezaei",
    "Saidov",
]
OFFICES = [
    ("foreign", "Foreign Minister", "Ministry of Foreign Affairs"),
    ("defense", "Defense Minister", "Ministry of Defense"),
    ("trade", "Trade Minister", "Ministry of Trade"),
    ("transport", "Transport Minister", "Ministry of Transport"),
    ("energy", "Energy Minister", "Ministry of Energy"),
    ("interior", "Interior Minister", "Ministry of Interior"),
]
MODALITIES = ["Reported"] * 6 + ["Forecast", "Belief", "Rumour", "Assessment"]
MODES = ["Rail", "Road"]
TOPICS = ["transit", "energy supply", "water sharing", "border security", "customs", "rail freight"]
AGREEMENTS = ["Roadmap", "Agreement", "Treaty", "Arrangement"]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
SIZES = {"k": 1_000, "m": 1_000_000}


def parse_size(text: str) -> int:
    """``100k``, ``1M``, ``10M`` or a plain number of triples.

    >>> parse_size("100k"), parse_size("1M"), parse_size("2500")
    (100000, 1000000, 2500)
    """
    text = text.strip().lower()
    if text and text[-1] in SIZES:
        return int(float(text[:-1]) * SIZES[text[-1]])
    return int(text)


def iri(slug: str) -> str:
    return f"<{BASE}id/{slug}>"


def kgo(name: str) -> str:
    return f"<{KGO}{name}>"


def graph(name: str) -> str:
    return f"<{BASE}graph/{name}>"


def text(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"@en'


def plain(value: str) -> str:
    return text(value).removesuffix("@en")


def typed(value: object, datatype: str) -> str:
    return f'"{value}"^^<{XSD}{datatype}>'


class Writer:
    """Writes quads as N-Quads lines and counts them."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.count = 0

    def quad(self, s: str, p: str, o: str, g: str) -> None:
        self.out.write(f"{s} {p} {o} {g} .\n")
        self.count += 1


@dataclass
class Person:
    slug: str
    name: str
    state: str
    post: str  # the post slug they hold
    title: str  # e.g. "Foreign Minister of Iran"


@dataclass
class World:
    """The gazetteer: who and what the reports talk about."""

    states: list[tuple[str, str]] = field(default_factory=list)
    cities: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # by state
    ports: list[tuple[str, str, str]] = field(default_factory=list)  # slug, label, state
    crossings: list[tuple[str, str, str, str]] = field(default_factory=list)  # slug, label, a, b
    corridors: list[tuple[str, str]] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    outlets: list[str] = field(default_factory=list)


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def world(w: Writer, rng: random.Random, scale: int) -> World:
    """Write ``syn/world`` and return what it holds; ``scale`` sets how many people and places."""
    g = graph("syn/world")
    out = World(outlets=[slug for slug, _, _ in OUTLETS])
    for slug, label, known in OUTLETS:
        if not known:
            w.quad(iri(slug), TYPE, kgo("NewsOutlet"), g)
            w.quad(iri(slug), LABEL, text(label), g)
    for slug, label, known in STATES:
        out.states.append((slug, label))
        if not known:
            w.quad(iri(slug), TYPE, kgo("State"), g)
            w.quad(iri(slug), LABEL, text(label), g)
        cities = []
        for n in range(max(3, scale // 20)):
            city = f"syn-{slug}-city-{n}"
            name = _name(rng)
            cities.append((city, name))
            w.quad(iri(city), TYPE, kgo("City"), g)
            w.quad(iri(city), LABEL, text(name), g)
            w.quad(iri(city), kgo("country"), iri(slug), g)
            w.quad(iri(city), kgo("latitude"), typed(f"{rng.uniform(25, 55):.4f}", "decimal"), g)
            w.quad(iri(city), kgo("longitude"), typed(f"{rng.uniform(30, 90):.4f}", "decimal"), g)
        out.cities[slug] = cities
        gov = f"syn-government-of-{slug}"
        w.quad(iri(gov), TYPE, kgo("Government"), g)
        w.quad(iri(gov), LABEL, text(f"Government of {label}"), g)
        w.quad(iri(gov), kgo("governmentOf"), iri(slug), g)
        for key, title, ministry_label in OFFICES:
            ministry, post = f"syn-{key}-ministry-of-{slug}", f"syn-{key}-minister-of-{slug}"
            w.quad(iri(ministry), TYPE, kgo("Ministry"), g)
            w.quad(iri(ministry), LABEL, text(f"{ministry_label} of {label}"), g)
            w.quad(iri(ministry), kgo("governmentOf"), iri(slug), g)
            w.quad(iri(ministry), kgo("subOrganizationOf"), iri(gov), g)
            w.quad(iri(post), TYPE, kgo("Post"), g)
            w.quad(iri(post), LABEL, text(f"{title} of {label}"), g)
            w.quad(iri(post), kgo("postIn"), iri(ministry), g)
            for n in range(max(1, scale // 200)):  # successive holders of the post
                person = f"syn-{key}-{slug}-{n}"
                name = f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}"
                out.people.append(Person(person, name, slug, post, f"{title} of {label}"))
                w.quad(iri(person), TYPE, kgo("Person"), g)
                w.quad(iri(person), LABEL, text(name), g)
    for n in range(max(4, scale // 10)):
        state, label = rng.choice(out.states)
        port = f"syn-port-{n}"
        name = f"Port of {_name(rng)}"
        out.ports.append((port, name, state))
        w.quad(iri(port), TYPE, kgo("Port"), g)
        w.quad(iri(port), LABEL, text(name), g)
        w.quad(iri(port), kgo("country"), iri(state), g)
        a, b = rng.sample(out.states, 2)
        crossing = f"syn-crossing-{n}"
        cname = f"{_name(rng)} crossing"
        out.crossings.append((crossing, cname, a[0], b[0]))
        w.quad(iri(crossing), TYPE, kgo("BorderCrossing"), g)
        w.quad(iri(crossing), LABEL, text(cname), g)
        w.quad(iri(crossing), kgo("borderOf"), iri(a[0]), g)
        w.quad(iri(crossing), kgo("borderOf"), iri(b[0]), g)
        w.quad(iri(crossing), kgo("country"), iri(a[0]), g)
        ends = rng.sample(out.states, 4)
        corridor = f"syn-corridor-{n}"
        cname = f"{ends[0][1]}–{ends[1][1]} {rng.choice(['railway', 'highway', 'corridor'])} {n}"
        out.corridors.append((corridor, cname))
        w.quad(iri(corridor), TYPE, kgo("Corridor"), g)
        w.quad(iri(corridor), LABEL, text(cname), g)
        w.quad(iri(corridor), kgo("transportMode"), kgo(rng.choice(MODES)), g)
        w.quad(iri(corridor), kgo("connects"), iri(ends[0][0]), g)
        w.quad(iri(corridor), kgo("connects"), iri(ends[1][0]), g)
        w.quad(iri(corridor), kgo("passesThrough"), iri(ends[2][0]), g)
        w.quad(iri(corridor), kgo("bypasses"), iri(ends[3][0]), g)
    return out


@dataclass
class Claim:
    sentence: str
    facts: list[tuple[str, str, str]]  # (s, p, o) in the claim's graph
    inferred: list[tuple[str, str, str]]
    mentions: list[str]  # entity slugs the sentence names


def _day(rng: random.Random) -> tuple[str, str]:
    year, month, day = rng.randint(2015, 2024), rng.randint(1, 12), rng.randint(1, 28)
    return f"{year}-{month:02d}-{day:02d}", f"{MONTHS[month - 1]} {day}, {year}"


def visit(rng: random.Random, wd: World, slug: str) -> Claim:
    person = rng.choice(wd.people)
    host, host_label = rng.choice([s for s in wd.states if s[0] != person.state])
    city, city_label = rng.choice(wd.cities[host])
    date, printed = _day(rng)
    v = iri(slug)
    facts = [
        (v, TYPE, kgo("Visit")),
        (v, LABEL, text(f"{person.name}’s visit to {city_label}")),
        (v, kgo("visitor"), iri(person.slug)),
        (v, kgo("host"), iri(host)),
        (v, kgo("destination"), iri(city)),
        (v, kgo("date"), typed(date, "date")),
        (v, kgo("participant"), iri(person.state)),
        (v, kgo("participant"), iri(host)),
    ]
    tenure = f"{slug}-tenure"
    facts += [
        (iri(tenure), TYPE, kgo("Tenure")),
        (iri(tenure), kgo("holder"), iri(person.slug)),
        (iri(tenure), kgo("post"), iri(person.post)),
        (iri(tenure), kgo("attestedOn"), typed(date, "date")),
    ]
    inferred = [
        (v, kgo("participant"), iri(person.slug)),
        (v, kgo("occurredIn"), iri(city)),
        (v, kgo("occurredIn"), iri(host)),
    ]
    sentence = f"On {printed}, {person.title} {person.name} visited {city_label}, {host_label}."
    return Claim(sentence, facts, inferred, [person.slug, city, host, person.state])


def negotiation(rng: random.Random, wd: World, slug: str) -> Claim:
    states = rng.sample(wd.states, rng.randint(2, 4))
    city, city_label = rng.choice(wd.cities[states[0][0]])
    date, printed = _day(rng)
    topic = rng.choice(TOPICS)
    e = iri(slug)
    facts = [
        (e, TYPE, kgo(rng.choice(["Negotiation", "Consultation", "Conference"]))),
        (e, LABEL, text(f"talks on {topic} in {city_label}")),
        (e, kgo("location"), iri(city)),
        (e, kgo("date"), typed(date, "date")),
        (e, kgo("host"), iri(states[0][0])),
    ]
    facts += [(e, kgo("participant"), iri(s)) for s, _ in states]
    names = ", ".join(label for _, label in states)
    sentence = f"Delegations of {names} met in {city_label} on {printed} to discuss {topic}."
    return Claim(sentence, facts, [(e, kgo("occurredIn"), iri(city))], [city] + [s for s, _ in states])


def agreement(rng: random.Random, wd: World, slug: str) -> Claim:
    (a, a_label), (b, b_label) = rng.sample(wd.states, 2)
    corridor, corridor_label = rng.choice(wd.corridors)
    date, printed = _day(rng)
    e = iri(slug)
    kind = rng.choice(AGREEMENTS)
    facts = [
        (e, TYPE, kgo(kind)),
        (e, LABEL, text(f"{a_label}–{b_label} {kind.lower()} on {corridor_label}")),
        (e, kgo("party"), iri(a)),
        (e, kgo("party"), iri(b)),
        (e, kgo("concerns"), iri(corridor)),
        (e, kgo("signedOn"), typed(date, "date")),
    ]
    sentence = f"On {printed}, {a_label} and {b_label} signed a {kind.lower()} on the {corridor_label}."
    return Claim(sentence, facts, [], [a, b, corridor])


def trade(rng: random.Random, wd: World, slug: str) -> Claim:
    (a, a_label), (b, b_label) = rng.sample(wd.states, 2)
    year = rng.randint(2012, 2023)
    start = rng.randint(50, 3000) * 1_000_000
    end = int(start * rng.uniform(0.4, 1.8))
    trend = "Growing" if end > start else "Declining"
    e = iri(slug)
    facts = [
        (e, TYPE, kgo("TradeObservation")),
        (e, LABEL, text(f"{a_label}–{b_label} trade, {year}–{year + 1}")),
        (e, kgo("tradePartner"), iri(a)),
        (e, kgo("tradePartner"), iri(b)),
        (e, kgo("startValue"), typed(start, "decimal")),
        (e, kgo("endValue"), typed(end, "decimal")),
        (e, kgo("unit"), kgo("USD")),
        (e, kgo("trend"), kgo(trend)),
        (e, kgo("startDate"), typed(year, "gYear")),
        (e, kgo("endDate"), typed(year + 1, "gYear")),
        (e, kgo("timeDescription"), text(f"from {year} to {year + 1}")),
    ]
    sentence = (
        f"Trade between {a_label} and {b_label} went from ${start // 1_000_000} million in {year} "
        f"to ${end // 1_000_000} million in {year + 1}."
    )
    return Claim(sentence, facts, [], [a, b])


def closure(rng: random.Random, wd: World, slug: str) -> Claim:
    crossing, label, a, b = rng.choice(wd.crossings)
    date, printed = _day(rng)
    days = rng.randint(2, 120)
    e = iri(slug)
    facts = [
        (e, TYPE, kgo("BorderClosure")),
        (e, LABEL, text(f"closure of the {label}")),
        (e, kgo("crossing"), iri(crossing)),
        (e, kgo("closedBy"), iri(a)),
        (e, kgo("startDate"), typed(date, "date")),
        (e, kgo("duration"), typed(f"P{days}D", "duration")),
        (e, kgo("participant"), iri(b)),
    ]
    sentence = f"The {label} between the two states was closed on {printed} for {days} days."
    return Claim(
        sentence,
        facts,
        [(e, kgo("occurredIn"), iri(crossing)), (e, kgo("participant"), iri(a))],
        [crossing, a, b],
    )


def port_call(rng: random.Random, wd: World, slug: str) -> Claim:
    port, label, state = rng.choice(wd.ports)
    corridor, corridor_label = rng.choice(wd.corridors)
    e = iri(corridor)
    facts = [(e, kgo("usesPort"), iri(port))]
    sentence = f"The {corridor_label} is to carry freight through {label}."
    return Claim(sentence, facts, [], [corridor, port, state])


KINDS = [visit] * 5 + [negotiation] * 2 + [agreement, trade, closure, port_call]


def report(w: Writer, rng: random.Random, wd: World, number: int) -> None:
    """One synthetic report: provenance graph and one graph per claim, as the compiler writes."""
    rid = f"syn-{number:06d}"
    prov = graph(f"{rid}/provenance")
    r = iri(rid)
    w.quad(r, TYPE, kgo("Report"), prov)
    w.quad(r, LABEL, text(f"Synthetic report {number}"), prov)
    w.quad(r, kgo("title"), text(f"Synthetic report {number}"), prov)
    w.quad(r, kgo("publishedIn"), iri("eurasia-daily-monitor"), prov)
    citations = []
    for n in range(rng.randint(3, 8)):
        outlet = rng.choice(wd.outlets)
        date, printed = _day(rng)
        c = iri(f"{rid}/{outlet}-{date}-{n}")
        citations.append(c)
        w.quad(c, TYPE, kgo("Citation"), prov)
        w.quad(c, kgo("inReport"), r, prov)
        w.quad(c, LABEL, text(f"({outlet}, {printed})"), prov)
        w.quad(c, kgo("outlet"), iri(outlet), prov)
        w.quad(c, kgo("citedDate"), typed(date, "date"), prov)
        w.quad(c, kgo("printedAs"), plain(f"{outlet}, {printed}"), prov)
    offset = 0
    for position in range(1, rng.randint(15, 40) + 1):
        kind = rng.choice(KINDS)
        claim = kind(rng, wd, f"{rid}-e{position}")
        s = iri(f"{rid}/s{position}")
        end = offset + len(claim.sentence)
        w.quad(s, TYPE, kgo("Sentence"), prov)
        w.quad(s, LABEL, text(f"sentence {position} of {rid}"), prov)
        w.quad(s, kgo("inReport"), r, prov)
        w.quad(s, kgo("text"), text(claim.sentence), prov)
        w.quad(s, kgo("position"), typed(position, "positiveInteger"), prov)
        w.quad(s, kgo("startOffset"), typed(offset, "nonNegativeInteger"), prov)
        w.quad(s, kgo("endOffset"), typed(end, "nonNegativeInteger"), prov)
        offset = end + 1
        g = graph(f"{rid}/s{position}")
        w.quad(g, TYPE, PROV_ENTITY, prov)
        w.quad(g, LABEL, text(f"claim of sentence {position} of {rid}"), prov)
        w.quad(g, kgo("inReport"), r, prov)
        w.quad(g, DERIVED, r, prov)
        w.quad(g, TYPE, kgo("Claim"), prov)
        w.quad(g, kgo("statedIn"), s, prov)
        w.quad(g, kgo("modality"), kgo(rng.choice(MODALITIES)), prov)
        w.quad(g, kgo("citation"), rng.choice(citations), prov)
        for subject, predicate, obj in claim.facts:
            w.quad(subject, predicate, obj, g)
        for subject, predicate, obj in claim.inferred:
            w.quad(subject, predicate, obj, graph("inferred"))
        for slug in dict.fromkeys(claim.mentions):
            w.quad(iri(slug), kgo("mentionedIn"), s, prov)


@contextmanager
def _open(path: Path) -> Iterator[TextIO]:
    if path.suffix == ".gz":
        with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as out:
            yield out
    else:
        with path.open("w", encoding="utf-8", buffering=1 << 20) as out:
            yield out


def generate(path: Path, triples: int, seed: int = 7, shard: int = 0) -> list[Path]:
    """Write about ``triples`` quads (a whole report past it) to ``path``; return the files.

    With ``shard``, start a new file (``name-001.nq`` ...) after each report that takes the
    current one past ``shard`` quads, so that each file loads in a transaction of that size.
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic data, not secrets
    paths: list[Path] = []
    with ExitStack() as stack:
        w = Writer(_next(stack, path, paths, shard))
        wd = world(w, rng, max(20, triples // 2_000))
        number, since = 0, 0
        while w.count < triples:
            number += 1
            report(w, rng, wd, number)
            if shard and w.count - since >= shard and w.count < triples:
                since = w.count
                w.out = _next(stack, path, paths, shard)
    for done in paths:
        done.with_name(done.name + ".part").replace(done)
    return paths


def _next(stack: ExitStack, path: Path, paths: list[Path], shard: int) -> TextIO:
    if shard:
        suffixes = "".join(path.suffixes)
        stem = path.name[: -len(suffixes)] if suffixes else path.name
        path = path.with_name(f"{stem}-{len(paths):03d}{suffixes}")
    paths.append(path)
    stack.close()  # the previous file, if any
    return stack.enter_context(_open(path.with_name(path.name + ".part")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", default="100k", help="target size: 100k, 1M, 10M or a number")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("-o", "--output", type=Path, default=Path("synthetic.nq.gz"))
    parser.add_argument("--shard", default="0", help="quads per file (e.g. 1M); 0: one file")
    args = parser.parse_args()
    paths = generate(args.output, parse_size(args.triples), args.seed, parse_size(args.shard))
    print(f"wrote {len(paths)} file(s): {paths[0]} ...")


if __name__ == "__main__":
    main()
