"""No triple can break a page (issue 16, finding 4), on a real server.

With the write token, a City with ``kgo:latitude``/``kgo:longitude`` ``"1e308"^^xsd:double``
made every render of ``/`` or of a place page grow the HTTP process by about 160 MiB/s until
the machine ran out of memory; ``"abc"``, NaN, INF, an IRI or a blank node gave a 500 on
``/``, on the entity's page and on every place page (``/id/iran``).

On the embedded store the write is refused (400, naming the value and the rule; nothing is
changed), by the Graph Store Protocol and by SPARQL Update alike. ``oxigraph serve`` has no
admission check of ours: there the update is written, and what must hold is the read side:
every page still answers, the bad place is left off the map, and the HTTP process stays
within a memory budget. A watchdog kills the server (a process this test started) should
its memory run away, so that a regression fails the test instead of the machine.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator

import pytest

from tests.attacks.client import SCRATCH, get, size, store, update
from tests.servers import LiveServer

BASE = "https://w3id.org/eurasia-kg/"
KGO, ID, XSD = BASE + "ontology#", BASE + "id/", "http://www.w3.org/2001/XMLSchema#"
CITY = ID + "nowhere-city"
BAD = {  # the seven data shapes of the finding
    "1e308": f'"1e308"^^<{XSD}double>',
    "abc": f'"abc"^^<{XSD}double>',
    "nan": f'"NaN"^^<{XSD}double>',
    "inf": f'"INF"^^<{XSD}double>',
    "minus-inf": f'"-INF"^^<{XSD}double>',
    "iri": "<http://example.org/north>",
    "blank-node": "_:somewhere",
}
PAGES = ["", "id/iran", "id/tehran", "id/nowhere-city", "id/kazakhstan", "search?q=nowhere"]
BUDGET_MB = 200  # what rendering the pages may add to the HTTP process


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


@contextlib.contextmanager
def watchdog(server: LiveServer, limit_mb: float) -> Iterator[list[float]]:
    """The server's memory, sampled every 50 ms (the yielded list holds the peak); beyond
    ``limit_mb`` the server is killed, and the test fails on its next request."""
    peak = [rss_mb(server.pid)]
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.05):
            with contextlib.suppress(OSError, StopIteration):
                peak[0] = max(peak[0], rss_mb(server.pid))
                if peak[0] > limit_mb:
                    os.kill(server.pid, signal.SIGKILL)
                    return

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        stop.set()
        thread.join()


def statements(value: str) -> str:
    """The reproducer: a City whose latitude and longitude are ``value``."""
    return (
        f'<{CITY}> a <{KGO}City> ; <http://www.w3.org/2000/01/rdf-schema#label> "Nowhere"@en ; '
        f"<{KGO}latitude> {value} ; <{KGO}longitude> {value} ."
    )


def insert(value: str) -> str:
    return f"INSERT DATA {{ GRAPH <{SCRATCH}> {{ {statements(value)} }} }}"


@pytest.fixture
def cleaned(server: LiveServer) -> Iterator[LiveServer]:
    yield server
    store(server, "DELETE", None, "")  # the scratch graph, where the oxigraph backend wrote


@pytest.mark.parametrize("value", list(BAD.values()), ids=list(BAD))
def test_a_coordinate_triple_breaks_no_page(cleaned: LiveServer, value: str) -> None:
    server = cleaned
    for path in PAGES[:2]:  # warm: the pages' own memory, before the bad value
        assert get(server, path, Accept="text/html").status == 200
    before, counts = rss_mb(server.pid), size(server)
    with watchdog(server, before + BUDGET_MB) as peak:
        written = update(server, insert(value))
        if server.backend == "embedded":
            assert written.status == 400, written.text
            assert "itude in degrees: a number from" in written.text, written.text
            assert "nothing was changed" in written.text, written.text
            assert "Traceback" not in written.text
            assert size(server) == counts
        else:  # no admission check on a remote store: the value is there, the pages must cope
            assert written.status == 204, written.text
        for _ in range(3):
            for path in PAGES:
                reply = get(server, path, Accept="text/html")
                refused = server.backend == "embedded" and path == "id/nowhere-city"
                assert reply.status == (404 if refused else 200), (path, reply.status, reply.text[:300])
    assert peak[0] - before < BUDGET_MB, f"the HTTP process grew from {before:.0f} to {peak[0]:.0f} MiB"
    home = get(server, "", Accept="text/html").text
    assert f'data-iri="{CITY}"' not in home and f'data-iri="{ID}tehran"' in home  # off the map only


def test_the_graph_store_refuses_the_coordinate(cleaned: LiveServer) -> None:
    """PUT with the reproducer's triples: a 400 on both backends (the check is eurasia-kg's own,
    before anything reaches the store), naming the value, the rule and an example."""
    server = cleaned
    counts = size(server)
    reply = store(server, "PUT", statements(BAD["1e308"]), "text/turtle")
    assert reply.status == 400, reply.text
    for part in ("latitude", "a number from -90 to 90", "e.g.", "nothing was written"):
        assert part in reply.text, reply.text
    assert size(server) == counts


@pytest.mark.parametrize(
    "when", [f'"9999-12-31"^^<{XSD}date>', f'"9999-12"^^<{XSD}gYearMonth>', f'"9999"^^<{XSD}gYear>']
)
def test_an_event_at_the_end_of_the_calendar_breaks_no_page(cleaned: LiveServer, when: str) -> None:
    """The outside attack run's re-test: a visit on the last day of 9999 has no day after it,
    which the timeline computes; the pages it shows on must still answer."""
    visit = (
        f'<{ID}last-visit> a <{KGO}Visit> ; <http://www.w3.org/2000/01/rdf-schema#label> "Last" ; '
        f"<{KGO}party> <{ID}iran> ; <{KGO}date> {when} ."
    )
    update(cleaned, f"INSERT DATA {{ GRAPH <{SCRATCH}> {{ {visit} }} }}")
    for page in ["", "id/iran", "id/last-visit"]:
        reply = get(cleaned, page)
        assert reply.status == 200, (page, reply.status, reply.text[:200])
