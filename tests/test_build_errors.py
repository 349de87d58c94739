"""A source with an error fails the build with a message naming the file, the line and the fix,
and the store keeps its previous content."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from graph.build import ValidationError, build
from graph.compiler import BuildError
from graph.settings import Settings
from graph.store import EmbeddedStore
from ontology.reasoning import InconsistentError
from tests.conftest import FIXTURES

SOURCE = "edm-18-60.yaml"


@dataclass
class Breakage:
    """Replace ``old`` by ``new`` in the seed source (or write ``extra`` as a second source);
    the error must name the line where ``at`` (default: ``new``) stands and say every one of
    ``expected``."""

    name: str
    old: str
    new: str
    expected: tuple[str, ...]
    extra: str | None = None
    at: str | None = None


CASES = [
    Breakage(
        "unknown class",
        "iran: {a: State,",
        "iran: {a: Stat,",
        ("unknown class 'Stat'", "did you mean 'State'"),
    ),
    Breakage(
        "unknown property",
        "governmentOf: iran, wikidata",
        "governmentof: iran, wikidata",
        ("unknown property 'governmentof'", "did you mean 'governmentOf'"),
    ),
    Breakage(
        "malformed date",
        "date: 2021-06-18",
        "date: 2021-06-31",
        ("'date'", "'2021-06-31' is not a date", "2021-02-23"),
    ),
    Breakage("month out of range", "date: 2014-11", "date: 2014-13", ("'2014-13' is not a date",)),
    Breakage(  # issue 16, finding 4: a value no map can draw, refused at its line of the source
        "latitude off the Earth",
        "kuryk: {latitude: 43.2000,",
        "kuryk: {latitude: 432000,",
        ("'latitude'", "not a latitude in degrees: a number from -90 to 90"),
    ),
    Breakage("year 0", "date: 2014-11", "date: 0000", ("'date'", "is not a date", "0001 to 9999")),
    Breakage(
        "malformed duration",
        "duration: P6M",
        "duration: six months",
        ("not an ISO 8601 duration", "P6M"),
    ),
    Breakage(
        "dangling reference",
        "host: iran\n        date: 2021-04-06",
        "host: irann\n        date: 2021-04-06",
        ("'irann' is not defined", "did you mean 'iran'"),
    ),
    Breakage(
        "invalid IRI",
        "opened: ktai-corridor",
        "opened: <http://exa mple.org/x>",
        ("invalid IRI <http://exa mple.org/x>",),
    ),
    Breakage(
        "id that makes no IRI",
        "  osh: {a: City",
        "  Osh City: {a: City",
        ("'Osh City' is not a valid id", "lower-case"),
    ),
    Breakage(
        "duplicate key",
        "  lotfabad: {a: BorderCrossing, label: Lotfabad}",
        "  lotfabad: {a: BorderCrossing, label: Lotfabad}\n  lotfabad: {a: Port, label: X}",
        ("duplicate key 'lotfabad'", "first at line"),
        at="  lotfabad: {a: Port",
    ),
    Breakage(
        "quote not in the report",
        "sentence: Even more such bilateral visits",
        "sentence: Even more such trilateral visits",
        ("no sentence of the report contains", "quote it exactly"),
    ),
    Breakage(
        "quote in several sentences",
        "sentence: diplomatic ties are finally improving",
        "sentence: Tajikistan",
        ("occurs in sentences", "quote more words"),
    ),
    Breakage(
        "unknown citation",
        "cites: pmo-2019-07-29",
        "cites: pmo-2019-07-30",
        ("unknown citation 'pmo-2019-07-30'", "did you mean 'pmo-2019-07-29'"),
    ),
    Breakage(
        "unknown modality",
        "modality: rumour",
        "modality: gossip",
        ("unknown modality 'gossip'", "forecast"),
    ),
    Breakage(
        "YAML syntax",
        "  khovar: {a: NewsOutlet, label: Khovar}",
        "  khovar: {a: NewsOutlet, label: Khovar",
        ("YAML syntax",),
    ),
    # Found by test_fuzz_sources: each of these crashed the compiler instead of naming the line.
    Breakage(
        "citation that is not a mapping",
        'unnamed-2021-01-01: {citedDate: 2021-01-01, printedAs: ", January 1, 2021"}',
        "unnamed-2021-01-01: January 1",
        ("citation 'unnamed-2021-01-01' needs a mapping",),
    ),
    Breakage(
        "modality that is not text",
        "modality: assessment",
        "modality: [assessment]",
        ("unknown modality",),
    ),
    Breakage(
        "citation id that is not text",
        "cites: khovar-photo",
        "cites: {khovar-photo: yes}",
        ("'cites' takes a citation id or a list of them",),
    ),
    Breakage(  # no RDF/XML dump or page could carry it: refused on the way in (graph.admission)
        "control character",
        "  khovar: {a: NewsOutlet, label: Khovar}",
        '  khovar: {a: NewsOutlet, label: "Kho\\x01var"}',
        ("U+0001 at character 4", "remove it from the text"),
    ),
    Breakage(
        "unpaired surrogate",
        "  khovar: {a: NewsOutlet, label: Khovar}",
        '  khovar: {a: NewsOutlet, label: "Kho\\ud800var"}',
        ("U+D800 at character 4 is an unpaired surrogate",),
    ),
    Breakage(
        "duplicate id across files",
        "",
        "",
        ("duplicate id 'iran'", f"{SOURCE}:"),
        extra="report: {id: other, text: caspian-ferry.txt, title: T, publishedIn: "
        "eurasia-daily-monitor}\nentities:\n  iran: {a: State, label: Iran}\n",
    ),
]


def _break(settings: Settings, case: Breakage) -> tuple[Path, int]:
    path = settings.sources / SOURCE
    text = path.read_text(encoding="utf-8")
    if case.extra is not None:
        extra = settings.sources / "zz-other.yaml"
        extra.write_text(case.extra, encoding="utf-8")
        return extra, 3
    assert text.count(case.old) >= 1, case.old
    broken = text.replace(case.old, case.new, 1)
    path.write_text(broken, encoding="utf-8")
    start = text.index(case.old)
    return path, broken[: broken.index(case.at or case.new.strip(), start)].count("\n") + 1


@pytest.fixture(scope="module")
def reference_store(tmp_path_factory: pytest.TempPathFactory, seed_settings: Settings):
    """A built store whose content every failed build must leave as it was."""
    store = EmbeddedStore(tmp_path_factory.mktemp("store"))
    build(seed_settings, store)
    return store, sorted(map(str, store.quads()))


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_broken_source_is_refused_and_the_store_kept(case, workspace, reference_store) -> None:
    store, before = reference_store
    path, line = _break(workspace, case)
    with pytest.raises(BuildError) as raised:
        build(workspace, store)
    messages = [str(error) for error in raised.value.errors]
    located = [m for m in messages if m.startswith(f"{path}:")]
    assert located, messages
    if case.name not in {"YAML syntax"}:
        assert any(m.startswith(f"{path}:{line}:") for m in located), (line, messages)
    for fragment in case.expected:
        assert any(fragment in m for m in located), (fragment, messages)
    assert sorted(map(str, store.quads())) == before


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (b"\xff", "invalid UTF-8 (byte 0xff); save the file as UTF-8"),
        # Found by test_fuzz_sources: YAML's reader error was not turned into a source error.
        (b"\x08", "the character U+0008 is not allowed in YAML; delete it"),
    ],
    ids=["invalid UTF-8", "control character"],
)
def test_a_byte_yaml_cannot_read_names_the_line(workspace, reference_store, bad: bytes, message: str) -> None:
    store, before = reference_store
    path = workspace.sources / SOURCE
    data = path.read_bytes().replace(b"Zarif\xe2\x80\x99s tour", b"Zarif" + bad + b" tour", 1)
    path.write_bytes(data)
    line = data[: data.index(bad)].count(b"\n") + 1
    with pytest.raises(BuildError) as raised:
        build(workspace, store)
    assert str(raised.value.errors[0]) == f"{path}:{line}: {message}"
    assert sorted(map(str, store.quads())) == before


def test_missing_report_text_says_which_setting(workspace, reference_store) -> None:
    store, before = reference_store
    shutil.rmtree(workspace.reports)
    workspace.reports.mkdir()
    with pytest.raises(BuildError, match="EURASIA_KG_REPORTS"):
        build(workspace, store)
    assert sorted(map(str, store.quads())) == before


def _edit(settings: Settings, change: Callable[[str], str]) -> None:
    path = settings.sources / SOURCE
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")


def test_shape_violation_is_refused(workspace, reference_store) -> None:
    store, before = reference_store
    _edit(workspace, lambda t: t.replace("        label: Javad Zarif’s visit to Kyrgyzstan\n", "", 1))
    with pytest.raises(ValidationError) as raised:
        build(workspace, store)
    assert [(v.focus.rsplit("/", 1)[-1], v.message) for v in raised.value.violations] == [
        ("zarif-visit-to-kyrgyzstan", "needs exactly one English label (label: ...)")
    ]
    assert sorted(map(str, store.quads())) == before


def test_inconsistent_fixture_is_refused_with_an_explanation(workspace, reference_store) -> None:
    """tests/fixtures/sources/inconsistent.yaml types one thing as a corridor and a person."""
    store, before = reference_store
    shutil.copy(FIXTURES / "sources" / "inconsistent.yaml", workspace.sources)
    with pytest.raises(InconsistentError) as raised:
        build(workspace, store)
    explanation = "\n".join(raised.value.explanations)
    assert "id/caspian-ferry-line" in explanation
    assert "disjoint" in explanation
    assert "ontology#Corridor" in explanation and "ontology#Person" in explanation
    assert sorted(map(str, store.quads())) == before


def test_control_character_in_a_report_is_refused(workspace, reference_store) -> None:
    """A report's text reaches the store as sentences: a character that no RDF/XML dump or
    page could carry is refused there too, naming the statement and the character."""
    store, before = reference_store
    report = next(workspace.reports.glob("000_*.txt"))
    text = report.read_text(encoding="utf-8")
    report.write_text(text.replace("frosty", "fros\x07y", 1), encoding="utf-8")
    with pytest.raises(BuildError) as raised:
        build(workspace, store)
    message = str(raised.value)
    assert "U+0007" in message and "fros\\u0007y" in message, message
    assert sorted(map(str, store.quads())) == before
