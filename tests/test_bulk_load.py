"""``eurasia-kg load --bulk`` reads its first N-Triples / N-Quads file once, checking it as it
loads (``graph.load.bulk_load_checking``), in parts of whole lines that the store loads all or
none (``EmbeddedStore.bulk_load_parts``): a file that turns out invalid at its very end, after
several parts, changes nothing in the store, and a valid one gives the same quads as the
transactional load. In process the parts are 1,000 lines, so that a few thousand statements
make several; the command runs with its own parts of 400,000 lines."""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pyoxigraph import NamedNode, Quad

from graph import load
from graph.store import EmbeddedStore, StoreBusy

EXE = shutil.which("eurasia-kg")
EX = "http://example.org/"
# (what the last line shows, the line, the refusal or None)
ENDINGS = [
    ("a syntax error", b"<http://example.org/a> <http://example.org/b> broken .\n", "line 2501"),
    ("an inadmissible escape", b'<http://example.org/a> <http://example.org/b> "bell\\u0007" .\n', "U+0007"),
    ("a raw control character", b'<http://example.org/a> <http://example.org/b> "bell\x07" .\n', "U+0007"),
    (  # issue 16, finding 4: values are checked on the fast path too
        "a latitude of 1e308",
        b"<http://example.org/a> <https://w3id.org/eurasia-kg/ontology#latitude> "
        b'"1e308"^^<http://www.w3.org/2001/XMLSchema#double> .\n',
        "is not a latitude in degrees",
    ),
    (
        "a date of 30 February",
        b"<http://example.org/a> <https://w3id.org/eurasia-kg/ontology#date> "
        b'"2021-02-30"^^<http://www.w3.org/2001/XMLSchema#date> .\n',
        "is not a date",
    ),
]


def statements(count: int) -> bytes:
    return b"".join(
        b'<http://example.org/s%d> <http://example.org/p%d> "value %d"@en <http://example.org/g%d> .\n'
        % (i, i % 7, i, i % 3)
        for i in range(count)
    )


LINES = 2_500  # three parts


@pytest.fixture(scope="module")
def body() -> bytes:
    return statements(LINES)


@pytest.fixture(autouse=True)
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load, "PART_LINES", 1_000)


def quads_of(store: EmbeddedStore) -> set[Quad]:
    return set(store.quads())


def seeded_store(path: Path) -> EmbeddedStore:
    store = EmbeddedStore(path)
    store.update(f'INSERT DATA {{ GRAPH <{EX}before> {{ <{EX}kuryk> <{EX}name> "Kuryk"@en }} }}')
    return store


@pytest.mark.parametrize(("what", "last", "refusal"), ENDINGS, ids=[e[0] for e in ENDINGS])
def test_an_invalid_end_after_several_parts_changes_nothing(
    tmp_path: Path, body: bytes, what: str, last: bytes, refusal: str
) -> None:
    path = tmp_path / "late.nq"
    path.write_bytes(body + last)
    store = seeded_store(tmp_path / "store")
    before = quads_of(store)
    with pytest.raises(load.LoadError, match=re.escape(refusal)) as error:
        load.bulk_load_checking(store, load.identify(path), None, None)
    assert str(error.value).startswith(f"{path}: ")
    assert quads_of(store) == before
    store.close()
    reopened = EmbeddedStore(tmp_path / "store")  # and so it stays, on disk
    assert quads_of(reopened) == before
    reopened.close()


@pytest.mark.parametrize(
    ("name", "lines", "last"),
    [
        ("several-parts.nq", LINES, b""),
        ("one-part.nq.gz", 50_000, b'<http://example.org/a> <http://example.org/b> "caf\\u00E9" .\n'),
    ],
)
def test_a_valid_bulk_load_gives_the_quads_of_the_transactional_load(
    tmp_path: Path, body: bytes, name: str, lines: int, last: bytes
) -> None:
    """Plain bytes in several parts, and bytes the screen must look at twice (an admissible
    escape at the end, so the load stops, the file is checked in full and loaded again)."""
    data = (body if lines == LINES else statements(lines)) + last
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    rdf_file = load.identify(path)
    graph = NamedNode(EX + "loaded")  # for the triples; the quads keep their graphs
    bulk = seeded_store(tmp_path / "bulk")
    assert load.bulk_load_checking(bulk, rdf_file, graph, None) == lines + bool(last)
    transactional = seeded_store(tmp_path / "transactional")
    load.load(transactional, rdf_file, graph, None)
    assert quads_of(bulk) == quads_of(transactional)
    assert len(bulk) == 1 + lines + bool(last)
    bulk.close()
    transactional.close()


def test_a_damaged_gzip_file_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "damaged.nq.gz"
    path.write_bytes(gzip.compress(statements(50_000))[:-12])
    store = seeded_store(tmp_path / "store")
    before = quads_of(store)
    with pytest.raises(load.LoadError, match="cannot read it"):
        load.bulk_load_checking(store, load.identify(path), None, None)
    assert quads_of(store) == before
    store.close()


def test_the_command_refuses_a_late_syntax_error_and_loads_nothing(tmp_path: Path, body: bytes) -> None:
    path = tmp_path / "late.nq"
    path.write_bytes(body + ENDINGS[0][1])
    seeded_store(tmp_path / "store").close()
    env = {**os.environ, "EURASIA_KG_STORE": str(tmp_path / "store")}
    assert EXE, "eurasia-kg is not installed"
    done = subprocess.run(
        [EXE, "load", "--bulk", str(path)], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 1
    assert f"{path}: " in done.stderr and "line 2501" in done.stderr
    assert "nothing was loaded" in done.stderr
    assert "Traceback" not in done.stderr
    store = EmbeddedStore(tmp_path / "store")
    assert len(store) == 1
    store.close()


def test_a_checkpoint_left_by_a_crash_is_not_overwritten(tmp_path: Path) -> None:
    """A crash mid-load leaves the checkpoint beside the store: the next bulk load refuses to
    start rather than take a new checkpoint over it, and says what to do."""
    path = tmp_path / "data.nq"
    path.write_bytes(statements(10))
    store = seeded_store(tmp_path / "store")
    before = quads_of(store)
    left = tmp_path / ".store.before-bulk-load"
    left.mkdir()
    with pytest.raises(StoreBusy, match=r"eurasia-kg --store \S+ restore"):
        load.bulk_load_checking(store, load.identify(path), None, None)
    assert quads_of(store) == before and left.is_dir()
    store.close()


def test_no_checkpoint_is_left_behind(tmp_path: Path) -> None:
    path = tmp_path / "data.nq"
    path.write_bytes(statements(10) + ENDINGS[0][1])
    store = seeded_store(tmp_path / "store")
    with pytest.raises(load.LoadError):
        load.bulk_load_checking(store, load.identify(path), None, None)
    path.write_bytes(statements(10))
    load.bulk_load_checking(store, load.identify(path), None, None)
    assert len(store) == 11
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.nq", "store"]
    store.close()
