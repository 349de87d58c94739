"""Search over labels and other spellings, insensitive to case and diacritics.

"mazar" finds Mazār-i-Sharīf, "irna" finds IRNA. Hits are ranked: a whole name first, then
a name that starts with the words typed, then one with a word that does, then any other
match; the preferred label counts a little more than another spelling. The index is built
from one query (``queries/browser/names.rq``); nothing from the user goes into a query.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from graph.describe import select
from graph.namespaces import Dataset
from graph.store import Store


def fold(text: str) -> str:
    """Lower case without diacritics: "Mazār-i-Sharīf" -> "mazar-i-sharif"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@dataclass(frozen=True)
class Name:
    iri: str
    text: str
    preferred: bool
    kind: str
    folded: str


@dataclass(frozen=True)
class Hit:
    iri: str
    label: str  # the preferred label
    matched: str  # the name that matched (maybe another spelling)
    kind: str
    score: int


class Index:
    def __init__(self, names: list[Name]) -> None:
        self.names = names
        self.labels = {n.iri: n.text for n in names if n.preferred}

    @classmethod
    def of(cls, store: Store, dataset: Dataset) -> Index:
        names = []
        for row in select(store, "names", dataset):
            kind = row["typeLabel"].value if row["typeLabel"] is not None else "ontology term"
            text = row["name"].value
            preferred = row["preferred"].value == "true"
            names.append(Name(row["entity"].value, text, preferred, kind, fold(text)))
        return cls(names)

    def search(self, query: str, limit: int = 50) -> list[Hit]:
        """The best hit per entity, best first. An empty query finds nothing."""
        needle = fold(" ".join(query.split()))
        if not needle:
            return []
        best: dict[str, Hit] = {}
        for name in self.names:
            score = _score(name.folded, needle)
            if not score:
                continue
            score += 5 if name.preferred else 0
            hit = Hit(name.iri, self.labels.get(name.iri, name.text), name.text, name.kind, score)
            if name.iri not in best or score > best[name.iri].score:
                best[name.iri] = hit
        return sorted(best.values(), key=lambda h: (-h.score, h.label.casefold()))[:limit]


def _score(folded: str, needle: str) -> int:
    if folded == needle:
        return 100
    if folded.startswith(needle):
        return 80
    if re.search(rf"(?<![a-z0-9]){re.escape(needle)}", folded):
        return 60
    return 40 if needle in folded else 0
