"""Finding 2 of the attack run: the guard kept a match object per token, and ``.`` is a token
per byte, so a 4 MiB body of dots took the HTTP process from 323 MiB to 1.7 GB, and two
concurrent 9.5 MiB bodies to 7.5 GB.

Now the guard reads one token at a time and stops at its first exceeded limit, and its
tokenizer keeps no backtracking state per character. Each shape below, at the largest body
the server accepts, must cost the HTTP process no more than a few times the body, measured
as the growth of its peak resident memory (VmHWM); and however many arrive, the process
stays within the bound the README documents: its size at rest plus, for each request
thread, three bodies (glibc keeps a thread's freed memory for its next request).
"""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

import pytest

from graph.settings import Settings
from server.answer_cache import AnswerCache, Kept
from tests.attacks.client import call
from tests.servers import LiveServer

BODY = Settings.max_request_bytes - 1024  # just under the limit: the body is read and guarded
FACTOR = 6  # what one body may cost the HTTP process at once, in bodies
THREADS = 16  # eurasia-kg serve's default request threads
LONG_QUOTE = "'" * 3
SHAPES = {
    "dots": ".",
    "braces": "{",
    "quotes": '"',
    "letters": "a",
    "name": "x:",
    "escapes": "\\u0041",
    "operators": "!",
    "commas": "1,",
    "semicolons": "?p 1;",
    "collection": "1 ",
    "variables": "?v ",
    "string": "",  # one string literal as long as the body
    "long-string": "",
}


def peak_rss(pid: int) -> int:
    """The process's peak resident memory so far, in bytes (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc")


def _body(shape: str) -> str:
    head = "ASK { <urn:s> <urn:p> (" if shape == "collection" else "ASK { <urn:s> <urn:p> "
    room = BODY - len(head) - 8
    if shape == "string":
        return head + '"' + "a" * room + '" }'
    if shape == "long-string":
        return head + LONG_QUOTE + "a\n" * (room // 2) + LONG_QUOTE + " }"
    unit = SHAPES[shape]
    return head + unit * (room // len(unit))


def _send(server: LiveServer, text: str) -> int:
    return call("POST", server.sparql, text, Content_Type="application/sparql-query").status


@pytest.fixture
def embedded(server: LiveServer) -> LiveServer:
    if server.backend != "embedded":
        pytest.skip("the HTTP process is measured once, on the embedded store")
    return server


@pytest.mark.parametrize("shape", list(SHAPES))
def test_a_large_body_costs_the_http_process_a_few_times_its_size(embedded: LiveServer, shape: str) -> None:
    before = peak_rss(embedded.pid)
    status = _send(embedded, _body(shape))
    grown = peak_rss(embedded.pid) - before
    assert status in {200, 400}, status
    assert grown <= FACTOR * BODY, f"{shape}: peak memory grew by {grown >> 20} MiB"


def test_concurrent_large_bodies_stay_within_the_documented_bound(embedded: LiveServer) -> None:
    at_rest = peak_rss(embedded.pid)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda shape: _send(embedded, _body(shape)), [*SHAPES, *SHAPES]))
    assert set(statuses) <= {200, 400, 503}, statuses  # 503: every query worker was busy
    grown = peak_rss(embedded.pid) - at_rest
    assert grown <= THREADS * 3 * BODY, f"peak memory grew by {grown >> 20} MiB"


def test_the_answer_cache_counts_the_query_text() -> None:
    """Found by the outside re-test: the cache counted only answers' bytes, so 10 MiB queries
    that differ by a character, each with a tiny answer, grew the HTTP process by 10 MiB each
    (1.9 GB after 160). The key holds the query's text, and now counts as much."""
    cache = AnswerCache(capacity=64 << 20)
    for i in range(40):
        cache.put(0, ("ASK {} #" + "a" * (1 << 20) + str(i), "json"), Kept(b"{}", "application/json", False))
    assert cache.size <= cache.capacity
    assert cache.size >= 40 << 20  # a 1 MiB text is kept, and counted
    for i in range(40):
        cache.put(0, ("ASK {} #" + "a" * (10 << 20) + str(i), "json"), Kept(b"{}", "application/json", False))
    assert cache.size <= cache.capacity
