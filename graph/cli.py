"""The ``eurasia-kg`` command: build, validate and query the graph.

Every command reads its settings from ``EURASIA_KG_*`` environment variables, which the
global options override. Errors are printed as one clear message, never a traceback, and the
exit status is 1 (2 for wrong usage).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

import queries
from graph import export, room
from graph.build import ValidationError, build, check
from graph.compiler import BuildError
from graph.integrity import StoreDamaged
from graph.namespaces import Dataset
from graph.room import NoRoom
from graph.sandbox import StoreError
from graph.settings import Settings
from graph.store import Store, StoreBusy, open_store, refuse_after_interrupted_bulk_load
from ontology.reasoning import InconsistentError
from queries.results import render

if TYPE_CHECKING:
    from graph.load import RdfFile

_T = TypeVar("_T")
FORMATS = ["table", "json", "csv", "tsv", "xml", "turtle", "ntriples"]


class _Commands(click.Group):
    """The command group whose own options may also follow the command (``eurasia-kg serve
    --store DIR``), unless the command has an option of the same name (``load --base``)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, self._hoisted(args))

    def _hoisted(self, args: list[str]) -> list[str]:
        ours = {
            name: not (param.is_flag or param.count)
            for param in self.params
            if isinstance(param, click.Option)
            for name in (*param.opts, *param.secondary_opts)
        }
        at, i = None, 0
        while i < len(args):  # the command: the first word that is no option's value
            if args[i] in self.commands:
                at = i
                break
            i += 2 if ours.get(args[i]) and "=" not in args[i] else 1
        if at is None:
            return args
        command = self.commands[args[at]]
        theirs = {name for param in command.params for name in getattr(param, "opts", ())}
        before, after, rest = list(args[:at]), [args[at]], args[at + 1 :]
        while rest:
            arg = rest.pop(0)
            name = arg.split("=", 1)[0]
            if arg == "--":
                after += [arg, *rest]
                break
            if name in ours and name not in theirs:
                before.append(arg)
                if ours[name] and "=" not in arg and rest:
                    before.append(rest.pop(0))  # the option's value
            else:
                after.append(arg)
        return before + after


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--store", help="Store directory, or the URL of a SPARQL 1.1 query endpoint [EURASIA_KG_STORE]."
)
@click.option("--update-url", help="SPARQL 1.1 Update endpoint of a remote store [EURASIA_KG_UPDATE_URL].")
@click.option(
    "--graph-store-url",
    help="Graph Store Protocol endpoint of a remote store [EURASIA_KG_GRAPH_STORE_URL].",
)
@click.option(
    "--store-user",
    help="User name for a remote store [EURASIA_KG_STORE_USER]; the password "
    "comes from EURASIA_KG_STORE_PASSWORD.",
)
@click.option("--base", help="Dataset namespace [EURASIA_KG_BASE].")
@click.option(
    "--sources",
    type=click.Path(path_type=Path),
    help="Folder of report sources [EURASIA_KG_SOURCES].",
)
@click.option(
    "--reports",
    type=click.Path(path_type=Path),
    help="Folder of the reports' texts [EURASIA_KG_REPORTS].",
)
@click.option(
    "--write-token-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="File holding the write token [EURASIA_KG_WRITE_TOKEN_FILE, or EURASIA_KG_WRITE_TOKEN].",
)
@click.option(
    "--query-timeout",
    type=float,
    help="Seconds before a query is stopped [EURASIA_KG_QUERY_TIMEOUT; 30].",
)
@click.option("--result-limit", type=int, help="Most rows in an answer [EURASIA_KG_RESULT_LIMIT; 100000].")
@click.option(
    "--max-request-bytes",
    type=int,
    help="Largest request body [EURASIA_KG_MAX_REQUEST_BYTES; 10 MiB].",
)
@click.option(
    "--connections-per-address",
    type=int,
    help="Most connections one client address may hold [EURASIA_KG_CONNECTIONS_PER_ADDRESS; 20].",
)
@click.option(
    "--request-deadline",
    type=float,
    help="Seconds a connection has to deliver a whole request [EURASIA_KG_REQUEST_DEADLINE; 20].",
)
@click.option(
    "--connection-limit",
    type=int,
    help="Most connections open at once, waitress only [EURASIA_KG_CONNECTION_LIMIT; 1000].",
)
@click.option("--workers", type=int, help="Query worker processes [EURASIA_KG_WORKERS; 8].")
@click.option(
    "--long-queries",
    type=int,
    help="Queries that may run past --short-query-seconds at once [EURASIA_KG_LONG_QUERIES; 1].",
)
@click.option(
    "--short-query-seconds",
    type=float,
    help="Seconds before a query counts as long [EURASIA_KG_SHORT_QUERY_SECONDS; 0.5].",
)
@click.option(
    "--query-memory-mb",
    type=int,
    help="MiB of memory a query worker may use [EURASIA_KG_QUERY_MEMORY_MB; 1024].",
)
@click.option(
    "--answer-cache-mb",
    type=int,
    help="MiB of answers kept until the next write [EURASIA_KG_ANSWER_CACHE_MB; 64].",
)
@click.option(
    "--allowed-services",
    help="IRI prefixes SERVICE/LOAD/FROM may reach [EURASIA_KG_ALLOWED_SERVICES].",
)
@click.option(
    "--union-default-graph/--no-union-default-graph",
    default=None,
    help="Queries see the union of all graphs [EURASIA_KG_UNION_DEFAULT_GRAPH; on].",
)
@click.option(
    "--reasoner",
    type=click.Choice(["hermit", "owl2rl", "hermit+owl2rl"]),
    help="The build's reasoning step [EURASIA_KG_REASONER; hermit].",
)
@click.version_option(package_name="eurasia-kg", message="eurasia-kg %(version)s")
@click.pass_context
def main(ctx: click.Context, write_token_file: Path | None, **options: object) -> None:
    """eurasia-kg: reports on Eurasian geopolitics as a knowledge graph."""
    try:
        settings = Settings.from_env().with_(**options)
        if write_token_file is not None:
            settings = settings.with_(write_token=write_token_file.read_text(encoding="utf-8").strip())
    except (ValueError, OSError) as error:
        raise click.UsageError(str(error)) from None
    ctx.obj = settings


