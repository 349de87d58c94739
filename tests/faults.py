"""Helpers for the fault tests: stores made on disk, the real ``eurasia-kg`` command run as a
process, and servers that can be killed with their whole process group."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pyoxigraph import Literal, NamedNode, Quad, Store

from graph.store import EmbeddedStore
from tests.servers import TOKEN, free_port, wait_until_up

EX = "http://example.org/faults/"
COUNTS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


def quads(graph: str, count: int, marker: str = "x") -> list[Quad]:
    """``count`` quads in ``graph``, each with a literal that carries ``marker``."""
    g = NamedNode(EX + graph)
    return [
        Quad(NamedNode(f"{EX}{graph}/s{i}"), NamedNode(EX + "value"), Literal(f"{marker}{i}"), g)
        for i in range(count)
    ]


def make_store(path: Path, graphs: dict[str, int]) -> None:
    """An on-disk store holding ``graphs`` (name: triples), flushed to table files."""
    path.mkdir(parents=True)
    store = Store(str(path))
    for name, count in graphs.items():
        store.extend(quads(name, count))
    store.flush()
    del store


def cli(
    store: Path, *args: str, stdin: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("eurasia-kg")
    assert exe, "eurasia-kg is not installed"
    return subprocess.run(
        [exe, "--store", str(store), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "EURASIA_KG_WRITE_TOKEN": TOKEN},
    )


def graph_counts(store: Path) -> dict[str, int]:
    """{graph name: triples} read back through ``eurasia-kg query``; fails if it cannot open."""
    done = cli(store, "query", "-", "--format", "csv", stdin=COUNTS)
    assert done.returncode == 0, done.stderr
    rows = [line.split(",") for line in done.stdout.strip().splitlines()[1:]]
    return {g.removeprefix(EX): int(n) for g, n in rows}


def reopened_counts(store: Path) -> dict[str, int]:
    """{graph name: triples}, the store opened in this process as the command line opens it
    (``EmbeddedStore``: layout check, open, quad count), then closed."""
    opened = EmbeddedStore(store)
    try:
        return {row["g"].value.removeprefix(EX): int(row["n"].value) for row in opened.query(COUNTS)}
    finally:
        opened.close()


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL the process and every process it started (they share its process group)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


@contextmanager
def killable_server(store: Path, **settings: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """``eurasia-kg serve`` on ``store`` in a process group of its own; yields its base URL and
    process, and kills the group at the end."""
    port = free_port()
    exe = shutil.which("eurasia-kg")
    assert exe
    env = {**os.environ, "EURASIA_KG_STORE": str(store), "EURASIA_KG_WRITE_TOKEN": TOKEN}
    env.update({f"EURASIA_KG_{k.upper()}": v for k, v in settings.items()})
    log = (store.parent / f"server-{port}.log").open("wb")
    process = subprocess.Popen(
        [exe, "serve", "--port", str(port)], env=env, stdout=log, stderr=log, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_up(url + "health", process)
        yield url, process
    finally:
        kill_group(process)
        log.close()


def post(url: str, body: bytes, content_type: str, method: str = "POST", timeout: float = 120) -> int:
    request = urllib.request.Request(  # noqa: S310 - loopback
        url,
        data=body,
        method=method,
        headers={"Content-Type": content_type, "Authorization": f"Bearer {TOKEN}"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return response.status


def select(url: str, sparql: str) -> list[list[str]]:
    """A SELECT through the server's /sparql, as rows of CSV cells."""
    query = urllib.parse.urlencode({"query": sparql})
    request = urllib.request.Request(f"{url}sparql?{query}", headers={"Accept": "text/csv"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        lines = response.read().decode().strip().splitlines()
    return [line.split(",") for line in lines[1:]]


def select_terms(url: str, sparql: str) -> list[tuple[str, ...]]:
    """A SELECT through the server's /sparql, as rows of terms in N-Triples syntax (TSV)."""
    query = urllib.parse.urlencode({"query": sparql})
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"{url}sparql?{query}", headers={"Accept": "text/tab-separated-values"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        lines = response.read().decode().rstrip("\n").split("\n")
    return [tuple(line.split("\t")) for line in lines[1:]]
