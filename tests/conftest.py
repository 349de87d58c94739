"""Fixtures: settings pointing at temporary stores, and a graph built once for read-only tests."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from graph.build import build
from graph.settings import Settings
from graph.store import EmbeddedStore

FIXTURES = Path(__file__).parent / "fixtures"

# CI runs the same examples every time, so that a red build is reproducible; at a desk the
# examples vary and hypothesis keeps the failing ones in .hypothesis/.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")
SHARED = Path(os.environ.get("EURASIA_KG_SHARED", Path(__file__).parents[2] / "shared"))
# The commands the tests start (eurasia-kg serve, load …) import this checkout's code, not
# that of whichever checkout the package was installed from in editable mode.
ROOT = Path(__file__).parents[1]
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))


@pytest.fixture(scope="session")
def seed_settings() -> Settings:
    """The shipped sources and the seed report, with the default namespace."""
    return Settings.from_env({}).with_(reports=SHARED / "seed")


@pytest.fixture(scope="session", params=["embedded", "oxigraph"])
def built_store(
    request: pytest.FixtureRequest, seed_settings: Settings, tmp_path_factory: pytest.TempPathFactory
):
    """The report's graph, built once, for tests that only read: in an in-memory embedded store,
    and in an ``oxigraph serve`` process reached over SPARQL 1.1 (``graph.remote``)."""
    if request.param == "embedded":
        store = EmbeddedStore()
        build(seed_settings, store)
        yield store
        return
    from graph.remote import RemoteStore
    from tests.servers import oxigraph

    with oxigraph(tmp_path_factory.mktemp("oxigraph")) as url:
        remote = RemoteStore(url)
        build(seed_settings, remote)
        yield remote


@pytest.fixture
def workspace(tmp_path: Path, seed_settings: Settings) -> Settings:
    """Writable copies of the sources and the reports' texts, and an on-disk store, for tests
    that add or break a source."""
    sources = tmp_path / "sources"
    reports = tmp_path / "reports"
    shutil.copytree(seed_settings.sources, sources)
    shutil.copytree(seed_settings.reports, reports)
    shutil.copy(FIXTURES / "reports" / "caspian-ferry.txt", reports)
    return seed_settings.with_(sources=sources, reports=reports, store=str(tmp_path / "store"))


@pytest.fixture(scope="module", params=["embedded", "oxigraph"])
def live_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """``eurasia-kg serve`` with a write token, on the embedded store and on an
    ``oxigraph serve`` process: every test using it runs against both."""
    from tests.servers import eurasia_kg

    with eurasia_kg(tmp_path_factory.mktemp(request.param), request.param, query_timeout="5") as server:
        yield server
