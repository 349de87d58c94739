"""Queries and writes on the embedded store, in worker processes that can be stopped.

Why processes: pyoxigraph cannot cancel a running query from Python, so a query that
outlives its timeout is stopped by killing its worker, which frees the CPU at once; a fresh
worker takes its place. Workers are forked from a fork server that has pyoxigraph loaded, so
a fresh one costs milliseconds (``_start``). Why read-only workers and a separate writer:
RocksDB lets one process open a store for writing, and reading it read-only while another
process writes is undefined behaviour. So queries run in read-only workers; a write waits for
the running queries, stops the workers, runs in a writer process of its own (killed, it
commits nothing), and the next queries start fresh workers that see the new state.

``SandboxedStore`` also fulfils ``graph.store.Store`` (query, update, replace_graphs ...), so
the build and the named queries run on it unchanged.
"""

from __future__ import annotations

import io
import logging
import multiprocessing
import multiprocessing.process
import os
import signal
import sys
import threading
import time
from collections.abc import Hashable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import context, forkserver, popen_forkserver, reduction, spawn, util
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from pyoxigraph import (
    NamedNode,
    Quad,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    parse,
    parse_query_results,
    serialize,
)

from graph import idempotency, integrity, worker
from graph.backup import AdminSocket
from graph.export import Dump
from graph.query_pool import Contention, IdleWorkers, LongQueries
from graph.store import QueryResult, ServerLock, Term

if TYPE_CHECKING:
    from graph.remote import RemoteStore
    from graph.settings import Settings

log = logging.getLogger(__name__)
START_TIMEOUT = 60.0
LOWER_AFTER = 0.1  # seconds; a lookup takes milliseconds, so a query running longer is not one
# CPU seconds: a lookup needs a few milliseconds of CPU, however long a busy machine makes it
# wait, so a query that needs more and runs past LOWER_AFTER is remembered as long.
LONG_CPU = 0.02
EXPORT_TIMEOUT = 3600.0  # a dump of a large store takes minutes, not the query timeout


class StoreError(Exception):
    """The store refused the job; ``message`` says why (e.g. a SPARQL syntax error)."""


class QuerySyntaxError(StoreError):
    pass


class QueryTimeout(StoreError):
    pass


class QueryTooLarge(StoreError):
    """The query needed more memory than a query worker may use; the worker was stopped."""


class Overloaded(StoreError):
    """Every worker stayed busy for longer than the caller would wait."""


class StoreUnavailable(StoreError):
    """The store cannot be opened: missing, locked by another process, or corrupted."""


class WorkerCrashed(StoreUnavailable):
    """The job's worker was stopped by a signal while it ran (a stack overflow, say): the job,
    not the store, is the likely cause; a new worker takes its place, and a write commits
    nothing."""


class StoreCorrupted(StoreUnavailable):
    """A read met a damaged block of the store (its checksum is wrong): nothing is answered."""


class OutboundFailed(StoreError):
    """A SERVICE or LOAD the request made, or a read of the store, failed with an I/O error;
    its text may name internal addresses, so it goes to the log, not to the client."""


class NoSpace(StoreError):
    """A file could not be written: the disk is full, or a quota or file size limit is hit."""


class NotWritten(NoSpace):
    """A write that was not run: the store could not be opened for writing, its disk being
    full (``graph.room.NoRoom``, whose message says what to free). Nothing of it was applied."""


class MaybeWritten(NoSpace):
    """A write that ran out of room while it ran. It may or may not have been applied: RocksDB
    may have written it to its log in full before the error (docs/full-disk.md)."""


