"""SPARQL over HTTP on LUBM(1): eurasia-kg side by side with the servers users would pick instead.

    python -m benchmarks.peers [--queries q01 q02 q14 | all] [--runs 3] [--seconds 10]
                               [--connections 4] [--timeout 30] [--servers NAME ...]

Starts eurasia-kg (embedded store), ``oxigraph serve`` in memory, rdflib-endpoint and, where
``virtuoso-t`` is installed, Virtuoso, on 127.0.0.1 with the same data: LUBM(1) and the
univ-bench ontology from ``$EURASIA_KG_SHARED/bench/lubm/`` (default ``../shared`` next to
the repository; read from there, never copied into it). See ``benchmarks/peer_servers.py``.

First each server answers each query once, and its row count is compared with
``answers.tsv``'s ``without_reasoning`` column (no server here reasons), so that every
server does the same work; a server that errs, times out (``--timeout``) or answers another
count is left out of that query's load, and a server that timed out is restarted so that it
stops computing. Then, ``--runs`` times, every (query, server) pair gets one bounded phase of
``wrk`` with ``--connections`` keep-alive connections for ``--seconds`` (``benchmarks/wrk.py``);
the runs are interleaved so that a change in the machine's load touches every server alike.

Prints the machine, the servers' versions, and per query and server the requests/s and median
latency (median of the runs, with min-max), the CPU the server and wrk used, then the ratios of
eurasia-kg to each peer and the issue's goals as verdicts, with by how much each is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import peer_servers, proctree, wrk
from benchmarks.peer_servers import Endpoint

SHARED = Path(os.environ.get("EURASIA_KG_SHARED", Path(__file__).resolve().parents[2] / "shared"))
SUBJECT = "eurasia-kg"
SUBJECTS = [SUBJECT, peer_servers.UNCACHED]  # with and without the answer cache
DEFAULT_QUERIES = ["q01", "q02", "q14"]
# (query, peer, factor): eurasia-kg's requests/s must be at least factor × the peer's.
GOALS = [
    ("q01", "virtuoso", 1.0),
    ("q01", "oxigraph", 0.25),
    ("q02", "oxigraph", 1.0),
    ("q14", "oxigraph", 1.0),
]
RDFLIB_FACTOR = 10.0  # every query at least 10 × rdflib-endpoint


@dataclass
class Measured:
    """The runs of one (query, server) pair, or why it was left out."""

    rows: int | None = None
    problem: str = ""  # "timeout", "error: ...", "rows: N, expected M"
    rps: list[float] = field(default_factory=list)
    median_ms: list[float] = field(default_factory=list)
    server_cores: list[float] = field(default_factory=list)
    client_cores: list[float] = field(default_factory=list)
    failures: int = 0  # bad statuses and socket errors over all runs


class Servers:
    """The running servers by name; ``restart`` stops one and starts it again."""

    def __init__(self, names: list[str], files: list[Path], work: Path) -> None:
        self.files, self.work = files, work
        self.stacks: dict[str, ExitStack] = {}
        self.endpoints: dict[str, Endpoint] = {}
        try:
            for name in names:
                self.start(name)
        except BaseException:
            self.close()
            raise

    def start(self, name: str) -> None:
        stack = ExitStack()
        work = Path(tempfile.mkdtemp(prefix=name + "-", dir=self.work))
        started = time.monotonic()
        self.endpoints[name] = stack.enter_context(peer_servers.STARTERS[name](self.files, work))
        self.stacks[name] = stack
        print(f"  {name}: up and loaded in {time.monotonic() - started:.1f} s", flush=True)

    def restart(self, name: str) -> None:
        print(f"  {name}: restarting, so that it stops computing an abandoned query", flush=True)
        self.stacks.pop(name).close()
        self.start(name)

    def close(self) -> None:
        for stack in self.stacks.values():
            stack.close()


def expected_rows(lubm: Path) -> dict[str, int]:
    lines = (lubm / "answers.tsv").read_text(encoding="utf-8").splitlines()
    rows = [line.split("\t") for line in lines if line and not line.startswith(("#", "query"))]
    return {query: int(plain) for query, plain, _ in rows}


def count_rows(endpoint: Endpoint, sparql: str, timeout: float) -> int:
    """The number of solutions ``endpoint`` answers to ``sparql``, asked once as SPARQL JSON.
    Raises TimeoutError, or OSError/ValueError when the server errs or the answer is unreadable."""
    request = urllib.request.Request(wrk.query_url(endpoint.query, sparql), headers={"Accept": wrk.ACCEPT})  # noqa: S310
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback
        return len(json.loads(response.read())["results"]["bindings"])


def check_answers(
    servers: Servers, queries: dict[str, str], expected: dict[str, int], timeout: float
) -> dict:
    """Ask every server every query once; the Measured of each pair, with its problem if any."""
    measured: dict[tuple[str, str], Measured] = {}
    for query, sparql in queries.items():
        for name in list(servers.endpoints):
            result = measured[query, name] = Measured()
            try:
                result.rows = count_rows(servers.endpoints[name], sparql, timeout)
            except TimeoutError:
                result.problem = f"timeout > {timeout:g} s"
                servers.restart(name)
            except (OSError, ValueError, KeyError) as error:
                result.problem = f"error: {str(error)[:60]}"
            else:
                if result.rows != expected[query]:
                    result.problem = f"rows: {result.rows}, expected {expected[query]}"
    return measured


def server_cpu() -> float:
    """CPU seconds used so far by this process's descendants (the servers; ``wrk`` is reaped
    before this is read, and the idle servers add next to nothing)."""
    own = os.getpid()
    return sum(proctree._cpu(p, reaped=True) for p in proctree.descendants(own) if p != own)


def load_phase(endpoint: Endpoint, sparql: str, result: Measured, options: argparse.Namespace) -> None:
    url = wrk.query_url(endpoint.query, sparql)
    before, started = server_cpu(), time.monotonic()
    run = wrk.run(url, options.seconds, options.connections, options.timeout)
    elapsed = time.monotonic() - started
    result.rps.append(run.answered_per_second)
    result.median_ms.append(run.median_seconds * 1000)
    result.server_cores.append((server_cpu() - before) / elapsed)
    result.client_cores.append(run.client_cpu_seconds / elapsed)
    result.failures += run.bad_status + run.socket_errors


def spread(values: list[float], shown: Callable[[float], str]) -> str:
    if not values:
        return "-"
    return f"{shown(statistics.median(values))} [{shown(min(values))}-{shown(max(values))}]"


def median_rps(measured: dict, query: str, name: str) -> float | None:
    result = measured.get((query, name))
    return statistics.median(result.rps) if result and result.rps and not result.problem else None


def print_machine(endpoints: dict[str, Endpoint]) -> None:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = int(Path("/proc/meminfo").read_text().split()[1]) / 2**20
    print(f"machine: {os.cpu_count()} cores, {cpu}, {memory:.1f} GiB RAM, {platform.platform()}")
    print(f"load generator: {' '.join(os.popen('wrk -v 2>&1').read().split()[:2])}, one thread")  # noqa: S605, S607
    for endpoint in endpoints.values():
        print(f"{endpoint.name}: {endpoint.version}")


def print_table(measured: dict, queries: list[str], names: list[str]) -> None:
    print(
        f"\n{'query':6} {'server':19} {'rows':>6} {'answers/s median [min-max]':>28} "
        f"{'latency ms median [min-max]':>30} {'server cores':>12} {'wrk cores':>9}  notes"
    )
    for query in queries:
        for name in names:
            r = measured[query, name]
            notes = r.problem or (f"{r.failures} failed requests (not counted)" if r.failures else "")
            print(
                f"{query:6} {name:19} {r.rows if r.rows is not None else '-':>6} "
                f"{spread(r.rps, lambda v: f'{v:,.0f}'):>28} {spread(r.median_ms, lambda v: f'{v:.2f}'):>30} "
                f"{_median(r.server_cores):>12} {_median(r.client_cores):>9}  {notes}"
            )


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}" if values else "-"


def print_ratios(measured: dict, queries: list[str], subject: str, peers: list[str]) -> None:
    print(
        f"\nratio of {subject}'s requests/s to the peer's (median of runs)\n{'query':6} "
        + " ".join(f"{peer:>16}" for peer in peers)
    )
    for query in queries:
        ours = median_rps(measured, query, subject)
        cells = []
        for peer in peers:
            theirs = median_rps(measured, query, peer)
            cells.append(f"{ours / theirs:>16.3f}" if ours and theirs else f"{'n/a':>16}")
        print(f"{query:6} " + " ".join(cells))


def verdict(measured: dict, query: str, subject: str, peer: str, factor: float) -> str:
    ours, theirs = median_rps(measured, query, subject), median_rps(measured, query, peer)
    goal = f"{query}: {subject} >= {factor:g} x {peer}"
    peer_problem = measured.get((query, peer), Measured(problem="not run")).problem
    if ours is None:
        return f"{goal}: NOT MEASURED ({subject}: {measured[query, subject].problem})"
    if theirs is None:
        return f"{goal}: met, {ours:,.0f} req/s while the peer failed it once ({peer_problem or 'no runs'})"
    needed = factor * theirs
    if ours >= needed:
        return f"{goal}: met ({ours:,.0f} >= {needed:,.0f} req/s, {ours / needed:.2f}x the goal)"
    shortfall = f"{ours:,.0f} of {needed:,.0f} req/s; x{needed / ours:.1f} short"
    return f"{goal}: MISSED by {1 - ours / needed:.0%} ({shortfall})"


def print_verdicts(measured: dict, queries: list[str], subject: str, names: list[str]) -> None:
    print(f"\ngoals (issue 7) for {subject}, from this run:")
    goals = [g for g in GOALS if g[0] in queries and g[1] in names]
    if "rdflib-endpoint" in names:
        goals += [(query, "rdflib-endpoint", RDFLIB_FACTOR) for query in queries]
    for query, peer, factor in goals:
        print("  " + verdict(measured, query, subject, peer, factor))


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", nargs="+", default=DEFAULT_QUERIES, help="names, or 'all' for the 14")
    parser.add_argument("--servers", nargs="+", default=peer_servers.available())
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds a request may take")
    return parser.parse_args()


def main() -> None:
    options = arguments()
    lubm = SHARED / "bench" / "lubm"
    names = [SUBJECT] + [n for n in options.servers if n != SUBJECT]
    subjects = [n for n in names if n in SUBJECTS]
    peers = [n for n in names if n not in SUBJECTS]
    chosen = (
        sorted(p.stem for p in (lubm / "queries").glob("q*.rq"))
        if options.queries == ["all"]
        else options.queries
    )
    queries = {q: (lubm / "queries" / f"{q}.rq").read_text(encoding="utf-8") for q in chosen}
    files = [lubm / "lubm1.nt.gz", lubm / "univ-bench.owl"]
    with tempfile.TemporaryDirectory(prefix="eurasia-kg-peers-") as work:
        print(f"starting {', '.join(names)} on LUBM(1) from {lubm}", flush=True)
        servers = Servers(names, files, Path(work))
        try:
            measured = check_answers(servers, queries, expected_rows(lubm), options.timeout)
            for run in range(options.runs):
                print(f"run {run + 1}/{options.runs}, load average {os.getloadavg()}", flush=True)
                for query, sparql in queries.items():
                    for name in names:
                        if not measured[query, name].problem:
                            load_phase(servers.endpoints[name], sparql, measured[query, name], options)
            print()
            print_machine(servers.endpoints)
        finally:
            servers.close()
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(
        f"{options.connections} connections, {options.seconds:g} s per phase, {options.runs} runs; "
        f"load average (1, 5, 15 min) at the end: {load}"
    )
    print_table(measured, chosen, names)
    for subject in subjects:
        print_ratios(measured, chosen, subject, peers)
        print_verdicts(measured, chosen, subject, peers)


if __name__ == "__main__":
    main()