@contextmanager
def _store(settings: Settings) -> Iterator[Store]:
    try:
        store = open_store(settings)
    except (StoreBusy, StoreDamaged, NoRoom) as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:
        raise click.ClickException(f"cannot open the store at {settings.store}: {error}") from None
    try:
        yield store
    except StoreError as error:
        raise click.ClickException(f"the store refused: {error}") from None
    finally:
        store.close()


@main.command("build")
@click.pass_obj
def build_command(settings: Settings) -> None:
    """Build the graph from the report sources into the store, all or nothing."""
    with _store(settings) as store:
        try:
            summary = build(settings, store)
        except (BuildError, ValidationError, InconsistentError) as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"{summary}\nstore: {settings.store}")


@main.command()
@click.pass_obj
def validate(settings: Settings) -> None:
    """Check the sources and the SHACL shapes without writing anything."""
    try:
        violations = check(settings)
    except BuildError as error:
        raise click.ClickException(str(error)) from None
    if violations:
        raise click.ClickException(str(ValidationError(violations)).replace("; the store is unchanged", ""))
    click.echo("the sources are valid: they compile and conform to the SHACL shapes")


@main.command("queries")
def list_queries() -> None:
    """List the named questions and their parameters."""
    for query in queries.catalogue().values():
        click.echo(f"{query.name}\n    {query.title}")
        for param in query.parameters:
            need = "required" if param.required else "optional"
            click.echo(f"    --{param.name} ({param.kind}, {need}): {param.description}")


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("query", required=False)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option(
    "--all",
    "run_all",
    is_flag=True,
    help="Run every named question (with the example values of required parameters).",
)
@click.pass_context
def query(ctx: click.Context, query: str | None, fmt: str, run_all: bool) -> None:
    """Run QUERY: a named question, a .rq file, or - for standard input.

    Parameters of named questions are given as --name value, e.g.
    `eurasia-kg query visits --state tajikistan`.
    """
    settings: Settings = ctx.obj
    dataset = Dataset(settings.base)
    if run_all == (query is not None):
        raise click.UsageError("give a QUERY or --all")
    try:
        values = _parameters(ctx.args)
        jobs = (
            [(q, queries.examples(q)) for q in queries.catalogue().values()]
            if run_all
            else [(_load(query or "-"), values)]
        )
        with _store(settings) as store:
            if len(store) == 0:
                raise click.ClickException(
                    f"the store at {settings.store} is empty; run `eurasia-kg build` first"
                )
            for named, params in jobs:
                if run_all:
                    click.echo(
                        f"\n## {named.title} ({named.name}"
                        + "".join(f" --{k} {v}" for k, v in params.items())
                        + ")\n"
                    )
                result = store.query(named.bound_sparql(dataset, named.bindings(params, dataset)))
                unbound = {p.name for p in named.parameters if p.name not in params}
                text = render(result, fmt, dataset.prefixes(), hide=unbound)
                click.echo(text, nl=not text.endswith("\n"))
    except (queries.QueryError, ValueError) as error:
        raise click.ClickException(str(error)) from None
    except SyntaxError as error:
        raise click.ClickException(f"the query is not valid SPARQL: {error}") from None
    except OSError as error:
        raise click.ClickException(f"cannot read the query: {error}") from None


