"""Whether lookups get through a burst of idle and slow connections, over loopback.

    python -m benchmarks.connections [--connections 500] [--seconds 30]
        [--http waitress granian] [--shapes idle slow-headers slow-body] [--addresses 1 50]

Starts ``eurasia-kg serve`` (with its default connection settings) under each HTTP server, and
for each shape and number of attacking addresses runs one phase: ``--connections`` connections
of that shape (tests/attacks/slow_clients.py: idle, a head trickled a line at a time, a body
trickled a byte at a time; each one reopened as soon as the server closes it) from that many
addresses of 127.0.0.0/8 beside 127.0.0.1 (one address: all of them over its cap; 50: ten each,
under it), for ``--seconds``, while one client on 127.0.0.1 sends GET /sparql?query=ASK{} and
GET /health in turn, each with a 5 s timeout.

Prints one row per phase: the lookups, their latency percentiles and slowest, how many took
1 s or more (a failed or timed-out one counts as 5 s), the connections the attack opened, how
many the server closed and the longest any of them lived.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from tests.attacks.slow_clients import SHAPES, Swarm, lookups
from tests.servers import eurasia_kg

TIMEOUT = 5.0
HEADER = (
    "| shape | addresses | lookups | p50 ms | p99 ms | max ms | ≥ 1 s | opened | closed | longest s |\n"
    + "|---" * 10
    + "|"
)


def phase(url: str, shape: str, connections: int, addresses: int, seconds: float) -> str:
    port = int(url.rsplit(":", 1)[1].strip("/"))
    sources = tuple(f"127.0.0.{2 + i}" for i in range(addresses))
    with Swarm(port, shape, connections, sources=sources) as swarm:
        time.sleep(1)  # the burst is up before the first lookup
        urls = [url + "sparql?query=ASK%7B%7D", url + "health"]
        latencies = sorted(lookups(urls, seconds, timeout=TIMEOUT))
    n = len(latencies)
    slow = sum(1 for t in latencies if t >= 1)
    return (
        f"| {shape} | {addresses} | {n} | {latencies[n // 2] * 1000:.0f} | "
        f"{latencies[min(n - 1, int(n * 0.99))] * 1000:.0f} | {latencies[-1] * 1000:.0f} | {slow} | "
        f"{swarm.opened} | {len(swarm.closed)} | {max(swarm.closed, default=0):.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--http", nargs="+", default=["waitress", "granian"], choices=["waitress", "granian"])
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES), choices=SHAPES)
    parser.add_argument("--addresses", nargs="+", type=int, default=[1, 50])
    args = parser.parse_args()
    if not all(1 <= a <= 250 for a in args.addresses) or args.connections <= 0 or args.seconds <= 0:
        parser.error("addresses must be 1 to 250, connections and seconds positive")
    print(f"{args.connections} connections for {args.seconds:g} s a phase; lookups time out at {TIMEOUT:g} s")
    for http in args.http:
        with tempfile.TemporaryDirectory() as directory, eurasia_kg(Path(directory), http=http) as live:
            print(f"\n{http}\n")
            print(HEADER)
            for shape in args.shapes:
                for addresses in args.addresses:
                    print(phase(live.url, shape, args.connections, addresses, args.seconds), flush=True)
                    time.sleep(2)  # the server lets the last phase's connections go


if __name__ == "__main__":
    main()
