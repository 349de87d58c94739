"""The servers the peer benchmark compares, each started on 127.0.0.1 with the same RDF files.

Each ``start_*`` function is a context manager that loads ``files`` (N-Triples, gzipped or
not, and RDF/XML) into a fresh server under ``work`` and yields an ``Endpoint``; the server is
stopped at exit. Nothing is written outside ``work``.

- eurasia-kg: ``eurasia-kg load`` into a fresh embedded store, then ``eurasia-kg serve
  --http granian`` with a generous query timeout, so that no benchmark query is cut short;
  eurasia-kg-uncached is the same without the answer cache, so every request runs its query.
- oxigraph: ``oxigraph serve`` (PyPI) in memory, the files POSTed to its Graph Store endpoint.
- rdflib-endpoint (PyPI): ``rdflib-endpoint serve FILES`` on rdflib's default in-memory store.
- virtuoso: Debian's ``virtuoso-t`` through ``tests/virtuoso.py``, the files bulk-loaded with
  ``ld_dir`` and ``rdf_loader_run`` through ``isql-vt``.
"""

from __future__ import annotations

import functools
import gzip
import importlib.metadata
import os
import shutil
import subprocess
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests import virtuoso
from tests.servers import free_port, running

QUERY_TIMEOUT = "300"  # eurasia-kg's query timeout in the benchmark, seconds
RDF_TYPES = {".nt": "application/n-triples", ".owl": "application/rdf+xml", ".rdf": "application/rdf+xml"}


@dataclass(frozen=True)
class Endpoint:
    name: str
    query: str  # the SPARQL query endpoint, to which ?query= (or &query=) is added
    pid: int  # the server's process, parent of any workers; 0 when unknown
    version: str


def _plain(files: list[Path], work: Path) -> list[Path]:
    """The files with any gzip compression undone, in ``work`` (for servers that need that)."""
    plain = []
    for path in files:
        if path.suffix == ".gz":
            target = work / path.stem
            with gzip.open(path, "rb") as source, target.open("wb") as sink:
                shutil.copyfileobj(source, sink)
            plain.append(target)
        else:
            plain.append(path)
    return plain


def _command(name: str) -> str:
    exe = shutil.which(name)
    if exe is None:
        raise RuntimeError(f"the {name} command is missing")
    return exe


@contextmanager
def start_eurasia_kg(files: list[Path], work: Path, kept: bool = True) -> Iterator[Endpoint]:
    """eurasia-kg under granian (``EURASIA_KG_HTTP`` chooses otherwise), with its answer cache,
    or, when not ``kept``, without it: every request then runs its query."""
    exe = _command("eurasia-kg")
    env = {
        "EURASIA_KG_HTTP": "granian",
        **os.environ,
        "EURASIA_KG_STORE": str(work / "store"),
        "EURASIA_KG_QUERY_TIMEOUT": QUERY_TIMEOUT,
    }
    if not kept:
        env["EURASIA_KG_ANSWER_CACHE_MB"] = "0"
    env.pop("EURASIA_KG_WRITE_TOKEN", None)
    for path in files:
        kind = RDF_TYPES.get(path.suffix)  # .nt.gz is recognised by eurasia-kg itself
        args = [exe, "load", str(path)] + (["--format", kind] if kind and path.suffix != ".nt" else [])
        subprocess.run(args, env=env, check=True, capture_output=True)  # noqa: S603
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    args = [exe, "serve", "--host", "127.0.0.1", "--port", str(port)]
    with running(args, url + "health", env, work / "eurasia-kg.log") as process:
        import pyoxigraph  # noqa: PLC0415

        http = env["EURASIA_KG_HTTP"]  # serve --http, from the environment
        cache = env.get("EURASIA_KG_ANSWER_CACHE_MB", "64")
        version = (
            f"eurasia-kg {_git_head()}, pyoxigraph {pyoxigraph.__version__}, "
            f"{http} {importlib.metadata.version(http)}, answer cache {cache} MiB"
        )
        yield Endpoint("eurasia-kg" if kept else UNCACHED, url + "sparql", process.pid, version)


