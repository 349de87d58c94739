"""The dumps a server offers: every RDF format for every graph selection, and the entity
graph as GraphML and CSV, written on first request and again after the store changes."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from graph import export
from graph.entity_graph import EntityGraph
from graph.export import Dump
from graph.namespaces import Dataset
from graph.store import Store

ENTITY_FILES = {
    "eurasia-kg-entities.graphml": "application/graphml+xml",
    "nodes.csv": "text/csv",
    "edges.csv": "text/csv",
}


@dataclass(frozen=True)
class Offer:
    name: str
    media_type: str
    format: str  # a graph.export format, or graphml / csv
    selection: str  # a graph.export selection, or "entities"


def offers() -> list[Offer]:
    rdf = [
        Offer(export.file_name(fmt, sel), rdf_format.media_type, fmt, sel)
        for sel in export.SELECTIONS
        for fmt, rdf_format in export.FORMATS.items()
    ]
    entities = [
        Offer(name, media, "graphml" if name.endswith(".graphml") else "csv", "entities")
        for name, media in ENTITY_FILES.items()
    ]
    return rdf + entities


class Shelf:
    """Dump files in ``directory``, kept in step with ``version()`` of the store."""

    def __init__(self, directory: Path, store: Store, dataset: Dataset) -> None:
        self.directory = directory
        self.store = store
        self.dataset = dataset
        self.offers = {offer.name: offer for offer in offers()}
        self._made: dict[str, tuple[int, Dump | None]] = {}
        self._lock = threading.Lock()

    def get(self, name: str, version: int) -> tuple[Path, Dump | None]:
        """The file for ``name``, written anew if the store changed since (``version``).
        Raises KeyError for a name that is not on offer."""
        offer = self.offers[name]
        with self._lock:
            made = self._made.get(name)
            path = self.directory / name
            if made is None or made[0] != version or not path.exists():
                made = (version, self._make(offer, path))
                self._made[name] = made
                if offer.selection == "entities":  # one query writes all three files
                    for other in ENTITY_FILES:
                        self._made[other] = (version, None)
            return path, made[1]

    def rdf_dumps(self, version: int) -> list[Dump]:
        dumps = []
        for name, offer in self.offers.items():
            if offer.selection != "entities":
                _, dump = self.get(name, version)
                if dump is not None:
                    dumps.append(dump)
        return dumps

    def _make(self, offer: Offer, path: Path) -> Dump | None:
        if offer.selection != "entities":
            return self.store.export_dump(offer.format, offer.selection, self.dataset.base, path)
        graph = EntityGraph.of(self.store, self.dataset)
        graph.write_graphml(self.directory / "eurasia-kg-entities.graphml", self.dataset)
        graph.write_csv(self.directory, self.dataset)
        return None
