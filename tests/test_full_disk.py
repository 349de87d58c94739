"""A full disk during an export: a clear error, no truncated file under the final name, no
temporary file left behind, and the same export succeeds once space is freed. The disk is
really full: a 1 MiB tmpfs, filled up but for a little room (tests run as root); where
mounting is not allowed, the command line runs under a file size limit instead."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyoxigraph import RdfFormat, parse

from tests.faults import cli, killable_server, make_store

QUADS = 6000  # about 600 kB of N-Quads
ROOM = 64 * 1024  # what is left free on the full disk
LIMIT = 128 * 1024  # the file size limit: above the store's own files (OPTIONS is 67 kB)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "store"
    make_store(path, {"big": QUADS})
    return path


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A mounted 1 MiB tmpfs with ROOM bytes free; its ``filler`` file frees the rest."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        free = os.statvfs(mount).f_bavail * os.statvfs(mount).f_frsize
        (mount / "filler").write_bytes(b"\0" * (free - ROOM))
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.rglob("*") if p.name != "filler")


def _quads_in(data: bytes) -> int:
    return sum(1 for _ in parse(data, format=RdfFormat.N_QUADS))


def test_export_to_a_full_disk_fails_cleanly_and_succeeds_after(store: Path, full_disk: Path) -> None:
    target = full_disk / "dump.nq"
    done = cli(store, "export", "--format", "nquads", "-o", str(target))
    assert done.returncode == 1
    assert "cannot write the export" in done.stderr and "No space left on device" in done.stderr
    assert "nothing was left behind" in done.stderr
    assert _leftovers(full_disk) == []  # neither dump.nq nor a .part file
    (full_disk / "filler").unlink()
    done = cli(store, "export", "--format", "nquads", "-o", str(target))
    assert done.returncode == 0, done.stderr
    assert _quads_in(target.read_bytes()) == QUADS


def test_export_under_a_file_size_limit_fails_cleanly(store: Path, tmp_path: Path) -> None:
    """The other way to run out of room: writes fail with EFBIG beyond RLIMIT_FSIZE."""
    target = tmp_path / "out" / "dump.nq"
    target.parent.mkdir()

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a killed process
        resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))

    done = subprocess.run(
        ["eurasia-kg", "--store", str(store), "export", "--format", "nquads", "-o", str(target)],
        capture_output=True,
        text=True,
        preexec_fn=limited,  # noqa: PLW1509 - the limit must be set in the child alone
        timeout=120,
    )
    assert done.returncode == 1
    assert "cannot write the export" in done.stderr and "File too large" in done.stderr
    assert _leftovers(target.parent) == []


def test_the_export_route_on_a_full_disk_says_507_and_recovers(store: Path, full_disk: Path) -> None:
    dumps = full_disk / "dumps"
    with killable_server(store, dumps=str(dumps)) as (url, _):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url + "export/eurasia-kg-all.nq", timeout=60)  # noqa: S310
        assert refused.value.code == 507
        assert "no space left" in refused.value.read().decode()
        assert _leftovers(full_disk) in ([], ["dumps"])
        (full_disk / "filler").unlink()
        with urllib.request.urlopen(url + "export/eurasia-kg-all.nq", timeout=60) as response:  # noqa: S310
            assert _quads_in(response.read()) == QUADS
