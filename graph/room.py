"""Room on the disk that holds the store: when a write or an open failed for the lack of it,
and how much to free.

What a full disk does to the RocksDB store (reproduced on a real tmpfs, docs/full-disk.md):
a write commits to the write-ahead log (``NNNNNN.log``) first; writing that log out into a
table file (``NNNNNN.sst``) can then fail, and the write is nevertheless in the store. Every
open for writing replays the log into a new table file and writes a new MANIFEST and OPTIONS
file, so a store whose disk is full cannot be opened for writing until room is freed (it can
still be read). ``needed_to_open`` says about how much room that takes.
"""

from __future__ import annotations

import errno
import math
import os
from pathlib import Path

_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}  # a full disk, a quota, a file size limit
# RocksDB reports a full disk as text, without an errno.
_TEXTS = (os.strerror(errno.ENOSPC), os.strerror(errno.EDQUOT), os.strerror(errno.EFBIG))
MARGIN = 1 << 20  # for the new MANIFEST and OPTIONS files and RocksDB's own log


class NoRoom(OSError):
    """The store at ``path`` cannot be opened for writing: its disk is full. The message says
    which file system, how much is free and how much to free."""

    def __init__(self, path: str | Path, cause: str) -> None:
        self.path = Path(path).absolute()
        self.free = free_bytes(self.path)
        self.needed = needed_to_open(self.path)
        super().__init__(
            f"the disk holding the store at {self.path} is full ({_size(self.free)} free), so the "
            f"store cannot be opened for writing: opening it writes out its log of recent writes "
            f"(the *.log files) into a table file, which needs about {_size(self.needed)}. Free at "
            f"least {_size(max(self.needed - self.free, 0))} on that file system (`df {self.path}` "
            f"names it; nothing in the store directory may be deleted), then try again. Nothing was "
            f"written. ({cause})"
        )


def is_no_space(error: BaseException) -> bool:
    """Whether ``error`` says a file could not be written for lack of room."""
    if isinstance(error, OSError) and error.errno in _ERRNOS:
        return True
    return any(text in str(error) for text in _TEXTS)


def free_bytes(path: Path) -> int:
    """The bytes an unprivileged process may still write on the file system of ``path``."""
    while not path.exists() and path != path.parent:
        path = path.parent
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize


def needed_to_open(path: Path) -> int:
    """About the room an open for writing of the store at ``path`` needs: its write-ahead
    logs, written out as a table file, and MARGIN for the rest."""
    logs = sum(p.stat().st_size for p in path.glob("*.log") if p.is_file())
    return logs + MARGIN


def _size(count: int) -> str:
    """``count`` bytes, rounded up: freeing the amount shown frees at least ``count``."""
    if count >= 1 << 20:
        return f"{math.ceil(count * 10 / (1 << 20)) / 10:.1f} MiB"
    return f"{math.ceil(count / 1024)} KiB"
