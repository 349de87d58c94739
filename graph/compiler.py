"""Turn report source files into quads: facts in one named graph per claim, with provenance.

Graphs written for a report ``R`` (all under ``<base>graph/``):

- ``R/entities``: who and what the report names (types, labels, Wikidata links);
- ``R/s<N>`` (``R/s<N>-2`` ...): the facts one claim of sentence N states;
- ``R/provenance``: the report, its sentences, its citations, each claim graph's sentence,
  citations and modality, and which sentences mention which entity;
- ``R/background``: facts from outside the report, with the source they come from.

Nothing is written until every file compiles: errors from all files are collected and
raised together as a BuildError.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyoxigraph import Literal, NamedNode, Quad

from graph import values
from graph.literals import LiteralError, typed
from graph.namespaces import (
    OWL_SAME_AS,
    PROV_WAS_DERIVED_FROM,
    RDF_TYPE,
    RDFS_LABEL,
    SKOS_ALT_LABEL,
    SKOS_NOTE,
    WD,
    Dataset,
)
from graph.report_text import ReportText
from graph.yaml_reader import Mapping, SourceError, read_yaml
from ontology.index import OntologyIndex

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
QID = re.compile(r"Q[1-9]\d*")
SECTIONS = {"report", "citations", "entities", "claims", "background"}
CLAIM_KEYS = {"sentence", "cites", "modality", "note", "facts"}
MODALITIES = {
    "reported": "Reported",
    "forecast": "Forecast",
    "belief": "Belief",
    "rumour": "Rumour",
    "assessment": "Assessment",
}
# Keys an entity may carry besides the ontology's properties.
RESERVED = {"a", "label", "alt", "note", "wikidata"}


class BuildError(Exception):
    """One or more source errors; nothing was written."""

    def __init__(self, errors: list[SourceError]) -> None:
        self.errors = errors
        lines = "\n".join(f"  {error}" for error in errors)
        super().__init__(f"{len(errors)} error(s) in the sources; the store is unchanged:\n{lines}")


@dataclass
class _Definition:
    path: Path
    line: int
    labels: list[str] = field(default_factory=list)


@dataclass
class _Source:
    path: Path
    data: Mapping
    report_id: str
    text: ReportText | None


class Compiler:
    """Compiles source files against the ontology into quads in the dataset's namespace."""

    def __init__(self, dataset: Dataset, index: OntologyIndex, reports_dir: Path) -> None:
        self.ds = dataset
        self.index = index
        self.reports_dir = reports_dir
        self.errors: list[SourceError] = []
        self.defined: dict[str, _Definition] = {}
        self.typed_ids: set[str] = set()

    def compile(self, paths: Iterable[Path]) -> list[Quad]:
        """All quads of all ``paths``. Raises BuildError listing every problem found."""
        sources = [source for path in sorted(paths) if (source := self._read(path))]
        for source in sources:
            self._collect_definitions(source)
        quads: list[Quad] = []
        for source in sources:
            quads.extend(_SourceEmitter(self, source).quads())
        if self.errors:
            raise BuildError(self.errors)
        return quads

    # -- pass 1: read each file and note every id it defines -----------------------------

    def _read(self, path: Path) -> _Source | None:
        try:
            data = read_yaml(path)
        except SourceError as error:
            self.errors.append(error)
            return None
        for key in data:
            if key not in SECTIONS:
                self.error(
                    path,
                    data.key_lines[key],
                    f"unknown section '{key}'; a source has only {', '.join(sorted(SECTIONS))}",
                )
        report = data.get("report")
        if not isinstance(report, Mapping) or not isinstance(report.get("id"), str):
            self.error(path, data.line, "the 'report' section needs an 'id' (e.g. edm-18-60)")
            return None
        report_id = report["id"]
        if not SLUG.fullmatch(report_id):
            self.error(path, report.key_lines["id"], _slug_hint(report_id))
            return None
        return _Source(path, data, report_id, self._read_text(path, report))

    def _read_text(self, path: Path, report: Mapping) -> ReportText | None:
        name = report.get("text")
        if not isinstance(name, str):
            self.error(
                path,
                report.line,
                "the report needs 'text': the file name of its text "
                f"in the reports folder ({self.reports_dir})",
            )
            return None
        text_path = self.reports_dir / name
        try:
            return ReportText.read(text_path)
        except FileNotFoundError:
            self.error(
                path,
                report.key_lines["text"],
                f"the report text {text_path} does not "
                "exist; set EURASIA_KG_REPORTS to the folder that holds it",
            )
        except UnicodeDecodeError:
            self.error(path, report.key_lines["text"], f"the report text {text_path} is not UTF-8")
        return None

    def _collect_definitions(self, source: _Source) -> None:
        entities = source.data.get("entities") or Mapping()
        for slug, body in _items(entities):
            line = entities.key_lines[slug]
            if not SLUG.fullmatch(slug):
                self.error(source.path, line, _slug_hint(slug))
                continue
            if slug in self.defined:
                first = self.defined[slug]
                self.error(
                    source.path,
                    line,
                    f"duplicate id '{slug}', first defined at "
                    f"{first.path}:{first.line}; use that entity or choose another id",
                )
                continue
            self.defined[slug] = _Definition(source.path, line, _labels(body))
            self.typed_ids.add(slug)
        for claim in _as_list(source.data.get("claims")):
            facts = claim.get("facts") if isinstance(claim, Mapping) else None
            if not isinstance(facts, Mapping):
                continue  # reported when the claim is emitted
            for slug, body in _items(facts):
                if isinstance(body, Mapping) and "a" in body:
                    if not SLUG.fullmatch(slug):
                        self.error(source.path, facts.key_lines[slug], _slug_hint(slug))
                        continue
                    definition = self.defined.setdefault(slug, _Definition(source.path, body.line))
                    definition.labels.extend(_labels(body))
                    self.typed_ids.add(slug)

    # -- shared by the emitters ----------------------------------------------------------

    def error(self, path: Path, line: int | None, message: str) -> None:
        self.errors.append(SourceError(path, line, message))


