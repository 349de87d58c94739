"""Idempotency keys: a write sent again with the same key is applied at most once.

A client that sends a write and gets no clear answer (the connection broke, or the disk
filled up while the write ran: docs/full-disk.md) cannot tell whether it was applied; sending
it again would add a second copy of whatever it adds anew (a POST without ``?graph`` makes a
new graph each time, and blank nodes are new each time). With an ``Idempotency-Key`` header
(draft-ietf-httpapi-idempotency-key-header), the key and the answer are recorded in the store
in the same transaction as the write, so either both are there or neither. A write whose key
is recorded is not applied again: the recorded answer is given instead. The writer process
runs one write at a time, so two requests with one key cannot both apply.

The records are triples in the named graph KEYS, one subject per key (the SHA-256 of the key,
so that the key's text never enters SPARQL): the SHA-256 of the request, and the answer as
JSON. They are part of the dataset like any other graph; ``DROP GRAPH <urn:eurasia-kg:
idempotency-keys>`` forgets them all.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from pyoxigraph import Literal, NamedNode, Store

KEYS = NamedNode("urn:eurasia-kg:idempotency-keys")
REQUEST = NamedNode("urn:eurasia-kg:idempotency#request")
ANSWER = NamedNode("urn:eurasia-kg:idempotency#answer")
HEADER = "Idempotency-Key"
REPLAYED = "Idempotency-Replayed"  # "true" on an answer recorded earlier, not applied again
_VALID = re.compile(r'"?([\x21\x23-\x7e]{1,255})"?')  # visible ASCII; an sf-string's quotes too


class KeyReused(Exception):
    """The key was recorded for a different request."""


@dataclass(frozen=True)
class Key:
    """An idempotency key, the request it came with, and the answer to record with it."""

    key: str
    request: str  # SHA-256 of what the request asks for
    answer: dict[str, Any]

    @property
    def subject(self) -> NamedNode:
        return NamedNode("urn:eurasia-kg:idempotency-key:" + hashlib.sha256(self.key.encode()).hexdigest())

    def record(self) -> str:
        """SPARQL Update that records the key, for the end of the write's own update."""
        answer = Literal(json.dumps(self.answer, sort_keys=True))
        return (
            f"INSERT DATA {{ GRAPH {KEYS} {{ {self.subject} {REQUEST} {Literal(self.request)} ; "
            f"{ANSWER} {answer} }} }}"
        )

    def recorded(self, store: Store) -> dict[str, Any] | None:
        """The answer recorded with the key in ``store``, or None. Raises KeyReused when it was
        recorded for another request."""
        found = list(store.quads_for_pattern(self.subject, None, None, KEYS))
        if not found:
            return None
        values = {q.predicate: q.object.value for q in found if isinstance(q.object, Literal)}
        if values.get(REQUEST) != self.request:
            raise KeyReused(
                f"this {HEADER} was already used for a different request; nothing was written. "
                "Use a new key (e.g. a fresh UUID) for each distinct write"
            )
        answer: dict[str, Any] = json.loads(values.get(ANSWER, "{}"))
        return answer


@dataclass(frozen=True)
class Replayed:
    """The answer recorded for a key: the write was applied before and is not applied again."""

    answer: dict[str, Any]


def parse_header(value: str | None) -> str | None:
    """The key in an ``Idempotency-Key`` header, None without one. Raises ValueError."""
    if value is None:
        return None
    match = _VALID.fullmatch(value.strip())
    if match is None:
        raise ValueError(
            f"the {HEADER} header must be 1 to 255 visible ASCII characters without a double quote "
            "(e.g. a UUID); nothing was written"
        )
    return match.group(1)


def fingerprint(*parts: str | bytes) -> str:
    """SHA-256 of a request's parts, each length-prefixed so that no two lists collide."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(b"%d:" % len(data) + data)
    return digest.hexdigest()
