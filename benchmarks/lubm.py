"""LUBM on the embedded store: load, OWL 2 RL materialization, the 14 queries, their answers.

    python -m benchmarks.lubm [--size 1|10] [--runs 5] [--compare-load]

Reads the LUBM data from ``$EURASIA_KG_SHARED/bench/lubm`` (default: ``../shared`` beside the
repository; see its README). For LUBM(``--size``):

1. loads ``univ-bench.owl`` and the data into a pyoxigraph store, in memory and on disk, each
   in a fresh process: seconds and peak resident memory (the process's own, Python included);
2. runs the 14 queries before reasoning and checks their row counts against ``answers.tsv``'s
   ``without_reasoning`` (LUBM(1) only: the file has no counts for LUBM(10));
3. materializes the OWL 2 RL closure with ``ontology.owl2rl`` (``reasonable``), as the build
   does: only the new, non-trivial triples go into an ``inferred`` graph; timed in parts;
4. runs each query ``--runs`` times in process (median, min-max) over the union of the graphs
   and checks the counts against ``with_owl2rl``.

``--compare-load`` times ``eurasia-kg load`` into a fresh on-disk store against ``oxigraph
load`` on the same file (LUBM(10) unless ``--size`` says otherwise), with each process's peak
resident memory (``wait4``). Prints tables; exits 1 when any count differs from the expected.
"""

from __future__ import annotations

import argparse
import gzip
import multiprocessing
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import DefaultGraph, NamedNode, Quad, QuerySolutions, RdfFormat, Store, parse, serialize

from benchmarks import proctree
from graph.settings import PROJECT_ROOT
from ontology.owl2rl import materialize, new_triples

SHARED = Path(os.environ.get("EURASIA_KG_SHARED", PROJECT_ROOT.parent / "shared"))
LUBM = SHARED / "bench" / "lubm"
INFERRED = NamedNode("urn:x-eurasia-kg:lubm:inferred")


@dataclass(frozen=True)
class Expected:
    without_reasoning: int
    with_owl2rl: int


def answers(lubm: Path = LUBM) -> dict[str, Expected]:
    """``answers.tsv``: the expected row count of each query on LUBM(1)."""
    rows = {}
    for line in (lubm / "answers.tsv").read_text(encoding="utf-8").splitlines():
        if line.startswith(("#", "query")) or not line.strip():
            continue
        name, without, with_ = line.split("\t")
        rows[name] = Expected(int(without), int(with_))
    return rows


def queries(lubm: Path = LUBM) -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted((lubm / "queries").glob("q*.rq"))}


@contextmanager
def unpacked(size: int, lubm: Path = LUBM) -> Iterator[tuple[Path, Path]]:
    """The ontology and LUBM(size) as N-Triples files named ``*.n3`` (``reasonable`` reads
    N-Triples only under that name), in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="lubm-") as tmp:
        ontology = Path(tmp) / "univ-bench.n3"
        triples = parse(path=lubm / "univ-bench.owl", format=RdfFormat.RDF_XML)
        ontology.write_bytes(serialize(triples, format=RdfFormat.N_TRIPLES) or b"")
        data = Path(tmp) / f"lubm{size}.n3"
        with gzip.open(lubm / f"lubm{size}.nt.gz", "rb") as packed, data.open("wb") as out:
            shutil.copyfileobj(packed, out, 1 << 20)
        yield ontology, data


def load(store: Store, ontology: Path, data: Path) -> None:
    for path in (ontology, data):
        store.load(path=path, format=RdfFormat.N_TRIPLES)


def reason(store: Store, ontology: Path, data: Path) -> dict[str, float]:
    """Materialize the OWL 2 RL closure into the ``INFERRED`` graph: seconds of each part."""
    seconds = {}
    clock = time.perf_counter()
    closure = materialize(files=[ontology, data])
    seconds["closure"] = time.perf_counter() - clock
    clock = time.perf_counter()
    given = {q.triple for q in store.quads_for_pattern(None, None, None, DefaultGraph())}
    new = new_triples(closure, given)
    seconds["difference"] = time.perf_counter() - clock
    clock = time.perf_counter()
    store.extend(Quad(t.subject, t.predicate, t.object, INFERRED) for t in new)
    seconds["insert"] = time.perf_counter() - clock
    seconds["new triples"] = len(new)
    return seconds


def count(store: Store, query: str) -> int:
    solutions = store.query(query, use_default_graph_as_union=True)
    if not isinstance(solutions, QuerySolutions):
        raise TypeError("the LUBM queries are SELECT queries")
    return sum(1 for _ in solutions)


def timed(store: Store, query: str, runs: int) -> tuple[int, list[float]]:
    times = []
    rows = 0
    for _ in range(runs):
        clock = time.perf_counter()
        rows = count(store, query)
        times.append((time.perf_counter() - clock) * 1000)
    return rows, times


def _load_in_child(size: int, on_disk: bool, queue: multiprocessing.Queue) -> None:
    with unpacked(size) as (ontology, data), tempfile.TemporaryDirectory() as tmp:
        clock = time.perf_counter()
        store = Store(tmp) if on_disk else Store()
        load(store, ontology, data)
        if on_disk:
            store.flush()
        seconds = time.perf_counter() - clock
        quads = len(store)
        del store  # closed before its folder goes
        queue.put((seconds, quads, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def measure_load(size: int, on_disk: bool) -> tuple[float, int, float]:
    """Seconds, quads and peak MiB of loading LUBM(size), in a fresh process."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_load_in_child, args=(size, on_disk, queue))
    child.start()
    result = queue.get()
    child.join()
    return result


