"""Issue 16, finding 6: writes to a store whose disk fills up.

Before the fix, in a 20 MiB tmpfs, 20 writes answered "503 store unavailable" and after a
restart some were in the store in full; a client that sent them again got duplicates, and the
store could not be opened until space was freed, without a word on how much. What RocksDB
does (docs/full-disk.md): a write commits to its log, and writing the log out into a table
file then fails; every later open for writing must write that log out first.

Here the disk is a real 20 MiB tmpfs (tests run as root) holding the store, the server is the
real ``eurasia-kg serve``, and the writes are POSTs without ``?graph`` of triples with blank
nodes, the two kinds a second copy of which is a duplicate, each with an ``Idempotency-Key``.
Which writes were applied is read back from the key records the store keeps with them.
"""

from __future__ import annotations

import os
import re
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from graph.idempotency import Key
from tests.faults import cli, graph_counts, make_store
from tests.servers import TOKEN, LiveServer, eurasia_kg

WRITES = 20
TRIPLES = 300  # a body of 75 kB; the store's log of one write is several times that
ROOM = 2_000_000  # left free before the writes: some go in, then the disk is full
LARGE = 1500  # a body of 370 kB, whose log needs more than 600 kB
UPLOADED = "https://w3id.org/eurasia-kg/graph/uploaded/"
KEYS = "urn:eurasia-kg:idempotency-keys"


@dataclass
class Disk:
    mount: Path
    server_dir: Path  # holds the server's log, off the full disk; its ``store`` is on it

    @property
    def filler(self) -> Path:
        return self.mount / "filler"

    def free(self) -> int:
        stats = os.statvfs(self.mount)
        return stats.f_bavail * stats.f_frsize

    def fill(self, room: int) -> None:
        """Leave about ``room`` bytes free."""
        with self.filler.open("ab") as out:
            out.write(b"\0" * max(self.free() - room, 0))

    def release(self, count: int) -> None:
        """Free ``count`` bytes, and not more."""
        os.truncate(self.filler, max(self.filler.stat().st_size - count, 0))


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Disk]:
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        make_store(mount / "store", {"seed": 2000})
        server_dir = tmp_path / "server"
        server_dir.mkdir()
        (server_dir / "store").symlink_to(mount / "store")
        yield Disk(mount, server_dir)
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def body(n: int, triples: int = TRIPLES) -> bytes:
    return "".join(
        f'_:b{i} <http://example.org/p> "{"v" * 200} {n} {i}" .\n' for i in range(triples)
    ).encode()


@dataclass
class Reply:
    status: int
    text: str
    location: str | None
    replayed: bool


def keyed(server: LiveServer, data: bytes, key: str) -> urllib.request.Request:
    """A Graph Store POST of ``data`` with the token and ``key`` as its Idempotency-Key."""
    return urllib.request.Request(  # noqa: S310 - loopback
        server.store,
        data=data,
        method="POST",
        headers={
            "Content-Type": "application/n-triples",
            "Authorization": f"Bearer {TOKEN}",
            "Idempotency-Key": key,
        },
    )


def post(server: LiveServer, n: int, triples: int = TRIPLES) -> Reply:
    request = keyed(server, body(n, triples), f"write-{n}")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            headers, status, text = response.headers, response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        headers, status, text = error.headers, error.code, error.read().decode()
    return Reply(status, text, headers.get("Location"), headers.get("Idempotency-Replayed") == "true")


