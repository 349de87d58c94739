"""How each cost grows with the size of the graph, on synthetic data from benchmarks.generate.

    python -m benchmarks.scale [--sizes 100k 1M 10M] [--rounds 5] [--data data/scale]
                               [--plot data/scale/scale.png] [--only-load]

For each size: generate the data (cached in ``--data``, in 1M-quad files), build the
report's graph into a fresh embedded store with ``eurasia-kg build`` and load the data with
``eurasia-kg load --bulk`` a file at a time (wall time and peak RSS of the commands), then
start ``eurasia-kg serve`` on it and measure over HTTP, one request at a time: every named
question (the catalogue's example parameters), a few entity pages, search; then stop it and
time ``eurasia-kg export`` to N-Quads and Turtle. A measurement is repeated ``--rounds``
times (fewer when one run takes long) and its median kept. A loaded store is reused when its
marker says the same data went in. Prints a table of each cost per size with its growth per
10x of size, the load average, and writes a log-log plot of cost against size.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import queries
from benchmarks import generate as generator
from benchmarks.generate import generate, parse_size
from tests.conftest import SHARED
from tests.servers import free_port, running

PAGES = ["iran", "tajikistan", "syn-foreign-iran-0", "syn-corridor-0", "syn-port-1", "irna"]
SEARCHES = ["zarif", "port of"]
SHARD = 1_000_000
BUDGET_S = 20.0  # stop repeating a measurement once its runs took this long
GENERATOR = hashlib.sha256(Path(generator.__file__).read_bytes()).hexdigest()[:8]
LOADER = "bulk"  # in the marker: a store loaded otherwise is loaded again
Results = dict[str, float | None]  # measure -> seconds (None: timed out or failed)


def run_measured(args: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Run a command; its wall time in seconds and its peak RSS in bytes (GNU time's %M)."""
    with tempfile.NamedTemporaryFile("r") as report:
        started = time.perf_counter()
        subprocess.run(  # noqa: S603 - our own command line
            ["/usr/bin/time", "-o", report.name, "-f", "%M", *args], env=env, check=True
        )
        elapsed = time.perf_counter() - started
        return elapsed, int(report.read().split()[-1]) * 1024


def environment(store: Path) -> dict[str, str]:
    return {**os.environ, "EURASIA_KG_STORE": str(store), "EURASIA_KG_REPORTS": str(SHARED / "seed")}


def prepare(size: int, label: str, data: Path, seed: int) -> tuple[Path, dict[str, float]]:
    """The store for ``size`` (built and loaded, or reused) and its build and load costs."""
    name = f"{label}-seed{seed}-{GENERATOR}"  # a changed generator makes new data
    directory = data / name
    store, marker = directory / "store", directory / "loaded.json"
    files = sorted(data.glob(f"synthetic-{name}-*.nq"))
    if not files:
        started = time.perf_counter()
        files = generate(data / f"synthetic-{name}.nq", size, seed, SHARD)
        print(f"{label}: generated {len(files)} file(s) in {time.perf_counter() - started:.1f} s", flush=True)
    names = [f.name for f in files]
    kept = json.loads(marker.read_text()) if marker.exists() else {}
    if kept.get("files") == names and kept.get("loader") == LOADER:
        return store, kept["costs"]
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    exe = shutil.which("eurasia-kg") or "eurasia-kg"
    env = environment(store)
    build_s, build_rss = run_measured([exe, "build"], env)
    loads = [run_measured([exe, "load", "--bulk", str(file)], env) for file in files]  # one pass each
    load_s, load_rss = sum(s for s, _ in loads), max(rss for _, rss in loads)
    costs = {"build report s": build_s, "load s": load_s, "load peak RSS MB": load_rss / 2**20}
    costs["store MB"] = sum(f.stat().st_size for f in store.rglob("*") if f.is_file()) / 2**20
    marker.write_text(json.dumps({"files": names, "loader": LOADER, "costs": costs}))
    print(f"{label}: {json.dumps(costs)}", flush=True)
    return store, costs