def _parameters(args: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    pending = list(args)
    while pending:
        flag = pending.pop(0)
        if not flag.startswith("--") or not pending:
            raise click.UsageError(f"parameters are given as --name value; cannot read {flag!r}")
        values[flag[2:]] = pending.pop(0)
    return values


def _load(spec: str) -> queries.NamedQuery:
    if spec == "-":
        return queries.NamedQuery.parse("stdin", sys.stdin.read())
    if spec.endswith(".rq") or "/" in spec:
        return queries.load_file(Path(spec))
    return queries.find(spec)


@main.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    envvar="EURASIA_KG_HOST",
    help="Address to listen on [EURASIA_KG_HOST].",
)
@click.option(
    "--port",
    default=8000,
    show_default=True,
    envvar="EURASIA_KG_PORT",
    type=int,
    help="Port to listen on [EURASIA_KG_PORT].",
)
@click.option(
    "--threads",
    default=16,
    show_default=True,
    envvar="EURASIA_KG_THREADS",
    type=int,
    help="Request threads [EURASIA_KG_THREADS].",
)
@click.option(
    "--http",
    type=click.Choice(["waitress", "granian"]),
    default="waitress",
    show_default=True,
    envvar="EURASIA_KG_HTTP",
    help="The HTTP server: waitress (pure Python) or granian (Rust, about 3x the requests "
    "per second) [EURASIA_KG_HTTP].",
)
@click.pass_obj
def serve(settings: Settings, host: str, port: int, threads: int, http: str) -> None:
    """Serve the SPARQL endpoint and the graph over HTTP, building it if empty."""
    import logging

    from server import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    _check_listenable(host, port)  # before the store and its workers start
    try:
        app = create_app(settings)
    except (StoreError, StoreBusy, BuildError, ValidationError, InconsistentError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"eurasia-kg: the browser at http://{host}:{port}/ and the SPARQL endpoint at "
        f"http://{host}:{port}/sparql ({'writes enabled' if settings.write_token else 'read-only'}, {http})",
        err=True,
    )
    from server import http_granian, http_waitress

    (http_granian if http == "granian" else http_waitress).serve(app, settings, host, port, threads)


