"""The eurasia-kg command as a user runs it: real processes, a real on-disk store."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
import rdflib

from tests.conftest import SHARED

EXE = shutil.which("eurasia-kg")
pytestmark = pytest.mark.skipif(EXE is None, reason="eurasia-kg is not installed (pip install -e .)")


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [EXE, *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,  # type: ignore[list-item]
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    store = tmp_path_factory.mktemp("cli") / "store"
    environment = {
        **os.environ,
        "EURASIA_KG_STORE": str(store),
        "EURASIA_KG_REPORTS": str(SHARED / "seed"),
    }
    done = run(environment, "build")
    assert done.returncode == 0, done.stderr
    assert "asserted" in done.stdout and "inferred" in done.stdout
    return environment


def test_named_query_as_table(env) -> None:
    done = run(env, "query", "tour-stops")
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["tour", "stopNumber", "stop", "destination", "date"]
    assert "Javad Zarif’s visit to Uzbekistan" in lines[2] and lines[-1] == "(4 rows)"


def test_named_query_with_parameter_as_json(env) -> None:
    done = run(env, "query", "corridors-bypassing", "--state", "turkmenistan", "--format", "json")
    bindings = json.loads(done.stdout)["results"]["bindings"]
    assert [(b["label"]["value"], b["modality"]["value"]) for b in bindings] == [
        ("Herat–Mazār-i-Sharīf railway", "forecast")
    ]


def test_csv_and_ask(env) -> None:
    csv_out = run(env, "query", "events-in-month", "--month", "2021-02", "--format", "csv")
    assert csv_out.stdout.splitlines()[1:] == ["2021-02,Rahmani Fazli’s visit to Dushanbe,visit,2021-02"]
    ask = run(env, "query", "corridor-bypasses", "--corridor", "ktai-corridor", "--state", "turkmenistan")
    assert ask.stdout.strip() == "no"


@pytest.mark.parametrize("fmt", ["turtle", "ntriples"])
def test_construct_as_rdf(env, fmt) -> None:
    done = run(env, "query", "describe-entity", "--entity", "chabahar", "--format", fmt)
    graph = rdflib.Graph().parse(data=done.stdout, format={"turtle": "turtle", "ntriples": "nt"}[fmt])
    labels = {str(o) for o in graph.objects(None, rdflib.RDFS.label)}
    assert labels == {"Chabahar"} and len(graph) == 6  # with its coordinates (background)


def test_query_file_and_stdin(env, tmp_path: Path) -> None:
    query = "SELECT ?label WHERE { id:kuryk rdfs:label ?label }"
    path = tmp_path / "kuryk.rq"
    path.write_text(query, encoding="utf-8")
    assert run(env, "query", str(path), "--format", "csv").stdout.splitlines() == ["label", "Kuryk"]
    assert run(env, "query", "-", "--format", "csv", stdin=query).stdout.splitlines() == [
        "label",
        "Kuryk",
    ]


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["query", "no-such-question"], None, "no named query 'no-such-question'"),
        (["query", "mentions"], None, "mentions needs --entity"),
        (["query", "mentions", "--entity", "Not An Id"], None, "is not an entity id"),
        (["query", "-"], "SELECT ?x WHERE { ?x ?y }", "is not valid SPARQL"),
        (["query", "visits", "--format", "turtle"], None, "SELECT and ASK results are written as"),
        (["query", "/nonexistent/q.rq"], None, "cannot read the query"),
    ],
)
def test_errors_are_one_clear_message(env, args, stdin, message) -> None:
    done = run(env, *args, stdin=stdin)
    assert done.returncode == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_empty_store_says_to_build(tmp_path: Path) -> None:
    env = {**os.environ, "EURASIA_KG_STORE": str(tmp_path / "empty")}
    done = run(env, "query", "visits")
    assert done.returncode == 1 and "run `eurasia-kg build` first" in done.stderr


def test_validate_and_list(env) -> None:
    assert "the sources are valid" in run(env, "validate").stdout
    listing = run(env, "queries").stdout
    assert "visits\n    Who visited whom, and when" in listing and "--state (entity, optional)" in listing


def test_run_all_named_questions(env) -> None:
    done = run(env, "query", "--all")
    assert done.returncode == 0
    assert done.stdout.count("\n## ") >= 20


def test_a_busy_port_is_one_line_with_the_fix(env: dict[str, str]) -> None:
    """The port is checked before the store and its workers start: one line, no traceback."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        done = run(env, "serve", "--host", "127.0.0.1", "--port", port)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"Error: cannot listen on 127.0.0.1:{port}: Address already in use; stop what uses that port, "
        "or choose another with --port (EURASIA_KG_PORT)"
    )


def test_version(env: dict[str, str]) -> None:
    from importlib.metadata import version

    done = run(env, "--version")
    assert done.returncode == 0 and done.stdout.strip() == f"eurasia-kg {version('eurasia-kg')}"


def test_global_options_may_follow_the_command(env: dict[str, str], tmp_path: Path) -> None:
    """``eurasia-kg query visits --store DIR`` as the README writes it; a command's own option
    of the same name keeps its meaning (``load --base``)."""
    store = str(tmp_path / "elsewhere")
    built = run(env, "build", "--store", store)
    assert built.returncode == 0, built.stderr
    before = run(env, "--store", store, "query", "visits", "--format", "csv")
    after = run(env, "query", "visits", "--format", "csv", "--store", store)
    assert after.returncode == 0, after.stderr
    assert after.stdout == before.stdout and "berdimuhamedov" in after.stdout


@pytest.mark.parametrize(
    ("given", "read"),
    [
        (["serve", "--store", "s", "--port", "1"], ["--store", "s", "serve", "--port", "1"]),
        (["--store", "query", "build"], ["--store", "query", "build"]),  # a value, not the command
        (["load", "f.nt", "--base", "http://x/"], ["load", "f.nt", "--base", "http://x/"]),  # load's own
        (["export", "--store=s", "--", "--store"], ["--store=s", "export", "--", "--store"]),
    ],
)
def test_global_options_are_read_before_the_command(given: list[str], read: list[str]) -> None:
    from graph.cli import main

    assert main._hoisted(given) == read  # type: ignore[attr-defined]
