"""The scale generator (benchmarks/generate.py) writes data the project itself would accept:
admissible, valid against the SHACL shapes together with the report, the same for the same
seed, and data on which the named questions find synthetic answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import Quad, QuerySolutions, RdfFormat, Store, Variable, parse

import queries
from benchmarks.generate import generate
from graph import admission
from graph.build import compile_sources
from graph.namespaces import Dataset
from graph.settings import DEFAULT_BASE
from ontology.validation import validate

DATASET = Dataset(DEFAULT_BASE)
SIZE = 4_000


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[Quad]:
    (path,) = generate(tmp_path_factory.mktemp("scale") / "small.nq", SIZE, seed=3)
    return list(parse(path=str(path), format=RdfFormat.N_QUADS))


def test_same_seed_same_bytes_and_shards_add_up(tmp_path: Path) -> None:
    (one,) = generate(tmp_path / "one.nq", SIZE, seed=3)
    (again,) = generate(tmp_path / "again.nq", SIZE, seed=3)
    (other,) = generate(tmp_path / "other.nq", SIZE, seed=4)
    shards = generate(tmp_path / "shard.nq", SIZE, seed=3, shard=1_000)
    assert one.read_bytes() == again.read_bytes() != other.read_bytes()
    assert len(shards) > 1
    assert b"".join(p.read_bytes() for p in shards) == one.read_bytes()


def test_size_is_reached_and_admissible(generated: list[Quad]) -> None:
    assert SIZE <= len(generated) < SIZE * 1.2
    assert admission.check_quads(generated) == len(generated)


@pytest.fixture(scope="module")
def report(seed_settings) -> tuple[list, list[Quad]]:
    return compile_sources(seed_settings)


def test_valid_with_the_report(report, generated: list[Quad]) -> None:
    ontology, report = report
    triples = {q.triple for q in [*report, *generated]}
    assert validate(triples, ontology, DEFAULT_BASE) == []


def rows(name: str, quads: list[Quad], ontology: list) -> int:
    store = Store()
    store.extend(quads)
    store.extend(Quad(t.subject, t.predicate, t.object, DATASET.ontology_graph) for t in ontology)
    query = queries.find(name)
    bindings = query.bindings(queries.examples(query), DATASET)
    result = store.query(
        query.sparql(DATASET),
        substitutions={Variable(k): v for k, v in bindings.items()},
        use_default_graph_as_union=True,
    )
    assert isinstance(result, QuerySolutions)
    return len(list(result))


@pytest.mark.parametrize(
    "name", ["state-events", "office-holders", "trade-trends", "agreements", "facts-by-outlet"]
)
def test_named_questions_find_synthetic_answers(report, generated: list[Quad], name: str) -> None:
    ontology, facts = report
    assert rows(name, [*facts, *generated], ontology) > rows(name, facts, ontology)
