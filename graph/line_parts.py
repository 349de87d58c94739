"""A line-based stream (N-Triples, N-Quads) cut into parts of whole lines, each read as a
stream of its own.

Why: pyoxigraph's bulk loader sorts its input in batches of a million quads, one batch per
CPU at a time, which took 1.1 GiB on LUBM(10); it offers no setting for the batch size, but a
call given fewer statements makes smaller batches. So a large file is given to it in parts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, cast


class LineParts:
    """``stream`` as consecutive parts of about ``lines`` whole lines (a part ends at the first
    newline after ``lines`` have passed). Iterating gives the parts; read each one to its end
    before taking the next."""

    def __init__(self, stream: IO[bytes], lines: int) -> None:
        self.stream = stream
        self.lines = lines
        self.ended = False
        self._pending = b""  # read from ``stream`` past the end of the previous part

    def __iter__(self) -> Iterator[IO[bytes]]:
        while not self.ended:
            yield cast("IO[bytes]", _Part(self))  # read-only, which is all a loader needs

    def take(self, size: int) -> bytes:
        if not self._pending:
            data = self.stream.read(size)
            self.ended = not data
            return data
        cut = len(self._pending) if size < 0 else size
        data, self._pending = self._pending[:cut], self._pending[cut:]
        return data

    def put_back(self, data: bytes) -> None:
        self._pending = data + self._pending


class _Part:
    """One part: a read-only stream that ends after its share of lines."""

    def __init__(self, parts: LineParts) -> None:
        self.parts = parts
        self.seen = 0
        self.done = False

    def read(self, size: int = -1) -> bytes:
        if self.done:
            return b""
        data = self.parts.take(-1 if size is None else size)
        self.seen += data.count(b"\n")
        if not data or self.seen >= self.parts.lines:
            self.done = True
            cut = data.rfind(b"\n") + 1  # this read took the count past ``lines``: it has one
            self.parts.put_back(data[cut:])
            data = data[:cut]
        return data

    def readable(self) -> bool:
        return True
