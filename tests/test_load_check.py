"""``graph.load.check`` on N-Triples and N-Quads: the fast path that screens the bytes gives the
same verdict as the term-by-term admission check, for each kind of byte that may be refused."""

from __future__ import annotations

import gzip
import io
import re
from pathlib import Path

import pytest
from pyoxigraph import RdfFormat

from graph import load
from graph.screen import Screening
from graph.store import EmbeddedStore

GOOD = '<http://example.org/kuryk> <http://example.org/name> "{}"@en .\n'
# (what the case shows, the literal as written in N-Triples, the refusal or None)
CASES = [
    ("plain text, no escape", "Kuryk port", None),
    ("non-ASCII text", "Құрық", None),
    ("an escape of an admissible character", "Kuryk\\u00E9", None),
    ("a quote escape", 'the \\"port\\"', None),
    ("a control character escaped", "bell\\u0007", "U+0007"),
    ("a control character escaped as \\b", "back\\bspace", "U+0008"),
    ("a control character as a raw byte", "bell\x07", "U+0007"),
    ("a noncharacter", "end\ufffe", "U+FFFE"),
    ("a noncharacter escaped", "end\\uFFFF", "U+FFFF"),
]


@pytest.mark.parametrize("suffix", [".nt", ".nq.gz"])
@pytest.mark.parametrize(("what", "literal", "refusal"), CASES, ids=[c[0] for c in CASES])
def test_screened_check_agrees_with_admission(
    tmp_path: Path, suffix: str, what: str, literal: str, refusal: str | None
) -> None:
    text = ("<http://example.org/a> <http://example.org/b> <http://example.org/c> .\n" * 1000) + GOOD.format(
        literal
    )
    path = tmp_path / f"data{suffix}"
    data = text.encode()
    path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    rdf_file = load.identify(path)
    if refusal is None:
        assert load.check(rdf_file, None) == 1001
    else:
        with pytest.raises(load.LoadError, match=re.escape(refusal)):
            load.check(rdf_file, None)


def test_screening_sees_a_match_split_across_reads() -> None:
    stream = Screening(io.BytesIO(b"abc\xef\xbf\xbexyz"))
    while stream.read(4):
        pass
    assert stream.suspect


LATITUDE = b"<http://example.org/a> <https://w3id.org/eurasia-kg/ontology#latitude> "
XSD = b"http://www.w3.org/2001/XMLSchema#"


@pytest.mark.parametrize("read_size", [1, 7, 64, 1 << 16])
@pytest.mark.parametrize(
    ("value", "refused"),
    [(b'"35.6944"^^<' + XSD + b"decimal>", False), (b'"1e308"^^<' + XSD + b"double>", True)],
    ids=["good", "1e308"],
)
def test_screening_checks_values_split_across_reads(read_size: int, value: bytes, refused: bool) -> None:
    """Issue 16, finding 4: the value of a line that names a value property is checked, however
    the reads cut the line; a good value leaves the fast path to the screen."""
    data = big_ntriples(30) + LATITUDE + value + b" .\n" + big_ntriples(3)
    stream = Screening(io.BytesIO(data))
    while stream.read(read_size):
        pass
    assert stream.suspect is refused


def big_ntriples(lines: int) -> bytes:
    return b"".join(
        b"<http://example.org/s%d> <http://example.org/p> <http://example.org/o> .\n" % i
        for i in range(lines)
    )


def test_a_file_loads_in_bulk_into_a_store_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "large.nt"
    path.write_bytes(big_ntriples(70_000))
    store = EmbeddedStore(tmp_path / "store")
    rdf_file = load.identify(path)
    load.load(store, rdf_file, None, None, bulk=True)
    assert len(store) == load.check(rdf_file, None) == 70_000
    store.close()


def test_a_bulk_load_that_fails_at_its_end_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    store.load(
        io.BytesIO(b"<http://example.org/a> <http://example.org/b> <http://example.org/c> ."),
        RdfFormat.N_TRIPLES,
        None,
        None,
    )
    broken = big_ntriples(70_000) + b"<http://example.org/a> <http://example.org/b> broken .\n"
    with pytest.raises(SyntaxError):
        store.bulk_load(io.BytesIO(broken), RdfFormat.N_TRIPLES, None, None)
    assert len(store) == 1
    store.close()
