"""Settings from the environment (prefix ``EURASIA_KG_``), with documented defaults.

Every setting can also be given on the command line; see ``eurasia-kg --help``. The README's
configuration table lists them all.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BASE = "https://w3id.org/eurasia-kg/"
REASONERS = ("hermit", "owl2rl", "hermit+owl2rl")


@dataclass(frozen=True)
class Settings:
    """Where the graph lives, what it is called, and how the server guards it.

    base: the dataset namespace; entities are ``<base>id/<slug>``, ontology terms
        ``<base>ontology#<Name>``, named graphs ``<base>graph/...``.
    store: a directory for the embedded on-disk store, or the ``http(s)://`` URL of a SPARQL
        1.1 query endpoint (see ``update_url``, ``graph_store_url``, ``store_user``).
    sources: the folder of report source files (``*.yaml``).
    reports: the folder holding the reports' texts, which sources name in ``report.text``.
    write_token: the bearer token that writes need; writes are refused while it is empty.
    query_timeout: seconds a query or update may run before it is stopped (503).
    result_limit: the most rows (or triples) a query answer carries; more are cut off and the
        answer says so.
    max_request_bytes: the largest request body accepted (413 beyond).
    workers: query worker processes of the embedded store.
    long_queries: how many queries may run past ``short_query_seconds`` at once; a further
        one is stopped there (503), so that long queries leave workers free for short ones.
    short_query_seconds: how long a query may run before it counts as a long query.
    query_memory_mb: the most memory (MiB of heap) a query worker may use; a query that needs
        more is stopped (503). With ``workers``, it bounds the server's memory.
    answer_cache_mb: MiB of serialized query answers the server keeps until the next write
        (embedded store only; 0 keeps none).
    allowed_services: space-separated IRI prefixes that SERVICE, LOAD and FROM may reach
        outside the store; empty (the default) allows none.
    union_default_graph: whether queries see the union of all graphs as their default graph.
    dumps: where the server keeps the dump files it offers under /export/; by default a
        ``dumps`` folder beside the embedded store (``data/dumps`` for a remote store).
    connections_per_address: the most connections one client address may hold open at once
        (the TCP peer's address); a further one is closed as soon as it is accepted.
    request_deadline: seconds a connection has to deliver a complete request (head and body)
        after it opens or after its last answer; it is closed when they run out, even if it is
        still trickling bytes. A large upload over a slow link needs a larger figure.
    connection_limit: the most connections open at once, from all addresses; beyond it, new
        ones wait in the kernel's queue (waitress only; see docs/connections.md).
    reasoner: the build's reasoning step: ``hermit`` (HermiT: consistency and OWL 2 DL types),
        ``owl2rl`` (OWL 2 RL materialization by ``reasonable``: subclass and subproperty
        consequences, fast on large data) or ``hermit+owl2rl`` (both).
    """

    base: str = DEFAULT_BASE
    store: str = str(PROJECT_ROOT / "data" / "store")
    sources: Path = PROJECT_ROOT / "graph" / "sources"
    reports: Path = field(default=PROJECT_ROOT.parent / "shared" / "seed")
    update_url: str = ""
    graph_store_url: str = ""
    store_user: str = ""
    store_password: str = field(default="", repr=False)
    write_token: str = field(default="", repr=False)
    query_timeout: float = 30.0
    result_limit: int = 100_000
    max_request_bytes: int = 10 * 1024 * 1024
    workers: int = 8  # more than the long queries can hold, so lookups always find one
    long_queries: int = 1
    short_query_seconds: float = 0.5
    query_memory_mb: int = 1024
    answer_cache_mb: int = 64
    allowed_services: str = ""
    union_default_graph: bool = True
    dumps: str = ""
    reasoner: str = "hermit"
    connections_per_address: int = 20
    request_deadline: float = 20.0
    connection_limit: int = 1000

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        """Settings from ``EURASIA_KG_<FIELD>`` variables; ``EURASIA_KG_WRITE_TOKEN_FILE`` names
        a file holding the write token. Raises ValueError for a value of the wrong type."""
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(f"EURASIA_KG_{f.name.upper()}")
            if raw is not None:
                values[f.name] = _convert(f.name, raw, f.type)
        token_file = env.get("EURASIA_KG_WRITE_TOKEN_FILE")
        if token_file and "write_token" not in values:
            try:
                values["write_token"] = Path(token_file).read_text(encoding="utf-8").strip()
            except OSError as error:
                raise ValueError(f"EURASIA_KG_WRITE_TOKEN_FILE: cannot read {token_file}: {error}") from None
        return cls(**values)  # type: ignore[arg-type]

    def with_(self, **changes: object) -> Settings:
        """A copy with the given fields changed; ``None`` values are ignored."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})  # type: ignore[arg-type]

    @property
    def dumps_directory(self) -> Path:
        if self.dumps:
            return Path(self.dumps)
        return PROJECT_ROOT / "data" / "dumps" if self.remote else Path(self.store).parent / "dumps"

    @property
    def remote(self) -> bool:
        return self.store.startswith(("http://", "https://"))

    def __post_init__(self) -> None:
        if not self.base.endswith(("/", "#")):
            raise ValueError(
                f"EURASIA_KG_BASE must end with '/' or '#' so that IRIs can be appended "
                f"to it, got {self.base!r}"
            )
        if (
            min(self.query_timeout, self.result_limit, self.workers, self.long_queries, self.query_memory_mb)
            <= 0
        ):
            raise ValueError(
                "query timeout, result limit, workers, long queries and query memory must be positive"
            )
        if self.reasoner not in REASONERS:
            raise ValueError(
                f"EURASIA_KG_REASONER must be one of {', '.join(REASONERS)}, got {self.reasoner!r}"
            )
        if self.short_query_seconds <= 0:
            raise ValueError("short query seconds must be positive")
        if min(self.connections_per_address, self.request_deadline, self.connection_limit) <= 0:
            raise ValueError(
                "EURASIA_KG_CONNECTIONS_PER_ADDRESS, EURASIA_KG_REQUEST_DEADLINE and "
                "EURASIA_KG_CONNECTION_LIMIT must be positive"
            )


def _convert(name: str, raw: str, kind: object) -> object:
    kind = str(kind)
    try:
        if kind == "Path":
            return Path(raw)
        if kind == "float":
            return float(raw)
        if kind == "int":
            return int(raw)
        if kind == "bool":
            if raw.lower() not in {"1", "0", "true", "false", "yes", "no"}:
                raise ValueError(raw)
            return raw.lower() in {"1", "true", "yes"}
    except ValueError:
        raise ValueError(f"EURASIA_KG_{name.upper()}={raw!r} is not a valid {kind}") from None
    return raw
