"""Answers kept until the store changes: the same query asked again is served from memory.

An embedded store changes only through this server (it holds the store's lock), so the
server's write counter (``Context.version``) says exactly when a kept answer goes stale. A
remote store can change behind the server's back, so its answers are never kept.

The cache holds serialized bodies, at most ``capacity`` bytes in all and none larger than a
sixteenth of that, evicting the least recently used.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Protocol, TypeVar


class Answer(Protocol):
    @property
    def body(self) -> bytes: ...


A = TypeVar("A", bound=Answer)


@dataclass(frozen=True)
class Kept:
    body: bytes
    media_type: str
    truncated: bool


class AnswerCache:
    """A bounded LRU map from (store version, request) to a serialized answer of some kind
    (a ``Kept`` answer, or a whole HTTP response in ``server.replay``).

    An entry costs its answer's bytes and its key's, which holds the query's text.

    >>> cache = AnswerCache(capacity=4096)
    >>> cache.put(0, "q", Kept(b"rows", "text/csv", False))
    >>> cache.get(0, "q", Kept).body, cache.get(1, "q", Kept)
    (b'rows', None)
    >>> cache.put(0, "a long query " * 100, Kept(b"rows", "text/csv", False))  # over 1/16 of it
    >>> cache.get(0, "a long query " * 100, Kept) is None
    True
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        # Each entry with what it costs: its answer and its key, which holds the query's text.
        self._entries: OrderedDict[tuple[int, Hashable], tuple[Answer, int]] = OrderedDict()
        self._size = 0
        self._version = 0
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        """What the kept entries cost, in bytes: never more than ``capacity``."""
        return self._size

    def get(self, version: int, key: Hashable, kind: type[A]) -> A | None:
        """The answer kept for ``key`` at ``version``, if it is a ``kind``."""
        with self._lock:
            entry = self._entries.get((version, key))
            if entry is None or not isinstance(entry[0], kind):
                return None
            self._entries.move_to_end((version, key))
            return entry[0]

    def put(self, version: int, key: Hashable, kept: Answer) -> None:
        cost = len(kept.body) + _weight(key)
        if cost > self.capacity // 16:
            return  # a large entry would push out many small ones, which are the common case
        with self._lock:
            if version < self._version:
                return  # asked before the last write: it may already be stale
            if version > self._version:  # the store changed: every kept answer is stale
                self._entries.clear()
                self._size, self._version = 0, version
            if (version, key) in self._entries:
                return
            self._entries[(version, key)] = (kept, cost)
            self._size += cost
            while self._size > self.capacity:
                _, (_, evicted) = self._entries.popitem(last=False)
                self._size -= evicted


def _weight(key: object) -> int:
    """About what ``key`` holds in memory: the length of its texts, and a little for the rest.
    A key holds a query's text, up to the request limit, so it counts against the capacity
    as the answer does (else 10 MiB queries with tiny answers would fill memory unchecked)."""
    if isinstance(key, str | bytes):
        return len(key) + 64
    if isinstance(key, tuple | list | frozenset):
        return 64 + sum(_weight(part) for part in key)
    return 64
