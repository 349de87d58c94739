"""Query workers forked from the fork server (``graph.sandbox._start``): what each worker
must still be, now that it is a fork and not a fresh interpreter.

- the fork server has one thread, so a fork of it inherits none, and no memory cap;
- each worker sets its own memory cap (RLIMIT_DATA: the query memory plus the job stack);
- a killed worker's exit status reaches the sandbox: SIGABRT (an allocation beyond the cap)
  is QueryTooLarge, any other death StoreUnavailable;
- a worker does not run the server's ``__main__`` again;
- a stream of long queries is served by the workers it lowered, not by a new one per query.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from graph import sandbox, worker

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
# 900,000 rows to count: well past a lookup's 0.1 s, well within the timeout.
LONG = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i FILTER(?i < 10) }"
COUNT = b'"900000"^^<http://www.w3.org/2001/XMLSchema#integer>\n'
MEMORY = 256 << 20


@pytest.fixture
def store(tmp_path: Path) -> Iterator[sandbox.SandboxedStore]:
    opened = sandbox.SandboxedStore(tmp_path / "store", workers=2, timeout=20, memory=MEMORY)
    opened.update("INSERT DATA { " + " ".join(f"<urn:s{i}> <urn:p> {i} ." for i in range(300)) + " }")
    yield opened
    opened.close()


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _data_limit(pid: int) -> str:
    line = next(x for x in Path(f"/proc/{pid}/limits").read_text().splitlines() if "data size" in x)
    return line.split()[3]


def _children(pid: int) -> set[int]:
    return {int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def _nice(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def _threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def test_a_worker_is_a_fork_of_a_single_threaded_server_and_caps_its_own_memory(
    store: sandbox.SandboxedStore,
) -> None:
    handle = sandbox._Worker(store.path, store.memory)
    try:
        handle.conn.send(worker.Close())  # answered once the jobs thread runs
        assert handle.conn.recv() == ("closed", None)
        pid = handle.process.pid
        assert pid is not None
        fork_server = _parent(pid)
        assert fork_server != os.getpid()
        assert _threads(fork_server) == 1
        assert _data_limit(fork_server) == "unlimited"
        assert _threads(pid) == 2  # its main thread, waiting, and the jobs thread
        assert int(_data_limit(pid)) == MEMORY + worker.STACK_BYTES
    finally:
        handle.kill()


@pytest.mark.parametrize(
    ("sig", "error"),
    [(signal.SIGABRT, sandbox.QueryTooLarge), (signal.SIGKILL, sandbox.StoreUnavailable)],
)
def test_how_a_worker_died_reaches_the_caller(
    store: sandbox.SandboxedStore, sig: signal.Signals, error: type[Exception]
) -> None:
    handle = sandbox._Worker(store.path, store.memory)
    handle.open(read_only=True)
    handle.send(worker.QueryJob(SLOW))
    time.sleep(0.2)
    assert handle.process.pid is not None
    os.kill(handle.process.pid, sig)
    with pytest.raises(error):
        handle.answer(20)
    assert handle.exitcode == -sig
    assert not handle.alive
    handle.kill()  # harmless once stopped


def test_a_query_past_the_timeout_is_stopped_and_the_next_one_is_answered(
    store: sandbox.SandboxedStore,
) -> None:
    started = time.monotonic()
    with pytest.raises(sandbox.QueryTimeout):
        store.answer(SLOW, timeout=0.5)
    assert time.monotonic() - started < 5
    assert store.answer("ASK { <urn:s1> ?p ?o }").data is True


def test_a_worker_does_not_run_the_main_module_again(tmp_path: Path) -> None:
    marker = tmp_path / "main-ran"
    script = tmp_path / "main.py"
    script.write_text(
        textwrap.dedent(f"""
            with open({str(marker)!r}, "a") as f:
                f.write("x")
            from graph.sandbox import SandboxedStore

            if __name__ == "__main__":
                store = SandboxedStore({str(tmp_path / "store")!r}, workers=2)
                assert store.answer("ASK {{}}").data is True
                store.close()
        """)
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    subprocess.run([sys.executable, str(script)], check=True, env=env, timeout=120)  # noqa: S603
    assert marker.read_text() == "x"


def test_a_stream_of_long_queries_does_not_start_a_worker_per_query(
    store: sandbox.SandboxedStore,
) -> None:
    assert store._writer is not None and store._writer.process.pid is not None
    writer = store._writer.process.pid
    fork_server = _parent(writer)
    workers: set[int] = set()
    for _ in range(5):
        assert store.answer(LONG).data.endswith(COUNT)
        workers |= _children(fork_server) - {writer}
    # One worker for them all (the old admission lowered it, retired it after each query and
    # forked another: five workers); with no other query wanting the CPU, never lowered.
    assert len(workers) == 1
    assert [_nice(pid) for pid in workers] == [_nice(fork_server)]


def test_a_lookup_lowers_a_running_long_query_and_lowered_workers_are_kept(
    store: sandbox.SandboxedStore,
) -> None:
    assert store._writer is not None and store._writer.process.pid is not None
    writer = store._writer.process.pid
    fork_server = _parent(writer)
    store.answer(LONG)  # now seen to run long
    with ThreadPoolExecutor(max_workers=1) as pool:
        for _ in range(3):
            long = pool.submit(store.answer, LONG)
            while not long.done():  # lookups until it has answered: it runs beside them
                assert store.answer("ASK { <urn:s1> ?p ?o }").data is True
            assert long.result().data.endswith(COUNT)
    workers = _children(fork_server) - {writer}
    # Two workers: the long query's, lowered by the first lookup and kept for the next long
    # queries, and the lookups', at normal priority.
    assert sorted(_nice(pid) for pid in workers) == [_nice(fork_server), 19]
