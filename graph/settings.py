"""Settings from the environment (prefix ``EURASIA_KG_``), with documented defaults.

Every setting can also be given on the command line; see ``eurasia-kg --help``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BASE = "https://w3id.org/eurasia-kg/"


@dataclass(frozen=True)
class Settings:
    """Where the graph lives and what it is called.

    base: the dataset namespace; entities are ``<base>id/<slug>``, ontology terms
        ``<base>ontology#<Name>``, named graphs ``<base>graph/...``.
    store: a directory for the embedded on-disk store.
    sources: the folder of report source files (``*.yaml``).
    reports: the folder holding the reports' texts, which sources name in ``report.text``.
    """

    base: str = DEFAULT_BASE
    store: str = str(PROJECT_ROOT / "data" / "store")
    sources: Path = PROJECT_ROOT / "graph" / "sources"
    reports: Path = field(default=PROJECT_ROOT.parent / "shared" / "seed")

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        defaults = cls()
        return cls(
            base=env.get("EURASIA_KG_BASE", defaults.base),
            store=env.get("EURASIA_KG_STORE", defaults.store),
            sources=Path(env.get("EURASIA_KG_SOURCES", defaults.sources)),
            reports=Path(env.get("EURASIA_KG_REPORTS", defaults.reports)),
        )

    def with_(self, **changes: object) -> Settings:
        """A copy with the given fields changed; ``None`` values are ignored."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})  # type: ignore[arg-type]

    def __post_init__(self) -> None:
        if not self.base.endswith(("/", "#")):
            raise ValueError(
                f"EURASIA_KG_BASE must end with '/' or '#' so that IRIs can be appended "
                f"to it, got {self.base!r}"
            )
