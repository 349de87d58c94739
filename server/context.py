"""What the app holds for its requests: the settings and the store, reached via ``context()``."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import current_app

from graph.dumps import Shelf
from graph.namespaces import Dataset
from graph.remote import RemoteStore
from graph.sandbox import SandboxedStore
from graph.search import Index
from graph.settings import Settings
from server.answer_cache import AnswerCache

EXTENSION = "eurasia_kg"
T = TypeVar("T")


@dataclass
class Context:
    settings: Settings
    store: SandboxedStore | RemoteStore
    shelf: Shelf
    version: int = 0  # counts the writes made through this server; dumps are made per version
    answers: AnswerCache | None = None  # None: answers are not kept (a remote store)
    _graphs: frozenset[str] | None = field(default=None, repr=False)
    _memo: dict[str, tuple[int, Any]] = field(default_factory=dict, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)  # memo may nest

    def graph_names(self) -> frozenset[str]:
        """The store's named graphs, remembered until the next write through this server."""
        with self._lock:
            if self._graphs is None:
                self._graphs = frozenset(self.store.info()["graphs"])
            return self._graphs

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()``, kept until the next write through this server."""
        with self._lock:
            kept = self._memo.get(key)
            if kept is None or kept[0] != self.version:
                kept = (self.version, compute())
                self._memo[key] = kept
            return kept[1]

    def search_index(self) -> Index:
        return self.memo("search", lambda: Index.of(self.store, Dataset(self.settings.base)))

    def changed(self) -> None:
        with self._lock:
            self._graphs = None
            self.version += 1

    def describe_store(self) -> str:
        return "remote" if self.settings.remote else "embedded"


def context() -> Context:
    return current_app.extensions[EXTENSION]
