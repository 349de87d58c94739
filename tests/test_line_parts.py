"""``graph.line_parts``: a stream cut into parts of whole lines gives back every byte, in
order, and cuts only after a newline, whatever the size of the reads."""

from __future__ import annotations

import io

import pytest

from graph.line_parts import LineParts

DATA = b"".join(
    b"<http://example.org/s%d> <http://example.org/p> <http://example.org/o> .\n" % i for i in range(1000)
)
LAST = b"<http://example.org/last> <http://example.org/p> <http://example.org/o> ."  # no newline


def parts_of(data: bytes, lines: int, read_size: int) -> list[bytes]:
    parts = []
    for part in LineParts(io.BytesIO(data), lines):
        chunks = []
        while chunk := part.read(read_size):
            chunks.append(chunk)
        parts.append(b"".join(chunks))
    return parts


@pytest.mark.parametrize("read_size", [1, 7, 4096, -1])
@pytest.mark.parametrize("lines", [1, 3, 333, 5000])
@pytest.mark.parametrize(
    "ending", [b"", b"<http://example.org/last> <http://example.org/p> <http://example.org/o> ."]
)
def test_parts_are_whole_lines_and_give_back_every_byte(read_size: int, lines: int, ending: bytes) -> None:
    data = DATA + ending
    parts = parts_of(data, lines, read_size)
    assert b"".join(parts) == data
    assert all(part.endswith(b"\n") for part in parts[:-1] if part)
    if read_size == 1:  # reads of one byte: parts of exactly ``lines`` lines, but the last
        counts = [part.count(b"\n") for part in parts if part]
        assert set(counts[:-1]) <= {lines} and counts[-1] <= lines
