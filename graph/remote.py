"""A store that is an existing SPARQL 1.1 server (Oxigraph server, Fuseki, GraphDB, Virtuoso,
QLever), reached over the standard protocols: SPARQL 1.1 Query and Update through
SPARQLWrapper, the Graph Store HTTP Protocol through plain HTTP.

It offers what ``graph.sandbox.SandboxedStore`` offers (``answer``, ``write``, ``info``,
``dump`` and the ``graph.store.Store`` methods), so the build, the endpoint, the browser and
the exports work on it unchanged. Timeouts are the client's: a query that outlives its
timeout is abandoned here, and the server's own limits stop it there.
"""

from __future__ import annotations

import base64
import re
import socket
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlencode

from pyoxigraph import (
    NamedNode,
    Quad,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    parse,
    parse_query_results,
    serialize,
)
from SPARQLWrapper import POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

from graph import export, sparql_text, worker
from graph.export import Dump
from graph.namespaces import Dataset
from graph.sandbox import Answer, QuerySyntaxError, QueryTimeout, StoreError, StoreUnavailable
from graph.store import QueryResult, Term, insert_data

if TYPE_CHECKING:
    from graph.settings import Settings

RESULTS_ACCEPT = "application/sparql-results+json"
GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.8"


class RemoteStore:
    """The SPARQL 1.1 server at ``query_url`` (``update_url`` and ``graph_store_url`` for
    writes; by default the query URL's siblings ``update`` and ``store``, as Oxigraph server
    names them). Raises StoreUnavailable when the server does not answer."""

    def __init__(
        self,
        query_url: str,
        update_url: str = "",
        graph_store_url: str = "",
        user: str = "",
        password: str = "",
        timeout: float = 30.0,
    ) -> None:
        # Parameters on the query URL (e.g. Oxigraph's ?union-default-graph) go with queries
        # that do not name their own dataset.
        self.query_url, _, self.union_parameters = query_url.partition("?")
        root = self.query_url.rsplit("/", 1)[0]
        self.update_url = update_url or f"{root}/update"
        self.graph_store_url = graph_store_url or f"{root}/store"
        self.credentials = (user, password) if user else None
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> RemoteStore:
        return cls(
            settings.store,
            settings.update_url,
            settings.graph_store_url,
            settings.store_user,
            settings.store_password,
            settings.query_timeout,
        )

    # -- queries -------------------------------------------------------------------------

    def _client(self, url: str, timeout: float | None) -> SPARQLWrapper:
        client = SPARQLWrapper(url, agent="eurasia-kg")
        client.setTimeout(int(timeout or self.timeout))
        client.setMethod(POST)
        client.setOnlyConneg(True)  # no format=/output= parameters: Virtuoso answers them with 406
        if self.credentials:
            client.setCredentials(*self.credentials)
        return client

    def answer(
        self,
        sparql: str,
        *,
        union: bool = True,
        default_graph: Iterable[str] | None = None,
        named_graphs: Iterable[str] | None = None,
        substitutions: Mapping[str, Term] | None = None,
        limit: int = 100_000,
        timeout: float | None = None,
        base_iri: str | None = None,
    ) -> Answer:
        """Run the query on the server. With ``union`` and no dataset of its own, the query
        URL's parameters go along (e.g. Oxigraph's ``?union-default-graph``); otherwise the
        default graph is the server's. Bindings are sent as a VALUES block (``bind``)."""
        plain = default_graph is None and named_graphs is None
        url = self.query_url
        if union and plain and self.union_parameters:
            url = f"{url}?{self.union_parameters}"
        client = self._client(url, timeout)
        client.setQuery(with_base(bind(sparql, substitutions), base_iri))
        for graph in default_graph or ():
            client.addDefaultGraph(graph)
        for graph in named_graphs or ():
            client.addNamedGraph(graph)
        graph_form = client.queryType in {"CONSTRUCT", "DESCRIBE"}
        client.addCustomHttpHeader("Accept", GRAPH_ACCEPT if graph_form else RESULTS_ACCEPT)
        body, media_type = self._call(client)
        if "n-triples" in media_type or "turtle" in media_type:
            fmt = RdfFormat.N_TRIPLES if "n-triples" in media_type else RdfFormat.TURTLE
            triples = [q.triple for q in parse(body, format=fmt)]
            data = serialize(triples[:limit], format=RdfFormat.N_TRIPLES) or b""
            return Answer("graph", data, len(triples) > limit)
        result = parse_query_results(body, format=QueryResultsFormat.JSON)
        if isinstance(result, QueryBoolean):
            return Answer("boolean", bool(result))
        data, truncated = worker.solutions_tsv(result, limit)
        return Answer("solutions", data, truncated)

    def _call(self, client: SPARQLWrapper) -> tuple[bytes, str]:
        try:
            response = client.query().response
            return response.read(), response.headers.get("Content-Type", "")
        except QueryBadFormed as error:
            raise QuerySyntaxError(_detail(error)) from None
        except TimeoutError as error:
            raise QueryTimeout(str(error)) from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, socket.timeout | TimeoutError):
                raise QueryTimeout(str(error.reason)) from None
            raise StoreUnavailable(f"{client.endpoint}: {error.reason}") from None
        except SPARQLWrapperException as error:
            raise StoreError(_detail(error)) from None

    # -- writes --------------------------------------------------------------------------

    def write(self, job: object, timeout: float | None = None) -> Any:
        if isinstance(job, worker.UpdateJob):
            client = self._client(self.update_url, timeout)
            client.setQuery(with_base(job.sparql, job.base_iri))
            self._call(client)
            return None
        if isinstance(job, worker.LoadJob):
            params = {"graph": job.graph} if job.graph else {"default": ""}
            method = "PUT" if job.replace else "POST"
            self._http(method, params, job.data, job.format, timeout)
            return None
        if isinstance(job, worker.DropJob):
            params = {"graph": job.graph} if job.graph else {"default": ""}
            status, _ = self._http("DELETE", params, None, None, timeout, missing_ok=True)
            return status != 404
        if isinstance(job, worker.ReplaceGraphsJob):
            quads = list(parse(job.nquads, format=RdfFormat.N_QUADS))
            graphs = [g for g in self.info()["graphs"] if g.startswith(job.prefix)]
            drops = "".join(f"DROP SILENT GRAPH <{g}> ;\n" for g in graphs)
            self.write(worker.UpdateJob(drops + insert_data(quads)), timeout)
            return len(quads)
        raise TypeError(f"unknown job {type(job).__name__}")

    def _http(
        self,
        method: str,
        params: dict[str, str],
        body: bytes | None,
        media_type: str | None,
        timeout: float | None,
        accept: str | None = None,
        missing_ok: bool = False,
    ) -> tuple[int, bytes]:
        url = f"{self.graph_store_url}?{urlencode(params)}" if params else self.graph_store_url
        request = urllib.request.Request(url, data=body, method=method)  # noqa: S310 - configured URL
        if media_type:
            request.add_header("Content-Type", media_type)
        if accept:
            request.add_header("Accept", accept)
        if self.credentials:
            token = base64.b64encode(":".join(self.credentials).encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as response:  # noqa: S310
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            if missing_ok and error.code == 404:
                return 404, b""
            detail = error.read().decode("utf-8", "replace").strip()
            raise StoreError(f"the store answered {error.code}: {_detail(Exception(detail))}") from None
        except urllib.error.URLError as error:
            raise StoreUnavailable(f"{url}: {error.reason}") from None

    # -- reading the store as a whole ----------------------------------------------------

    def info(self) -> dict[str, Any]:
        graphs = self.answer("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }").result()
        count = self.answer(
            "SELECT (COUNT(*) AS ?n) WHERE { { GRAPH ?g { ?s ?p ?o } } UNION { ?s ?p ?o "
            "FILTER NOT EXISTS { GRAPH ?h { ?s ?p ?o } } } }"
        ).result()
        if not isinstance(graphs, QuerySolutions) or not isinstance(count, QuerySolutions):
            raise StoreError("the server answered a SELECT query with something else")
        names = sorted(g.value for s in graphs if isinstance(g := s["g"], NamedNode))
        return {"quads": int(next(count)["n"].value), "graphs": names}

    def dump(self, job: worker.DumpJob) -> bytes | None:
        params = {} if job.whole else ({"graph": job.graph} if job.graph else {"default": ""})
        status, body = self._http("GET", params, None, None, None, accept=job.format, missing_ok=True)
        return None if status == 404 else body

    # -- graph.store.Store ---------------------------------------------------------------

    def query(
        self, sparql: str, *, substitutions: Mapping[str, Term] | None = None, union: bool = True
    ) -> QueryResult:
        return self.answer(sparql, substitutions=substitutions, union=union).result()

    def update(self, sparql: str) -> None:
        self.write(worker.UpdateJob(sparql))

    def replace_graphs(self, prefix: str, quads: Iterable[Quad]) -> None:
        self.write(worker.ReplaceGraphsJob(prefix, serialize(quads, format=RdfFormat.N_QUADS) or b""))

    def load(self, stream: IO[bytes], fmt: RdfFormat, graph: NamedNode | None, base_iri: str | None) -> None:
        """POST the RDF to the Graph Store Protocol endpoint: the server's transaction."""
        del base_iri  # the server resolves relative IRIs against the graph's IRI
        params = {"graph": graph.value} if graph else {"default": ""}
        self._http("POST", params, stream.read(), fmt.media_type, None)

    def named_graphs(self) -> list[NamedNode]:
        return [NamedNode(g) for g in self.info()["graphs"]]

    def quads(self, graph: NamedNode | None = None) -> Iterator[Quad]:
        if graph is None:
            data = self.dump(worker.DumpJob(RdfFormat.N_QUADS.media_type, whole=True)) or b""
            return iter(parse(data, format=RdfFormat.N_QUADS))
        data = self.dump(worker.DumpJob(RdfFormat.N_TRIPLES.media_type, graph=graph.value)) or b""
        return (
            Quad(q.subject, q.predicate, q.object, graph) for q in parse(data, format=RdfFormat.N_TRIPLES)
        )

    def export_dump(self, fmt: str, selection: str, base: str, path: Path) -> Dump:
        return export.write(self, fmt, selection, Dataset(base), path)

    def __len__(self) -> int:
        return int(self.info()["quads"])

    def close(self) -> None:
        pass


def with_base(sparql: str, base_iri: str | None) -> str:
    """The query or update with ``BASE <base_iri>`` before it: relative IRIs then resolve as
    on the embedded store, not against the remote server's address. A BASE of the request's
    own comes later and wins."""
    return f"BASE <{base_iri}> {sparql}" if base_iri else sparql  # one line: error lines stay right


def bind(sparql: str, substitutions: Mapping[str, Term] | None) -> str:
    """The query with its bindings as a VALUES block at the start of its WHERE clause
    (``graph.sparql_text.bind``). Raises QuerySyntaxError when it has no WHERE clause.

    >>> from pyoxigraph import NamedNode
    >>> bind("SELECT ?s WHERE { ?s ?p ?o }", {"o": NamedNode("http://x/")})
    'SELECT ?s WHERE { VALUES (?o) { (<http://x/>) } ?s ?p ?o }'
    """
    try:
        return sparql_text.bind(sparql, substitutions or {})
    except ValueError as error:
        raise QuerySyntaxError(str(error)) from None


def _detail(error: Exception) -> str:
    """What the remote server said was wrong, with the URLs in it (its own endpoints, or
    others it called) replaced: an error text goes to the client."""
    text = str(error)
    said = text.split("Response:", 1)[-1].strip().strip("b'\"") or text
    return _URL.sub("<a URL>", said)


_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"<>]+", re.IGNORECASE)