@dataclass(frozen=True)
class Answer:
    """A query's answer as it came from a worker: solutions as SPARQL TSV, a boolean, or a
    graph as N-Triples; ``truncated`` when the result limit cut it short."""

    kind: str  # "solutions" | "boolean" | "graph"
    data: Any  # bytes, or bool for "boolean"
    truncated: bool = False

    def result(self) -> QueryResult:
        if self.kind == "solutions":
            return parse_query_results(self.data, format=QueryResultsFormat.TSV)
        if self.kind == "boolean":
            json = b'{"head":{},"boolean":%s}' % (b"true" if self.data else b"false")
            return parse_query_results(json, format=QueryResultsFormat.JSON)
        return [q.triple for q in parse(self.data, format=RdfFormat.N_TRIPLES)]

    def serialize(self, results_format: QueryResultsFormat | None, rdf_format: RdfFormat | None) -> bytes:
        """The answer in the negotiated format: ``results_format`` for solutions and booleans,
        ``rdf_format`` for graphs."""
        if self.kind == "graph":
            triples = (q.triple for q in parse(self.data, format=RdfFormat.N_TRIPLES))
            return serialize(triples, format=rdf_format) or b""
        result = self.result()
        if isinstance(result, QuerySolutions | QueryBoolean):
            return result.serialize(format=results_format) or b""
        raise TypeError(f"cannot serialize a {self.kind} answer")


class _Worker:
    """A worker process (``graph.worker.main``) and the pipe to it, forked from the fork
    server (``_start``). The process outlives its store handles: ``open`` and ``close_store``
    switch them."""

    def __init__(self, path: str, memory: int | None = None, network: bool = False) -> None:
        self.path = path
        self.read_only: bool | None = None  # None: no store handle open
        self.lowered = False  # at the lowest CPU priority, for good
        self.cpu = 0.0  # seconds of CPU its last job took, as the worker counted it
        self.memory = memory  # the most heap it may use, in bytes; None: no cap
        self.exitcode: int | None = None  # set once the process is stopped and reaped
        self.conn, self.process = _start(path, memory, network)

    def open(self, read_only: bool, verify: bool = False) -> None:
        """Make sure the worker holds a handle of the right kind; ``verify`` checks the store
        first (``graph.integrity``). Raises StoreUnavailable."""
        if self.read_only is read_only:
            return
        self.conn.send(worker.Open(read_only, verify))
        status, detail = self._receive(START_TIMEOUT)
        if status != "ready":
            self.read_only = None
            if status == "nospace":
                raise NotWritten(str(detail))
            if "is damaged" in str(detail):
                raise StoreUnavailable(str(detail))
            raise StoreUnavailable(f"cannot open the store at {self.path}: {detail}")
        self.read_only = read_only

    def close_store(self) -> None:
        """Drop the store handle (a read-write one is flushed first); the process stays. A
        flush that fails is logged: what was written stays in the store's log, which the next
        open replays (``graph.worker._close``)."""
        if self.read_only is None:
            return
        self.conn.send(worker.Close())
        status, detail = self._receive(START_TIMEOUT)
        self.read_only = None
        if status == "unflushed":
            log.error(
                "writing the log of the store at %s out into a table file failed for lack of room "
                "(%s); the write that ran is done and stays in the log, and the next write needs "
                "room to open the store",
                self.path,
                detail,
            )

    def _receive(self, timeout: float) -> tuple[str, Any]:
        if not self.conn.poll(timeout):
            self.kill()
            raise QueryTimeout(f"stopped after {timeout:g} s")
        try:
            return self.conn.recv()
        except EOFError:
            self.kill()
            if self.memory and self.exitcode == -signal.SIGABRT:
                # An allocation beyond the cap aborts the process (Rust's allocation failure).
                raise QueryTooLarge(f"{self.memory >> 20} MiB") from None
            if self.exitcode is not None and self.exitcode < 0:
                raise WorkerCrashed(signal.Signals(-self.exitcode).name) from None
            raise StoreUnavailable("the store worker died") from None

    def call(self, job: object, timeout: float) -> Any:
        self.send(job)
        return self.answer(timeout)

    def send(self, job: object) -> None:
        try:
            self.conn.send(job)
        except OSError:  # the process has died: its pipe is broken
            self.kill()
            raise StoreUnavailable("a store worker died") from None

    def answered_within(self, seconds: float) -> bool:
        return self.conn.poll(seconds)

    def lower_priority(self) -> None:
        """Give the worker the lowest CPU priority (nice 19), so that fresh queries in other
        workers get the CPU first. An unprivileged process cannot raise it again, so a lowered
        worker serves long queries from then on (``graph.query_pool``)."""
        if self.lowered:
            return
        self.lowered = True
        pid = self.process.pid
        # Checked first: the fork server reaps an exited worker, so its pid may be reused.
        if pid is None or not self.process.is_alive():
            return  # it has just exited; the answer says how
        try:
            os.setpriority(os.PRIO_PROCESS, pid, 19)
        except OSError:
            pass  # it has just exited

    def answer(self, timeout: float) -> Any:
        """The answer to the job sent; raises QueryTimeout (killing the worker) after ``timeout``."""
        status, payload = self._receive(timeout)
        if status == "ok":
            result, self.cpu = payload
            return result
        if status == "syntax":
            raise QuerySyntaxError(payload)
        if status == "damaged":
            raise StoreCorrupted(payload)
        if status == "nospace":
            raise NoSpace(payload)
        if status == "keyreused":
            raise idempotency.KeyReused(payload)
        if status == "io":
            raise OutboundFailed(payload)
        raise StoreError(payload)

    @property
    def alive(self) -> bool:
        return self.exitcode is None and self.process.is_alive()

    def kill(self) -> None:
        """Stop the process at once (SIGKILL: the CPU is free as soon as this returns) and
        keep its exit status; harmless on a process already stopped."""
        if self.exitcode is None:
            # Checked first: the fork server reaps an exited worker, so its pid may be reused.
            if self.process.is_alive():
                self.process.kill()
            self._reap()
        self._close()

    def stop(self) -> None:
        """Ask the worker to flush and exit; kill it if it does not."""
        try:
            self.conn.send(None)
            self.conn.poll(10)
        except (OSError, EOFError):
            pass
        self.process.join(10)
        self.kill()  # only kills a process still running

    def _reap(self) -> None:
        self.process.join()
        self.exitcode = self.process.exitcode
        self.process.close()  # the status pipe from the fork server

    def _close(self) -> None:
        if not self.conn.closed:
            self.conn.close()


