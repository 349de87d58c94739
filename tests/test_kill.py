"""kill -9 in the middle of a write leaves all of the write or none of it, and the store
reopens. The writes are real (``eurasia-kg load``, and /update and /store on ``eurasia-kg
serve``), the kills are SIGKILL to the whole process group at random points spread over the
write, and the store is read back with ``eurasia-kg`` itself after every kill."""

from __future__ import annotations

import random
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

from pyoxigraph import RdfFormat, serialize

from tests.faults import (
    EX,
    graph_counts,
    kill_group,
    killable_server,
    make_store,
    post,
    quads,
    reopened_counts,
    select,
)

KILLS = 10
LOAD_TRIPLES = 10_000
UPDATE_TRIPLES = 8_000


def _options_file(store: Path) -> int:
    """The number of the newest OPTIONS file: RocksDB writes a new one each time it opens the
    store, so a change tells that ``eurasia-kg load`` has checked its file and opened the store
    to write it."""
    return max((int(p.name[8:14]) for p in store.glob("OPTIONS-*")), default=0)  # OPTIONS-000023[.dbtmp]


def _start_load(store: Path, data: Path, graph: str) -> tuple[subprocess.Popen[bytes], float, float | None]:
    """Start ``eurasia-kg load``; the process, its start time, and when it opened the store
    (None if it ended first)."""
    before = _options_file(store)
    process = subprocess.Popen(
        ["eurasia-kg", "--store", str(store), "load", str(data), "--graph", EX + graph],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    started = time.monotonic()
    while _options_file(store) == before and process.poll() is None:
        time.sleep(0.002)
    return process, started, time.monotonic() if process.poll() is None else None


def test_kill_9_during_a_bulk_load_leaves_all_or_nothing(tmp_path: Path) -> None:
    store = tmp_path / "store"
    make_store(store, {"base": 500})
    data = tmp_path / "big.nt"
    triples = [q.triple for q in quads("load", LOAD_TRIPLES)]
    data.write_bytes(serialize(triples, format=RdfFormat.N_TRIPLES) or b"")
    expected = {"base": 500}
    # One load that runs to the end tells how long its two phases take here: checking the
    # file (before the store is opened), then writing it in one transaction.
    process, started, opened = _start_load(store, data, "timed")
    assert process.wait() == 0 and opened is not None
    checking, writing = opened - started, time.monotonic() - opened
    expected["timed"] = LOAD_TRIPLES
    rng = random.Random(9)  # noqa: S311 - kill timings, not secrets
    outcomes: Counter[str] = Counter()
    for kill in range(KILLS):
        graph = f"kill{kill}"
        if kill < 2:  # two kills before the write, while the file is checked
            process = subprocess.Popen(
                ["eurasia-kg", "--store", str(store), "load", str(data), "--graph", EX + graph],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            delay = checking * rng.random()
            time.sleep(delay)
            phase = "before"
        else:  # the others spread over the write, and a little beyond it
            process, _, opened = _start_load(store, data, graph)
            delay = writing * 1.2 * (kill - 2 + rng.random()) / (KILLS - 2)
            time.sleep(delay)
            phase = "during" if process.poll() is None else "after"
        kill_group(process)
        counts = reopened_counts(store)  # as eurasia-kg opens it; the command itself at the end
        landed = counts.pop(graph, 0)
        assert landed in {0, LOAD_TRIPLES}, f"kill {kill} ({phase}) left {landed} of {LOAD_TRIPLES}"
        assert counts == expected, f"kill {kill} changed other graphs"
        if landed:
            expected[graph] = landed
        outcomes[f"{phase}: {'all' if landed else 'none'}"] += 1
        print(
            f"load kill {kill}: {phase}, {delay:.2f} s in (check {checking:.2f} s, write {writing:.2f} s): "
            f"{landed} landed"
        )
    print(f"load kills: {dict(outcomes)}")
    assert graph_counts(store) == expected  # the eurasia-kg command opens it and agrees


def _insert_data(graph: str, count: int) -> bytes:
    lines = [f"GRAPH <{EX}{graph}> {{ {q.subject} {q.predicate} {q.object} }}" for q in quads(graph, count)]
    return ("INSERT DATA {\n" + "\n".join(lines) + "\n}").encode()


def _put_body(graph: str, count: int) -> bytes:
    return serialize([q.triple for q in quads(graph, count)], format=RdfFormat.N_TRIPLES) or b""


def _write(url: str, kind: str, graph: str, body: bytes) -> None:
    if kind == "update":
        post(url + "update", body, "application/sparql-update")
    else:
        post(f"{url}store?graph={EX}{graph}", body, "application/n-triples", method="PUT")


def _server_counts(url: str) -> dict[str, int]:
    return {g.removeprefix(EX): int(n) for g, n in select(url, COUNTS_QUERY)}


COUNTS_QUERY = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


def test_kill_9_during_an_update_through_the_server_leaves_all_or_nothing(tmp_path: Path) -> None:
    store = tmp_path / "store"
    make_store(store, {"base": 500})  # not empty, so the server does not build the report's graph
    expected = {"base": 500}
    rng = random.Random(6)  # noqa: S311 - kill timings, not secrets
    outcomes: Counter[str] = Counter()
    duration = 0.0
    last = ""  # the graph the last killed write was writing
    for kill in range(KILLS + 1):
        with killable_server(store, query_timeout="120") as (url, process):
            counts = _server_counts(url)  # the server reopened the store after the kill
            landed = counts.pop(last, 0) if last else 0
            assert landed in {0, UPDATE_TRIPLES}, f"kill {kill - 1} left {landed} of {UPDATE_TRIPLES}"
            assert counts == expected, f"kill {kill - 1} changed other graphs"
            if last:
                expected.update({last: landed} if landed else {})
                outcomes["all" if landed else "none"] += 1
                print(f"   {landed} landed")
            if kill == KILLS:
                break
            if not duration:  # one write that runs to the end tells how long a write takes
                started = time.monotonic()
                _write(url, "update", "timed", _insert_data("timed", UPDATE_TRIPLES))
                duration = time.monotonic() - started
                expected["timed"] = UPDATE_TRIPLES
            kind = "update" if kill % 2 == 0 else "put"
            last = f"{kind}{kill}"
            body = (_insert_data if kind == "update" else _put_body)(last, UPDATE_TRIPLES)
            writer = threading.Thread(target=_try_write, args=(url, kind, last, body), daemon=True)
            delay = duration * (kill + rng.random()) / KILLS  # spread over the whole write
            writer.start()
            time.sleep(delay)
            if not writer.is_alive():
                outcomes["finished before the kill"] += 1
            kill_group(process)
            writer.join(30)
            print(f"server kill {kill} ({kind}): at {delay:.2f} s of {duration:.2f} s")
    print(f"server kills: {dict(outcomes)}")


def _try_write(url: str, kind: str, graph: str, body: bytes) -> None:
    try:
        _write(url, kind, graph, body)
    except OSError:
        pass  # the server was killed under it
