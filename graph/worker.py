"""The child-process side of ``graph.sandbox``: one store handle, one job at a time.

A worker opens the on-disk store (read-only for queries, read-write for a write), answers
jobs sent over a pipe, and can be killed at any moment: a killed write never commits. It
imports little besides pyoxigraph: the fork server that workers are forked from imports it
once (``graph.sandbox``), and a fresh worker starts with everything loaded.

Answers cross the pipe as bytes in formats pyoxigraph parses back: solutions as SPARQL TSV,
graphs as N-Triples or N-Quads. Cutting an answer at the result limit happens here, while
the solutions are produced, so an oversized answer is never built in full.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import itertools
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyoxigraph import (
    DefaultGraph,
    NamedNode,
    Quad,
    QueryBoolean,
    QuerySolutions,
    RdfFormat,
    Store,
    Triple,
    Variable,
    parse,
    serialize,
)

from graph import admission, idempotency, integrity, offline, room, sparql_text
from graph.store import insert_data, replacement_update

STACK_BYTES = 512 * 1024 * 1024
NO_SPACE = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}  # a full disk, a quota, a file size limit


@dataclass(frozen=True)
class QueryJob:
    sparql: str
    union: bool = True
    default_graph: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    substitutions: dict[str, Any] = field(default_factory=dict)
    limit: int = 100_000
    base_iri: str | None = None


@dataclass(frozen=True)
class UpdateJob:
    sparql: str
    base_iri: str | None = None
    key: idempotency.Key | None = None  # applied at most once per key (graph.idempotency)


@dataclass(frozen=True)
class LoadJob:
    """Replace (``replace``) or extend a graph, or the whole dataset when ``graph`` is None
    and the format holds quads, with RDF already checked to parse."""

    data: bytes
    format: str
    graph: str | None  # None: the default graph; ignored for quad formats
    replace: bool = False
    base_iri: str | None = None
    key: idempotency.Key | None = None


@dataclass(frozen=True)
class ReplaceGraphsJob:
    prefix: str
    nquads: bytes


@dataclass(frozen=True)
class DropJob:
    graph: str | None  # None: the default graph
    silent: bool = False
    key: idempotency.Key | None = None


@dataclass(frozen=True)
class DumpJob:
    format: str
    graph: str | None = None  # None with whole=False: the default graph
    whole: bool = False  # the whole dataset (a quad format)


@dataclass(frozen=True)
class BackupJob:
    """Back the store up into the new directory ``target`` (a RocksDB checkpoint)."""

    target: str


_KEYED = (UpdateJob, LoadJob, DropJob)  # the writes that take an idempotency key


@dataclass(frozen=True)
class InfoJob:
    pass


@dataclass(frozen=True)
class ExportJob:
    """Write a dump file (``graph.export``) from this worker's own handle, streaming."""

    format: str
    selection: str
    base: str
    path: str


@dataclass(frozen=True)
class Open:
    """Open the store, read-only or read-write; answered ``ready`` or ``unavailable``.
    With ``verify``, check it first and read its main indexes (``graph.integrity``)."""

    read_only: bool
    verify: bool = False


@dataclass(frozen=True)
class Close:
    """Close the store handle (flushing a read-write one); the process waits for the next Open."""