_FORKSERVER = multiprocessing.get_context("forkserver")
# The fork server imports these once; a worker forked from it starts with them loaded. This
# module too: a worker unpickles its process object, a _WorkerProcess, on its way in.
_FORKSERVER.set_forkserver_preload(["pyoxigraph", "graph.worker", "graph.sandbox"])


def _start(path: str, memory: int | None, network: bool = False) -> tuple[Connection, BaseProcess]:
    """Start a worker process on the store at ``path``; returns the pipe to it and the process.

    Workers are forked from multiprocessing's fork server: a process started once (by
    fork-exec: it inherits no threads from this multithreaded server), single-threaded, with
    pyoxigraph and graph.worker already imported, so that a new worker costs a fork, not an
    interpreter start and its imports. Its per-process limits (memory, stack, and no network
    unless ``network``) are set in the child, by ``graph.worker.main``.
    """
    conn, child_conn = _FORKSERVER.Pipe()
    process = _WorkerProcess(target=worker.main, args=(path, memory, child_conn, network), daemon=True)
    process.start()
    child_conn.close()
    # multiprocessing polls each child it knows whenever another one starts, from the thread
    # starting it; two threads reading one exit status can lose it (QueryTooLarge would read
    # as StoreUnavailable). Only the thread holding a worker polls it.
    multiprocessing.process._children.discard(process)  # type: ignore[attr-defined]
    return conn, process


