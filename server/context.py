"""What the app holds for its requests: the settings and the store, reached via ``context()``."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from flask import current_app

from graph.dumps import Shelf
from graph.namespaces import Dataset
from graph.remote import RemoteStore
from graph.sandbox import SandboxedStore
from graph.search import Index
from graph.settings import Settings

EXTENSION = "eurasia_kg"


@dataclass
class Context:
    settings: Settings
    store: SandboxedStore | RemoteStore
    shelf: Shelf
    version: int = 0  # counts the writes made through this server; dumps are made per version
    _graphs: frozenset[str] | None = field(default=None, repr=False)
    _index: tuple[int, Index] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def graph_names(self) -> frozenset[str]:
        """The store's named graphs, remembered until the next write through this server."""
        with self._lock:
            if self._graphs is None:
                self._graphs = frozenset(self.store.info()["graphs"])
            return self._graphs

    def search_index(self) -> Index:
        """The search index, built again after a write through this server."""
        with self._lock:
            if self._index is None or self._index[0] != self.version:
                self._index = (self.version, Index.of(self.store, Dataset(self.settings.base)))
            return self._index[1]

    def changed(self) -> None:
        with self._lock:
            self._graphs = None
            self.version += 1

    def describe_store(self) -> str:
        return "remote" if self.settings.remote else "embedded"


def context() -> Context:
    return current_app.extensions[EXTENSION]
