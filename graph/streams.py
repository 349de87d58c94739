"""A read-only binary stream over another that sees every chunk read, for loaders that watch
a file as pyoxigraph reads it (progress, the byte screen)."""

from __future__ import annotations

from typing import IO


class ReadThrough:
    """Reads ``raw`` and hands each chunk to ``seen``, which subclasses define (it may raise
    to stop the reader); anything else is ``raw``'s."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw

    def seen(self, data: bytes) -> None:
        raise NotImplementedError

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.seen(data)
        return data

    def readinto(self, buffer: bytearray) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readable(self) -> bool:
        return True

    def __getattr__(self, name: str) -> object:
        return getattr(self.raw, name)