class _WorkerPopen(popen_forkserver.Popen):
    """``popen_forkserver.Popen`` whose child does not import this process's ``__main__``.

    A fork-server child normally runs the parent's main module again (as ``__mp_main__``) so
    that objects defined there unpickle; for ``eurasia-kg serve`` that imports the whole
    command line (half a second) in every worker. A worker needs nothing from it: its target
    and jobs live in graph.worker. This is Python 3.11's ``_launch`` less the main module's
    entries in the preparation data.
    """

    def _launch(self, process_obj: BaseProcess) -> None:
        prep_data = spawn.get_preparation_data(process_obj.name)
        prep_data.pop("init_main_from_name", None)
        prep_data.pop("init_main_from_path", None)
        buf = io.BytesIO()
        context.set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buf)
            reduction.dump(process_obj, buf)
        finally:
            context.set_spawning_popen(None)
        # (Private names the stubs lack: the fds to pass, filled by the pickling above.)
        fds = self._fds  # type: ignore[attr-defined]
        self.sentinel, w = forkserver.connect_to_new_process(fds)
        _parent_w = os.dup(w)  # the child sees the parent gone when this closes
        close_fds = util.close_fds  # type: ignore[attr-defined]
        self.finalizer = util.Finalize(self, close_fds, (_parent_w, self.sentinel))
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _WorkerProcess(context.ForkServerProcess):
    @staticmethod
    def _Popen(process_obj: BaseProcess) -> _WorkerPopen:  # noqa: N802 - the stdlib's name
        return _WorkerPopen(process_obj)


