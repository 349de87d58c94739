"""Named questions: SPARQL as data, one ``.rq`` file per question.

Each file starts with a header comment::

    # title: Who visited whom, and when
    # description: What it answers (continued on lines indented by two spaces).
    # param ?state entity: what the parameter restricts (add "required" after the kind)

Parameter values are checked and typed here, then passed to the store as bindings
(substitutions), never spliced into the query text. Prefixes ``kgo:``, ``id:`` and ``kgg:``
follow the configured dataset namespace and are declared when the query is run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pyoxigraph import Literal, NamedNode

from graph import sparql_text
from graph.compiler import SLUG
from graph.literals import LiteralError, temporal
from graph.namespaces import XSD, Dataset
from graph.store import Term

QUERIES_DIR = Path(__file__).resolve().parent
KINDS = {"entity", "iri", "month", "year", "text"}
_PARAM = re.compile(r"\?(?P<name>\w+)\s+(?P<kind>\w+)(?P<required>\s+required)?\s*:\s*(?P<doc>.*)")
# The opening brace of a query's (outer) WHERE clause, on a line that is not a comment.


class QueryError(ValueError):
    """A named query that does not exist, a malformed header or a bad parameter value."""


@dataclass(frozen=True)
class Parameter:
    name: str
    kind: str
    required: bool
    description: str

    @property
    def example(self) -> str | None:
        """The value after "e.g." in the description, used to demonstrate the query."""
        match = re.search(r"e\.g\. (\S+)$", self.description)
        return match.group(1) if match else None

    def term(self, value: str, dataset: Dataset) -> Term:
        """The RDF term for ``value``. Raises QueryError saying what is expected."""
        if self.kind == "entity":
            if value.startswith(dataset.base + "id/"):
                try:
                    return NamedNode(value)
                except ValueError as error:
                    raise QueryError(f"--{self.name}: {value!r} is not an IRI: {error}") from None
            if not SLUG.fullmatch(value):
                raise QueryError(
                    f"--{self.name}: {value!r} is not an entity id (e.g. iran, zarif-central-asia-tour)"
                )
            return dataset.entity(value)
        if self.kind == "iri":
            try:
                return NamedNode(value)
            except ValueError as error:
                raise QueryError(f"--{self.name}: {value!r} is not an IRI: {error}") from None
        if self.kind in {"month", "year"}:
            try:
                literal = temporal(value)
            except LiteralError as error:
                raise QueryError(f"--{self.name}: {error}") from None
            expected = XSD + ("gYearMonth" if self.kind == "month" else "gYear")
            if literal.datatype.value != expected:
                example = "2021-04" if self.kind == "month" else "2021"
                raise QueryError(f"--{self.name}: give a {self.kind}, e.g. {example}")
            return literal
        return Literal(value)


@dataclass(frozen=True)
class NamedQuery:
    name: str
    title: str
    description: str
    text: str
    parameters: tuple[Parameter, ...] = field(default=())

    @classmethod
    def parse(cls, name: str, text: str) -> NamedQuery:
        """Read the header comment of ``text``. Raises QueryError for an unknown parameter kind."""
        fields: dict[str, str] = {}
        params: list[str] = []
        current: str | None = None
        for line in text.splitlines():
            if not line.startswith("#"):
                break
            body = line[1:].strip()
            continuation = line.startswith("#   ")
            if continuation and current is not None:
                if current == "param":
                    params[-1] += " " + body
                else:
                    fields[current] += " " + body
                continue
            key, _, value = body.partition(":")
            key = key.strip()
            if key.startswith("param "):
                current = "param"
                params.append(body[len("param ") :])
            elif key in {"title", "description"}:
                current = key
                fields[key] = value.strip()
        parameters = []
        for spec in params:
            match = _PARAM.fullmatch(spec.strip())
            if not match or match["kind"] not in KINDS:
                raise QueryError(
                    f"{name}: cannot read parameter {spec!r}; write "
                    f"'# param ?name kind [required]: description' with kind one "
                    f"of {', '.join(sorted(KINDS))}"
                )
            parameters.append(
                Parameter(match["name"], match["kind"], bool(match["required"]), match["doc"].strip())
            )
        return cls(name, fields.get("title", name), fields.get("description", ""), text, tuple(parameters))

    def sparql(self, dataset: Dataset) -> str:
        """The query with PREFIX declarations for the dataset prepended."""
        header = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in dataset.prefixes().items())
        return header + self.text

    def bound_sparql(self, dataset: Dataset, bindings: Mapping[str, Term]) -> str:
        """The query with the parameter values in a VALUES block at the start of its WHERE clause.

        pyoxigraph plans a query before it applies ``substitutions=``, so a value given that way
        cannot steer the join order: fact-support takes seconds at 1M triples with a
        substitution and milliseconds with the value inline. ``bindings`` are the typed terms
        from :meth:`bindings`; each is written by pyoxigraph's own N-Triples serialization,
        which is valid SPARQL, never from the text a user sent (as rdflib's SPARQLStore does
        with ``initBindings``). Without bindings it is :meth:`sparql`.
        """
        try:
            return sparql_text.bind(self.sparql(dataset), bindings)
        except ValueError as error:
            raise QueryError(f"{self.name}: {error}") from None

    def as_json(self, dataset: Dataset) -> dict[str, object]:
        """The query as the query page and /queries/ show it."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "sparql": self.sparql(dataset),
            "parameters": [
                {
                    "name": p.name,
                    "kind": p.kind,
                    "required": p.required,
                    "description": p.description,
                    "example": p.example,
                }
                for p in self.parameters
            ],
        }

    def bindings(self, values: Mapping[str, str], dataset: Dataset) -> dict[str, Term]:
        """Typed bindings for the given parameter values. Raises QueryError for an unknown or
        missing parameter, or a value of the wrong kind."""
        known = {p.name: p for p in self.parameters}
        for name in values:
            if name not in known:
                accepted = ", ".join(f"--{p}" for p in known) or "no parameters"
                raise QueryError(f"{self.name} has no parameter --{name}; it takes {accepted}")
        for param in self.parameters:
            if param.required and param.name not in values:
                raise QueryError(f"{self.name} needs --{param.name}: {param.description}")
        return {name: known[name].term(value, dataset) for name, value in values.items()}


def examples(query: NamedQuery) -> dict[str, str]:
    """Example values for the query's required parameters, from their descriptions."""
    return {p.name: p.example for p in query.parameters if p.required and p.example}


def catalogue() -> dict[str, NamedQuery]:
    """Every named query in this folder, by name (the file name without ``.rq``)."""
    return {path.stem: load_file(path) for path in sorted(QUERIES_DIR.glob("*.rq"))}


def load_file(path: Path) -> NamedQuery:
    return NamedQuery.parse(path.stem, path.read_text(encoding="utf-8"))


def find(name: str) -> NamedQuery:
    """The named query ``name``. Raises QueryError listing the names when there is none."""
    queries = catalogue()
    if name not in queries:
        raise QueryError(f"no named query {name!r}; the named queries are: {', '.join(queries)}")
    return queries[name]
