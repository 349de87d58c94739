"""The resident memory of a process and all its descendants, read from Linux's /proc.

The server's memory is its own plus that of its query worker processes, so the benchmarks sum
VmRSS over the whole tree; ``Sampler`` keeps the peak while a phase runs. ``cpu`` adds up the
CPU time of the tree, including workers already stopped, so that a benchmark can tell the
server's own cost from the machine's contention.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

PROC = Path("/proc")


def _children() -> dict[int, list[int]]:
    """Each live process id's children, from the parent id in /proc/<pid>/stat."""
    tree: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # it exited while we looked
        # The command name may hold spaces and parentheses: the fields start after the last ')'.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(parent, []).append(int(entry.name))
    return tree


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    tree, found, todo = _children(), [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(tree.get(current, []))
    return found


def _rss(pid: int) -> int:
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0  # exited, or a zombie without memory


def _cpu(pid: int, reaped: bool) -> float:
    """Seconds of CPU ``pid`` used, and with ``reaped`` also its children that it has waited
    for (e.g. the query workers killed and reaped)."""
    try:
        fields = (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    if reaped:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def cpu(pid: int) -> float:
    """Seconds of CPU used so far by ``pid``, its live descendants and the children they
    reaped (query workers are reaped by the fork server they were forked from)."""
    return sum(_cpu(p, reaped=True) for p in descendants(pid))


def rss(pid: int) -> int:
    """Bytes resident in ``pid`` and its descendants now."""
    return sum(_rss(p) for p in descendants(pid))


class Sampler:
    """Samples ``rss(pid)`` every ``interval`` seconds inside a ``with`` block; ``peak`` is the
    largest sample."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss(self.pid))
            self._stop.wait(self.interval)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
