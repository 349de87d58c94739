"""The store: one small interface over the embedded pyoxigraph store or a SPARQL 1.1 server.

Everything above this module (build, queries, endpoint, browser, export) talks to a
``Store`` and nothing else, so a remote SPARQL 1.1 server slots in without touching them.

What a store must do:

- ``query(sparql, substitutions=..., union=True)``: SELECT and ASK give pyoxigraph's
  ``QuerySolutions`` / ``QueryBoolean``; CONSTRUCT and DESCRIBE give an iterable of
  ``Triple``. With ``union`` the default graph is the union of all graphs.
- ``update(sparql)``: a SPARQL 1.1 Update, applied atomically.
- ``load(stream, format, graph, base_iri)``: RDF into the store, in one transaction.
- ``replace_graphs(prefix, quads)``: drop every named graph whose IRI starts with ``prefix``
  and add ``quads``, in one transaction.
- ``named_graphs()``, ``quads(graph)``, ``__len__``, ``close()``.
- ``export_dump(format, selection, base, path)``: a dump file (``graph.export``), streamed.

Safety: queries given to a store are evaluated as they are; callers that take queries from
users must check them first (no ``SERVICE``, no ``LOAD``, no foreign ``FROM``).
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import logging
import shutil
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol, TypeAlias

from pyoxigraph import (
    BlankNode,
    DefaultGraph,
    Literal,
    NamedNode,
    Quad,
    QueryBoolean,
    QuerySolutions,
    RdfFormat,
    Triple,
    Variable,
)
from pyoxigraph import (
    Store as OxStore,
)

from graph import integrity, room

if TYPE_CHECKING:
    from graph.export import Dump
    from graph.settings import Settings

log = logging.getLogger(__name__)
Term: TypeAlias = NamedNode | BlankNode | Literal
QueryResult: TypeAlias = QuerySolutions | QueryBoolean | Iterable[Triple]


class Store(Protocol):
    def query(
        self,
        sparql: str,
        *,
        substitutions: Mapping[str, Term] | None = None,
        union: bool = True,
    ) -> QueryResult: ...

    def update(self, sparql: str) -> None: ...

    def load(
        self, stream: IO[bytes], fmt: RdfFormat, graph: NamedNode | None, base_iri: str | None
    ) -> None: ...

    def replace_graphs(self, prefix: str, quads: Iterable[Quad]) -> None: ...

    def named_graphs(self) -> list[NamedNode]: ...

    def export_dump(self, fmt: str, selection: str, base: str, path: Path) -> Dump: ...

    def quads(self, graph: NamedNode | None = None) -> Iterator[Quad]: ...

    def __len__(self) -> int: ...

    def close(self) -> None: ...


class StoreBusy(OSError):
    """A eurasia-kg server is serving the store; another process must not write to it."""


class ServerLock:
    """Held by a server for as long as it serves an embedded store, so that no command-line
    process opens the store beside it: reading a RocksDB store read-only while another process
    writes it is undefined behaviour."""

    NAME = "eurasia-kg-server.lock"

    def __init__(self, path: str | Path) -> None:
        Path(path).mkdir(parents=True, exist_ok=True)
        self._file = (Path(path) / self.NAME).open("a+")
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.close()
            raise StoreBusy(f"another eurasia-kg server is serving the store at {path}") from None

    @staticmethod
    def check(path: str | Path) -> None:
        """Raise StoreBusy when a server holds the lock of the store at ``path``."""
        lock = Path(path) / ServerLock.NAME
        if not lock.exists():
            return
        with lock.open("a+") as file:
            try:
                fcntl.flock(file, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreBusy(
                    f"a eurasia-kg server is serving the store at {path}; stop it first, or send "
                    "the change through its /update and /store endpoints"
                ) from None

    def release(self) -> None:
        self._file.close()


def bulk_checkpoint(store: Path) -> Path:
    """Where a bulk load into the store at ``store`` keeps its checkpoint of the store."""
    return store.parent / f".{store.name}.before-bulk-load"


def refuse_after_interrupted_bulk_load(store: Path) -> None:
    """Raise StoreBusy while a bulk load's checkpoint of ``store`` is left beside it: the
    load was interrupted, so the store may hold part of it, and restoring the checkpoint, as
    one may still want to, would silently drop whatever is loaded meanwhile. The message says
    both ways out, as commands to run."""
    checkpoint = bulk_checkpoint(store).absolute()
    if checkpoint.exists():
        raise StoreBusy(
            f"{checkpoint} holds the store as it was before a bulk load that was interrupted, so "
            "the store may hold part of that load. Either put the checkpoint back, which drops "
            f"everything written since that load began and removes the checkpoint: "
            f"`eurasia-kg --store {store.absolute()} restore {checkpoint}`; or keep the store as "
            f"it is: `rm -r {checkpoint}`. Then load again"
        )


class EmbeddedStore:
    """A pyoxigraph store on disk (``path``) or in memory (``path=None``). Raises StoreBusy
    when a eurasia-kg server is serving the on-disk store, ``graph.integrity.StoreDamaged``
    when the store is damaged."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.on_disk = path is not None
        self.path = Path(path) if path is not None else None
        if path is None:
            self._store = OxStore()
            return
        integrity.check_layout(path)  # before mkdir: a file at ``path`` is refused, not hidden
        Path(path).mkdir(parents=True, exist_ok=True)
        ServerLock.check(path)
        self._store = integrity.open_checked(path)
        integrity.verify(self._store, path)

    def query(
        self,
        sparql: str,
        *,
        substitutions: Mapping[str, Term] | None = None,
        union: bool = True,
    ) -> QueryResult:
        return self._store.query(
            sparql,
            use_default_graph_as_union=union,
            substitutions={Variable(k): v for k, v in (substitutions or {}).items()},
        )

    def update(self, sparql: str) -> None:
        self._store.update(sparql)

    def load(self, stream: IO[bytes], fmt: RdfFormat, graph: NamedNode | None, base_iri: str | None) -> None:
        """Load RDF in one transaction (the whole input is held in memory until it commits)."""
        self._store.load(stream, format=fmt, to_graph=graph or DefaultGraph(), base_iri=base_iri)

    def bulk_load(
        self, stream: IO[bytes], fmt: RdfFormat, graph: NamedNode | None, base_iri: str | None
    ) -> None:
        """Load a large input with pyoxigraph's bulk loader: it sorts the input into new RocksDB
        files and adds them at the end, so that memory stays bounded and the load runs about
        five times faster than ``load`` on disk. pyoxigraph 0.5 adds those files only once it
        has read the whole input, so an input that fails to parse or to be read, even at its
        end and after several batches (tried with 3.5 million statements), leaves the store as
        it was (``tests/test_load_check.py``); pyoxigraph documents no stronger guarantee, so
        after a crash mid-load check the store. In memory, ``load``."""
        if self.path is None:
            self.load(stream, fmt, graph, base_iri)
            return
        refuse_after_interrupted_bulk_load(self.path)
        self._store.bulk_load(stream, format=fmt, to_graph=graph or DefaultGraph(), base_iri=base_iri)

    def bulk_load_parts(
        self, parts: Iterable[IO[bytes]], fmt: RdfFormat, graph: NamedNode | None, base_iri: str | None
    ) -> None:
        """Bulk load each of ``parts`` in turn (smaller inputs make smaller batches: less memory,
        ``graph.line_parts``), all of them or none. Each call adds its part to the store when
        it ends, so a checkpoint of the store (``Store.backup``: hard links, taken in a moment)
        is put back when a part fails, and the error raised again. A crash mid-load leaves the
        checkpoint beside the store, and the next bulk load refuses to start (StoreBusy) until
        it is restored (``eurasia-kg restore``) or deleted. In memory, one transaction."""
        if self.path is None:
            self.load(io.BytesIO(b"".join(part.read() for part in parts)), fmt, graph, base_iri)
            return
        refuse_after_interrupted_bulk_load(self.path)
        checkpoint = bulk_checkpoint(self.path)
        self._store.backup(str(checkpoint))
        try:
            for part in parts:
                self._store.bulk_load(part, format=fmt, to_graph=graph or DefaultGraph(), base_iri=base_iri)
        except BaseException:  # Ctrl-C too
            self._put_back(checkpoint)  # should that fail, the checkpoint stays, to restore
            raise
        shutil.rmtree(checkpoint)

    def _put_back(self, checkpoint: Path) -> None:
        """Swap ``checkpoint`` in for the store in one step, reopen the store, and delete what
        the store had become. Only this object may have the pyoxigraph store open (the command
        line's case): closing it must close RocksDB."""
        from graph.backup import exchange  # noqa: PLC0415 - graph.backup imports this module

        assert self.path is not None  # noqa: S101 - only on-disk stores take checkpoints
        with contextlib.suppress(OSError):  # e.g. a full disk: the state it would flush is dropped
            self._store.flush()
        del self._store  # closes RocksDB, which allows one process per store
        exchange(checkpoint, self.path)
        shutil.rmtree(checkpoint)  # now the failed state; gone before a reopen that may fail
        self._store = integrity.open_checked(self.path)
        integrity.verify(self._store, self.path)

    def replace_graphs(self, prefix: str, quads: Iterable[Quad]) -> None:
        # One SPARQL update is one transaction: readers see the old graphs or the new, never a mix.
        self._store.update(replacement_update(self.named_graphs(), prefix, quads))

    def named_graphs(self) -> list[NamedNode]:
        return [g for g in self._store.named_graphs() if isinstance(g, NamedNode)]

    def quads(self, graph: NamedNode | None = None) -> Iterator[Quad]:
        return iter(self._store.quads_for_pattern(None, None, None, graph))

    def __len__(self) -> int:
        return len(self._store)

    def export_dump(self, fmt: str, selection: str, base: str, path: Path) -> Dump:
        from graph import export  # noqa: PLC0415 - graph.export imports this module's neighbours
        from graph.namespaces import Dataset  # noqa: PLC0415

        return export.write(self, fmt, selection, Dataset(base), path)

    def close(self) -> None:
        """Flush and close. A flush that fails for lack of room loses nothing: what was written
        is in the store's log, which the next open writes out (``graph.room``); so it is said,
        not raised."""
        try:
            self._store.flush()
        except OSError as error:
            if not room.is_no_space(error):
                raise
            log.warning(
                "writing the log of the store at %s out into a table file failed for lack of room "
                "(%s); what was committed stays in the log, and the next open for writing needs "
                "room to write it out",
                self.path,
                error,
            )
        del self._store