def select(server: LiveServer, sparql: str) -> list[str]:
    query = urllib.parse.urlencode({"query": sparql})
    request = urllib.request.Request(f"{server.sparql}?{query}", headers={"Accept": "text/csv"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return response.read().decode().strip().splitlines()[1:]


def applied(server: LiveServer) -> set[int]:
    """The writes whose key the store has recorded, which it does in the write's transaction."""
    subjects = {Key(f"write-{n}", "", {}).subject.value: n for n in range(WRITES)}
    rows = select(server, f"SELECT DISTINCT ?k {{ GRAPH <{KEYS}> {{ ?k ?p ?o }} }}")
    return {subjects[row] for row in rows}


def uploaded(server: LiveServer) -> dict[str, int]:
    rows = select(server, "SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    return {g: int(n) for g, n in (row.split(",") for row in rows) if g.startswith(UPLOADED)}


NOT_APPLIED = "the write was not applied"
MAYBE = "MAY OR MAY NOT"


def test_full_disk_writes_say_what_happened_retries_do_not_duplicate_and_the_store_reopens(
    disk: Disk,
) -> None:
    with eurasia_kg(disk.server_dir) as server:
        disk.fill(ROOM)
        replies = [post(server, n) for n in range(WRITES)]
        assert {r.status for r in replies} <= {201, 507}, [(r.status, r.text) for r in replies]
        assert all(NOT_APPLIED in r.text or MAYBE in r.text for r in replies if r.status == 507)
        assert "Traceback" not in "".join(r.text for r in replies)
        done = applied(server)  # reads go on while the disk is full
        for n, reply in enumerate(replies):
            if reply.status == 201:
                assert n in done, f"write {n} answered 201 but is not in the store"
            elif NOT_APPLIED in reply.text:
                assert n not in done, f"write {n} answered 'not applied' but is in the store"
        maybe = [n for n, r in enumerate(replies) if MAYBE in r.text]
        print(f"full disk: {len(done)} of {WRITES} writes applied, {len(maybe)} answered 'may or may not'")
        assert 0 < len(done) < WRITES, "the disk should fill up part of the way through"
        assert sorted(uploaded(server).values()) == [TRIPLES] * len(done)  # each in full
        log = server.log.read_text()
    # The server says what to free, where and how much; it is enough.
    assert "Free at least" in log and str(disk.server_dir / "store") in log
    with pytest.raises(RuntimeError, match="exited with 1"), eurasia_kg(disk.server_dir):
        pass
    log = (disk.server_dir / "server.log").read_text()
    assert "Traceback" not in log
    amount = re.search(r"Free at least ([\d.]+) (MiB|KiB) on that file system", log)
    assert amount, log
    disk.release(int(float(amount[1]) * (1 << 20 if amount[2] == "MiB" else 1 << 10)))  # just that
    with eurasia_kg(disk.server_dir) as server:
        assert applied(server) == done
        disk.filler.unlink()
        again = [post(server, n) for n in range(WRITES)]
        for n, reply in enumerate(again):
            assert reply.status == 201, (n, reply.status, reply.text)
            assert reply.replayed == (n in done)
            if replies[n].status == 201:
                assert reply.location == replies[n].location
        assert applied(server) == set(range(WRITES))
        assert sorted(uploaded(server).values()) == [TRIPLES] * WRITES  # no duplicates


def test_a_write_cut_short_by_the_full_disk_says_it_may_have_been_applied_and_a_retry_applies_it_once(
    disk: Disk,
) -> None:
    with eurasia_kg(disk.server_dir) as server:
        disk.fill(600_000)  # room to open the store, not for the write's log
        first = post(server, 0, LARGE)
        assert first.status == 507 and MAYBE in first.text, first.text
        assert "send it again with the same Idempotency-Key" in first.text
        disk.filler.unlink()
        second, third = post(server, 0, LARGE), post(server, 0, LARGE)
        assert second.status == 201 and not second.replayed
        assert third.status == 201 and third.replayed and third.location == second.location
        assert applied(server) == {0}
        assert list(uploaded(server).values()) == [LARGE]


def test_a_bad_idempotency_key_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    make_store(tmp_path / "store", {"seed": 10})
    with eurasia_kg(tmp_path) as server:
        for bad in ["", "x" * 256, 'two"quotes"', "tab\there"]:
            request = keyed(server, body(0), bad)
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=60)  # noqa: S310
            assert refused.value.code == 400
            assert "Idempotency-Key header must be" in refused.value.read().decode()
        assert uploaded(server) == {}
        first = post(server, 0)
        assert first.status == 201
        request = keyed(server, body(1), "write-0")  # the same key for another body
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=60)  # noqa: S310
        assert refused.value.code == 422
        assert "already used for a different request" in refused.value.read().decode()
        assert list(uploaded(server).values()) == [TRIPLES]


def test_the_command_line_on_a_full_disk_says_what_happened_and_what_to_free(
    disk: Disk, tmp_path: Path
) -> None:
    store = disk.server_dir / "store"
    small, large = tmp_path / "small.nt", tmp_path / "large.nt"
    small.write_bytes(body(0, 50).replace(b"_:b", b"_:small"))
    large.write_bytes(body(1, LARGE))
    disk.fill(600_000)  # room to open the store, not for the log of the large file
    done = cli(store, "load", str(large), "--graph", "http://example.org/faults/large")
    assert "Traceback" not in done.stderr
    if done.returncode == 0:  # it committed; only writing the log out failed, and it says so
        assert "what was committed stays in the log" in done.stderr
    else:
        assert "filled up while" in done.stderr and "it may or may not be in the store" in done.stderr
    large_loaded = done.returncode == 0
    disk.fill(0)
    done = cli(store, "load", str(small), "--graph", "http://example.org/faults/small")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    amount = re.search(r"Free at least ([\d.]+) (MiB|KiB) on that file system", done.stderr)
    assert amount and "Nothing was written" in done.stderr, done.stderr
    disk.release(int(float(amount[1]) * (1 << 20 if amount[2] == "MiB" else 1 << 10)))  # just that
    done = cli(store, "load", str(small), "--graph", "http://example.org/faults/small")
    assert done.returncode == 0, done.stderr
    counts = graph_counts(store)
    assert counts["seed"] == 2000 and counts["small"] == 50
    assert counts.get("large", 0) in ({LARGE} if large_loaded else {0, LARGE})  # one transaction
