"""The load generator for the peer benchmark: Debian's ``wrk``, run and read.

``wrk`` is an event-driven C client: on one thread it keeps ``connections`` keep-alive
connections busy (closed loop: each sends its next request when the last one is answered) and
reaches well over 13,000 requests/s while using much less CPU than the servers it measures. A
Python client would spend more CPU per request than a fast server does, and on a 2-core machine
it would measure itself. The client still shares the cores with the server, so each run also
reports the CPU that wrk used (from the kernel's accounting of the reaped child) and the CPU the
server processes used, in cores: a server that gets well under ``cores - client cores`` was
not the limit.

``wrk`` counts a response with a status other than 2xx or 3xx as a request too, so those and
the socket errors (timeouts included) are read out and reported next to the rate.
"""

from __future__ import annotations

import re
import resource
import shutil
import subprocess
import urllib.parse
from dataclasses import dataclass

UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}
ACCEPT = "application/sparql-results+json"


@dataclass(frozen=True)
class Run:
    """One bounded phase of load against one URL."""

    requests_per_second: float
    median_seconds: float  # the 50th percentile of latency as wrk reports it
    requests: int
    bad_status: int  # responses other than 2xx/3xx
    socket_errors: int  # connect, read, write and timeout errors
    client_cpu_seconds: float

    @property
    def answered_per_second(self) -> float:
        """Requests/s counting only answered requests with a 2xx/3xx status: wrk's rate scaled
        by the share of those, so that fast refusals (503) do not count as throughput."""
        if self.requests == 0:
            return 0.0
        return self.requests_per_second * max(0, self.requests - self.bad_status) / self.requests

    @property
    def clean(self) -> bool:
        return self.bad_status == 0 and self.socket_errors == 0 and self.requests > 0


def installed() -> bool:
    return shutil.which("wrk") is not None


def query_url(endpoint: str, sparql: str) -> str:
    separator = "&" if "?" in endpoint else "?"
    return endpoint + separator + urllib.parse.urlencode({"query": sparql})


def run(url: str, seconds: float, connections: int, timeout: float) -> Run:
    """``wrk`` with ``connections`` connections on one thread for ``seconds`` against ``url``
    (a GET asking for SPARQL JSON results); a request unanswered after ``timeout`` seconds is
    a socket error. Raises RuntimeError when wrk fails."""
    exe = shutil.which("wrk")
    if exe is None:
        raise RuntimeError("wrk is missing: apt-get install wrk")
    args = [exe, "-t1", f"-c{connections}", f"-d{seconds:g}s", f"--timeout={timeout:g}s", "--latency"]
    args += ["-H", f"Accept: {ACCEPT}", url]
    before = _children_cpu()
    done = subprocess.run(args, capture_output=True, text=True, check=False, timeout=seconds + timeout + 30)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()}")
    return parse(done.stdout, _children_cpu() - before)


def parse(output: str, client_cpu: float = 0.0) -> Run:
    """Read wrk's report.

    >>> r = parse(SAMPLE)
    >>> r.requests_per_second, r.median_seconds, r.requests, r.bad_status, r.socket_errors
    (1208.4, 0.00313, 12107, 3, 2)
    """
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    median = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
    total = re.search(r"(\d+) requests in", output)
    if not (rate and total):
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return Run(
        requests_per_second=float(rate.group(1)),
        median_seconds=float(median.group(1)) * UNITS[median.group(2)] if median else float("nan"),
        requests=int(total.group(1)),
        bad_status=int(bad.group(1)) if bad else 0,
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
        client_cpu_seconds=client_cpu,
    )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


SAMPLE = """\
Running 10s test @ http://127.0.0.1:8000/sparql?query=ASK%7B%7D
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.30ms    1.02ms  21.54ms   90.12%
    Req/Sec     1.21k    70.11     1.33k    74.00%
  Latency Distribution
     50%    3.13ms
     75%    3.48ms
     90%    4.01ms
     99%    7.77ms
  12107 requests in 10.02s, 3.51MB read
  Socket errors: connect 0, read 0, write 0, timeout 2
  Non-2xx or 3xx responses: 3
Requests/sec:   1208.40
Transfer/sec:    358.41KB
"""
