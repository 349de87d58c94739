"""Read a source file as plain YAML that remembers where each value stands.

Every scalar is read as text (no implicit dates, numbers or booleans: the ontology types the
values), duplicate keys are refused, and every mapping, list and text knows its line, so
that an error can point the analyst at it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from graph.admission import text_problem


class SourceError(Exception):
    """A problem in a source file: where it is and what to do about it."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = Path(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else str(self.path)
        super().__init__(f"{where}: {message}")


class Text(str):
    """A scalar with the line it stands on."""

    line: int


class Mapping(dict[str, Any]):
    """A mapping with its own line and the line of each key."""

    line: int
    key_lines: dict[str, int]


class Sequence(list[Any]):
    """A list with the line it starts on."""

    line: int


class _Loader(yaml.SafeLoader):
    pass


# Plain strings only: the ontology's ranges, not YAML's guesses, decide what a value is.
_Loader.yaml_implicit_resolvers = {}


def _construct_text(loader: _Loader, node: yaml.ScalarNode) -> Text:
    text = Text(loader.construct_scalar(node))
    text.line = node.start_mark.line + 1
    if problem := text_problem(text):  # e.g. a "\x01" or "\ud800" escape
        raise SourceError(loader.name, text.line, f"{problem}; remove it from the text")
    return text


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> Mapping:
    mapping = Mapping()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            raise SourceError(loader.name, line, "keys must be plain text")
        if key in mapping:
            raise SourceError(
                loader.name,
                line,
                f"duplicate key '{key}' (first at line {mapping.key_lines[key]}); "
                "merge the two entries or rename one",
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = line
    return mapping


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> Sequence:
    sequence = Sequence(loader.construct_object(child, deep=True) for child in node.value)
    sequence.line = node.start_mark.line + 1
    return sequence


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SCALAR_TAG, _construct_text)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def read_yaml(path: Path) -> Mapping:
    """The file's top-level mapping.

    Raises SourceError for invalid UTF-8 (with the line of the first bad byte), YAML syntax
    errors (with line and column) and duplicate keys.
    """
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SourceError(
            path,
            data.count(b"\n", 0, error.start) + 1,
            f"invalid UTF-8 (byte 0x{data[error.start]:02x}); save the file as UTF-8",
        ) from None
    try:
        document = yaml.load(text, Loader=_Named(path))  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        line = mark.line + 1 if mark else None
        column = f", column {mark.column + 1}" if mark else ""
        raise SourceError(path, line, f"YAML syntax: {error.problem}{column}") from None
    except yaml.reader.ReaderError as error:  # a character YAML does not allow, such as U+0008
        line = text.count("\n", 0, error.position) + 1
        raise SourceError(
            path, line, f"the character U+{error.character:04X} is not allowed in YAML; delete it"
        ) from None
    if not isinstance(document, Mapping):
        raise SourceError(path, 1, "a source file is a mapping with report, entities and claims")
    return document


def _Named(path: Path) -> type[_Loader]:
    """A loader class whose instances report ``path`` in their errors."""

    class Loader(_Loader):
        def __init__(self, stream: Any) -> None:
            super().__init__(stream)
            self.name = str(path)

    return Loader