def serve(path: str, conn: Any, refusal: str | None = None) -> None:
    """Answer jobs on the store at ``path`` until told to stop (``None``) or the pipe closes;
    with ``refusal``, answer every Open with it instead of opening the store.

    The process lives across store handles: ``Open`` and ``Close`` let it step aside while
    another process writes, without the cost of a new interpreter.
    """
    store: Store | None = None
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            _close(store)
            conn.send(("stopped", None))
            return
        if isinstance(job, Open):
            _close(store)
            store = None  # drop the old handle before opening: RocksDB allows one writer
            if refusal:
                conn.send(("unavailable", refusal))
                continue
            try:
                store = integrity.open_checked(path, job.read_only)
                if job.verify:
                    integrity.verify(store, path)
            except room.NoRoom as error:  # nothing was run: the job comes after the open
                store = None
                conn.send(("nospace", str(error)))
            except OSError as error:
                store = None
                conn.send(("unavailable", str(error)))
            else:
                conn.send(("ready", None))
            continue
        if isinstance(job, Close):
            failed = _close(store)
            store = None
            conn.send(("closed", None) if failed is None else ("unflushed", failed))
            continue
        if store is None:
            conn.send(("unavailable", "the store is not open"))
            continue
        try:
            started = time.process_time()  # all threads: how the pool tells a long query
            result = run(store, job)
            conn.send(("ok", (result, time.process_time() - started)))
        except SyntaxError as error:
            conn.send(("syntax", str(error)))
        except idempotency.KeyReused as error:
            conn.send(("keyreused", str(error)))
        except Exception as error:  # noqa: BLE001 - every failure goes back as an answer
            if integrity.is_corruption(error):  # a damaged block, found by its checksum
                conn.send(("damaged", str(integrity.StoreDamaged(path, str(error)))))
            elif room.is_no_space(error):
                conn.send(("nospace", str(error)))
            elif isinstance(error, OSError):
                # A SERVICE or LOAD that failed, or a read of the store: its text may name an
                # internal address or a socket error, which is for the log, not the client.
                conn.send(("io", str(error)))
            else:
                conn.send(("error", str(error) or type(error).__name__))


def _close(store: Store | None) -> str | None:
    """Flush a handle about to be dropped (dropping it closes it); why the flush failed, or
    None. A write that has committed is in the write-ahead log whether or not the flush, which
    writes the log out into a table file, succeeds: every open replays the log."""
    if store is not None:
        try:
            store.flush()
        except RuntimeError:
            pass  # a read-only handle has nothing to flush
        except OSError as error:  # a full disk: the log stays, and the next open replays it
            return str(error)
    return None


def run(store: Store, job: object) -> object:
    if isinstance(job, _KEYED) and job.key is not None:
        earlier = job.key.recorded(store)
        if earlier is not None:
            return idempotency.Replayed(earlier)
    if isinstance(job, QueryJob):
        return _query(store, job)
    if isinstance(job, UpdateJob):
        _update(store, job)
        return None
    if isinstance(job, LoadJob):
        return _load(store, job)
    if isinstance(job, ReplaceGraphsJob):
        return _replace_graphs(store, job)
    if isinstance(job, DropJob):
        return _drop(store, job)
    if isinstance(job, DumpJob):
        return _dump(store, job)
    if isinstance(job, ExportJob):
        from graph import export  # noqa: PLC0415 - only dumps need it
        from graph.namespaces import Dataset  # noqa: PLC0415

        return export.write(_Quads(store), job.format, job.selection, Dataset(job.base), Path(job.path))
    if isinstance(job, BackupJob):
        store.backup(job.target)
        return None
    if isinstance(job, InfoJob):
        return {
            "quads": len(store),
            "graphs": sorted(g.value for g in store.named_graphs() if isinstance(g, NamedNode)),
        }
    raise TypeError(f"unknown job {type(job).__name__}")


def _query(store: Store, job: QueryJob) -> tuple[str, object, bool]:
    result = store.query(
        job.sparql,
        base_iri=job.base_iri,
        use_default_graph_as_union=job.union and job.default_graph is None,
        default_graph=[_graph(g) for g in job.default_graph] if job.default_graph is not None else None,
        named_graphs=[NamedNode(g) for g in job.named_graphs] if job.named_graphs is not None else None,
        substitutions={Variable(k): v for k, v in job.substitutions.items()},
    )
    if isinstance(result, QueryBoolean):
        return "boolean", bool(result), False
    if isinstance(result, QuerySolutions):
        return _solutions_tsv(result, job.limit)
    triples, truncated = _capped(result, job.limit)
    data = serialize(triples, format=RdfFormat.N_TRIPLES) or b""
    return "graph", data, truncated()


