"""A throwaway Virtuoso server (Debian's ``virtuoso-opensource-7``) on 127.0.0.1, for tests.

``virtuoso(directory)`` writes a minimal ``virtuoso.ini`` whose database, logs and HTTP root
all live in ``directory``, starts ``virtuoso-t +foreground`` on two free loopback ports (SQL
and HTTP), waits until ``/sparql`` answers, opens writes to anonymous HTTP clients and stops
the server at exit.

Writes are opened with ``isql-vt`` as dba/dba rather than by using Virtuoso's authenticated
endpoints (``/sparql-auth``, ``/sparql-graph-crud-auth``): those accept HTTP *digest*
authentication only, while ``graph.remote.RemoteStore`` sends *basic* credentials, so they
would answer it 401. The grants make the plain ``/sparql`` (query and update) and
``/sparql-graph-crud`` (Graph Store Protocol) writable without credentials, which is only
acceptable because the server listens on 127.0.0.1 and lives as long as one test module.

``graph.remote.RemoteStore`` already asks by content negotiation only (SPARQLWrapper would
add ``format=xml``, which Virtuoso obeys with a 406) and asks CONSTRUCT and DESCRIBE for
N-Triples or Turtle only (offered JSON, Virtuoso answers them as an s/p/o result set with a
non-standard "lang" key). ``VirtuosoStore`` adds what only Virtuoso 7.2 needs, kept here
rather than in graph/remote.py because it bends the standard protocols:

- an ASK answer that comes as a result set of the one variable ``__ASK_RETVAL`` (Virtuoso's way:
  one row for yes, none for no) is read as the boolean;
- the build's replacement update is written the way Virtuoso 7.2 accepts it: INSERT DATA in
  chunks (one INSERT DATA of the whole build fails with "SP031: The length of generated SQL
  text has exceeded 10000 lines of code"), quads with blank nodes in ``INSERT {..} WHERE {..}``
  (INSERT DATA refuses them: "SP031: Blank node .. is not allowed in a constant clause"), and
  each ``xsd:duration`` literal through ``STRDT`` (INSERT DATA refuses "P4D"^^xsd:duration;
  Virtuoso then stores P4D as "345600.0" and P10Y as "120", seconds or months, keeping the
  datatype). It stays one update request.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyoxigraph import BlankNode, DefaultGraph, Literal, Quad, RdfFormat, parse

from graph import worker
from graph.remote import RemoteStore
from graph.sandbox import Answer
from graph.store import insert_data
from tests.servers import free_port

VIRTUOSO = "virtuoso-t"
ISQL = "isql-vt"
GRANTS = (
    'GRANT SPARQL_UPDATE TO "SPARQL";\n'  # SPARQL Update at /sparql for the anonymous user
    "DB.DBA.RDF_DEFAULT_USER_PERMS_SET('nobody', 7);\n"  # read+write+list of every graph (GSP)
)
INI = """\
[Database]
DatabaseFile       = {d}/virtuoso.db
ErrorLogFile       = {d}/virtuoso.log
LockFile           = {d}/virtuoso.lck
TransactionFile    = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile    = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx

[Parameters]
ServerPort         = 127.0.0.1:{sql_port}
DisableUnixSocket  = 1
DirsAllowed        = {d}
NumberOfBuffers    = 10000
MaxDirtyBuffers    = 6000
CheckpointInterval = 0
MaxClientConnections = 10

[HTTPServer]
ServerPort           = 127.0.0.1:{http_port}
ServerRoot           = {d}/vsp
ServerThreads        = 10
MaxClientConnections = 10
Charset              = UTF-8