def _check_listenable(host: str, port: int) -> None:
    """Raise ClickException, one line with the fix, when ``host:port`` cannot be listened on."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as error:
        raise click.ClickException(f"cannot listen on {host}: {error}; give an address with --host") from None
    for family, kind, proto, _, address in infos:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do
            try:
                probe.bind(address)
            except OSError as error:
                raise click.ClickException(
                    f"cannot listen on {host}:{port}: {error.strerror}; stop what uses that port, "
                    "or choose another with --port (EURASIA_KG_PORT)"
                ) from None


@main.command("load")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--graph", "graph_iri", help="Load triples into this named graph (default: the default graph).")
@click.option("--format", "media_type", help="Media type of the files, when their names do not say it.")
@click.option("--base", "base_iri", help="Base IRI for relative IRIs in the files.")
@click.option(
    "--bulk",
    is_flag=True,
    help="Use the bulk loader: several times faster on large files, in bounded memory, but a "
    "crash mid-load may leave part of a file, and a checkpoint of the store beside it to restore "
    "(an invalid file still loads nothing).",
)
@click.pass_obj
def load_command(
    settings: Settings,
    files: tuple[Path, ...],
    graph_iri: str | None,
    media_type: str | None,
    base_iri: str | None,
    bulk: bool,
) -> None:
    """Load RDF FILES (Turtle, N-Triples, N-Quads, TriG, JSON-LD, RDF/XML; .gz too) into the store.

    Every file is checked in full first; if any is invalid nothing is loaded. Each file is then
    loaded in one transaction: all of it or none of it, even if the command is killed
    (with --bulk, only an invalid file is guaranteed to load nothing, and the first file, in
    N-Triples or N-Quads, is checked as it loads instead of before).
    """
    from pyoxigraph import NamedNode

    from graph import load

    try:
        graph = NamedNode(graph_iri) if graph_iri else None
    except ValueError as error:
        raise click.UsageError(f"--graph {graph_iri!r} is not an IRI: {error}") from None
    try:
        if bulk and not settings.remote:  # before the files are checked, which may take long
            refuse_after_interrupted_bulk_load(Path(settings.store))
        rdf_files = [load.identify(path, media_type) for path in files]
        # In bulk, the first file in N-Triples or N-Quads is checked as it loads: the store
        # takes its parts all or none, and no file came before it.
        first_as_it_loads = bulk and not settings.remote and load.checks_as_it_loads(rdf_files[0])
        counts = [None if first_as_it_loads else _check(rdf_files[0], base_iri)]
        counts += [_check(f, base_iri) for f in rdf_files[1:]]
        with _store(settings) as store:
            for rdf_file, count in zip(rdf_files, counts, strict=True):
                in_parts = count is None and isinstance(store, load.PartsLoader)  # embedded, so always
                try:
                    if in_parts:
                        lines = _with_progress(
                            f"loading {rdf_file.path.name}",
                            rdf_file.size,
                            partial(load.bulk_load_checking, store, rdf_file, graph, base_iri),  # type: ignore[arg-type]
                        )
                        click.echo(f"loaded {lines} lines from {rdf_file.path}", err=True)
                        continue
                    _with_progress(
                        f"loading {rdf_file.path.name}",
                        rdf_file.size,
                        partial(load.load, store, rdf_file, graph, base_iri, bulk=bulk),
                    )
                except OSError as error:
                    if not room.is_no_space(error):
                        raise
                    raise click.ClickException(
                        _out_of_room(settings, rdf_file, error, in_parts, bulk)
                    ) from None
                click.echo(f"loaded {count} statements from {rdf_file.path}", err=True)
    except (load.LoadError, StoreBusy) as error:  # StoreBusy: a checkpoint left by a crash
        raise click.ClickException(f"{error}\nnothing was loaded") from None


def _out_of_room(settings: Settings, rdf_file: RdfFile, error: OSError, in_parts: bool, bulk: bool) -> str:
    """What a load that filled the disk did with ``rdf_file``, and what to do."""
    store = Path(settings.store).absolute()
    if in_parts:
        try:
            refuse_after_interrupted_bulk_load(store)
            done = "none of it is in the store: the store was put back as it was before it"
        except StoreBusy as left:
            done = f"the store could not be put back as it was before it: {left}"
    elif bulk:
        done = "part of it may be in the store (the bulk loader has no transaction)"
    else:
        done = (
            "it may or may not be in the store, all of it or none (one transaction); once space "
            "is freed, look for it with `eurasia-kg query` before loading it again"
        )
    return (
        f"the disk holding the store at {store} filled up while {rdf_file.path} was loading ({error}); "
        f"{done}. Files listed as loaded above are in the store, files after it were not loaded. "
        f"Free space on that file system (`df {store}`), then go on"
    )


def _check(rdf_file: RdfFile, base_iri: str | None) -> int:
    from graph import load

    return _with_progress(
        f"checking {rdf_file.path.name}", rdf_file.size, partial(load.check, rdf_file, base_iri)
    )


def _with_progress(label: str, total: int, work: Callable[[Callable[[int], None]], _T]) -> _T:
    """Run ``work`` with a progress bar on a terminal (stderr), silently elsewhere."""
    if not sys.stderr.isatty():
        return work(lambda _: None)
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        return work(bar.update)


@main.command("export")
@click.option(
    "--format",
    "fmt",
    required=True,
    type=click.Choice([*export.FORMATS, "graphml", "csv"]),
    help="An RDF format, or graphml / csv for the entity graph.",
)
@click.option(
    "--graphs",
    "selection",
    type=click.Choice(export.SELECTIONS),
    default="all",
    show_default=True,
    help="Which graphs: the asserted facts and provenance, the inferences, the ontology, or all.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="The file to write (a folder for csv); default: a file named for the dump, here.",
)
@click.pass_obj
def export_command(settings: Settings, fmt: str, selection: str, output: Path | None) -> None:
    """Export the graph: RDF in every common format, or the entity graph as GraphML or CSV.

    Files are written under a temporary name and renamed when complete. Quad formats (nquads,
    trig) keep the named graphs, and so the provenance; triple formats merge them.
    """
    from graph.entity_graph import EntityGraph

    dataset = Dataset(settings.base)
    with _store(settings) as store:
        try:
            if fmt in {"graphml", "csv"}:
                entities = EntityGraph.of(store, dataset)
                if fmt == "graphml":
                    path = output or Path("eurasia-kg-entities.graphml")
                    entities.write_graphml(path, dataset)
                    written = [path]
                else:
                    written = list(entities.write_csv(output or Path("."), dataset))
                click.echo(
                    f"wrote {len(entities.nodes)} nodes and {len(entities.edges)} edges to "
                    + ", ".join(map(str, written)),
                    err=True,
                )
                return
            path = output or Path(export.file_name(fmt, selection))
            dump = _with_progress(
                f"writing {path.name}",
                len(store),
                partial(export.write, store, fmt, selection, dataset, path),
            )
        except OSError as error:
            raise click.ClickException(f"cannot write the export: {error}; nothing was left behind") from None
    click.echo(
        f"wrote {dump.quads} statements to {dump.path} ({dump.size} bytes, sha256 {dump.sha256})", err=True
    )


def _embedded(settings: Settings) -> Path:
    if settings.remote:
        raise click.ClickException(
            "backup and restore work on the embedded store; back a remote SPARQL server up with its own tools"
        )
    return Path(settings.store)


@main.command("backup")
@click.argument("directory", type=click.Path(path_type=Path))
@click.pass_obj
def backup_command(settings: Settings, directory: Path) -> None:
    """Back the store up into DIRECTORY, a new directory: one consistent state of the store.

    It works while `eurasia-kg serve` serves the store and writes to it: the server takes the
    backup between two writes. On the same file system the backup hard-links the store's
    files, so it is quick and small. `eurasia-kg restore DIRECTORY` brings it back.
    """
    from graph import backup

    try:
        quads = backup.backup(_embedded(settings), directory)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backed up {quads} quads from {settings.store} into {directory}", err=True)


@main.command("restore")
@click.argument("directory", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.pass_obj
def restore_command(settings: Settings, directory: Path) -> None:
    """Replace the store with the backup in DIRECTORY (made by `eurasia-kg backup`).

    Refused while a server serves the store: stop it first. The backup is checked, copied
    beside the store, and swapped in in one step, so the store's path holds the old store or
    the restored one even if the restore is interrupted. DIRECTORY itself is left as it is,
    unless it is the checkpoint an interrupted `load --bulk` left beside the store: that one is
    removed once restored, so that the next bulk load may start.
    """
    from graph import backup

    try:
        quads, removed = backup.restore(_embedded(settings), directory)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"restored {quads} quads from {directory} into {settings.store}", err=True)
    if removed:
        click.echo(f"removed the bulk load's checkpoint {directory}: bulk loads may start again", err=True)


if __name__ == "__main__":  # python -m graph.cli, as the eurasia-kg command
    main()