def _solutions_tsv(result: QuerySolutions, limit: int) -> tuple[str, bytes, bool]:
    data, truncated = solutions_tsv(result, limit)
    return "solutions", data, truncated


def solutions_tsv(result: QuerySolutions, limit: int) -> tuple[bytes, bool]:
    """The first ``limit`` solutions as SPARQL TSV, and whether there were more."""
    names = [v.value for v in result.variables]
    lines = ["\t".join(f"?{n}" for n in names)]
    truncated = False
    for count, solution in enumerate(result):
        if count == limit:
            truncated = True
            break
        # str() of a term is its N-Triples form, with tabs and newlines escaped: valid TSV.
        lines.append("\t".join("" if (t := solution[n]) is None else str(t) for n in names))
    return ("\n".join(lines) + "\n").encode("utf-8"), truncated


def _capped(items: Iterable[Triple], limit: int) -> tuple[Iterator[Triple], Any]:
    state = {"truncated": False}

    def generate() -> Iterator[Triple]:
        iterator = iter(items)
        yield from itertools.islice(iterator, limit)
        if next(iterator, None) is not None:
            state["truncated"] = True

    return generate(), lambda: state["truncated"]


class _Quads:
    """A pyoxigraph store seen as a ``graph.export.QuadSource``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def named_graphs(self) -> list[NamedNode]:
        return [g for g in self.store.named_graphs() if isinstance(g, NamedNode)]

    def quads(self, graph: NamedNode | None = None) -> Iterator[Quad]:
        return iter(self.store.quads_for_pattern(None, None, None, graph))


def _graph(iri: str) -> NamedNode | DefaultGraph:
    return DefaultGraph() if iri == "" else NamedNode(iri)


def _update(store: Store, job: UpdateJob) -> None:
    """Run an update; one that inserts carries the admission check in its own transaction, so
    that a literal no export could carry, or a value no page could read, is never committed
    (``graph.admission``). Raises SyntaxError with the positions of the update as sent, and
    Inadmissible."""
    found = [(m.lastgroup, m.group()) for m in sparql_text.tokens(job.sparql)]
    if admission.inserts(found):
        guarded = admission.guarded_update(job.sparql, found)
        if job.key is not None:
            guarded += ";\n" + job.key.record()
    else:
        guarded = job.sparql if job.key is None else _then(job.sparql, found, job.key.record())
    try:
        store.update(
            guarded,
            base_iri=job.base_iri,
            custom_functions=admission.FUNCTIONS,  # type: ignore[arg-type]
        )
    except SyntaxError:
        # Report the update's own error, at its own positions: parse it alone, on an empty store.
        try:
            Store().update(job.sparql, base_iri=job.base_iri)
        except SyntaxError:
            raise
        except Exception:  # noqa: BLE001, S110 - it parsed; the first error stands
            pass
        raise
    except RuntimeError as error:
        if admission.MARKER not in str(error):
            raise
        recorder = admission.Recorder()
        with contextlib.suppress(RuntimeError):  # it always fails: nothing is committed
            store.update(
                admission.guarded_update(job.sparql, found, diagnose=True),
                base_iri=job.base_iri,
                custom_functions={**admission.FUNCTIONS, NamedNode(admission.RECORD): recorder},
            )
        raise recorder.refusal() from None


def _load(store: Store, job: LoadJob) -> int:
    fmt = RdfFormat.from_media_type(job.format)
    if fmt is None:
        raise ValueError(f"cannot read {job.format}")
    target = NamedNode(job.graph) if job.graph else DefaultGraph()
    quads = list(parse(job.data, format=fmt, base_iri=job.base_iri, rename_blank_nodes=True))
    admission.check_quads(quads, "statement {} of the data".format)
    insert = insert_data(quads, target)
    if job.replace:
        drop = "DROP SILENT DEFAULT" if isinstance(target, DefaultGraph) else f"DROP SILENT GRAPH {target}"
        insert = f"{drop} ;\n{insert}"
    if job.key is not None:
        insert += f" ;\n{job.key.record()}"
    store.update(insert)  # one update: one transaction
    return len(quads)


def _replace_graphs(store: Store, job: ReplaceGraphsJob) -> int:
    quads = list(parse(job.nquads, format=RdfFormat.N_QUADS))
    existing = [g for g in store.named_graphs() if isinstance(g, NamedNode)]
    store.update(replacement_update(existing, job.prefix, quads))
    return len(quads)


def _drop(store: Store, job: DropJob) -> bool:
    if job.graph is None:
        existed = bool(store.query("ASK { ?s ?p ?o }", use_default_graph_as_union=False))
        operations = ["DROP DEFAULT"]
    else:
        graph = NamedNode(job.graph)
        existed = store.contains_named_graph(graph)
        operations = [f"DROP GRAPH {graph}"] if existed else []
    if job.key is not None:  # the answer the route gives: 404 for a named graph that was not there
        status = 204 if existed or job.graph is None else 404
        operations.append(dataclasses.replace(job.key, answer={"status": status}).record())
    if operations:
        store.update(" ;\n".join(operations))
    return existed


_OPERATIONS = {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "ADD", "MOVE", "COPY", "WITH"}


def _then(update: str, tokens: list[tuple[str | None, str]], more: str) -> str:
    """``update``, then the operation ``more`` in the same request (one transaction). Like
    ``admission.guarded_update``, only for an update that parses on its own."""
    if not any(kind == "word" and value.upper() in _OPERATIONS for kind, value in tokens):
        return update + "\n" + more  # a prologue alone (or nothing): no operation to follow
    last = tokens[-1][1] if tokens else ""
    return update + "\n" + ("" if last == ";" else ";") + more


def _dump(store: Store, job: DumpJob) -> bytes | None:
    fmt = RdfFormat.from_media_type(job.format)
    if fmt is None:
        raise ValueError(f"cannot write {job.format}")
    if job.whole:
        return store.dump(format=fmt)
    graph = NamedNode(job.graph) if job.graph else DefaultGraph()
    if isinstance(graph, NamedNode) and not store.contains_named_graph(graph):
        return None
    return store.dump(format=fmt, from_graph=graph)


def main(path: str, memory: int | None, conn: Any, network: bool = False) -> None:
    """A query or writer process's main function (``graph.sandbox`` starts it, forked from
    the fork server): jobs and answers cross ``conn``; with ``memory``, the heap may grow to
    at most that many bytes (beyond the job stack). Unless ``network`` (an operator allowed
    some SERVICE endpoints), the process is cut off the network first (``graph.offline``),
    and one that cannot be answers every Open as unavailable. It runs in the child after the
    fork, so the limits it sets are the worker's own, not the fork server's."""
    import threading

    refusal = None
    if not network:
        try:
            offline.cut_off()
        except offline.NotIsolated as error:
            refusal = f"the store worker cannot be cut off the network: {error}"
    if memory:
        # RLIMIT_DATA counts the job thread's stack as soon as it is reserved: allow for it.
        limit_memory(memory + STACK_BYTES)
    # pyoxigraph recurses once per operator of a long chain (a path, 1+1+..., many OPTIONALs):
    # on the main thread's 8 MiB, some thousands overflow the stack and kill the process. A
    # thread with a larger stack (reserved, touched only as deep as a job goes) holds far more
    # than the guard (server.guard) lets through.
    threading.stack_size(STACK_BYTES)
    thread = threading.Thread(target=serve, args=(path, conn, refusal), name="jobs")
    thread.start()
    thread.join()


def limit_memory(size: int) -> None:
    """Cap this process's data segment (heap and private mappings, RLIMIT_DATA), so that a
    query that builds up a huge answer, sort or join fails here, not on the whole machine:
    the allocation fails and the process aborts, and the sandbox reports it."""
    import resource

    resource.setrlimit(resource.RLIMIT_DATA, (size, size))
