"""The store: one small interface over the embedded pyoxigraph store or a SPARQL 1.1 server.

Everything above this module (build, queries, endpoint, browser, export) talks to a
``Store`` and nothing else, so a remote SPARQL 1.1 server slots in without touching them.

What a store must do:

- ``query(sparql, substitutions=..., union=True)``: SELECT and ASK give pyoxigraph's
  ``QuerySolutions`` / ``QueryBoolean``; CONSTRUCT and DESCRIBE give an iterable of
  ``Triple``. With ``union`` the default graph is the union of all graphs.
- ``update(sparql)``: a SPARQL 1.1 Update, applied atomically.
- ``replace_graphs(prefix, quads)``: drop every named graph whose IRI starts with ``prefix``
  and add ``quads``, in one transaction.
- ``named_graphs()``, ``quads(graph)``, ``__len__``, ``close()``.

Safety: queries given to a store are evaluated as they are; callers that take queries from
users must check them first (no ``SERVICE``, no ``LOAD``, no foreign ``FROM``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Protocol, TypeAlias

from pyoxigraph import (
    BlankNode,
    Literal,
    NamedNode,
    Quad,
    QueryBoolean,
    QuerySolutions,
    Triple,
    Variable,
)
from pyoxigraph import (
    Store as OxStore,
)

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

    def replace_graphs(self, prefix: str, quads: Iterable[Quad]) -> None: ...

    def named_graphs(self) -> list[NamedNode]: ...

    def quads(self, graph: NamedNode | None = None) -> Iterator[Quad]: ...

    def __len__(self) -> int: ...

    def close(self) -> None: ...


class EmbeddedStore:
    """A pyoxigraph store on disk (``path``) or in memory (``path=None``)."""

    def __init__(self, path: str | Path | None = None) -> None:
        if path is not None:
            Path(path).mkdir(parents=True, exist_ok=True)
        self._store = OxStore(str(path)) if path is not None else OxStore()

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

    def replace_graphs(self, prefix: str, quads: Iterable[Quad]) -> None:
        # One SPARQL update is one transaction: readers see the old graphs or the new, never a mix.
        self._store.update(replacement_update(self.named_graphs(), prefix, quads))

    def named_graphs(self) -> list[NamedNode]:
        return [g for g in self._store.named_graphs() if isinstance(g, NamedNode)]

    def quads(self, graph: NamedNode | None = None) -> Iterator[Quad]:
        return iter(self._store.quads_for_pattern(None, None, None, graph))

    def __len__(self) -> int:
        return len(self._store)

    def close(self) -> None:
        self._store.flush()
        del self._store


def replacement_update(existing: Iterable[NamedNode], prefix: str, quads: Iterable[Quad]) -> str:
    """A SPARQL Update that drops the graphs under ``prefix`` and inserts ``quads``.

    Terms are written in N-Triples syntax, which SPARQL accepts as is.
    """
    drops = [f"DROP SILENT GRAPH {g} ;" for g in existing if g.value.startswith(prefix)]
    lines = [f"GRAPH {q.graph_name} {{ {q.subject} {q.predicate} {q.object} }}" for q in quads]
    return "\n".join([*drops, "INSERT DATA {", *lines, "}"])


def open_store(location: str) -> Store:
    """The store at ``location``: a directory for the embedded store (created if missing)."""
    if location.startswith(("http://", "https://")):
        raise NotImplementedError(
            "a remote SPARQL store is not available yet; give a directory for the embedded store"
        )
    return EmbeddedStore(location)
