"""Files that appear under their name only when complete."""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


@contextmanager
def atomic_file(path: Path, text: bool = False) -> Iterator[IO]:
    """A file written under a temporary name beside ``path`` and renamed to it once complete
    and synced. If writing fails (a full disk, a crash), ``path`` keeps what it had and the
    temporary file is removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as raw:
            if text:
                stream = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                yield stream
                stream.flush()
                stream.detach()
            else:
                yield raw
            raw.flush()
            os.fsync(raw.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes it private; these files are for sharing
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