class _ReadWriteLock:
    """Many queries at once, or one write; a waiting write holds back new queries."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False

    @contextmanager
    def reading(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._writing)
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._writing)
            self._writing = True
            self._cond.wait_for(lambda: self._readers == 0)
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


class SandboxedStore:
    """The embedded on-disk store at ``path``, served by ``workers`` query processes.

    ``timeout`` bounds every job and ``memory`` (bytes) the heap of each query worker; ``wait``
    is how long a query waits for a free worker before Overloaded is raised. Workers cannot
    open a network connection (``graph.offline``) unless ``network``, which an operator who
    allows SERVICE endpoints needs. Raises
    StoreUnavailable when the store cannot be opened, StoreBusy when another server serves it.

    Admission: a query that has not answered within ``budget`` seconds is a long query. At most
    ``long_queries`` of them run at once, at the lowest CPU priority; a further one is stopped
    at the budget (Overloaded). So long queries never hold more than ``long_queries`` workers
    or take the CPU from short ones, and short lookups keep flowing while heavy queries run
    to the timeout. A long query is lowered only while other queries want the CPU; workers
    lowered are kept for the next heavy queries, which are told apart by having run long
    before (``graph.query_pool``); of all kinds, at most ``workers`` processes run.
    """

    def __init__(
        self,
        path: str | Path,
        workers: int = 2,
        timeout: float = 30.0,
        wait: float = 10.0,
        long_queries: int = 1,
        budget: float = 0.5,
        memory: int | None = None,
        network: bool = False,
    ) -> None:
        self.path = str(path)
        self.network = network  # whether workers may open network connections (graph.offline)
        try:
            integrity.check_layout(self.path)  # before the lock file is made inside it
        except integrity.StoreDamaged as error:
            raise StoreUnavailable(str(error)) from None
        self._server_lock = ServerLock(self.path)  # before anything opens the store
        self.size = workers
        self.timeout = timeout
        self.wait = wait
        self.budget = budget
        self._long = threading.BoundedSemaphore(long_queries)
        self.long_queries = long_queries
        self.memory = memory  # bytes of heap a query worker may use; the writer has no cap
        self._lock = _ReadWriteLock()
        self._idle: IdleWorkers[_Worker] = IdleWorkers()
        self._long_seen = LongQueries()
        self._contention = Contention()
        self._live = 0
        self._live_lock = threading.Lock()
        self._closed = False
        # A first open, read-write, creates the store if it is new and checks that it is whole.
        self._writer: _Worker | None = _Worker(self.path, network=self.network)
        try:
            self._writer.open(read_only=False, verify=True)
            self._writer.close_store()
        except StoreError:
            self._writer.kill()
            self._server_lock.release()
            raise
        self._admin = _admin_socket(self.path, self.backup)

    # -- the query side ------------------------------------------------------------------

    def answer(
        self,
        sparql: str,
        *,
        union: bool = True,
        default_graph: Iterable[str] | None = None,
        named_graphs: Iterable[str] | None = None,
        substitutions: Mapping[str, Term] | None = None,
        limit: int = 100_000,
        timeout: float | None = None,
        base_iri: str | None = None,
    ) -> Answer:
        """Evaluate a query in a worker. Raises QuerySyntaxError, QueryTimeout (the worker is
        killed), Overloaded (no free worker, or too many long queries), StoreError."""
        job = worker.QueryJob(
            sparql,
            union,
            tuple(default_graph) if default_graph is not None else None,
            tuple(named_graphs) if named_graphs is not None else None,
            dict(substitutions or {}),
            limit,
            base_iri,
        )
        kind, data, truncated = self._read(job, timeout, admit=_key(job))
        return Answer(kind, data, truncated)

    def _read(self, job: object, timeout: float | None, admit: Hashable | None = None) -> Any:
        """Run ``job`` in a query worker; with ``admit``, the query's key, under the long-query
        admission."""
        with self._lock.reading():
            seen_long = admit is not None and admit in self._long_seen
            fresh = admit is not None and not seen_long
            if fresh:
                self._contention.fresh_started()  # waiting for a worker counts: lookups queue too
            try:
                return self._run(job, timeout, admit, seen_long)
            finally:
                if fresh:
                    self._contention.fresh_ended()

    def _run(self, job: object, timeout: float | None, admit: Hashable | None, seen_long: bool) -> Any:
        handle = self._acquire(seen_long)
        long = False
        try:
            if seen_long:
                self._contention.running_long(handle, fresh=False)  # from the start
            handle.open(read_only=True)
            started = time.monotonic()
            handle.send(job)
            if admit is not None:
                long = self._admit(handle, fresh=not seen_long)
            result = handle.answer((timeout or self.timeout) - (time.monotonic() - started))
            if admit is not None:
                self._learn(admit, time.monotonic() - started, handle.cpu)
        except (QueryTimeout, QueryTooLarge, StoreUnavailable, Overloaded) as error:
            if admit is not None and isinstance(error, QueryTimeout | Overloaded):
                self._long_seen.add(admit)
            self._replace(handle)
            raise
        except BaseException:
            self._release(handle)
            raise
        finally:
            if long:
                self._long.release()
        self._release(handle)
        return result

    def _admit(self, handle: _Worker, fresh: bool) -> bool:
        """Watch a query's first ``budget`` seconds. A lookup answers within milliseconds; a
        query still running after LOWER_AFTER gets the lowest CPU priority as soon as fresh
        queries want the CPU, so it only takes CPU that they leave, and one still running at
        the budget needs a place among the long queries. Returns whether it took one; raises
        Overloaded when none is free."""
        if handle.answered_within(LOWER_AFTER):
            return False
        self._contention.running_long(handle, fresh)
        if handle.answered_within(max(self.budget - LOWER_AFTER, 0)):
            return False
        if self._long.acquire(blocking=False):
            return True
        raise Overloaded(
            f"{self.long_queries} long-running queries already run, and this one took more than "
            f"{self.budget:g} s, so it was stopped"
        )

    def _learn(self, key: Hashable, seconds: float, cpu: float) -> None:
        """Remember the query ``key`` as long if it ran past LOWER_AFTER on more than LONG_CPU
        of CPU; forget it if it needed no more CPU than a lookup. Judged by CPU, so that a
        lookup slowed by a busy machine is not taken for a long query, and a long query that
        once ran fast on an idle one is not taken for a lookup (it would flap between them)."""
        if cpu <= LONG_CPU:
            self._long_seen.forget(key)
        elif seconds > LOWER_AFTER:
            self._long_seen.add(key)

    def _acquire(self, seen_long: bool = False) -> _Worker:
        """An idle worker, else a new one while there are fewer than ``size``, else the first
        to come idle. A query seen to run long takes a lowered one while fresh queries run (it
        would be lowered at once), else one at normal priority. Any other query never runs in
        a lowered worker: one that comes idle makes room for a fresh worker instead."""
        lowered = seen_long and self._contention.contended
        handle = self._idle.take(lowered)
        if handle is not None:
            return handle
        with self._live_lock:
            grow = self._live < self.size
            if grow:
                self._live += 1
        if grow:
            return self._new_worker()
        handle = self._idle.wait(lowered, self.wait)
        if handle is None:
            raise Overloaded(f"all {self.size} query workers are busy")
        if handle.lowered and not seen_long:
            handle.kill()  # its place among the ``size`` goes to its successor
            return self._new_worker()
        return handle

    def _new_worker(self) -> _Worker:
        """A new worker in a place already counted in ``_live``."""
        try:
            return _Worker(self.path, self.memory, self.network)
        except OSError:
            with self._live_lock:
                self._live -= 1
            raise StoreUnavailable("cannot start a store worker") from None

    def _release(self, handle: _Worker) -> None:
        self._contention.done(handle)
        if handle.alive:
            self._idle.put(handle)  # a lowered one too: it serves the next long query
        else:
            self._replace(handle)

    def _close_idle(self) -> None:
        """Have every idle query worker drop its store handle, before a write."""
        for handle in self._idle.drain():
            try:
                handle.close_store()
            except (StoreError, OSError):
                self._retire(handle)  # a dead worker frees its slot for a new one
            else:
                self._idle.put(handle)

    def _retire(self, handle: _Worker) -> None:
        handle.kill()  # stops it if it still runs, and reaps it
        with self._live_lock:
            self._live -= 1

    def _replace(self, handle: _Worker) -> None:
        """Retire ``handle`` and start its successor in the background, which the next query
        should not have to wait for (forked from the fork server, it starts in milliseconds)."""
        self._contention.done(handle)
        self._retire(handle)
        with self._live_lock:
            if self._closed or self._live >= self.size:
                return
            self._live += 1
        threading.Thread(target=self._start_spare, daemon=True).start()

    def _start_spare(self) -> None:
        try:
            spare = _Worker(self.path, self.memory, self.network)
        except OSError:
            with self._live_lock:
                self._live -= 1
            return
        with self._live_lock:
            closed = self._closed
        if closed:
            self._retire(spare)
        else:
            self._idle.put(spare)

    def _stop_idle(self) -> None:
        for handle in self._idle.drain():
            handle.stop()
            with self._live_lock:
                self._live -= 1

    # -- the write side ------------------------------------------------------------------

    def write(self, job: object, timeout: float | None = None) -> Any:
        """Run a write job alone, in a writer process; killed at the timeout, it commits
        nothing. A write whose job has run is done even when writing the store's log out
        afterwards fails for lack of room (``close_store``). Raises QuerySyntaxError,
        QueryTimeout, NotWritten and MaybeWritten (a full disk), KeyReused
        (``graph.idempotency``), StoreError."""
        with self._lock.writing():
            self._close_idle()
            if self._writer is None or not self._writer.alive:
                self._writer = _Worker(self.path, network=self.network)
            writer = self._writer
            try:
                writer.open(read_only=False)  # NotWritten: nothing was run
                try:
                    return writer.call(job, timeout or self.timeout)
                except NoSpace as error:
                    if isinstance(job, worker.BackupJob):  # the store is unchanged; the backup fails
                        raise
                    raise MaybeWritten(str(error)) from None
            finally:
                if writer.alive:
                    writer.close_store()  # flushed and closed: query workers may open it again
                else:
                    self._writer = None

    # -- graph.store.Store ---------------------------------------------------------------

    def query(
        self, sparql: str, *, substitutions: Mapping[str, Term] | None = None, union: bool = True
    ) -> QueryResult:
        # Internal queries (the build, the browser's indexes) must see every row: no cap.
        return self.answer(sparql, substitutions=substitutions, union=union, limit=sys.maxsize).result()

    def update(self, sparql: str, base_iri: str | None = None) -> None:
        self.write(worker.UpdateJob(sparql, base_iri))

    def load(self, stream: IO[bytes], fmt: RdfFormat, graph: NamedNode | None, base_iri: str | None) -> None:
        self.write(
            worker.LoadJob(stream.read(), fmt.media_type, graph.value if graph else None, False, base_iri)
        )

    def replace_graphs(self, prefix: str, quads: Iterable[Quad]) -> None:
        data = serialize(quads, format=RdfFormat.N_QUADS) or b""
        self.write(worker.ReplaceGraphsJob(prefix, data))

    def backup(self, target: str) -> None:
        """Back the store up into the new directory ``target``, between two writes."""
        self.write(worker.BackupJob(target))

    def info(self) -> dict[str, Any]:
        return self._read(worker.InfoJob(), None)

    def named_graphs(self) -> list[NamedNode]:
        return [NamedNode(g) for g in self.info()["graphs"]]

    def quads(self, graph: NamedNode | None = None) -> Iterator[Quad]:
        job = worker.DumpJob(RdfFormat.N_QUADS.media_type, whole=True)
        data = self._read(job, None)
        return (q for q in parse(data, format=RdfFormat.N_QUADS) if graph is None or q.graph_name == graph)

    def export_dump(self, fmt: str, selection: str, base: str, path: Path) -> Dump:
        """Write a dump file in a query worker, streaming from its own handle."""
        job = worker.ExportJob(fmt, selection, base, str(path))
        return self._read(job, max(self.timeout, EXPORT_TIMEOUT))

    def dump(self, job: worker.DumpJob) -> bytes | None:
        return self._read(job, None)

    def __len__(self) -> int:
        return int(self.info()["quads"])

    def close(self) -> None:
        with self._live_lock:
            self._closed = True  # no more spare workers
        with self._lock.writing():
            self._stop_idle()
            if self._writer is not None and self._writer.alive:
                self._writer.stop()
        if self._admin is not None:
            self._admin.close()
        self._server_lock.release()


def _key(job: worker.QueryJob) -> Hashable:
    """What tells one query from another for admission: its text, bindings and dataset."""
    bindings = tuple(sorted((name, str(term)) for name, term in job.substitutions.items()))
    return (job.sparql, bindings, job.union, job.default_graph, job.named_graphs, job.base_iri)


def _admin_socket(path: str, take_backup: Any) -> AdminSocket | None:
    """The socket ``eurasia-kg backup`` reaches this server by; None (backups then need the
    server stopped) where a socket cannot be made, e.g. a path over the 108-byte limit."""
    try:
        return AdminSocket(path, take_backup)
    except OSError as error:
        log.warning("no backup socket in %s (%s): stop the server to back the store up", path, error)
        return None


def open_backend(settings: Settings) -> SandboxedStore | RemoteStore:
    """The store the server uses: the embedded store behind query workers, or a remote
    SPARQL 1.1 server when ``settings.store`` is a URL."""
    if settings.remote:
        from graph.remote import RemoteStore  # noqa: PLC0415 - graph.remote imports this module

        return RemoteStore.from_settings(settings)
    return SandboxedStore(
        settings.store,
        workers=settings.workers,
        timeout=settings.query_timeout,
        long_queries=settings.long_queries,
        budget=settings.short_query_seconds,
        memory=settings.query_memory_mb << 20,
        network=bool(settings.allowed_services.split()),
    )
