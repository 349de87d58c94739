"""``eurasia-kg backup`` and ``restore``, with a server running and writing: a writer adds
numbered batches one after another while backups are taken; each restored store opens and
holds a prefix of the batches, every batch whole."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

from tests.faults import EX, cli, graph_counts, killable_server, make_store, post, quads

BATCH = 300


def _insert(batch: int) -> bytes:
    name = f"batch{batch}"
    lines = [f"GRAPH <{EX}{name}> {{ {q.subject} {q.predicate} {q.object} }}" for q in quads(name, BATCH)]
    return ("INSERT DATA {\n" + "\n".join(lines) + "\n}").encode()


def _batches(counts: dict[str, int]) -> list[int]:
    """The batch numbers present, after checking each is whole and nothing else changed."""
    assert counts.pop("base") == 1000
    assert all(name.startswith("batch") and n == BATCH for name, n in counts.items()), counts
    return sorted(int(name.removeprefix("batch")) for name in counts)


def test_backup_while_writing_restores_a_prefix_of_the_writes(tmp_path: Path) -> None:
    store = tmp_path / "store"
    make_store(store, {"base": 1000})
    done: list[int] = []  # batches whose write had returned
    stop = threading.Event()
    backups: list[tuple[Path, int]] = []  # (directory, batches done before it was taken)
    with killable_server(store) as (url, _):

        def write() -> None:
            batch = 0
            while not stop.is_set():
                post(url + "update", _insert(batch), "application/sparql-update")
                done.append(batch)
                batch += 1

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        try:
            for number in range(2):
                while len(done) < 3 * (number + 1):
                    stop.wait(0.05)
                backups.append((tmp_path / f"backup{number}", len(done)))
                taken = cli(store, "backup", str(backups[-1][0]))
                assert taken.returncode == 0, taken.stderr
                assert "backed up" in taken.stderr
            refused = cli(store, "restore", str(backups[0][0]))  # the server still serves the store
            assert refused.returncode == 1
            assert "serving the store" in refused.stderr and "stop it first" in refused.stderr
        finally:
            stop.set()
            writer.join(60)
    assert not writer.is_alive()
    for directory, before in backups:
        restored = tmp_path / f"restored-{directory.name}"
        done_restore = cli(restored, "restore", str(directory))
        assert done_restore.returncode == 0, done_restore.stderr
        batches = _batches(graph_counts(restored))
        assert batches == list(range(len(batches)))  # a prefix: batches 0 … k, none missing
        assert len(batches) >= before  # every write that had returned is in it
        print(f"{directory.name}: taken after {before} batches, holds {len(batches)}")
    # Restoring over the (stopped) store swaps it whole and leaves nothing beside it.
    swapped = cli(store, "restore", str(backups[0][0]))
    assert swapped.returncode == 0, swapped.stderr
    assert _batches(graph_counts(store)) == _batches(graph_counts(tmp_path / "restored-backup0"))
    assert not list(tmp_path.glob(".store.restore-*"))


def test_backup_refuses_an_existing_directory(tmp_path: Path) -> None:
    store = tmp_path / "store"
    make_store(store, {"base": 10})
    (tmp_path / "taken").mkdir()
    refused = cli(store, "backup", str(tmp_path / "taken"))
    assert refused.returncode == 1
    assert "already exists; a backup goes into a new directory" in refused.stderr


def test_restore_refuses_a_directory_that_is_not_a_backup(tmp_path: Path) -> None:
    store = tmp_path / "store"
    make_store(store, {"base": 10})
    (tmp_path / "empty").mkdir()
    refused = cli(store, "restore", str(tmp_path / "empty"))
    assert refused.returncode == 1
    assert "holds no store" in refused.stderr
    assert graph_counts(store) == {"base": 10}  # untouched


def test_restore_replaces_a_damaged_store(tmp_path: Path) -> None:
    """The backup taken with no server running (the command opens the store itself) brings
    back a store whose CURRENT file was lost."""
    store = tmp_path / "store"
    make_store(store, {"base": 10})
    taken = cli(store, "backup", str(tmp_path / "taken"))
    assert taken.returncode == 0, taken.stderr
    (store / "CURRENT").unlink()
    assert cli(store, "query", "-", stdin="ASK {}").returncode == 1  # damaged: refused
    restored = cli(store, "restore", str(tmp_path / "taken"))
    assert restored.returncode == 0, restored.stderr
    assert graph_counts(store) == {"base": 10}


def test_backup_and_restore_explain_themselves() -> None:
    for command, words in [
        ("backup", "while `eurasia-kg serve` serves the store"),
        ("restore", "Refused while"),
    ]:
        shown = subprocess.run(["eurasia-kg", command, "--help"], capture_output=True, text=True, check=True)
        assert words in " ".join(shown.stdout.split()), shown.stdout
