"""Property-based tests of the source-file reader and compiler: whatever an analyst's editor
leaves in a source file, the build answers with the quads or with errors that point at a line
of that file, never with a crash.

The mutations start from the shipped source, so that most of each mutant is still meaningful
and the compiler's later passes are reached, not only the YAML parser.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph import admission
from graph.build import ontology_triples
from graph.compiler import BuildError, Compiler
from graph.namespaces import Dataset
from graph.settings import Settings
from graph.yaml_reader import SourceError, read_yaml
from ontology.index import OntologyIndex

SHIPPED = sorted(Settings.from_env({}).sources.glob("*.yaml"))[0]
TEXT = SHIPPED.read_text(encoding="utf-8")
TREE = yaml.load(TEXT, Loader=yaml.BaseLoader)  # noqa: S506 - BaseLoader builds plain data only


@pytest.fixture(scope="module")
def compiler_parts(seed_settings: Settings) -> tuple[Dataset, OntologyIndex, Path]:
    dataset = Dataset(seed_settings.base)
    index = OntologyIndex.from_triples(ontology_triples(seed_settings.base), dataset.vocabulary)
    return dataset, index, seed_settings.reports


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _paths(value, (*prefix, i))
    return found


PATHS = _paths(TREE)
ids = sorted(TREE["entities"]) + sorted(TREE["citations"])
scalars = st.one_of(
    st.text(max_size=30),
    st.sampled_from(ids),
    st.sampled_from(["", "2021-13-45", "-1", "1e999", "NaN", "Q0", "http://x y", "\u202e", "\x00", "\ud800"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(scalars, inner, max_size=3),
    max_leaves=6,
)


def _mutate(tree: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    """A copy of ``tree`` with the node at ``path`` deleted, replaced or renamed."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(tree, dict):
        copy: Any = dict(tree)
    else:
        copy = list(tree)
    if rest:
        copy[head] = _mutate(tree[head], rest, action, value)
    elif action == "delete":
        del copy[head]
    elif action == "rename" and isinstance(copy, dict) and isinstance(value, str):
        copy = {value if k == head else k: v for k, v in copy.items()}
    else:
        copy[head] = value
    return copy


def _compile(parts: tuple[Dataset, OntologyIndex, Path], source: Path) -> None:
    """Compile ``source``: its quads must all be fit for the store, and a build error must
    name the file and lines that exist in it."""
    dataset, index, reports = parts
    try:
        admission.check_quads(Compiler(dataset, index, reports).compile([source]))
    except BuildError as error:
        count = source.read_bytes().count(b"\n") + 1
        assert error.errors
        for problem in error.errors:
            assert isinstance(problem, SourceError)
            assert problem.path == source
            assert problem.line is None or 1 <= problem.line <= count, problem
            assert problem.message.strip()


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.sampled_from(PATHS),
    action=st.sampled_from(["delete", "replace", "rename"]),
    value=values,
)
def test_a_mutated_source_compiles_or_says_where_it_is_wrong(
    compiler_parts, tmp_path_factory, path, action, value
) -> None:
    source = tmp_path_factory.mktemp("mutant") / SHIPPED.name
    mutant = _mutate(TREE, path, action, value)
    try:
        text = yaml.dump(mutant, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False)
    except (yaml.YAMLError, UnicodeEncodeError):
        return  # a value YAML itself cannot write, such as a lone surrogate
    source.write_bytes(text.encode("utf-8", "surrogatepass"))
    _compile(compiler_parts, source)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    line=st.integers(0, TEXT.count("\n")),
    edit=st.sampled_from(["delete", "duplicate", "insert"]),
    inserted=st.text(max_size=20)
    | st.sampled_from(
        ["  - [", "x: {", "\t", "'", "&a *a", "!!python/object:os.system", 'x: "\\ud800"', 'x: "\\0"']
    ),
)
def test_an_edited_line_compiles_or_says_where_it_is_wrong(
    compiler_parts, tmp_path_factory, line, edit, inserted
) -> None:
    lines = TEXT.split("\n")
    if edit == "delete":
        del lines[line]
    elif edit == "duplicate":
        lines.insert(line, lines[line])
    else:
        lines[line] = inserted + lines[line]
    source = tmp_path_factory.mktemp("edited") / SHIPPED.name
    source.write_bytes("\n".join(lines).encode("utf-8", "surrogatepass"))
    _compile(compiler_parts, source)


@given(st.binary(max_size=200) | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_any_bytes_read_as_a_mapping_or_an_error_with_a_line(tmp_path_factory, data: bytes) -> None:
    source = tmp_path_factory.mktemp("bytes") / "any.yaml"
    source.write_bytes(data)
    try:
        read_yaml(source)
    except SourceError as error:
        assert error.path == source
        assert error.line is None or 1 <= error.line <= data.count(b"\n") + 1
