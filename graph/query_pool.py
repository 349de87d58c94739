"""What ``graph.sandbox`` keeps between queries: its idle workers, sorted by CPU priority, and
the queries it has seen run long.

Why two kinds of worker: a query still running after a lookup's time is reniced to the lowest
CPU priority so that lookups pass it, and an unprivileged process cannot be raised back. Such
a "lowered" worker is kept for the next long query rather than retired, since a stream of
heavy queries would otherwise fork a worker, and open the store, for each one. A query seen to
run long before goes straight to a lowered worker while other queries run; any other query
gets a worker at normal priority, so a lookup never queues behind heavy queries for the CPU.
And as lowering only serves other queries, a long query is lowered only while they run
(``Contention``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, Protocol, TypeVar


class Prioritised(Protocol):
    lowered: bool  # at the lowest CPU priority, for good


W = TypeVar("W", bound=Prioritised)


class IdleWorkers(Generic[W]):
    """Idle workers of both kinds, the most recently used first (its pages are warm)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._kinds: dict[bool, list[W]] = {False: [], True: []}  # by ``lowered``

    def put(self, worker: W) -> None:
        with self._cond:
            self._kinds[worker.lowered].append(worker)
            self._cond.notify()

    def take(self, lowered: bool) -> W | None:
        """An idle worker of the kind asked for, or None at once."""
        with self._cond:
            kind = self._kinds[lowered]
            return kind.pop() if kind else None

    def wait(self, lowered: bool, timeout: float) -> W | None:
        """An idle worker, of the kind asked for if there is one, else of the other kind;
        None when none becomes idle within ``timeout`` seconds."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._kinds[False] or self._kinds[True], timeout):
                return None
            return (self._kinds[lowered] or self._kinds[not lowered]).pop()

    def drain(self) -> list[W]:
        """Every idle worker, taken out."""
        with self._cond:
            taken = self._kinds[False] + self._kinds[True]
            self._kinds = {False: [], True: []}
            return taken


class LongQueries:
    """The most recent ``size`` queries seen to run long, by key; ``forget`` drops one that has
    since needed no more than a lookup."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._keys: OrderedDict[Hashable, None] = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._keys

    def add(self, key: Hashable) -> None:
        with self._lock:
            self._keys[key] = None
            self._keys.move_to_end(key)
            if len(self._keys) > self.size:
                self._keys.popitem(last=False)

    def forget(self, key: Hashable) -> None:
        with self._lock:
            self._keys.pop(key, None)


class Lowerable(Protocol):
    def lower_priority(self) -> None: ...


class Contention:
    """Whether other queries want the CPU, which is what lowering a long query is for. With
    none running or waiting, a long query keeps its priority (lowered, it would only yield the
    CPU to other programs on the machine) and is lowered the moment one arrives. The others
    that count are fresh queries: not seen to run long before, running or waiting for a worker."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fresh = 0
        self._held: set[Lowerable] = set()  # workers of long queries left at their priority

    @property
    def contended(self) -> bool:
        return self._fresh > 0

    def fresh_started(self) -> None:
        with self._lock:
            self._fresh += 1
            for worker in self._held:
                worker.lower_priority()  # under the lock: ``done`` has not released it yet
            self._held.clear()

    def fresh_ended(self) -> None:
        with self._lock:
            self._fresh -= 1

    def running_long(self, worker: Lowerable, fresh: bool) -> None:
        """``worker`` runs a long query (itself ``fresh`` or not): lower it now if other fresh
        queries want the CPU, else as soon as one does."""
        with self._lock:
            if self._fresh - (1 if fresh else 0) > 0:
                worker.lower_priority()
            else:
                self._held.add(worker)

    def done(self, worker: Lowerable) -> None:
        with self._lock:
            self._held.discard(worker)
