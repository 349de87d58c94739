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

    >>> cache = AnswerCache(capacity=1024)
    >>> cache.put(0, "q", Kept(b"rows", "text/csv", False))
    >>> cache.get(0, "q", Kept).body, cache.get(1, "q", Kept)
    (b'rows', None)
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[tuple[int, Hashable], Answer] = OrderedDict()
        self._size = 0
        self._version = 0
        self._lock = threading.Lock()

    def get(self, version: int, key: Hashable, kind: type[A]) -> A | None:
        """The answer kept for ``key`` at ``version``, if it is a ``kind``."""
        with self._lock:
            kept = self._entries.get((version, key))
            if not isinstance(kept, kind):
                return None
            self._entries.move_to_end((version, key))
            return kept

    def put(self, version: int, key: Hashable, kept: Answer) -> None:
        if len(kept.body) > self.capacity // 16:
            return  # a large answer would push out many small ones, which are the common case
        with self._lock:
            if version < self._version:
                return  # asked before the last write: it may already be stale
            if version > self._version:  # the store changed: every kept answer is stale
                self._entries.clear()
                self._size, self._version = 0, version
            if (version, key) in self._entries:
                return
            self._entries[(version, key)] = kept
            self._size += len(kept.body)
            while self._size > self.capacity:
                _, evicted = self._entries.popitem(last=False)
                self._size -= len(evicted.body)