def insert_data(quads: Iterable[Quad], target: NamedNode | DefaultGraph | None = None) -> str:
    """SPARQL ``INSERT DATA`` for ``quads``; those in the default graph go to ``target`` when
    it is given. Terms are written in N-Triples syntax, which SPARQL reads as is."""
    lines = []
    for q in quads:
        graph = target if target is not None and isinstance(q.graph_name, DefaultGraph) else q.graph_name
        triple = f"{q.subject} {q.predicate} {q.object}"
        lines.append(f"{triple} ." if isinstance(graph, DefaultGraph) else f"GRAPH {graph} {{ {triple} }}")
    return "INSERT DATA {\n" + "\n".join(lines) + "\n}"


def replacement_update(existing: Iterable[NamedNode], prefix: str, quads: Iterable[Quad]) -> str:
    """A SPARQL Update that drops the graphs under ``prefix`` and inserts ``quads``."""
    drops = [f"DROP SILENT GRAPH {g} ;" for g in existing if g.value.startswith(prefix)]
    return "\n".join([*drops, insert_data(quads)])


def open_store(settings: Settings) -> Store:
    """The store the settings name: the embedded on-disk store, opened in this process (for
    the command line), or a remote SPARQL 1.1 server when ``settings.store`` is a URL."""
    if settings.remote:
        from graph.remote import RemoteStore  # noqa: PLC0415 - only remote setups need it

        return RemoteStore.from_settings(settings)
    return EmbeddedStore(settings.store)
