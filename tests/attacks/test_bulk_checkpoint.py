"""Issue 16, finding 7: the checkpoint an interrupted ``load --bulk`` leaves beside the store.

Before the fix, a Turtle bulk load went ahead while the checkpoint was there (only N-Triples
and N-Quads looked for it), so restoring the checkpoint afterwards, as the message advised,
silently dropped that load; and ``restore`` left the checkpoint in place, so the next
N-Triples bulk load still refused. Here a real bulk load is killed with SIGKILL once its
checkpoint exists, every bulk load is refused whatever the format, and each way out the
message gives is run as it is printed, with the shell's own word splitting.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import time
from pathlib import Path

import pytest
from pyoxigraph import RdfFormat, serialize

from tests.faults import EX, cli, graph_counts, kill_group, make_store, quads

BIG = 1_000_000  # three parts of 400,000 lines: the load runs seconds, long enough to kill
SMALL = 50


def _interrupted_bulk_load(tmp_path: Path) -> tuple[Path, Path]:
    """A store of 100 triples whose bulk load of BIG more was killed mid-way; the store and
    the checkpoint the load left beside it."""
    store = tmp_path / "store"
    make_store(store, {"before": 100})
    big = tmp_path / "big.nt"
    big.write_bytes(serialize((q.triple for q in quads("big", BIG)), format=RdfFormat.N_TRIPLES) or b"")
    checkpoint = tmp_path / ".store.before-bulk-load"
    process = subprocess.Popen(  # noqa: S603
        ["eurasia-kg", "--store", str(store), "load", "--bulk", "--graph", EX + "big", str(big)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not checkpoint.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)  # into the load of the parts
    running = process.poll() is None
    kill_group(process)
    if not running or not checkpoint.exists():
        pytest.fail("the bulk load ended before it could be killed; make BIG larger")
    return store, checkpoint


def _files(tmp_path: Path) -> dict[str, Path]:
    triples = [q.triple for q in quads("later", SMALL)]
    files = {}
    for name, fmt in [("later.ttl", RdfFormat.TURTLE), ("later.nt", RdfFormat.N_TRIPLES)]:
        files[name] = tmp_path / name
        files[name].write_bytes(serialize(triples, format=fmt) or b"")
    return files


def _commands(message: str) -> list[str]:
    return re.findall(r"`([^`]+)`", message)


def test_every_bulk_load_refuses_while_a_checkpoint_exists_and_restore_removes_it(tmp_path: Path) -> None:
    store, checkpoint = _interrupted_bulk_load(tmp_path)
    files = _files(tmp_path)
    left = graph_counts(store)
    for name in ["later.ttl", "later.nt"]:  # Turtle went ahead before the fix
        done = cli(store, "load", "--bulk", "--graph", EX + "later", str(files[name]))
        assert done.returncode == 1, f"{name}: {done.stderr}"
        assert str(checkpoint) in done.stderr and "nothing was loaded" in done.stderr
        assert "Traceback" not in done.stderr
        assert graph_counts(store) == left, f"{name} changed the store"
    restore, delete = _commands(done.stderr)
    assert restore.startswith("eurasia-kg ") and " restore " in restore and delete.startswith("rm -r ")
    # As printed: the store goes back to what it was before the interrupted load, and the
    # checkpoint goes away with it.
    run = subprocess.run(shlex.split(restore), capture_output=True, text=True, timeout=120)  # noqa: S603
    assert run.returncode == 0, run.stderr
    assert "removed the bulk load's checkpoint" in run.stderr
    assert not checkpoint.exists()
    assert graph_counts(store) == {"before": 100}
    for name in ["later.ttl", "later.nt"]:  # and the next bulk loads start, in both formats
        done = cli(store, "load", "--bulk", "--graph", EX + name, str(files[name]))
        assert done.returncode == 0, f"{name}: {done.stderr}"
    assert graph_counts(store) == {"before": 100, "later.ttl": SMALL, "later.nt": SMALL}


def test_deleting_the_checkpoint_as_the_message_says_keeps_the_store_and_lets_loads_start(
    tmp_path: Path,
) -> None:
    store, checkpoint = _interrupted_bulk_load(tmp_path)
    files = _files(tmp_path)
    left = graph_counts(store)
    done = cli(store, "load", "--bulk", str(files["later.ttl"]))
    assert done.returncode == 1
    _, delete = _commands(done.stderr)
    subprocess.run(shlex.split(delete), check=True, timeout=60)  # noqa: S603
    assert not checkpoint.exists()
    assert graph_counts(store) == left  # kept as the killed load left it
    done = cli(store, "load", "--bulk", "--graph", EX + "later", str(files["later.ttl"]))
    assert done.returncode == 0, done.stderr
    assert graph_counts(store) == {**left, "later": SMALL}


def test_restoring_an_ordinary_backup_leaves_it_in_place(tmp_path: Path) -> None:
    store = tmp_path / "store"
    make_store(store, {"before": 10})
    backup = tmp_path / "backup"
    assert cli(store, "backup", str(backup)).returncode == 0
    done = cli(store, "restore", str(backup))
    assert done.returncode == 0, done.stderr
    assert backup.is_dir() and "checkpoint" not in done.stderr
