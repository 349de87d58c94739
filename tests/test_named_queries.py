"""Each named question gives exactly the expected answer on the report's graph.

The expected answers are in ``tests/expected/<name>.tsv`` (``.nt`` for graphs, ``.txt`` for
yes/no), checked by hand against the report. Cells that aggregate several values (joined with
", " or " – ") are compared as sets, since SPARQL leaves the order of GROUP_CONCAT open.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from pyoxigraph import QueryBoolean, QuerySolutions

import queries
from graph.namespaces import Dataset
from graph.report_text import ReportText
from graph.settings import DEFAULT_BASE
from queries.results import rows
from tests.conftest import SHARED

EXPECTED = Path(__file__).parent / "expected"
DATASET = Dataset(DEFAULT_BASE)
_SEPARATOR = re.compile(r", | – ")


def answer(store, name: str):
    query = queries.find(name)
    return store.query(query.sparql(DATASET), substitutions=query.bindings(queries.examples(query), DATASET))


def normalised(cells: list[str]) -> list[object]:
    return [frozenset(_SEPARATOR.split(c)) if _SEPARATOR.search(c) else c for c in cells]


def test_there_are_at_least_twenty_named_questions() -> None:
    catalogue = queries.catalogue()
    assert len(catalogue) >= 20
    for query in catalogue.values():
        assert query.title and query.description, query.name
        assert all(p.example for p in query.parameters if p.required), query.name


@pytest.mark.parametrize("name", sorted(queries.catalogue()))
def test_named_question_answer(built_store, report, name: str) -> None:
    result = answer(built_store, name)
    if isinstance(result, QueryBoolean):
        assert ("yes" if bool(result) else "no") == (EXPECTED / f"{name}.txt").read_text().strip()
    elif isinstance(result, QuerySolutions):
        names, body = rows(result, DATASET.prefixes())
        with (EXPECTED / f"{name}.tsv").open(encoding="utf-8", newline="") as stream:
            expected = list(csv.reader(stream, delimiter="\t"))
        assert names == expected[0]
        expected = [[expand(c, report) for c in r] for r in expected]
        assert [normalised(r) for r in body] == [normalised(r) for r in expected[1:]]
    else:
        got = {str(t) for t in result}
        want = set((EXPECTED / f"{name}.nt").read_text(encoding="utf-8").splitlines())
        assert got == want


@pytest.fixture(scope="module")
def report() -> ReportText:
    return ReportText.read(SHARED / "seed" / "000_38d12d94c33cd7ec.txt")


def expand(cell: str, report: ReportText) -> str:
    """``{sentence N}`` stands for the text of sentence N, read from the report itself rather
    than copied into this repository."""
    match = re.fullmatch(r"\{sentence (\d+)\}", cell)
    return report.sentences[int(match.group(1)) - 1].text if match else cell


def test_parameters_narrow_the_answer(built_store) -> None:
    query = queries.find("visits")
    everything = list(built_store.query(query.sparql(DATASET)))
    tajik = list(
        built_store.query(
            query.sparql(DATASET), substitutions=query.bindings({"state": "tajikistan"}, DATASET)
        )
    )
    assert len(everything) == 9
    assert {s["visit"].value.rsplit("/", 1)[-1] for s in tajik} == {
        "fazli-visit-to-dushanbe",
        "zarif-visit-to-dushanbe",
        "mirzo-visit-to-tehran",
        "rumoured-iran-tajikistan-visits",
    }


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "needs --state"),
        ({"state": "not an id"}, "is not an entity id"),
        ({"state": "iran", "colour": "red"}, "has no parameter --colour"),
    ],
)
def test_bad_parameters_are_refused(values, message) -> None:
    with pytest.raises(queries.QueryError, match=message):
        queries.find("corridors-bypassing").bindings(values, DATASET)


def test_a_month_parameter_must_be_a_month() -> None:
    with pytest.raises(queries.QueryError, match="give a month, e.g. 2021-04"):
        queries.find("events-in-month").bindings({"month": "2021"}, DATASET)


@pytest.mark.parametrize(
    ("name", "values"),
    [(name, queries.examples(q)) for name, q in sorted(queries.catalogue().items()) if q.parameters]
    + [("visits", {"state": "tajikistan"}), ("inferred-event-places", {"place": "tajikistan"})],
)
def test_values_inline_give_the_same_answer(built_store, name: str, values: dict[str, str]) -> None:
    """The server puts the parameter values in a VALUES block where the planner sees them; the
    answer is the one the same values give as substitutions."""
    query = queries.find(name)
    bindings = query.bindings(values, DATASET)
    inline = built_store.query(query.bound_sparql(DATASET, bindings))
    substituted = built_store.query(query.sparql(DATASET), substitutions=bindings)
    if isinstance(inline, QueryBoolean):
        assert bool(inline) == bool(substituted)
    elif isinstance(inline, QuerySolutions):
        assert [str(s) for s in inline] == [str(s) for s in substituted]
    else:
        assert {str(t) for t in inline} == {str(t) for t in substituted}


def test_an_inline_value_stays_one_term() -> None:
    """A value that looks like SPARQL is written as one escaped literal, not as query text."""
    text = "# param ?name text: a name\nSELECT ?name WHERE { ?s ?p ?name }"
    query = queries.NamedQuery.parse("probe", text)
    attack = 'x" } } DELETE WHERE { ?s ?p ?o } #\n'
    text = query.bound_sparql(DATASET, query.bindings({"name": attack}, DATASET))
    assert 'VALUES (?name) { ("x\\" } } DELETE WHERE { ?s ?p ?o } #\\n") }' in text
    assert text.count("\n") == query.sparql(DATASET).count("\n")  # the value's newline stays escaped
