"""The embedded store: graph replacement in one transaction, terms written back exactly."""

from __future__ import annotations

import pytest
from pyoxigraph import Literal, NamedNode, Quad

from graph.settings import Settings
from graph.store import EmbeddedStore, open_store

EX = "http://example.org/"


def quad(s: str, o, g: str) -> Quad:
    return Quad(NamedNode(EX + s), NamedNode(EX + "p"), o, NamedNode(EX + g))


def test_replace_graphs_swaps_exactly_the_prefixed_graphs(tmp_path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    store.replace_graphs(EX + "kg/", [quad("a", Literal("old"), "kg/1"), quad("b", Literal("x"), "other")])
    store.replace_graphs(EX + "kg/", [quad("a", Literal("new"), "kg/2")])
    assert sorted(str(q) for q in store.quads()) == sorted(
        str(q) for q in [quad("a", Literal("new"), "kg/2"), quad("b", Literal("x"), "other")]
    )


@pytest.mark.parametrize(
    "value",
    [
        Literal('quote " and backslash \\ and\nnewline'),
        Literal("Mazār-i-Sharīf", language="en"),
        Literal("579000000", datatype=NamedNode("http://www.w3.org/2001/XMLSchema#decimal")),
        Literal("emoji 🛤 and tab\t"),
    ],
)
def test_terms_survive_the_update_text(value) -> None:
    store = EmbeddedStore()
    store.replace_graphs(EX, [quad("s", value, "g")])
    assert [q.object for q in store.quads()] == [value]


def test_a_failing_update_changes_nothing(tmp_path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    store.replace_graphs(EX, [quad("s", Literal("kept"), "g")])
    with pytest.raises(RuntimeError, match="does not exist"):
        store.update(f"DROP GRAPH <{EX}g> ; DROP GRAPH <{EX}missing>")
    assert len(store) == 1


def test_store_persists_across_reopening(tmp_path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    store.replace_graphs(EX, [quad("s", Literal("kept"), "g")])
    store.close()
    assert len(open_store(Settings().with_(store=str(tmp_path / "store")))) == 1