[SPARQL]
ResultSetMaxRows           = 1000000
MaxQueryExecutionTime      = 120
MaxQueryCostEstimationTime = 120
"""


@dataclass(frozen=True)
class VirtuosoEndpoints:
    """Where the server answers; ``startup_seconds`` is the time from launch until the
    SPARQL endpoint answered and the grants were made."""

    query: str  # SPARQL 1.1 Query (and Update) at /sparql
    update: str  # the same /sparql: Virtuoso takes updates on its query endpoint
    graph_store: str  # SPARQL 1.1 Graph Store HTTP Protocol at /sparql-graph-crud
    sql_port: int
    log: Path
    startup_seconds: float


XSD_DURATION = "http://www.w3.org/2001/XMLSchema#duration"
GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.8"
ASK_RETVAL = b"?__ASK_RETVAL\n"  # Virtuoso's answer to ASK: one row for yes, none for no
CHUNK = 250  # quads per INSERT DATA; 2,300 in one exceed Virtuoso's 10,000 lines of SQL


class VirtuosoStore(RemoteStore):
    """RemoteStore with the changes Virtuoso 7.2 needs (see the module's docstring)."""

    def answer(self, sparql: str, **options: Any) -> Answer:
        found = super().answer(sparql, **options)
        if found.kind == "solutions" and found.data.startswith(ASK_RETVAL):
            return Answer("boolean", found.data.count(b"\n") > 1)
        return found

    def write(self, job: object, timeout: float | None = None) -> object:
        if isinstance(job, worker.ReplaceGraphsJob):
            quads = list(parse(job.nquads, format=RdfFormat.N_QUADS))
            graphs = [g for g in self.info()["graphs"] if g.startswith(job.prefix)]
            self.write(worker.UpdateJob(replacement(graphs, quads)), timeout)
            return len(quads)
        return super().write(job, timeout)


def replacement(graphs: list[str], quads: list[Quad]) -> str:
    """One SPARQL Update that drops ``graphs`` and inserts ``quads``, as Virtuoso 7.2 takes it."""
    blank = [q for q in quads if isinstance(q.subject, BlankNode) or isinstance(q.object, BlankNode)]
    durations = [
        q
        for q in quads
        if q not in blank and isinstance(q.object, Literal) and q.object.datatype.value == XSD_DURATION
    ]
    ground = [q for q in quads if q not in blank and q not in durations]
    operations = [f"DROP SILENT GRAPH <{g}>" for g in graphs]
    operations += [insert_data(ground[i : i + CHUNK]) for i in range(0, len(ground), CHUNK)]
    if blank:
        # Not "WHERE {}": with several GRAPH blocks in the template, Virtuoso 7.2 then inserts
        # and yet answers 500 (SR002: Function string_output_string needs a string output).
        operations.append(
            "INSERT" + insert_data(blank).removeprefix("INSERT DATA") + " WHERE { BIND(1 AS ?one) }"
        )
    for q in durations:
        triple = f"{q.subject} {q.predicate} ?v"
        template = (
            f"{triple} ."
            if isinstance(q.graph_name, DefaultGraph)
            else f"GRAPH {q.graph_name} {{ {triple} }}"
        )
        lexical = Literal(q.object.value if isinstance(q.object, Literal) else "")
        operations.append(
            f"INSERT {{ {template} }} WHERE {{ BIND(STRDT({lexical}, <{XSD_DURATION}>) AS ?v) }}"
        )
    return " ;\n".join(operations)


def serve() -> None:
    """``eurasia-kg`` (the command line) with VirtuosoStore in place of RemoteStore, as
    ``python -c 'from tests.virtuoso import serve; serve()' serve ...``."""
    import graph.remote  # noqa: PLC0415
    from graph.cli import main  # noqa: PLC0415

    graph.remote.RemoteStore = VirtuosoStore  # type: ignore[misc]
    main()


def installed() -> bool:
    return shutil.which(VIRTUOSO) is not None and shutil.which(ISQL) is not None


@contextmanager
def virtuoso(directory: Path, seconds: float = 120) -> Iterator[VirtuosoEndpoints]:
    """Virtuoso with its database in ``directory`` (which should be empty), stopped at exit.
    Raises RuntimeError when it is not installed, exits, or does not come up in ``seconds``."""
    exe, isql = shutil.which(VIRTUOSO), shutil.which(ISQL)
    if exe is None or isql is None:
        raise RuntimeError("virtuoso-t and isql-vt are missing: apt-get install virtuoso-opensource-7")
    directory = directory.resolve()
    (directory / "vsp").mkdir(parents=True, exist_ok=True)
    sql_port, http_port = free_port(), free_port()
    ini = directory / "virtuoso.ini"
    ini.write_text(INI.format(d=directory, sql_port=sql_port, http_port=http_port), encoding="utf-8")
    root = f"http://127.0.0.1:{http_port}"
    endpoints = VirtuosoEndpoints(
        query=f"{root}/sparql",
        update=f"{root}/sparql",
        graph_store=f"{root}/sparql-graph-crud",
        sql_port=sql_port,
        log=directory / "virtuoso.out",
        startup_seconds=0.0,
    )
    started = time.monotonic()
    with endpoints.log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - the installed server, our own config
            [exe, "+foreground", "+configfile", str(ini)],
            cwd=directory,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_up(
                f"{endpoints.query}?{urllib.parse.urlencode({'query': 'ASK {}'})}", process, seconds
            )
            _grant(isql, sql_port)
            yield VirtuosoEndpoints(**{**endpoints.__dict__, "startup_seconds": time.monotonic() - started})
        finally:
            process.terminate()  # SIGTERM: Virtuoso's quick shutdown
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"virtuoso-t exited with {process.returncode}; see its log")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer in {seconds} s")


def _grant(isql: str, sql_port: int) -> None:
    """Run GRANTS as dba. isql-vt exits 0 even when a statement fails, so its error output
    is checked too."""
    done = subprocess.run(  # noqa: S603 - the installed client, fixed statements
        [isql, f"127.0.0.1:{sql_port}", "dba", "dba", f"exec={GRANTS}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0 or "*** Error" in done.stdout + done.stderr:
        raise RuntimeError(f"isql-vt could not grant SPARQL writes:\n{done.stdout}\n{done.stderr}")
