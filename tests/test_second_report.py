"""Adding a report is dropping in a second source file: it reuses the first report's entities
and its facts keep their own provenance."""

from __future__ import annotations

import shutil

import queries
from graph.build import build
from graph.namespaces import Dataset
from graph.store import EmbeddedStore
from queries.results import rows
from tests.conftest import FIXTURES


def test_second_report_is_built_beside_the_first(workspace) -> None:
    shutil.copy(FIXTURES / "sources" / "caspian-ferry.yaml", workspace.sources)
    store = EmbeddedStore(workspace.store)
    summary = build(workspace, store)
    assert [p.name for p in summary.sources] == ["caspian-ferry.yaml", "edm-18-60.yaml"]
    ds = Dataset(workspace.base)

    reports = store.query(
        f"SELECT ?title WHERE {{ ?r a {ds.term('Report')} ; {ds.term('title')} ?title }} ORDER BY ?title"
    )
    assert [s["title"].value for s in reports] == [
        "A New Ferry Across the Caspian",
        "Iran’s New Pivot to Central Asia",
    ]

    agreements = queries.find("agreements")
    _, body = rows(store.query(agreements.sparql(ds)), ds.prefixes())
    assert [
        "Kazakhstan–Iran ferry agreement",
        "arrangement",
        "Iran, Kazakhstan",
        "2021-05",
        "",
        "Kuryk–Amirabad ferry line",
    ] in [[*r[:2], ", ".join(sorted(r[2].split(", "))), *r[3:]] for r in body]

    # Kuryk, defined by the first report, is connected by the second; the fact cites Tengri.
    support = queries.find("fact-support")
    result = store.query(
        support.sparql(ds),
        substitutions=support.bindings({"entity": "kuryk-amirabad-ferry-agreement"}, ds),
    )
    assert [(s["sentence"].value, s["outlet"].value) for s in result] == [("3", "Tengri")]

    mentions = queries.find("mentions")
    result = store.query(mentions.sparql(ds), substitutions=mentions.bindings({"entity": "kazakhstan"}, ds))
    assert {s["report"].value for s in result} == {
        "A New Ferry Across the Caspian",
        "Iran’s New Pivot to Central Asia",
    }


def test_removing_a_source_removes_its_graphs(workspace) -> None:
    extra = workspace.sources / "caspian-ferry.yaml"
    shutil.copy(FIXTURES / "sources" / "caspian-ferry.yaml", extra)
    store = EmbeddedStore(workspace.store)
    build(workspace, store)
    extra.unlink()
    build(workspace, store)
    graphs = {g.value for g in store.named_graphs()}
    assert not any("/graph/test-1-2/" in g for g in graphs)
    assert any("/graph/edm-18-60/" in g for g in graphs)


def test_graphs_the_build_does_not_own_are_kept(workspace) -> None:
    store = EmbeddedStore(workspace.store)
    store.update(
        "INSERT DATA { GRAPH <http://example.org/mine> { <http://example.org/a> "
        "<http://example.org/b> 'kept' } }"
    )
    build(workspace, store)
    assert {g.value for g in store.named_graphs()} >= {"http://example.org/mine"}
