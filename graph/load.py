"""Bulk loading of RDF files: every common format, gzip too, all of a file or none of it.

A file is first read through once with the streaming parser, so that a bad file is refused
with the parser's message and position before anything is written; then it is loaded in one
transaction. One case reads the file once: N-Triples or N-Quads into the bulk loader
(``bulk_load_checking``), whose parts the store loads all or none, so the parser and the
byte screen can check the file as it loads. Progress is reported as bytes of the file read,
for a progress bar.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol, runtime_checkable

from pyoxigraph import NamedNode, RdfFormat, parse

from graph import admission, values, xml_entities
from graph.line_parts import LineParts
from graph.screen import Screening, Suspect
from graph.streams import ReadThrough

Progress = Callable[[int], None]  # called with the number of bytes just read


class LoadError(ValueError):
    """A file that cannot be loaded: missing, of an unknown format, or not valid RDF."""


class Loader(Protocol):
    def load(
        self, stream: IO[bytes], fmt: RdfFormat, graph: NamedNode | None, base_iri: str | None
    ) -> None: ...


@runtime_checkable
class BulkLoader(Loader, Protocol):
    def bulk_load(
        self, stream: IO[bytes], fmt: RdfFormat, graph: NamedNode | None, base_iri: str | None
    ) -> None: ...


@runtime_checkable
class PartsLoader(Protocol):
    def bulk_load_parts(
        self, parts: Iterable[IO[bytes]], fmt: RdfFormat, graph: NamedNode | None, base_iri: str | None
    ) -> None: ...


@dataclass(frozen=True)
class RdfFile:
    path: Path
    format: RdfFormat
    compressed: bool

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def identify(path: Path, media_type: str | None = None) -> RdfFile:
    """The file and its format, from ``media_type`` or the extension (``.ttl.gz`` too).
    Raises LoadError."""
    if not path.is_file():
        raise LoadError(f"{path}: no such file")
    compressed = path.suffix == ".gz"
    name = path.with_suffix("") if compressed else path
    fmt = RdfFormat.from_media_type(media_type) if media_type else RdfFormat.from_extension(name.suffix[1:])
    if fmt is None:
        raise LoadError(
            f"{path}: unknown RDF format; name it .ttl, .nt, .nq, .trig, .jsonld or .rdf "
            "(optionally .gz), or give --format"
        )
    return RdfFile(path, fmt, compressed)


@contextmanager
def opened(file: RdfFile, progress: Progress | None = None) -> Iterator[IO[bytes]]:
    """The file's bytes, decompressed; ``progress`` hears how much of the file was read."""
    with file.path.open("rb") as raw:
        counted: IO[bytes] = _Counting(raw, progress) if progress else raw  # type: ignore[assignment]
        if file.compressed:
            with gzip.open(counted, "rb") as stream:
                yield stream  # type: ignore[misc]
        else:
            yield counted


def check(file: RdfFile, base_iri: str | None, progress: Progress | None = None) -> int:
    """Parse the whole file without storing it; the number of triples or quads.

    Raises LoadError with the parser's message and position (invalid IRIs included), or with
    the statement that cannot be served (``graph.admission``).

    N-Triples and N-Quads take a fast path: only the characters of literals remain to check,
    and those are checked on the bytes (``graph.screen``). When the bytes hold anything that
    might be inadmissible (a control character, U+FFFE/U+FFFF, an escape that could spell
    one), the file is checked again the slow way, term by term, for the exact verdict."""
    if file.format in LINE_FORMATS:
        screened = _parse(file, base_iri, progress, screen=True)
        if screened is not None:
            return screened
    count = _parse(file, base_iri, None, screen=False)
    assert count is not None  # noqa: S101 - without screening there is always a count
    return count


LINE_FORMATS = {RdfFormat.N_TRIPLES, RdfFormat.N_QUADS}


def _parse(file: RdfFile, base_iri: str | None, progress: Progress | None, screen: bool) -> int | None:
    """The statements in ``file``: each checked for admission, or, with ``screen``, only the
    bytes (None when they hold something that needs the term-by-term check)."""
    count = 0
    try:
        with opened(file, progress) as stream:
            source: IO[bytes] | bytes = stream
            if screen:
                screening = Screening(stream)
                source = screening  # type: ignore[assignment]
            if file.format == RdfFormat.RDF_XML:  # read whole: entities are checked before expansion
                source = stream.read()
                xml_entities.check(source)
            quads = parse(source, format=file.format, base_iri=base_iri)
            if screen:  # the bytes are screened for characters; the values still need their rules
                for quad in quads:
                    count += 1
                    if values.rule(quad.predicate) and (problem := admission.quad_problem(quad)):
                        raise admission.Inadmissible(f"statement {count} (subject {quad.subject}): {problem}")
                return None if screening.suspect else count
            for _ in admission.checked(quads, "statement {}".format):
                count += 1
    except SyntaxError as error:
        raise LoadError(f"{file.path}: {syntax_message(error, count)}") from None
    except (admission.Inadmissible, xml_entities.EntityError) as error:
        raise LoadError(f"{file.path}: {error}") from None
    except (OSError, EOFError, zlib.error) as error:  # gzip damage
        raise LoadError(f"{file.path}: cannot read it: {error}") from None
    return count


