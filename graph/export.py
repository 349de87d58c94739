"""RDF dumps of the store, streamed to files that appear only when complete.

A dump is a selection of graphs (``asserted``, ``inferred``, ``ontology`` or ``all``) in one
format. Quad formats (N-Quads, TriG) keep the named graphs, and with them the provenance of
every fact; triple formats (Turtle, N-Triples, JSON-LD, RDF/XML) merge the graphs and say so
in a header comment where the format has comments. Quads are serialized as they are read, so
memory stays flat however large the store; the file is written under a temporary name and
renamed at the end, so a crash or a full disk never leaves a truncated file under the final
name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from pyoxigraph import NamedNode, Quad, RdfFormat, serialize

from graph.files import atomic_file
from graph.namespaces import Dataset

SELECTIONS = ("asserted", "inferred", "ontology", "all")
FORMATS: dict[str, RdfFormat] = {
    "turtle": RdfFormat.TURTLE,
    "ntriples": RdfFormat.N_TRIPLES,
    "nquads": RdfFormat.N_QUADS,
    "trig": RdfFormat.TRIG,
    "jsonld": RdfFormat.JSON_LD,
    "rdfxml": RdfFormat.RDF_XML,
}
EXTENSIONS = {
    "turtle": "ttl",
    "ntriples": "nt",
    "nquads": "nq",
    "trig": "trig",
    "jsonld": "jsonld",
    "rdfxml": "rdf",
}
DROPPED = (
    "This is a triple format: the named graphs of eurasia-kg are merged here, so which claim, "
    "sentence and citation supports each triple, and which triples are inferred, is lost. "
    "The N-Quads and TriG dumps keep them."
)


class QuadSource(Protocol):
    def named_graphs(self) -> list[NamedNode]: ...

    def quads(self, graph: NamedNode | None = None) -> Iterator[Quad]: ...


@dataclass(frozen=True)
class Dump:
    path: Path
    format: str
    selection: str
    quads: int
    size: int
    sha256: str

    @property
    def media_type(self) -> str:
        return FORMATS[self.format].media_type


def graphs_of(selection: str, graphs: Iterable[NamedNode], dataset: Dataset) -> list[NamedNode]:
    """The named graphs a selection takes: ``ontology`` and ``inferred`` are the build's two
    graphs of those names, ``asserted`` every other graph, ``all`` every graph.

    Raises ValueError for an unknown selection."""
    if selection not in SELECTIONS:
        raise ValueError(f"unknown selection {selection!r}; choose one of {', '.join(SELECTIONS)}")
    special = {dataset.ontology_graph, dataset.inferred_graph}
    graphs = sorted(graphs, key=lambda g: g.value)
    if selection == "ontology":
        return [g for g in graphs if g == dataset.ontology_graph]
    if selection == "inferred":
        return [g for g in graphs if g == dataset.inferred_graph]
    if selection == "asserted":
        return [g for g in graphs if g not in special]
    return graphs


def write(
    source: QuadSource,
    fmt: str,
    selection: str,
    dataset: Dataset,
    path: Path,
    progress: Callable[[int], None] | None = None,
) -> Dump:
    """Write the selected graphs of ``source`` in ``fmt`` to ``path``, atomically.

    ``progress`` hears of every thousand quads written. Raises ValueError for an unknown
    format or selection, OSError when the file cannot be written (nothing is left behind).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    rdf_format = FORMATS[fmt]
    graphs = graphs_of(selection, source.named_graphs(), dataset)
    counter = _Counter(progress)
    quads = counter.count(q for g in graphs for q in source.quads(g))
    items: Iterable[object] = quads if rdf_format.supports_datasets else (q.triple for q in quads)
    with atomic_file(path) as raw:
        digest = _Hashing(raw)
        digest.write(_header(fmt, selection, dataset).encode("utf-8"))
        out = _after_xml_declaration(digest, fmt, selection, dataset)
        serialize(items, out, format=rdf_format, prefixes=_prefixes(dataset, rdf_format))  # type: ignore[arg-type]
        out.flush()
    return Dump(path, fmt, selection, counter.total, path.stat().st_size, digest.hexdigest())


def file_name(fmt: str, selection: str) -> str:
    """The dump's file name, e.g. ``eurasia-kg-all.nq``."""
    return f"eurasia-kg-{selection}.{EXTENSIONS[fmt]}"


def _comment(selection: str, dataset: Dataset) -> str:
    return f"eurasia-kg dump ({selection} graphs) of {dataset.base}. {DROPPED}"


def _header(fmt: str, selection: str, dataset: Dataset) -> str:
    if fmt in {"turtle", "ntriples"}:
        return f"# {_comment(selection, dataset)}\n"
    if fmt in {"nquads", "trig"}:
        return f"# eurasia-kg dump ({selection} graphs) of {dataset.base}, with their named graphs.\n"
    return ""  # JSON-LD has no comments; RDF/XML gets its comment after the XML declaration


def _after_xml_declaration(out: _Hashing, fmt: str, selection: str, dataset: Dataset) -> IO[bytes]:
    if fmt != "rdfxml":
        return out  # type: ignore[return-value]
    return _InsertAfterDeclaration(out, f"<!-- {_comment(selection, dataset)} -->\n".encode())  # type: ignore[return-value]


def _prefixes(dataset: Dataset, fmt: RdfFormat) -> dict[str, str] | None:
    if fmt in {RdfFormat.N_TRIPLES, RdfFormat.N_QUADS}:
        return None
    return dataset.prefixes()


class _Counter:
    def __init__(self, progress: Callable[[int], None] | None) -> None:
        self.total = 0
        self.progress = progress

    def count(self, quads: Iterator[Quad]) -> Iterator[Quad]:
        for quad in quads:
            self.total += 1
            if self.progress and self.total % 1000 == 0:
                self.progress(1000)
            yield quad
        if self.progress:
            self.progress(self.total % 1000)


class _Hashing:
    """A binary writer that also computes the SHA-256 of what passes through."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self._hash = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self._hash.update(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


class _InsertAfterDeclaration:
    """Writes ``text`` right after the XML declaration that the serializer writes first."""

    def __init__(self, out: _Hashing, text: bytes) -> None:
        self.out = out
        self.text = text
        self.buffer = b""
        self.done = False

    def write(self, data: bytes) -> int:
        if self.done:
            return self.out.write(data)
        self.buffer += data
        end = self.buffer.find(b"?>")
        if end < 0 and len(self.buffer) < 200:
            return len(data)
        cut = end + 2 if end >= 0 else 0
        self.out.write(self.buffer[:cut] + b"\n" + self.text + self.buffer[cut:].lstrip(b"\n"))
        self.done = True
        return len(data)

    def flush(self) -> None:
        if not self.done:
            self.out.write(self.buffer)
            self.done = True
        self.out.flush()
