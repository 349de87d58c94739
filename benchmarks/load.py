"""How the server holds up under concurrent load, over real HTTP on loopback.

    python -m benchmarks.load [--clients 4 16 64] [--seconds 20] [--query-timeout 3]

Starts ``eurasia-kg serve`` on a fresh store built from the report, with a short query
timeout, then for each client count runs a bounded phase: that many closed-loop clients (each
sends its next request when the last one is answered) for ``--seconds``, with a seeded mix of
90% cheap lookups (entity pages, named questions with a binding, small SELECTs by IRI) and
10% heavy queries (cross joins over all quads, which cannot finish before the timeout). Every
request has a client timeout well above the server's, so a hang is counted, not waited out.

Prints one table row per client count: requests, cheap latency percentiles, cheap and heavy
outcomes, whether every 503/429 carried a Retry-After, hangs, the resident memory of the
server's process tree (the server and its query workers, read from /proc) at the start, peak
and end of the phase, throughput, and the CPU the tree used: as cores on average, and per
request. On a machine shared with other work, "server cores" well below the machine's cores
says the latencies measure the contention, not the server.
"""

from __future__ import annotations

import argparse
import http.client
import random
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import proctree
from tests.servers import eurasia_kg

ENTITIES = ["iran", "kyrgyzstan", "javad-zarif", "chabahar", "zarif-central-asia-tour", "irna"]
BASE = "https://w3id.org/eurasia-kg/id/"
CHEAP_SPARQL = "SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }} LIMIT 50"
HEAVY_SPARQL = [
    # Every quad against every quad against every quad: 10^11 and more rows to count.
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
    # The same with a sort, so that the worker also builds up memory until it is stopped.
    "SELECT ?a ?d WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f LIMIT 10",
]


@dataclass(frozen=True)
class Request:
    what: str  # "page", "question" or "select" (cheap), or "heavy"
    path: str
    accept: str = "application/sparql-results+json"

    @property
    def cheap(self) -> bool:
        return self.what != "heavy"


def cheap_request(rng: random.Random) -> Request:
    slug = rng.choice(ENTITIES)
    what = rng.choice(["page", "question", "select"])
    if what == "page":
        return Request(what, f"/id/{slug}", "text/html")
    if what == "question":
        return Request(what, "/queries/visits?state=" + slug)
    return Request(what, "/sparql?query=" + urllib.parse.quote(CHEAP_SPARQL.format(iri=BASE + slug)))


def next_request(rng: random.Random, heavy_share: float) -> Request:
    if rng.random() < heavy_share:
        return Request("heavy", "/sparql?query=" + urllib.parse.quote(rng.choice(HEAVY_SPARQL)))
    return cheap_request(rng)


@dataclass(frozen=True)
class Target:
    """Where the clients send their requests, and how long each waits for an answer."""

    host: str
    port: int
    client_timeout: float
    heavy_share: float


@dataclass
class Outcome:
    request: Request
    status: str  # the HTTP status, or "hang" (client timeout) or "error" (connection failed)
    seconds: float
    retry_after: str | None
    reason: str  # the start of the body of an answer other than 200

    @property
    def answered(self) -> bool:
        return self.status not in {"hang", "error"}


@dataclass
class Phase:
    clients: int
    seconds: float
    outcomes: list[Outcome] = field(default_factory=list)
    rss_start: int = 0
    rss_peak: int = 0
    rss_end: int = 0
    cpu: float = 0.0  # seconds of CPU the server and its workers used in the phase
    lock: threading.Lock = field(default_factory=threading.Lock)

    def cheap(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.request.cheap]


def send(target: Target, request: Request) -> Outcome:
    """One request on a fresh connection; a hang is an answer missing at the client timeout."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection(target.host, target.port, timeout=target.client_timeout)
    try:
        connection.request("GET", request.path, headers={"Accept": request.accept})
        response = connection.getresponse()
        body = response.read()
        status, retry_after = str(response.status), response.getheader("Retry-After")
        reason = "" if response.status == 200 else body[:60].decode("utf-8", "replace")
    except TimeoutError:
        status, retry_after, reason = "hang", None, ""
    except OSError as error:
        status, retry_after, reason = "error", None, str(error)
    finally:
        connection.close()
    return Outcome(request, status, time.perf_counter() - started, retry_after, reason)


def client(phase: Phase, target: Target, seed: int, deadline: float) -> None:
    """A closed-loop client: the next request goes out when the last one is answered."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible mix, not a secret
    while time.monotonic() < deadline:
        outcome = send(target, next_request(rng, target.heavy_share))
        with phase.lock:
            phase.outcomes.append(outcome)