def run_measured(command: list[str]) -> tuple[float, float, int]:
    """Seconds, peak MiB (resident memory of the process tree, sampled from /proc every 0.1 s)
    and exit status of ``command``. Not ``wait4``'s maxrss: Linux carries the parent's peak
    over ``exec``."""
    clock = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603
    with proctree.Sampler(process.pid, interval=0.1) as sampler:
        _, errors = process.communicate()
    seconds = time.perf_counter() - clock
    if process.returncode:
        sys.stderr.write(errors.decode(errors="replace"))
    return seconds, sampler.peak / 2**20, process.returncode


def compare_load(size: int) -> None:
    source = LUBM / f"lubm{size}.nt.gz"
    print(f"\nbuild of LUBM({size}) into an on-disk store, from {source.name}")
    print(f"{'loader':<22} {'seconds':>8} {'peak MiB':>9}")
    results = {}
    oxigraph = shutil.which("oxigraph")
    with tempfile.TemporaryDirectory() as tmp:
        eurasia = [sys.executable, "-c", "from graph.cli import main; main()"]
        # --bulk: oxigraph load uses the same bulk loader, which gives up crash atomicity.
        commands = {
            "eurasia-kg load --bulk": [*eurasia, "--store", f"{tmp}/kg", "load", "--bulk", str(source)]
        }
        if oxigraph:
            commands["oxigraph load"] = [oxigraph, "load", "--location", f"{tmp}/ox", "--file", str(source)]
        for name, command in commands.items():
            seconds, peak, status = run_measured(command)
            results[name] = seconds
            print(f"{name:<22} {seconds:>8.1f} {peak:>9.0f}" + (f"  (exit {status})" if status else ""))
    if len(results) == 2:
        ratio = results["eurasia-kg load --bulk"] / results["oxigraph load"]
        print(f"ratio eurasia-kg / oxigraph: {ratio:.2f} (goal <= 1.5)")


def check_counts(store: Store, column: str, runs: int, expected: dict[str, Expected] | None) -> int:
    """Print a row per query; the number of counts that differ from ``expected``."""
    print(f"\n{column}: {'query':<5} {'rows':>6} {'expected':>8} {'median ms':>10} {'min-max ms':>16}")
    misses = 0
    for name, text in queries().items():
        rows, times = timed(store, text, runs)
        want = getattr(expected[name], column) if expected else None
        mark = "" if want is None or rows == want else "  MISMATCH"
        misses += bool(mark)
        print(
            f"{'':<{len(column) + 2}}{name:<5} {rows:>6} {want if want is not None else '-':>8} "
            f"{statistics.median(times):>10.2f} {min(times):>7.2f}-{max(times):<8.2f}{mark}"
        )
    return misses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, choices=[1, 10], default=1)
    parser.add_argument("--runs", type=int, default=5, help="runs of each query (median, min-max)")
    parser.add_argument("--compare-load", action="store_true", help="eurasia-kg load vs oxigraph load")
    parser.add_argument("--load-size", type=int, choices=[1, 10], default=10)
    args = parser.parse_args(argv)
    if not (LUBM / "answers.tsv").is_file():
        parser.error(f"no LUBM data in {LUBM}; set EURASIA_KG_SHARED to the shared folder")
    print(f"LUBM({args.size}) from {LUBM}; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"{'load':<10} {'seconds':>8} {'quads':>10} {'peak MiB':>9}")
    for where, on_disk in (("in memory", False), ("on disk", True)):
        seconds, quads, peak = measure_load(args.size, on_disk)
        print(f"{where:<10} {seconds:>8.2f} {quads:>10} {peak:>9.0f}")
    expected = answers() if args.size == 1 else None
    store = Store()
    with unpacked(args.size) as (ontology, data):
        load(store, ontology, data)
        misses = check_counts(store, "without_reasoning", args.runs, expected)
        clock = time.perf_counter()
        parts = reason(store, ontology, data)
        total = time.perf_counter() - clock
    steps = ", ".join(f"{k} {v:.2f}s" for k, v in parts.items() if k != "new triples")
    print(f"\nOWL 2 RL: {total:.2f}s ({steps}); {parts['new triples']:.0f} new triples (goal < 10 s)")
    misses += check_counts(store, "with_owl2rl", args.runs, expected)
    if args.compare_load:
        compare_load(args.load_size)
    print(f"\nload average {os.getloadavg()[0]:.2f}; {misses} mismatch(es)")
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