@contextmanager
def start_oxigraph(files: list[Path], work: Path) -> Iterator[Endpoint]:
    exe = _command("oxigraph")
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    args = [exe, "serve", "--bind", f"127.0.0.1:{port}"]
    with running(args, root + "/query?query=ASK%7B%7D", log=work / "oxigraph.log") as process:
        for path in _plain(files, work):
            request = urllib.request.Request(  # noqa: S310 - loopback
                root + "/store?default",
                data=path.read_bytes(),
                headers={"Content-Type": RDF_TYPES[path.suffix]},
                method="POST",
            )
            with urllib.request.urlopen(request, timeout=300):  # noqa: S310 - loopback
                pass
        version = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False)  # noqa: S603
        yield Endpoint("oxigraph", root + "/query", process.pid, version.stdout.strip() + " (in memory)")


@contextmanager
def start_rdflib_endpoint(files: list[Path], work: Path) -> Iterator[Endpoint]:
    exe = _command("rdflib-endpoint")
    port = free_port()
    url = f"http://127.0.0.1:{port}/"  # its CLI serves SPARQL at the root
    args = [exe, "serve", "--host", "127.0.0.1", "--port", str(port), *map(str, _plain(files, work))]
    with running(args, url + "?query=ASK%7B%7D", log=work / "rdflib-endpoint.log") as process:
        version = ", ".join(
            f"{name} {importlib.metadata.version(name)}" for name in ("rdflib-endpoint", "rdflib", "uvicorn")
        )
        yield Endpoint("rdflib-endpoint", url, process.pid, version)


@contextmanager
def start_virtuoso(files: list[Path], work: Path) -> Iterator[Endpoint]:
    directory = work / "virtuoso"
    data = directory / "data"
    data.mkdir(parents=True)
    for path in _plain(files, data):
        if path.parent != data:
            shutil.copy(path, data / path.name)
    with virtuoso.virtuoso(directory) as endpoints:
        statements = f"ld_dir('{data}', '*', 'http://lubm.example/');\nrdf_loader_run();\ncheckpoint;\n"
        done = subprocess.run(  # noqa: S603 - the installed client, fixed statements
            [_command(virtuoso.ISQL), f"127.0.0.1:{endpoints.sql_port}", "dba", "dba", f"exec={statements}"],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0 or "*** Error" in done.stdout + done.stderr:
            raise RuntimeError(f"Virtuoso did not load the data:\n{done.stdout}\n{done.stderr}")
        yield Endpoint("virtuoso", endpoints.query, _child_named("virtuoso-t"), _virtuoso_version())


def _virtuoso_version() -> str:
    shown = subprocess.run([_command(virtuoso.VIRTUOSO), "-?"], capture_output=True, text=True, check=False)  # noqa: S603
    lines = (shown.stdout + shown.stderr).splitlines()
    return "Virtuoso " + lines[1].split()[1] if len(lines) > 1 else "Virtuoso (version unknown)"


def _child_named(name: str) -> int:
    """The id of this process's child running ``name``, or 0."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = stat.with_name("comm").read_text().strip()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and command == name[:15]:
            return int(stat.parent.name)
    return 0


def _git_head() -> str:
    here = Path(__file__).resolve().parents[1]
    git = shutil.which("git")
    if git is None:
        return "(unknown)"
    head = subprocess.run(  # noqa: S603 - git, fixed arguments
        [git, "-C", str(here), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    return head.stdout.strip() or "(unknown)"


UNCACHED = "eurasia-kg-uncached"
Starter = Callable[[list[Path], Path], AbstractContextManager[Endpoint]]
STARTERS: dict[str, Starter] = {
    "eurasia-kg": start_eurasia_kg,
    UNCACHED: functools.partial(start_eurasia_kg, kept=False),
    "oxigraph": start_oxigraph,
    "rdflib-endpoint": start_rdflib_endpoint,
    "virtuoso": start_virtuoso,
}


def available() -> list[str]:
    """The servers that can run here: Virtuoso only when virtuoso-t and isql-vt are installed."""
    return [name for name in STARTERS if name != "virtuoso" or virtuoso.installed()]