def run_phase(server_pid: int, target: Target, clients: int, seconds: float) -> Phase:
    phase = Phase(clients, seconds)
    phase.rss_start = proctree.rss(server_pid)
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(target=client, args=(phase, target, clients * 1000 + i, deadline))
        for i in range(clients)
    ]
    sampler = proctree.Sampler(server_pid)
    cpu_before = proctree.cpu(server_pid)
    started = time.monotonic()
    with sampler:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    phase.seconds = time.monotonic() - started  # includes the last requests' tails
    phase.cpu = proctree.cpu(server_pid) - cpu_before
    phase.rss_peak = sampler.peak
    phase.rss_end = proctree.rss(server_pid)
    return phase


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def label(outcome: Outcome) -> str:
    """The status, with why a 503 came: the time limit, the memory cap, or no room (busy)."""
    for word, why in (("time limit", "timeout"), ("memory", "memory"), ("busy", "busy")):
        if outcome.status == "503" and word in outcome.reason:
            return f"503 {why}"
    return outcome.status


def counts(outcomes: list[Outcome]) -> str:
    tally = Counter(label(o) for o in outcomes)
    return " ".join(f"{status}:{n}" for status, n in sorted(tally.items())) or "-"


def row(phase: Phase) -> list[str]:
    cheap = phase.cheap()
    heavy = [o for o in phase.outcomes if not o.request.cheap]
    answered = [o.seconds * 1000 for o in cheap if o.answered]
    shed = [o for o in phase.outcomes if o.status in {"429", "503"}]
    marked = all(o.retry_after and o.retry_after.isdigit() and int(o.retry_after) > 0 for o in shed)
    return [
        str(phase.clients),
        str(len(phase.outcomes)),
        f"{percentile(answered, 0.5):.0f}",
        f"{percentile(answered, 0.95):.0f}",
        f"{percentile(answered, 0.99):.0f}",
        f"{max(answered, default=float('nan')):.0f}",
        counts(cheap),
        counts(heavy),
        f"{len(shed)} {'all' if marked else 'NOT ALL'}",
        str(sum(o.status == "hang" for o in phase.outcomes)),
        f"{phase.rss_start >> 20}/{phase.rss_peak >> 20}/{phase.rss_end >> 20}",
        f"{len(phase.outcomes) / phase.seconds:.0f}",
        f"{phase.cpu / phase.seconds:.2f}",
        f"{phase.cpu * 1000 / max(len(phase.outcomes), 1):.0f}",
    ]


HEADER = [
    "clients",
    "requests",
    "cheap p50 ms",
    "p95",
    "p99",
    "max",
    "cheap statuses",
    "heavy statuses",
    "429/503 w/ Retry-After",
    "hangs",
    "RSS MiB start/peak/end",
    "req/s",
    "server cores",
    "CPU ms/req",
]


def table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(len(HEADER))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in [HEADER, *rows]]
    lines.insert(1, "-|-".join("-" * w for w in widths))
    return "\n".join(lines)


def breakdown(phase: Phase) -> str:
    """The cheap requests' p99 by kind, to see which kind holds the tail, and why some were
    refused."""
    parts = []
    for what in ("page", "question", "select"):
        times = [o.seconds * 1000 for o in phase.cheap() if o.request.what == what and o.answered]
        parts.append(f"{what} p99 {percentile(times, 0.99):.0f} ms (n={len(times)})")
    refused = Counter(o.reason for o in phase.cheap() if o.status != "200")
    parts += [f"{n} x {reason!r}" for reason, n in refused.most_common(3)]
    return f"{phase.clients} clients: " + ", ".join(parts)


def verdict(phases: list[Phase], goal_clients: int) -> str:
    notes = []
    for phase in phases:
        if phase.clients == goal_clients:
            p99 = percentile([o.seconds for o in phase.cheap() if o.answered], 0.99)
            met = "met" if p99 < 1 else "MISSED"
            notes.append(f"cheap p99 at {goal_clients} clients: {p99:.2f} s (goal < 1 s: {met})")
        hangs = sum(o.status == "hang" for o in phase.outcomes)
        if hangs:
            notes.append(f"{hangs} hangs at {phase.clients} clients")
    return "\n".join(notes)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[4, 16, 64])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    parser.add_argument("--query-timeout", type=float, default=3.0, help="the server's query timeout")
    parser.add_argument("--heavy-share", type=float, default=0.10, help="the share of heavy queries")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="another server setting, as EURASIA_KG_<NAME> (e.g. --set workers=8)",
    )
    args = parser.parse_args(argv)
    settings = dict(s.split("=", 1) for s in args.set)
    with (
        tempfile.TemporaryDirectory() as tmp,
        eurasia_kg(Path(tmp), token=None, query_timeout=str(args.query_timeout), **settings) as server,
    ):
        url = urllib.parse.urlsplit(server.url)
        # The client timeout is far above anything the server should take: reaching it is a hang.
        target = Target(
            url.hostname or "127.0.0.1", url.port or 80, args.query_timeout + 30, args.heavy_share
        )
        for page in ENTITIES:  # warm up: the first request of a kind fills the server's memo
            send(target, Request("page", f"/id/{page}", "text/html"))
        phases = []
        for clients in args.clients:
            phases.append(run_phase(server.pid, target, clients, args.seconds))
            print(breakdown(phases[-1]), flush=True)
        print()
        print(table([row(p) for p in phases]))
        print()
        print(verdict(phases, 16))


if __name__ == "__main__":
    main()
