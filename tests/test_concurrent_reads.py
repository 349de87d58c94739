"""Readers during writes always see one whole state. A writer replaces a graph by PUT,
alternately with version A (A_SIZE triples marked "a") and version B (B_SIZE marked "b");
reader threads ask the server over HTTP which markers the graph holds and how many; every
answer must be exactly A or exactly B, never a mix or a part."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from pyoxigraph import RdfFormat, serialize

from tests.faults import EX, killable_server, make_store, post, quads, select

A_SIZE, B_SIZE = 3000, 2000
READERS = 4
WRITES = 8
QUERY = (
    f"SELECT ?marker (COUNT(*) AS ?n) WHERE {{ GRAPH <{EX}swap> {{ ?s ?p ?o }} "
    "BIND(SUBSTR(STR(?o), 1, 1) AS ?marker) } GROUP BY ?marker"
)


def _version(marker: str, size: int) -> bytes:
    return serialize([q.triple for q in quads("swap", size, marker)], format=RdfFormat.N_TRIPLES) or b""


def test_readers_during_writes_see_a_whole_version(tmp_path: Path) -> None:
    store = tmp_path / "store"
    make_store(store, {"base": 100})
    versions = {"a": _version("a", A_SIZE), "b": _version("b", B_SIZE)}
    whole = {(("a", A_SIZE),), (("b", B_SIZE),)}
    seen: list[tuple[tuple[str, int], ...]] = []
    failures: list[BaseException] = []
    writing = threading.Event()
    writing.set()
    with killable_server(store, workers="2") as (url, _):
        put = f"{url}store?graph={EX}swap"
        post(put, versions["a"], "application/n-triples", method="PUT")

        def read() -> None:
            while writing.is_set():
                try:
                    rows = select(url, QUERY)
                except OSError as error:  # a refused or failed read is a failure too
                    failures.append(error)
                    return
                seen.append(tuple(sorted((m, int(n)) for m, n in rows)))

        readers = [threading.Thread(target=read, daemon=True) for _ in range(READERS)]
        for reader in readers:
            reader.start()
        for write in range(WRITES):
            marker = "b" if write % 2 == 0 else "a"
            post(put, versions[marker], "application/n-triples", method="PUT")
            time.sleep(0.05)  # let readers in between writes too
        writing.clear()
        for reader in readers:
            reader.join(60)
    assert not failures
    mixed = [state for state in seen if state not in whole]
    print(
        f"{len(seen)} reads during {WRITES} writes: {sum(s == (('a', A_SIZE),) for s in seen)} saw A, "
        f"{sum(s == (('b', B_SIZE),) for s in seen)} saw B, {len(mixed)} saw anything else"
    )
    assert len(seen) >= READERS
    assert mixed == []
