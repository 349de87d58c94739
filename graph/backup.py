"""Backups of the embedded store, taken even while a server serves it and writes to it, and
restores that swap a whole store in.

A backup is pyoxigraph's ``Store.backup``: a RocksDB checkpoint, one consistent state of the
store, hard-linked where it can be (same file system) and copied where it cannot. Only the
process that has the store open for writing can take it, and while a server serves a store,
that is the server: RocksDB allows one writer, and opening a store read-only beside a writer
is undefined behaviour. So ``backup`` asks the server, over a Unix socket in the store
directory, and the server takes the backup in its writer process, between two writes. The
socket needs no token: only those who may use the store directory may connect to it (it is
made 0600), and they could read the store's files anyway.

A restore never writes into the store it replaces. It copies the backup beside the store,
opens the copy once, then exchanges the two directories in one ``renameat2(RENAME_EXCHANGE)``,
so that a crash at any moment leaves the old store or the new one at the store's path.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import logging
import os
import shutil
import socket
import threading
from collections.abc import Callable
from pathlib import Path

from pyoxigraph import Store

from graph import integrity
from graph.store import ServerLock, StoreBusy, bulk_checkpoint

log = logging.getLogger(__name__)
SOCKET = "eurasia-kg-admin.sock"
_RENAME_EXCHANGE = 2  # from linux/fs.h
_AT_FDCWD = -100


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


def backup(store: Path, target: Path) -> int:
    """Back up the store at ``store`` into the new directory ``target``; the number of quads
    in the backup. Asks the server when one serves the store. Raises BackupError."""
    target = target.absolute()
    if not (store / "CURRENT").is_file():
        raise BackupError(f"there is no store at {store} to back up")
    if target.exists():
        raise BackupError(f"{target} already exists; a backup goes into a new directory")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        ServerLock.check(store)
    except StoreBusy:
        _ask_server(store, target)
    else:
        opened = _open(store)
        try:
            opened.backup(str(target))
        except OSError as error:
            raise BackupError(f"cannot back up {store} into {target}: {error}") from None
        finally:
            del opened
    return check(target)


def check(directory: Path) -> int:
    """Open the store at ``directory`` read-only and count its quads. Raises BackupError."""
    if not (directory / "CURRENT").is_file():
        raise BackupError(f"{directory} holds no store (it has no CURRENT file)")
    try:
        opened = integrity.open_checked(directory, read_only=True)
        return integrity.verify(opened, directory)
    except OSError as error:
        raise BackupError(f"{directory} is not a usable backup: {error}") from None


def restore(store: Path, source: Path) -> tuple[int, bool]:
    """Replace the store at ``store`` by a copy of the backup in ``source``, atomically; the
    number of quads restored, and whether ``source`` was removed: it is when it is the
    checkpoint an interrupted bulk load left (``graph.store.bulk_checkpoint``), which blocks
    bulk loads until it is gone. Raises BackupError, also when a server serves the store."""
    store, source = store.absolute(), source.absolute()
    quads = check(source)
    store.parent.mkdir(parents=True, exist_ok=True)
    try:
        lock = ServerLock(store)  # held to the end: no server may start on the store meanwhile
    except StoreBusy:
        raise BackupError(
            f"a eurasia-kg server is serving the store at {store}; stop it first, then restore "
            "(a backup, unlike a restore, can be taken while it runs)"
        ) from None
    try:
        for stale in store.parent.glob(f".{store.name}.restore-*"):
            shutil.rmtree(stale)  # left by a restore that crashed; only restores make them
        _check_unused(store)
        staging = store.parent / f".{store.name}.restore-{os.getpid()}"
        shutil.copytree(source, staging)
        integrity.verify(integrity.open_checked(staging), staging)  # replays the backup's log
        staged_lock = ServerLock(staging)  # the lock file moves in with the restored store
        try:
            exchange(staging, store)
        finally:
            staged_lock.release()
        shutil.rmtree(staging)  # now the old store
        checkpoint = source.resolve() == bulk_checkpoint(store).resolve()
        if checkpoint:
            shutil.rmtree(source)  # restored: the bulk load it guarded is undone
    finally:
        lock.release()
    return quads, checkpoint


def _open(store: Path) -> Store:
    """The store opened for writing, which proves no other process has it open."""
    try:
        return integrity.open_checked(store)
    except OSError as error:
        raise BackupError(f"cannot open the store at {store}: {error}") from None


def _check_unused(store: Path) -> None:
    """Raise BackupError when another process has the store open (``eurasia-kg load`` or
    ``build``): RocksDB holds a POSIX lock on its LOCK file. The store itself need not be
    intact: restoring over a damaged store is what restores are for."""
    lock_file = store / "LOCK"
    if not lock_file.exists():
        return
    with lock_file.open("a") as file:
        try:
            fcntl.lockf(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise BackupError(
                f"another process (eurasia-kg load or build?) has the store at {store} open; "
                "wait for it to end, then restore"
            ) from None
        fcntl.lockf(file, fcntl.LOCK_UN)


def exchange(a: Path, b: Path) -> None:
    """Swap the directories ``a`` and ``b`` in one step (Linux renameat2)."""
    libc = ctypes.CDLL(None, use_errno=True)
    result = libc.renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result != 0:
        error = ctypes.get_errno()
        raise BackupError(
            f"cannot swap {a} into {b} atomically: {os.strerror(error)}; the store is unchanged "
            f"and the restored copy is at {a}"
        )


def _ask_server(store: Path, target: Path) -> None:
    path = Path(store) / SOCKET
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(str(path))
            client.sendall(json.dumps({"backup": str(target)}).encode() + b"\n")
            answer = json.loads(client.makefile("rb").readline() or b"{}")
    except (OSError, ValueError) as error:
        raise BackupError(
            f"a server serves {store}, and its backup socket {path} does not answer ({error}); "
            "stop the server to back up the store directly"
        ) from None
    if not answer.get("ok"):
        raise BackupError(f"the server could not back up {store}: {answer.get('error', 'no answer')}")


class AdminSocket:
    """The server's side of ``backup``: a Unix socket in the store directory, answered by a
    thread that calls ``take_backup(target)`` for each request."""

    def __init__(self, store: str | Path, take_backup: Callable[[str], object]) -> None:
        self.path = Path(store) / SOCKET
        self.path.unlink(missing_ok=True)  # left by a server that was killed
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._socket.bind(str(self.path))
        os.chmod(self.path, 0o600)
        self._socket.listen()
        self._take_backup = take_backup
        threading.Thread(target=self._serve, name="eurasia-kg-admin", daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return  # closed
            with connection:
                try:
                    request = json.loads(connection.makefile("rb").readline())
                    self._take_backup(str(request["backup"]))
                    answer: dict[str, object] = {"ok": True}
                except Exception as error:  # noqa: BLE001 - every failure goes back to the caller
                    log.warning("backup failed: %s", error)
                    answer = {"ok": False, "error": str(error)}
                try:
                    connection.sendall(json.dumps(answer).encode() + b"\n")
                except OSError:
                    pass  # the caller went away

    def close(self) -> None:
        self._socket.close()
        self.path.unlink(missing_ok=True)
