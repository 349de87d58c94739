"""``eurasia-kg load``: files in every common format, gzip too, all or nothing."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import rdflib
from rdflib.compare import isomorphic

from graph.store import EmbeddedStore

EXE = shutil.which("eurasia-kg")
TURTLE = """@prefix ex: <http://example.org/> .
ex:kuryk ex:port true ; ex:name "Kuryk"@en , "Құрық"@kk .
ex:amirabad ex:port true ; ex:connectedTo ex:kuryk .
"""


def run(store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EURASIA_KG_STORE": str(store)}
    return subprocess.run(
        [EXE, "load", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,  # type: ignore[list-item]
        check=False,
    )


def graph_in(store_path: Path, graph: str) -> rdflib.Graph:
    store = EmbeddedStore(store_path)
    result = rdflib.Graph()
    for quad in store.quads():
        if getattr(quad.graph_name, "value", None) == graph:
            result.add(
                tuple(rdflib.util.from_n3(str(t)) for t in (quad.subject, quad.predicate, quad.object))
            )
    store.close()
    return result


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    expected = rdflib.Graph().parse(data=TURTLE, format="turtle")
    paths = {}
    for name, fmt in [
        ("ports.ttl", "turtle"),
        ("ports.nt", "nt"),
        ("ports.rdf", "xml"),
        ("ports.jsonld", "json-ld"),
    ]:
        paths[name] = tmp_path / name
        paths[name].write_text(expected.serialize(format=fmt), encoding="utf-8")
    paths["ports.nt.gz"] = tmp_path / "ports.nt.gz"
    paths["ports.nt.gz"].write_bytes(gzip.compress(paths["ports.nt"].read_bytes()))
    return paths


@pytest.mark.parametrize("name", ["ports.ttl", "ports.nt", "ports.rdf", "ports.jsonld", "ports.nt.gz"])
def test_each_format_loads_into_a_graph(tmp_path: Path, files: dict[str, Path], name: str) -> None:
    store = tmp_path / "store"
    done = run(store, str(files[name]), "--graph", "http://example.org/ports")
    assert done.returncode == 0, done.stderr
    assert "loaded 5 statements" in done.stderr
    assert isomorphic(
        graph_in(store, "http://example.org/ports"), rdflib.Graph().parse(data=TURTLE, format="turtle")
    )


def test_a_bad_file_loads_nothing(tmp_path: Path, files: dict[str, Path]) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text(TURTLE + "ex:x ex:y <not an iri> .\n", encoding="utf-8")
    store = tmp_path / "store"
    done = run(store, str(files["ports.nt"]), str(bad), "--graph", "http://example.org/ports")
    assert done.returncode == 1
    assert "bad.ttl" in done.stderr and "line 4" in done.stderr and "nothing was loaded" in done.stderr
    assert "Traceback" not in done.stderr
    assert len(EmbeddedStore(store)) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.ttl"], "no such file"),
        (["data.xyz"], "unknown RDF format"),
        (["ports.ttl", "--graph", "not an iri"], "is not an IRI"),
    ],
)
def test_refusals(tmp_path: Path, files: dict[str, Path], args: list[str], message: str) -> None:
    (tmp_path / "data.xyz").write_text("x", encoding="utf-8")
    os.chdir(tmp_path)
    done = run(tmp_path / "store", *args)
    assert done.returncode in {1, 2} and message in done.stderr


def test_gzip_damage_is_refused(tmp_path: Path, files: dict[str, Path]) -> None:
    damaged = tmp_path / "damaged.nt.gz"
    damaged.write_bytes(files["ports.nt.gz"].read_bytes()[:-12])
    done = run(tmp_path / "store", str(damaged))
    assert done.returncode == 1 and "damaged.nt.gz" in done.stderr and "nothing was loaded" in done.stderr


def test_load_refuses_a_store_a_server_is_serving(tmp_path: Path, files: dict[str, Path]) -> None:
    from graph.store import ServerLock

    lock = ServerLock(tmp_path / "store")
    try:
        done = run(tmp_path / "store", str(files["ports.ttl"]))
        assert done.returncode == 1 and "a eurasia-kg server is serving the store" in done.stderr
    finally:
        lock.release()
