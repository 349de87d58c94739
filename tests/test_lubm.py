"""LUBM(1) after the build's OWL 2 RL materialization (``ontology.owl2rl``): the 14 queries give
exactly the complete answers of ``answers.tsv`` (``with_owl2rl``). A correctness test; the
timings are ``python -m benchmarks.lubm``'s."""

from __future__ import annotations

import pytest
from pyoxigraph import Store

from benchmarks.lubm import LUBM, answers, count, load, queries, reason, unpacked

pytestmark = pytest.mark.skipif(
    not (LUBM / "lubm1.nt.gz").is_file(),
    reason=f"the LUBM data is not in {LUBM}; set EURASIA_KG_SHARED to the shared folder",
)


@pytest.fixture(scope="module")
def reasoned() -> Store:
    store = Store()
    with unpacked(1) as (ontology, data):
        load(store, ontology, data)
        reason(store, ontology, data)
    return store


@pytest.mark.parametrize("name", sorted(queries()) if LUBM.is_dir() else [])
def test_complete_answers_after_owl2rl(reasoned: Store, name: str) -> None:
    assert count(reasoned, queries()[name]) == answers()[name].with_owl2rl


def test_answers_cover_the_14_queries() -> None:
    assert sorted(answers()) == sorted(queries()) == [f"q{n:02}" for n in range(1, 15)]
