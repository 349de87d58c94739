"""The build: sources -> checked, validated, reasoned quads -> the store, all or nothing.

Steps, each of which can refuse the build before anything is written:

1. compile every ``*.yaml`` in the sources folder against the ontology (``graph.compiler``);
2. validate the asserted data with the SHACL shapes (``ontology.validation``);
3. check consistency and infer with the reasoner (``ontology.reasoning``);
4. replace all of the build's graphs in the store in one transaction.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pyoxigraph import Literal, Quad, Triple

from graph import admission
from graph.compiler import BuildError, Compiler
from graph.namespaces import RDFS_LABEL, Dataset
from graph.settings import Settings
from graph.store import Store
from graph.yaml_reader import SourceError
from ontology import ontology_triples
from ontology.index import OntologyIndex
from ontology.owl2rl import CombinedReasoner, OwlRlReasoner
from ontology.reasoning import HermitReasoner, Reasoner
from ontology.validation import Violation, validate


class ValidationError(Exception):
    """The asserted data violates the SHACL shapes; nothing was written."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations
        lines = "\n".join(f"  - {v}" for v in violations)
        super().__init__(f"{len(violations)} SHACL violation(s); the store is unchanged:\n{lines}")


@dataclass
class BuildSummary:
    sources: list[Path]
    asserted: int
    inferred: int
    graphs: int
    seconds: dict[str, float] = field(default_factory=dict)

    def __str__(self) -> str:
        steps = ", ".join(f"{name} {secs:.2f}s" for name, secs in self.seconds.items())
        return (
            f"built {len(self.sources)} source(s): {self.asserted} asserted and "
            f"{self.inferred} inferred triples in {self.graphs} graphs ({steps})"
        )


def source_files(settings: Settings) -> list[Path]:
    paths = sorted(settings.sources.glob("*.yaml"))
    if not paths:
        raise BuildError(
            [
                SourceError(
                    settings.sources,
                    None,
                    "no *.yaml source files here; set EURASIA_KG_SOURCES to the folder of report sources",
                )
            ]
        )
    return paths


def compile_sources(settings: Settings) -> tuple[list[Triple], list[Quad]]:
    """The ontology's triples and the sources' asserted quads. Raises BuildError."""
    dataset = Dataset(settings.base)
    ontology = ontology_triples(settings.base)
    index = OntologyIndex.from_triples(ontology, dataset.vocabulary)
    quads = Compiler(dataset, index, settings.reports).compile(source_files(settings))
    try:  # e.g. a control character in a report's text: no dump or page could carry it
        admission.check_quads([*ontology, *quads], "compiled statement {}".format)
    except admission.Inadmissible as error:
        raise BuildError([SourceError(settings.sources, None, str(error))]) from None
    return ontology, quads


def check(settings: Settings) -> list[Violation]:
    """Compile and validate without writing: the SHACL violations (empty when valid)."""
    ontology, quads = compile_sources(settings)
    return validate(_triples(quads), ontology, settings.base)


def reasoner_for(settings: Settings) -> Reasoner:
    """The reasoner that ``settings.reasoner`` names."""
    if settings.reasoner == "owl2rl":
        return OwlRlReasoner()
    if settings.reasoner == "hermit+owl2rl":
        return CombinedReasoner()
    return HermitReasoner()


def build(settings: Settings, store: Store, reasoner: Reasoner | None = None) -> BuildSummary:
    """Rebuild the store's graphs from the sources. Raises BuildError, ValidationError or
    InconsistentError, and then leaves the store as it was."""
    reasoner = reasoner or reasoner_for(settings)
    dataset = Dataset(settings.base)
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[name] = now - clock
        clock = now

    ontology, asserted = compile_sources(settings)
    lap("compile")
    data = _triples(asserted)
    violations = validate(data, ontology, settings.base)
    if violations:
        raise ValidationError(violations)
    lap("validate")
    inferred = reasoner.infer(ontology, data)
    lap("reason")
    label = Literal(
        f"triples inferred by {reasoner.name} from the ontology and the asserted graphs",
        language="en",
    )
    quads = [
        *(Quad(t.subject, t.predicate, t.object, dataset.ontology_graph) for t in ontology),
        *asserted,
        *(Quad(t.subject, t.predicate, t.object, dataset.inferred_graph) for t in inferred),
        Quad(dataset.inferred_graph, RDFS_LABEL, label, dataset.inferred_graph),
    ]
    store.replace_graphs(dataset.graph_prefix, quads)
    lap("write")
    return BuildSummary(
        source_files(settings),
        len(set(data)),
        len(inferred),
        len({q.graph_name for q in quads}),
        seconds,
    )


def _triples(quads: Iterable[Quad]) -> list[Triple]:
    return list(dict.fromkeys(q.triple for q in quads))
