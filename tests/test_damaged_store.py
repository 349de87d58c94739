"""A damaged store refuses to open, with a message that says what, where and how to recover;
it never answers from damaged data. Each case damages a real on-disk store."""

from __future__ import annotations

import random
import shutil
import subprocess
import urllib.error
from collections.abc import Callable
from pathlib import Path

import pytest
from pyoxigraph import QueryResultsFormat, Store

from graph import integrity
from tests.faults import EX, cli, graph_counts, killable_server, make_store, select_terms
from tests.servers import free_port


def _garble_one(table: Path) -> None:
    """Random bytes over 256 bytes a third of the way into a table file."""
    data = bytearray(table.read_bytes())
    start = len(data) // 3
    data[start : start + 256] = random.Random(6).randbytes(256)  # noqa: S311 - damage, not secrets
    table.write_bytes(bytes(data))


def _garble_tables(store: Path) -> None:
    for table in store.glob("*.sst"):
        _garble_one(table)


def _truncate_a_table(store: Path) -> None:
    table = max(store.glob("*.sst"), key=lambda p: p.stat().st_size)
    table.write_bytes(table.read_bytes()[: table.stat().st_size // 2])


def _delete(pattern: str) -> Callable[[Path], None]:
    return lambda store: next(store.glob(pattern)).unlink()


def _garble(pattern: str) -> Callable[[Path], None]:
    return lambda store: next(store.glob(pattern)).write_bytes(b"\x00garbage\n" * 4)


def _file_instead(store: Path) -> None:
    shutil.rmtree(store)
    store.write_text("not a store\n")


def _foreign_directory(store: Path) -> None:
    shutil.rmtree(store)
    store.mkdir()
    (store / "notes.txt").write_text("someone else's files\n")


DAMAGE = {
    "garbled table files": _garble_tables,
    "truncated table file": _truncate_a_table,
    "CURRENT deleted": _delete("CURRENT"),
    "CURRENT garbled": _garble("CURRENT"),
    "MANIFEST deleted": _delete("MANIFEST-*"),
    "MANIFEST garbled": _garble("MANIFEST-*"),
    "a file, not a directory": _file_instead,
    "a directory of other files": _foreign_directory,
}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("pristine") / "store"
    make_store(store, {"a": 3000, "b": 2000})
    assert list(store.glob("*.sst")), "the fixture store should have table files"
    return store


def _damaged(pristine: Path, tmp_path: Path, kind: str) -> Path:
    store = tmp_path / "store"
    shutil.copytree(pristine, store)
    DAMAGE[kind](store)
    return store


def _store_files(store: Path) -> list[str] | None:
    """The names of what holds the store's state (RocksDB's own LOG files rotate on open)."""
    if not store.is_dir():
        return None
    return sorted(p.name for p in store.iterdir() if not p.name.startswith("LOG"))


def _assert_clear(message: str, store: Path) -> None:
    assert f"the store at {store} is damaged" in message, message
    assert "restore" in message and "build" in message, message  # how to recover
    assert "Traceback" not in message


@pytest.mark.parametrize("kind", DAMAGE)
def test_the_command_line_refuses_a_damaged_store(pristine: Path, tmp_path: Path, kind: str) -> None:
    store = _damaged(pristine, tmp_path, kind)
    before = _store_files(store)
    done = cli(store, "query", "-", "--format", "csv", stdin="SELECT * WHERE { ?s ?p ?o } LIMIT 1")
    assert done.returncode == 1
    assert done.stdout == ""  # no answer at all, so no wrong answer
    _assert_clear(done.stderr, store)
    # Refusing must not repair by starting over: RocksDB would write a new, empty CURRENT.
    assert _store_files(store) == before


@pytest.mark.parametrize("kind", ["garbled table files", "CURRENT deleted"])
def test_the_server_refuses_to_start_on_a_damaged_store(pristine: Path, tmp_path: Path, kind: str) -> None:
    store = _damaged(pristine, tmp_path, kind)
    done = subprocess.run(
        ["eurasia-kg", "--store", str(store), "serve", "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    _assert_clear(done.stderr, store)


def test_an_intact_copy_opens(pristine: Path, tmp_path: Path) -> None:
    """The control: the same copy, undamaged, opens and holds what was written."""
    store = tmp_path / "store"
    shutil.copytree(pristine, store)
    assert graph_counts(store) == {"a": 3000, "b": 2000}


QUERIES = [  # between them they read every index: by subject, predicate, object, graph
    f"SELECT ?g ?p ?o WHERE {{ GRAPH ?g {{ <{EX}a/s5> ?p ?o }} }}",
    'SELECT ?g ?s WHERE { GRAPH ?g { ?s ?p "x7" } }',
    f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{EX}value> ?o }}",
    f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{EX}b> {{ ?s <{EX}value> ?o }} }}",
    f'SELECT ?s WHERE {{ GRAPH <{EX}a> {{ ?s ?p "x2999" }} }}',
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    f"SELECT ?o WHERE {{ GRAPH <{EX}a> {{ ?s ?p ?o }} }} ORDER BY ?o LIMIT 3",
]


def _tsv_rows(tsv: bytes | None) -> list[tuple[str, ...]]:
    return [tuple(line.split("\t")) for line in (tsv or b"").decode().rstrip("\n").split("\n")[1:]]


def _opens(store: Path) -> bool:
    try:
        integrity.verify(integrity.open_checked(store, read_only=True), store)
    except OSError:
        return False
    return True


def test_damage_found_only_by_a_query_is_an_error_never_an_answer(pristine: Path, tmp_path: Path) -> None:
    """Damage that the startup check does not read (blocks of the secondary indexes) is found
    by RocksDB's block checksums when a query reads it: that query gets a 503, and every
    other query gets the right answer. Some damaged blocks make pyoxigraph 0.5 loop instead
    of failing; the query timeout then stops the worker, which is a 503 too."""
    truth = Store.read_only(str(pristine))
    right = [sorted(_tsv_rows(truth.query(q).serialize(format=QueryResultsFormat.TSV))) for q in QUERIES]
    del truth
    store = tmp_path / "store"
    shutil.copytree(pristine, store)
    for table in sorted(pristine.glob("*.sst")):  # damage every table the startup check passes
        trial = tmp_path / f"trial-{table.name}"
        shutil.copytree(pristine, trial)
        _garble_one(trial / table.name)
        if _opens(trial):
            _garble_one(store / table.name)
    assert _opens(store)
    refused = 0
    with killable_server(store, query_timeout="2") as (url, _):
        for query, answer in zip(QUERIES, right, strict=True):
            try:
                rows = select_terms(url, query)
            except urllib.error.HTTPError as error:
                message = error.read().decode()
                assert error.code == 503, message
                assert "the store is unavailable" in message or "stopped" in message, message
                refused += 1
            else:
                assert sorted(rows) == answer, query
    print(f"{refused} of {len(QUERIES)} queries met the damage and were refused; the rest were right")
    assert refused >= 1
