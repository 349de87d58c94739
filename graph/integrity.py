"""Is this directory an intact store? Checked before a store is opened and right after.

Why before: asked to open a directory whose ``CURRENT`` file is gone, RocksDB starts a new,
empty database there (pyoxigraph 0.5 writes a fresh ``CURRENT`` and ``MANIFEST``), so a
damaged store would come back empty and the server would build a new graph over it. So a
directory that holds store files but no ``CURRENT``, or a ``CURRENT`` naming no manifest, or
that is a file, or that holds only files of something else, is refused before RocksDB sees it.

Why after: opening checks the manifest, that every table file exists with its recorded size,
and the checksums of the blocks it reads to open them. ``verify`` then counts the quads,
which reads every data block of the two main indexes (0.2 s for a million quads). Blocks of
the other indexes are checked by RocksDB whenever a query reads them, so damage there fails
that query (the server answers 503) instead of giving a wrong answer.
"""

from __future__ import annotations

import re
from pathlib import Path

from pyoxigraph import Store

from graph import room

# The files RocksDB keeps in a store directory; eurasia-kg adds only the server's lock file.
_STORE_FILE = re.compile(
    r"^(CURRENT|IDENTITY|LOCK|LOG(\.old\.\d+)?|MANIFEST-\d+|OPTIONS-\d+|\d+\.(sst|log|blob)|.*\.dbtmp)$"
)
_OURS = {"eurasia-kg-server.lock", "eurasia-kg-admin.sock"}


class StoreDamaged(OSError):
    """The store at ``path`` is damaged or is not a store; the message says what, where,
    and how to recover."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(
            f"the store at {path} is damaged: {problem.rstrip('. ')}. eurasia-kg will not open it, so that "
            f"it never serves wrong data. Restore it from a backup "
            f"(`eurasia-kg --store {path} restore BACKUP-DIR`), or move it aside and rebuild it "
            f"(`eurasia-kg --store {path} build`, then `eurasia-kg load` for data loaded by hand)"
        )


def check_layout(path: str | Path) -> None:
    """Raise StoreDamaged unless ``path`` is missing, empty (a new store is made there) or
    looks like a whole store. Reads only file names and ``CURRENT``."""
    directory = Path(path)
    if not directory.exists():
        return
    if not directory.is_dir():
        raise StoreDamaged(path, "it is a file, not a store directory")
    names = {entry.name for entry in directory.iterdir()}
    store_files = {name for name in names if _STORE_FILE.match(name)}
    if not store_files:
        foreign = sorted(names - _OURS)
        if foreign:
            shown = ", ".join(foreign[:3]) + (" …" if len(foreign) > 3 else "")
            raise StoreDamaged(path, f"it is not a store: it holds other files ({shown})")
        return
    if "CURRENT" not in names:
        raise StoreDamaged(path, "its CURRENT file is missing")
    try:
        manifest = (directory / "CURRENT").read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise StoreDamaged(path, f"its CURRENT file cannot be read ({error})") from None
    if not re.fullmatch(r"MANIFEST-\d+", manifest) or manifest not in names:
        raise StoreDamaged(path, f"its CURRENT file names no manifest file ({manifest[:40]!r})")


def open_checked(path: str | Path, read_only: bool = False) -> Store:
    """The pyoxigraph store at ``path``, after ``check_layout`` and before ``verify``.
    Raises StoreDamaged when RocksDB finds damage, ``graph.room.NoRoom`` when the disk is too
    full to open it for writing, OSError when it cannot open for another reason (a lock held
    by another process, permissions)."""
    check_layout(path)
    try:
        return Store.read_only(str(path)) if read_only else Store(str(path))
    except (OSError, RuntimeError) as error:
        if is_corruption(error):
            raise StoreDamaged(path, str(error)) from None
        if not read_only and room.is_no_space(error):
            raise room.NoRoom(path, str(error)) from None
        if isinstance(error, OSError):
            raise
        raise OSError(str(error)) from None


def verify(store: Store, path: str | Path) -> int:
    """Count the quads (reading every block of the main indexes); raises StoreDamaged."""
    try:
        return len(store)
    except (OSError, RuntimeError) as error:
        raise StoreDamaged(path, str(error)) from None


def is_corruption(error: BaseException) -> bool:
    """Whether RocksDB reported damage (its messages start "Corruption:"), or a file of the
    store is missing (its "IO error: No such file")."""
    text = str(error)
    return text.startswith("Corruption") or ("No such file" in text and "While open" in text)