class _SourceEmitter:
    """Emits the quads of one source file; records errors on the compiler."""

    def __init__(self, compiler: Compiler, source: _Source) -> None:
        self.c = compiler
        self.ds = compiler.ds
        self.index = compiler.index
        self.source = source
        self.report = self.ds.entity(source.report_id)
        self.provenance = self.ds.graph(f"{source.report_id}/provenance")
        self.citations: dict[str, NamedNode] = {}

    def kgo(self, name: str) -> NamedNode:
        return self.ds.term(name)

    def error(self, line: int | None, message: str) -> None:
        self.c.error(self.source.path, line, message)

    def quads(self) -> Iterator[Quad]:
        data = self.source.data
        yield from self._report(data["report"])
        yield from self._citations(data.get("citations") or Mapping())
        entities_graph = self.ds.graph(f"{self.source.report_id}/entities")
        yield from self._graph_description(entities_graph, "entities named in")
        for slug, body in _items(data.get("entities")):
            if SLUG.fullmatch(slug):  # an invalid id was reported when definitions were collected
                yield from self._entity(slug, body, entities_graph)
        yield from self._claims(_as_list(data.get("claims")))
        yield from self._background(_as_list(data.get("background")))
        yield from self._mentions()

    # -- report, sentences, citations ----------------------------------------------------

    def _report(self, report: Mapping) -> Iterator[Quad]:
        g = self.provenance
        yield Quad(self.report, RDF_TYPE, self.kgo("Report"), g)
        body = Mapping({k: v for k, v in report.items() if k not in {"id", "text"}})
        body.line, body.key_lines = report.line, report.key_lines
        yield from self._properties(self.report, body, g)
        if isinstance(report.get("title"), str) and "label" not in report:
            yield Quad(self.report, RDFS_LABEL, Literal(report["title"], language="en"), g)
        text = self.source.text
        for sentence in text.sentences if text else []:
            node = self._sentence(sentence.position)
            yield Quad(node, RDF_TYPE, self.kgo("Sentence"), g)
            label = f"sentence {sentence.position} of {self.source.report_id}"
            yield Quad(node, RDFS_LABEL, Literal(label, language="en"), g)
            yield Quad(node, self.kgo("inReport"), self.report, g)
            yield Quad(node, self.kgo("text"), Literal(sentence.text, language="en"), g)
            for name, value in (
                ("position", sentence.position),
                ("startOffset", sentence.start),
                ("endOffset", sentence.end),
            ):
                datatype = "positiveInteger" if name == "position" else "nonNegativeInteger"
                yield Quad(node, self.kgo(name), _xsd(str(value), datatype), g)

    def _sentence(self, position: int) -> NamedNode:
        return self.ds.entity(f"{self.source.report_id}/s{position}")

    def _citations(self, citations: Mapping) -> Iterator[Quad]:
        for slug, _ in _items(citations):
            if SLUG.fullmatch(slug):
                self.citations[slug] = self.ds.entity(f"{self.source.report_id}/{slug}")
            else:
                self.error(citations.key_lines[slug], _slug_hint(slug))
        for slug, body in _items(citations):
            if slug not in self.citations:
                continue
            if not isinstance(body, Mapping):
                self.error(
                    getattr(body, "line", citations.key_lines[slug]),
                    f"citation '{slug}' needs a mapping, e.g. {{outlet: irna, citedDate: 2021-04-05}}",
                )
                continue
            node = self.citations[slug]
            yield Quad(node, RDF_TYPE, self.kgo("Citation"), self.provenance)
            yield Quad(node, self.kgo("inReport"), self.report, self.provenance)
            if isinstance(body.get("printedAs"), str):
                yield Quad(
                    node, RDFS_LABEL, Literal(f"({body['printedAs']})", language="en"), self.provenance
                )
            yield from self._properties(node, body, self.provenance)

    def _graph_description(self, graph: NamedNode, what: str) -> Iterator[Quad]:
        g = self.provenance
        yield Quad(graph, RDF_TYPE, NamedNode("http://www.w3.org/ns/prov#Entity"), g)
        yield Quad(graph, RDFS_LABEL, Literal(f"{what} {self.source.report_id}", language="en"), g)
        yield Quad(graph, self.kgo("inReport"), self.report, g)
        yield Quad(graph, PROV_WAS_DERIVED_FROM, self.report, g)

    # -- entities and their properties ---------------------------------------------------

    def _entity(self, slug: str, body: Any, graph: NamedNode) -> Iterator[Quad]:
        if not isinstance(body, Mapping):
            self.error(
                getattr(body, "line", None),
                f"'{slug}' needs a mapping of properties, e.g. {{a: State, label: Iran}}",
            )
            return
        yield from self._properties(self.ds.entity(slug), body, graph)

    def _properties(self, subject: NamedNode, body: Mapping, graph: NamedNode) -> Iterator[Quad]:
        for key, value in body.items():
            line = body.key_lines[key]
            for item in _as_list(value):
                if not isinstance(item, str):
                    self.error(line, f"'{key}' takes text or a list of texts, not a mapping")
                    continue
                obj = self._object(key, item, line)
                if obj is not None:
                    yield Quad(subject, obj[0], obj[1], graph)

    def _object(self, key: str, value: str, line: int) -> tuple[NamedNode, Any] | None:
        if key == "a":
            if value not in self.index.classes:
                self.error(line, f"unknown class '{value}'{_suggest(value, self.index.classes)}")
                return None
            return RDF_TYPE, self.kgo(value)
        if key == "label":
            return RDFS_LABEL, Literal(value, language="en")
        if key == "alt":
            return SKOS_ALT_LABEL, Literal(value, language="en")
        if key == "note":
            return SKOS_NOTE, Literal(value, language="en")
        if key == "wikidata":
            if not QID.fullmatch(value):
                self.error(line, f"'{value}' is not a Wikidata identifier; write it as Q794")
                return None
            return OWL_SAME_AS, NamedNode(WD + value)
        if key in self.index.object_properties:
            target = self._reference(value, line)
            return (self.kgo(key), target) if target is not None else None
        if key in self.index.datatype_properties:
            try:
                literal = typed(value, self.index.ranges.get(key), self.ds.vocabulary + "TemporalValue")
            except LiteralError as error:
                self.error(line, f"'{key}': {error}")
                return None
            if problem := values.problem(self.kgo(key), literal):  # e.g. a latitude of 95
                self.error(line, f"'{key}': {problem}")
                return None
            return self.kgo(key), literal
        known = self.index.properties | RESERVED
        self.error(line, f"unknown property '{key}'{_suggest(key, known)}")
        return None

    def _reference(self, value: str, line: int) -> NamedNode | None:
        if value.startswith("<") and value.endswith(">"):
            try:
                return NamedNode(value[1:-1])
            except ValueError as error:
                self.error(line, f"invalid IRI {value}: {error}")
                return None
        if value in self.index.individuals:
            return self.kgo(value)
        if value in self.citations:
            return self.citations[value]
        if value in self.c.typed_ids:
            return self.ds.entity(value)
        if not SLUG.fullmatch(value):
            self.error(line, _slug_hint(value))
            return None
        candidates = self.c.typed_ids | set(self.index.individuals) | set(self.citations)
        self.error(
            line,
            f"'{value}' is not defined: add it under 'entities' with a class "
            f"(a: ...){_suggest(value, candidates)}",
        )
        return None

    # -- claims and background -----------------------------------------------------------

    def _claims(self, claims: list[Any]) -> Iterator[Quad]:
        used: dict[int, int] = {}
        for claim in claims:
            if not isinstance(claim, Mapping):
                self.error(getattr(claim, "line", None), "a claim is a mapping with sentence and facts")
                continue
            for key in claim:
                if key not in CLAIM_KEYS:
                    self.error(
                        claim.key_lines[key],
                        f"unknown claim key '{key}'; a claim has {', '.join(sorted(CLAIM_KEYS))}",
                    )
            position = self._locate(claim)
            if position is None:
                continue
            used[position] = used.get(position, 0) + 1
            suffix = f"-{used[position]}" if used[position] > 1 else ""
            graph = self.ds.graph(f"{self.source.report_id}/s{position}{suffix}")
            yield from self._claim_provenance(claim, graph, position, used[position])
            facts = claim.get("facts")
            if not isinstance(facts, Mapping) or not facts:
                self.error(claim.line, "a claim needs 'facts': a mapping of entity ids to properties")
                continue
            yield from self._facts(facts, graph)

    def _facts(self, facts: Any, graph: NamedNode) -> Iterator[Quad]:
        for slug, body in _items(facts):
            if slug in self.c.typed_ids:
                yield from self._entity(slug, body, graph)
            elif SLUG.fullmatch(slug):
                self.error(
                    facts.key_lines[slug],
                    f"'{slug}' is not defined: give it a class "
                    f"(a: ...) here or under 'entities'{_suggest(slug, self.c.typed_ids)}",
                )

    def _locate(self, claim: Mapping) -> int | None:
        quote = claim.get("sentence")
        if not isinstance(quote, str) or not quote.strip():
            self.error(
                claim.line,
                "a claim needs 'sentence': words quoted from the sentence that states it",
            )
            return None
        if self.source.text is None:
            return None
        found = self.source.text.find(quote)
        if len(found) == 1:
            return found[0].position
        line = getattr(quote, "line", claim.line)
        if not found:
            self.error(line, f'no sentence of the report contains "{quote}"; quote it exactly')
        else:
            numbers = ", ".join(str(s.position) for s in found)
            self.error(
                line,
                f'"{quote}" occurs in sentences {numbers}; quote more words so that one sentence is meant',
            )
        return None

    def _claim_provenance(
        self, claim: Mapping, graph: NamedNode, position: int, number: int
    ) -> Iterator[Quad]:
        g = self.provenance
        which = f"claim {number} of sentence" if number > 1 else "claim of sentence"
        yield from self._graph_description(graph, f"{which} {position} of")
        yield Quad(graph, RDF_TYPE, self.kgo("Claim"), g)
        yield Quad(graph, self.kgo("statedIn"), self._sentence(position), g)
        modality = claim.get("modality", "reported")
        if not isinstance(modality, str) or modality not in MODALITIES:
            self.error(
                claim.key_lines.get("modality", claim.line),
                f"unknown modality '{modality}'; use one of {', '.join(MODALITIES)}",
            )
        else:
            yield Quad(graph, self.kgo("modality"), self.kgo(MODALITIES[modality]), g)
        for cite in _as_list(claim.get("cites")):
            if not isinstance(cite, str):
                self.error(claim.key_lines["cites"], "'cites' takes a citation id or a list of them")
            elif cite in self.citations:
                yield Quad(graph, self.kgo("citation"), self.citations[cite], g)
            else:
                self.error(
                    getattr(cite, "line", claim.line),
                    f"unknown citation '{cite}'; add it "
                    f"under 'citations'{_suggest(str(cite), set(self.citations))}",
                )
        if isinstance(claim.get("note"), str):
            yield Quad(graph, SKOS_NOTE, Literal(claim["note"], language="en"), g)

    def _background(self, items: list[Any]) -> Iterator[Quad]:
        """One graph per background item (``R/background``, ``R/background-2`` ...), so that
        every fact keeps the source it comes from."""
        for number, item in enumerate(items, start=1):
            if not isinstance(item, Mapping) or not isinstance(item.get("source"), str):
                self.error(
                    getattr(item, "line", None),
                    "a background item needs 'source' (the public source of its facts) and 'facts'",
                )
                continue
            suffix = "" if number == 1 else f"-{number}"
            graph = self.ds.graph(f"{self.source.report_id}/background{suffix}")
            yield from self._graph_description(graph, "background facts for")
            yield Quad(graph, self.kgo("background"), Literal(item["source"]), self.provenance)
            yield from self._facts(item.get("facts"), graph)

    def _mentions(self) -> Iterator[Quad]:
        text = self.source.text
        if text is None:
            return
        for slug, definition in self.c.defined.items():
            positions = {s.position for label in definition.labels for s in text.mentions(label)}
            for position in sorted(positions):
                yield Quad(
                    self.ds.entity(slug),
                    self.kgo("mentionedIn"),
                    self._sentence(position),
                    self.provenance,
                )


def _items(mapping: Any) -> Iterator[tuple[str, Any]]:
    return iter(mapping.items()) if isinstance(mapping, dict) else iter(())


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _labels(body: Any) -> list[str]:
    if not isinstance(body, dict):
        return []
    return [v for key in ("label", "alt") for v in _as_list(body.get(key)) if isinstance(v, str)]


def _xsd(value: str, datatype: str) -> Literal:
    return Literal(value, datatype=NamedNode("http://www.w3.org/2001/XMLSchema#" + datatype))


def _slug_hint(value: str) -> str:
    return (
        f"'{value}' is not a valid id: use lower-case letters, digits and single hyphens "
        "(e.g. herat-mazar-i-sharif-railway), so that it makes a valid IRI"
    )


def _suggest(value: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, sorted(candidates), n=3, cutoff=0.75)
    return f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
