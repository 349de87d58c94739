"""How fast the browser renders entity pages on the report's graph, over real HTTP.

    python -m benchmarks.entity_pages [--rounds 30]

Starts ``eurasia-kg serve`` on a fresh store (built from the report), warms it up, then
requests every entity page of a sample ``--rounds`` times, one request at a time, and prints
the median and 90th percentile per page and over all pages, against the 50 ms goal.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.servers import eurasia_kg

PAGES = [
    "iran",
    "kyrgyzstan",
    "javad-zarif",
    "zarif-central-asia-tour",
    "mirzo-visit-to-tehran",
    "chabahar",
    "herat-mazar-i-sharif-railway",
    "iran-turkmenistan-trade-decline",
    "irna",
    "edm-18-60/s16",
]
GOAL_MS = 50.0


def timed(url: str) -> float:
    request = urllib.request.Request(url, headers={"Accept": "text/html"})  # noqa: S310 - loopback
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        response.read()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, eurasia_kg(Path(tmp), token=None) as server:
        for page in PAGES:  # warm up: the first request of a kind fills the server's memo
            timed(f"{server.url}id/{page}")
        every: list[float] = []
        print(f"{'page':36} {'median ms':>10} {'p90 ms':>8}")
        for page in PAGES:
            times = sorted(timed(f"{server.url}id/{page}") for _ in range(args.rounds))
            every += times
            print(f"{page:36} {statistics.median(times):10.1f} {times[int(len(times) * 0.9) - 1]:8.1f}")
        median = statistics.median(every)
        verdict = "met" if median < GOAL_MS else "MISSED"
        print(
            f"{'all pages':36} {median:10.1f}   goal < {GOAL_MS:.0f} ms median: {verdict} "
            f"({median / GOAL_MS:.2f} of the goal)"
        )


if __name__ == "__main__":
    main()