def repeated(work: Callable[[], None], rounds: int) -> float | None:
    """Median seconds of ``work`` over up to ``rounds`` runs; None when it failed."""
    times: list[float] = []
    for _ in range(rounds):
        started = time.perf_counter()
        try:
            work()
        except (OSError, subprocess.CalledProcessError) as error:  # HTTP errors, timeouts
            http = isinstance(error, urllib.error.HTTPError)
            body = error.read(300).decode(errors="replace") if http else ""  # type: ignore[union-attr]
            print(f"  failed: {error} {body.strip()}", file=sys.stderr)
            return None
        times.append(time.perf_counter() - started)
        if sum(times) > BUDGET_S:
            break
    return statistics.median(times)


def fetch(url: str, accept: str) -> None:
    request = urllib.request.Request(url, headers={"Accept": accept})  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
        response.read()


@contextmanager
def served(store: Path, timeout: float) -> Iterator[str]:
    """``eurasia-kg serve`` on ``store``, read-only; its base URL. Up when the query catalogue
    answers: /health counts the quads, which takes minutes at 10M."""
    port = free_port()
    env = {**environment(store), "EURASIA_KG_QUERY_TIMEOUT": str(timeout)}
    env.pop("EURASIA_KG_WRITE_TOKEN", None)
    exe = shutil.which("eurasia-kg") or "eurasia-kg"
    args = [exe, "serve", "--host", "127.0.0.1", "--port", str(port)]
    url = f"http://127.0.0.1:{port}/"
    with running(args, url + "queries/", env, store.parent / "server.log"):
        yield url


def over_http(store: Path, rounds: int, timeout: float, server: str | None = None) -> Results:
    """Named questions, entity pages and search, over HTTP on a server on ``store`` (or on the
    running ``server``, a base URL)."""
    results: Results = {}
    with nullcontext(server) if server else served(store, timeout) as base:
        for name, question in queries.catalogue().items():
            params = urllib.parse.urlencode(queries.examples(question))
            url = f"{base}queries/{name}?{params}"
            accept = "text/turtle" if "CONSTRUCT" in question.text else "application/sparql-results+json"
            results[f"q {name}"] = repeated(lambda u=url, a=accept: fetch(u, a), rounds)  # type: ignore[misc]
            print(f"  q {name}: {results[f'q {name}']}", flush=True)
        for number, page in enumerate(PAGES):
            url = f"{base}id/{page}"
            if number == 0:  # the first page pays for the store's cold caches
                results["first page"] = repeated(lambda u=url: fetch(u, "text/html"), 1)  # type: ignore[misc]
            results[f"page {page}"] = repeated(lambda u=url: fetch(u, "text/html"), rounds)  # type: ignore[misc]
        for number, words in enumerate(SEARCHES):
            url = f"{base}search?format=json&q={urllib.parse.quote(words)}"
            if number == 0:  # the first search builds the name index
                results["first search (name index)"] = repeated(lambda u=url: fetch(u, "application/json"), 1)  # type: ignore[misc]
            results[f"search {words}"] = repeated(lambda u=url: fetch(u, "application/json"), rounds)  # type: ignore[misc]
    return results


def exports(store: Path, formats: list[str]) -> Results:
    results: Results = {}
    exe = shutil.which("eurasia-kg") or "eurasia-kg"
    for fmt in formats:
        extension = {"nquads": "nq", "turtle": "ttl", "trig": "trig", "ntriples": "nt"}.get(fmt, fmt)
        target = store.parent / f"export.{extension}"
        seconds, _ = run_measured([exe, "export", "--format", fmt, "-o", str(target)], environment(store))
        target.unlink()
        results[f"export {fmt}"] = seconds
    return results


def summary(results: Results) -> Results:
    """Medians over the named questions and over the pages, as the goals state them. A
    measurement that timed out counts as slower than all others; a median or maximum that
    falls on one is None (shown as failed), not a figure over the ones that answered."""
    named = [math.inf if v is None else v for k, v in results.items() if k.startswith("q ")]
    pages = [math.inf if v is None else v for k, v in results.items() if k.startswith("page ")]

    def finite(value: float | None) -> float | None:
        return value if value is not None and math.isfinite(value) else None

    return {
        "named questions median": finite(statistics.median(named)) if named else None,
        "named questions max": finite(max(named)) if named else None,
        "entity pages median": finite(statistics.median(pages)) if pages else None,
    }


