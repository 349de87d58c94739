"""The attack tests' servers and canary, started once for the whole package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.canary import Canary, canary
from tests.servers import LiveServer, eurasia_kg


@pytest.fixture(scope="package", params=["embedded", "oxigraph"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``eurasia-kg serve`` with a write token, on each backend; attacks that write clean up."""
    with eurasia_kg(
        tmp_path_factory.mktemp(f"attacks-{request.param}"), request.param, query_timeout="5"
    ) as live:
        yield live


@pytest.fixture(scope="package")
def bird() -> Iterator[Canary]:
    with canary() as running:
        yield running


@pytest.fixture(autouse=True)
def untouched(bird: Canary) -> Iterator[None]:
    """Fails any attack test during which something reached the canary."""
    bird.take()
    yield
    hits = bird.take()
    assert not hits, f"the canary was hit: {hits}"
