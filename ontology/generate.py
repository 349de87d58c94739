"""Write ``ontology/terms.py``: the ontology's local names as Python constants.

Run ``python -m ontology.generate`` after editing ``eurasia.ttl``; ``tests/test_ontology.py``
fails while the generated module is out of date.
"""

from __future__ import annotations

from pathlib import Path

from graph.settings import DEFAULT_BASE
from ontology import HERE, ontology_triples
from ontology.index import OntologyIndex

TERMS_FILE = HERE / "terms.py"


def render() -> str:
    vocabulary = DEFAULT_BASE + "ontology#"
    index = OntologyIndex.from_triples(ontology_triples(DEFAULT_BASE), vocabulary)
    groups = {
        "CLASSES": index.classes,
        "OBJECT_PROPERTIES": index.object_properties,
        "DATATYPE_PROPERTIES": index.datatype_properties,
        "ANNOTATION_PROPERTIES": index.annotation_properties,
        "INDIVIDUALS": set(index.individuals),
    }
    lines = [
        '"""Local names of the ontology\'s terms. Generated from eurasia.ttl by',
        "``python -m ontology.generate``: do not edit by hand.",
        "",
        "Use them with ``rdflib.namespace.ClosedNamespace(base + 'ontology#', ALL)``, which",
        'raises on a name the ontology does not define."""',
        "",
    ]
    for name, members in groups.items():
        lines.append(f"{name} = (")
        lines.extend(f'    "{member}",' for member in sorted(members))
        lines.append(")")
    lines.append("ALL = (\n    " + "\n    + ".join(groups) + "\n)")
    return "\n".join(lines) + "\n"


def main(target: Path = TERMS_FILE) -> None:
    target.write_text(render(), encoding="utf-8")


if __name__ == "__main__":
    main()