def growth(a: float | None, b: float | None, size_a: int, size_b: int) -> str:
    """Factor by which a cost grows per 10x of size, between two sizes."""
    if not a or not b:
        return "-"
    return f"{(b / a) ** (1 / math.log10(size_b / size_a)):.1f}x"


def cell(key: str, value: float | None) -> str:
    if value is None:
        return "failed"
    if key.startswith("load avg"):
        return f"{value:.2f}"
    if key.endswith(" s") or key.endswith("MB"):
        return f"{value:.1f}"
    return f"{value * 1000:.1f}" if value < 10 else f"{value:.1f} s"


def table(sizes: list[tuple[str, int]], rows: dict[str, Results]) -> str:
    keys = list(dict.fromkeys(k for label, _ in sizes for k in rows[label]))
    head = f"{'cost (ms unless marked)':42}" + "".join(f"{label:>11}" for label, _ in sizes)
    head += "".join(f"{'x/10x ' + b:>13}" for (_, _), (b, _) in zip(sizes, sizes[1:], strict=False))
    lines = [head, "-" * len(head)]
    for key in keys:
        line = f"{key:42}" + "".join(f"{cell(key, rows[label].get(key)):>11}" for label, _ in sizes)
        for (la, na), (lb, nb) in zip(sizes, sizes[1:], strict=False):
            line += f"{growth(rows[la].get(key), rows[lb].get(key), na, nb):>13}"
        lines.append(line)
    return "\n".join(lines)


def plot(sizes: list[tuple[str, int]], rows: dict[str, Results], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [
        "load s",
        "export nquads",
        "export turtle",
        "named questions median",
        "named questions max",
        "entity pages median",
        "search zarif",
    ]
    figure, axes = plt.subplots(figsize=(8, 5.5))
    xs = [n for _, n in sizes]
    for key in shown:
        points = [(x, rows[label].get(key)) for (label, _), x in zip(sizes, xs, strict=True)]
        points = [(x, y) for x, y in points if y]
        if points:
            axes.plot(*zip(*points, strict=True), marker="o", label=key.removesuffix(" s"))
    for goal, text in ((0.1, "100 ms goal"), (0.05, "50 ms")):
        axes.axhline(goal, color="grey", linestyle=":", linewidth=1)
        axes.annotate(text, (xs[0], goal), textcoords="offset points", xytext=(2, 2), fontsize=8)
    axes.set(
        xscale="log",
        yscale="log",
        xlabel="synthetic triples loaded (plus the report)",
        ylabel="seconds (median)",
        title="eurasia-kg: cost against graph size",
    )
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120, bbox_inches="tight")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", default=["100k", "1M"])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=60.0, help="server query timeout, seconds")
    parser.add_argument("--data", type=Path, default=Path("data/scale"))
    parser.add_argument("--plot", type=Path, default=Path("data/scale/scale.png"))
    parser.add_argument("--exports", nargs="*", default=["nquads", "turtle"], help="formats to time")
    parser.add_argument(
        "--loaded",
        type=Path,
        help="measure this already loaded directory (holding store/ and loaded.json); one size only",
    )
    parser.add_argument("--server", help="measure this running server (base URL) on --loaded's store")
    parser.add_argument("--only-load", action="store_true", help="generate, build and load; no queries")
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    sizes = [(label, parse_size(label)) for label in args.sizes]
    rows: dict[str, Results] = {}
    for label, size in sizes:
        if args.loaded:
            store = args.loaded / "store"
            costs = json.loads((args.loaded / "loaded.json").read_text())["costs"]
        else:
            store, costs = prepare(size, label, args.data, args.seed)
        rows[label] = {**costs, "load avg before": os.getloadavg()[0]}
        if args.only_load:
            continue
        measured = over_http(store, args.rounds, args.timeout, args.server)
        measured.update(exports(store, args.exports))
        rows[label].update({**summary(measured), **measured, "load avg after": os.getloadavg()[0]})
        (args.data / f"results-{label}-seed{args.seed}.json").write_text(json.dumps(rows[label], indent=1))
    print(f"\ncpus {os.cpu_count()}, load average now {os.getloadavg()}")
    print(table(sizes, rows))
    if not args.only_load and len(sizes) > 1:
        plot(sizes, rows, args.plot)
        print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