def syntax_message(error: SyntaxError, statements: int) -> str:
    """The parser's message, and where it stopped when the message does not say (the RDF/XML
    and JSON-LD parsers give no line): after how many good statements."""
    message = str(error)
    if "line" in message:
        return message
    return f"{message} (after statement {statements}; this parser gives no line number)"


def load(
    store: Loader,
    file: RdfFile,
    graph: NamedNode | None,
    base_iri: str | None,
    progress: Progress | None = None,
    bulk: bool = False,
) -> None:
    """Load the (checked) file into ``graph`` for triple formats: in one transaction, or with
    ``bulk`` into a store that can, with its bulk loader: faster and in bounded memory, but a
    crash mid-load may leave part of the file (see ``EmbeddedStore.bulk_load``). N-Triples and
    N-Quads go to it in parts, for less memory (``bulk_load_checking``)."""
    with opened(file, progress) as stream:
        if bulk and isinstance(store, PartsLoader) and file.format in LINE_FORMATS:
            store.bulk_load_parts(LineParts(stream, PART_LINES), file.format, graph, base_iri)
        elif bulk and isinstance(store, BulkLoader):
            store.bulk_load(stream, file.format, graph, base_iri)
        else:
            store.load(stream, file.format, graph, base_iri)


def checks_as_it_loads(file: RdfFile) -> bool:
    """Whether ``bulk_load_checking`` can check ``file`` while loading it, instead of ``check``
    before: for N-Triples and N-Quads, whose characters the byte screen can check."""
    return file.format in LINE_FORMATS


def bulk_load_checking(
    store: PartsLoader,
    file: RdfFile,
    graph: NamedNode | None,
    base_iri: str | None,
    progress: Progress | None = None,
) -> int:
    """Load an N-Triples or N-Quads file with the bulk loader, checking it on the way: all of
    it or, when it is invalid, none of it. The number of lines read (of statements, when the
    file had to be checked in full).

    The file goes to the bulk loader in parts of whole lines, for bounded memory
    (``graph.line_parts``), and the store loads the parts all or none
    (``EmbeddedStore.bulk_load_parts``). The screen stops the load at the first suspect bytes.
    When the load stops so, or on a syntax error, the file is checked in full (``check``), for
    the verdict and a message that gives the line in the file, not in the part; a file that
    only looked suspect is then loaded again. Raises LoadError as ``check`` does."""
    try:
        return _load_in_parts(store, file, graph, base_iri, progress, screen=True)
    except (Suspect, SyntaxError):
        pass  # the store is as it was
    except (EOFError, gzip.BadGzipFile, zlib.error) as error:  # raised by the reader: gzip damage
        raise LoadError(f"{file.path}: cannot read it: {error}") from None
    count = check(file, base_iri)
    try:
        _load_in_parts(store, file, graph, base_iri, None, screen=False)
    except SyntaxError as error:  # the check passed, so only if the parts were cut wrong
        raise LoadError(f"{file.path}: {error}") from None
    return count


# Statements per call of the bulk loader: peak memory 0.34 GiB on LUBM(10), against 1.1 GiB for
# the whole file in one call (whose batches hold a million quads each).
PART_LINES = 400_000


def _load_in_parts(
    store: PartsLoader,
    file: RdfFile,
    graph: NamedNode | None,
    base_iri: str | None,
    progress: Progress | None,
    screen: bool,
) -> int:
    with opened(file, progress) as stream:
        source = Screening(stream, stop=screen)  # without ``screen`` it only counts the lines
        store.bulk_load_parts(LineParts(source, PART_LINES), file.format, graph, base_iri)  # type: ignore[arg-type]
    return source.lines


class _Counting(ReadThrough):
    """A read-only file wrapper that reports how many bytes were read."""

    def __init__(self, raw: IO[bytes], progress: Progress) -> None:
        super().__init__(raw)
        self.progress = progress

    def seen(self, data: bytes) -> None:
        self.progress(len(data))
