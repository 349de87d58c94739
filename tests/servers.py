"""Real servers for the tests: ``eurasia-kg serve`` and ``oxigraph serve`` on 127.0.0.1.

Each runs as its own process on a free port and is stopped when its fixture ends.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import SHARED

TOKEN = "test-write-token"  # noqa: S105 - a fixture's token, not a secret


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback
                return
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{url} did not come up in {seconds} s")


@contextmanager
def running(
    args: list[str], health: str, env: dict[str, str] | None = None, log: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    output = log.open("wb") if log else subprocess.DEVNULL
    process = subprocess.Popen(args, env=env, stdout=output, stderr=output)  # noqa: S603
    try:
        wait_until_up(health, process)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log:
            output.close()  # type: ignore[union-attr]


@contextmanager
def oxigraph(directory: Path) -> Iterator[str]:
    """``oxigraph serve`` (PyPI package oxigraph); yields its query endpoint URL, asking for
    the union default graph per query (as eurasia-kg's embedded store has it) rather than with
    --union-default-graph, which would refuse updates with USING or WITH."""
    port = free_port()
    exe = shutil.which("oxigraph")
    if exe is None:
        raise RuntimeError("the oxigraph command is missing: pip install oxigraph")
    args = [
        exe,
        "serve",
        "--location",
        str(directory),
        "--bind",
        f"127.0.0.1:{port}",
    ]
    with running(args, f"http://127.0.0.1:{port}/query?query=ASK%7B%7D"):
        yield f"http://127.0.0.1:{port}/query?union-default-graph"


@dataclass
class LiveServer:
    url: str  # e.g. http://127.0.0.1:PORT/
    token: str | None
    backend: str
    log: Path
    pid: int = 0  # the eurasia-kg process, parent of its query workers
    location: str = ""  # EURASIA_KG_STORE: the store's directory, or the remote query URL

    @property
    def sparql(self) -> str:
        return self.url + "sparql"

    @property
    def update(self) -> str:
        return self.url + "update"

    @property
    def store(self) -> str:
        return self.url + "store"


@contextmanager
def eurasia_kg(
    directory: Path,
    backend: str = "embedded",
    token: str | None = TOKEN,
    port: int | None = None,
    **settings: str,
) -> Iterator[LiveServer]:
    """``eurasia-kg serve`` on the report's graph: on an embedded store in ``directory``, or
    on an ``oxigraph serve`` process (``backend="oxigraph"``). ``settings`` become
    EURASIA_KG_<NAME> variables."""
    port = port or free_port()
    env = {**os.environ, "EURASIA_KG_REPORTS": str(SHARED / "seed")}
    env.pop("EURASIA_KG_WRITE_TOKEN", None)
    if token:
        env["EURASIA_KG_WRITE_TOKEN"] = token
    env.update({f"EURASIA_KG_{k.upper()}": v for k, v in settings.items()})
    log = directory / "server.log"
    exe = shutil.which("eurasia-kg")
    assert exe, "eurasia-kg is not installed (pip install -e .)"  # noqa: S101
    args = [exe, "serve", "--host", "127.0.0.1", "--port", str(port)]
    url = f"http://127.0.0.1:{port}/"
    with _store(directory, backend) as store:
        env["EURASIA_KG_STORE"] = store
        with running(args, url + "health", env, log) as process:
            yield LiveServer(url, token, backend, log, process.pid, store)


@contextmanager
def _store(directory: Path, backend: str) -> Iterator[str]:
    if backend == "oxigraph":
        with oxigraph(directory / "oxigraph") as url:
            yield url
    else:
        yield str(directory / "store")
