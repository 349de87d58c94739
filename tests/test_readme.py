"""The README's curl lines run as printed, against a server where the README says it is."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import rdflib

from tests.servers import TOKEN, eurasia_kg

README = Path(__file__).resolve().parents[1] / "README.md"


def curl_lines() -> list[str]:
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, re.DOTALL)
    return [line for block in blocks for line in block.splitlines() if line.startswith("curl ")]


@pytest.fixture(scope="module")
def readme_server(tmp_path_factory: pytest.TempPathFactory):
    with eurasia_kg(tmp_path_factory.mktemp("readme"), port=8000) as server:
        yield server


def run(line: str) -> str:
    env = {**os.environ, "EURASIA_KG_WRITE_TOKEN": TOKEN}
    done = subprocess.run(
        ["bash", "-c", line], env=env, capture_output=True, text=True, timeout=60, check=False
    )  # noqa: S603, S607
    assert done.returncode == 0, (line, done.stderr, done.stdout)
    return done.stdout


def test_the_readme_shows_four_curl_lines() -> None:
    assert len(curl_lines()) == 4


def test_curl_lines_run_as_printed(readme_server) -> None:
    select, construct, put, drop = curl_lines()
    assert run(select).splitlines() == ["state", "Afghanistan", "China", "France"]
    graph = rdflib.Graph().parse(data=run(construct), format="turtle")
    assert len(graph) == 6  # type, label, country, mention, and the coordinates
    run(put)
    ask = (
        "curl -sf -H 'Accept: application/sparql-results+json' --data-urlencode "
        "'query=ASK { GRAPH <http://example.org/notes> { ?s ?p ?o } }' http://127.0.0.1:8000/sparql"
    )
    assert '"boolean":true' in run(ask).replace(" ", "")
    run(drop)
    assert '"boolean":false' in run(ask).replace(" ", "")
