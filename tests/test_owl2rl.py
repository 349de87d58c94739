"""The build's OWL 2 RL step (``ontology.owl2rl``) on the report's own graph: it materializes
the superclass and subproperty facts that HermiT through owlready2 leaves out (README,
"Noticed"), into the inferred graph only, and keeps HermiT's own conclusions when both run."""

from __future__ import annotations

import pytest
from pyoxigraph import NamedNode, Triple

from graph.build import build, reasoner_for
from graph.namespaces import OWL, RDF, Dataset
from graph.settings import Settings
from graph.store import EmbeddedStore
from ontology.owl2rl import CombinedReasoner, OwlRlReasoner
from ontology.reasoning import HermitReasoner

ID = "https://w3id.org/eurasia-kg/id/"
KGO = "https://w3id.org/eurasia-kg/ontology#"
# javad-zarif is asserted a kgo:Person; kgo:Person is a subclass of schema:Person.
SUPERCLASS = Triple(
    NamedNode(ID + "javad-zarif"), NamedNode(RDF + "type"), NamedNode("http://schema.org/Person")
)
# The visit's kgo:visitor is asserted; kgo:visitor is a subproperty of kgo:participant.
SUBPROPERTY = Triple(
    NamedNode(ID + "zarif-visit-to-kazakhstan"), NamedNode(KGO + "participant"), NamedNode(ID + "javad-zarif")
)


class RecordingHermit(HermitReasoner):
    """HermiT, keeping what it inferred."""

    inferred: list[Triple] = []

    def infer(self, ontology: list[Triple], data: list[Triple]) -> list[Triple]:
        self.inferred = super().infer(ontology, data)
        return self.inferred


@pytest.fixture(scope="module")
def built(seed_settings: Settings) -> tuple[set[Triple], set[Triple], set[Triple]]:
    """The report's graph built with HermiT then OWL 2 RL: what HermiT inferred, the inferred
    graph, and the other graphs' triples."""
    hermit = RecordingHermit()
    store = EmbeddedStore()
    build(seed_settings, store, CombinedReasoner(hermit))
    graph = Dataset(seed_settings.base).inferred_graph
    inferred = {q.triple for q in store.quads(graph) if q.subject != graph}
    others = {q.triple for q in store.quads() if q.graph_name != graph}
    return set(hermit.inferred), inferred, others


def test_owl2rl_materializes_what_hermit_does_not(built) -> None:
    hermit, inferred, _ = built
    assert {SUPERCLASS, SUBPROPERTY} <= inferred
    assert not {SUPERCLASS, SUBPROPERTY} & hermit
    assert hermit <= inferred, "HermiT's conclusions are kept beside OWL 2 RL's"


def test_only_new_and_informative_triples_are_inferred(built) -> None:
    _, inferred, others = built
    assert not inferred & others
    assert not [t for t in inferred if t.object == NamedNode(OWL + "Thing")]
    assert not [t for t in inferred if t.subject == t.object]


@pytest.mark.parametrize(
    ("name", "kind"),
    [("hermit", HermitReasoner), ("owl2rl", OwlRlReasoner), ("hermit+owl2rl", CombinedReasoner)],
)
def test_the_setting_chooses_the_reasoner(name: str, kind: type) -> None:
    settings = Settings.from_env({"EURASIA_KG_REASONER": name})
    assert isinstance(reasoner_for(settings), kind)


def test_unknown_reasoner_is_refused() -> None:
    with pytest.raises(ValueError, match="EURASIA_KG_REASONER"):
        Settings.from_env({"EURASIA_KG_REASONER": "pellet"})
