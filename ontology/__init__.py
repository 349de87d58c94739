"""The eurasia-kg OWL ontology, its SHACL shapes and the reasoning step of the build.

``eurasia.ttl`` is the single source of truth; ``terms.py`` is generated from it
(``python -m ontology.generate``) and a test fails when the two disagree.
"""

from __future__ import annotations

from pathlib import Path

from pyoxigraph import RdfFormat, Triple, parse

HERE = Path(__file__).resolve().parent
ONTOLOGY_FILE = HERE / "eurasia.ttl"
SHAPES_FILE = HERE / "shapes.ttl"


def ontology_triples(base: str) -> list[Triple]:
    """The ontology's triples, its relative IRIs resolved against the dataset ``base``."""
    with ONTOLOGY_FILE.open("rb") as stream:
        return [quad.triple for quad in parse(stream, format=RdfFormat.TURTLE, base_iri=base)]


def shapes_triples(base: str) -> list[Triple]:
    """The SHACL shapes, resolved against ``base`` like the ontology."""
    with SHAPES_FILE.open("rb") as stream:
        return [quad.triple for quad in parse(stream, format=RdfFormat.TURTLE, base_iri=base)]
