"""The SPARQL 1.1 Protocol: queries at /sparql (read-only, CORS), updates at /update (token).

A route reads the request (``server.protocol``), guards it (``server.guard``), lets the store
run it in a worker (``graph.sandbox``) and answers in the negotiated format
(``server.conneg``). Errors become HTTP answers in ``server.errors``.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from flask_cors import cross_origin

from graph import worker
from server import auth, conneg, retries, service_description
from server.answer_cache import Kept
from server.context import Context, context
from server.errors import bad_request, not_acceptable
from server.guard import check, shape
from server.protocol import Operation, read

blueprint = Blueprint("sparql", __name__)
TRUNCATED = "Eurasia-KG-Truncated"
CACHE = "Eurasia-KG-Cache"  # "hit" when the answer was kept from an earlier run (server.answer_cache)


@blueprint.route("/sparql", methods=["GET", "POST"])
@cross_origin(methods=["GET", "POST"], expose_headers=[TRUNCATED, CACHE])
def query() -> Response:
    operation = read(request, "query")
    if operation is None:
        return service_description.respond(request)
    kg = context()
    found = shape(operation.text, base=request.base_url)
    offers = conneg.GRAPHS if found.form in {"CONSTRUCT", "DESCRIBE"} else conneg.RESULTS
    chosen = conneg.negotiate(request.headers.get("Accept"), offers, request.args.get("format"))
    if chosen is None:
        raise not_acceptable([f.media_type for f in offers])
    protocol_graphs = [*operation.default_graphs, *operation.named_graphs]
    needs_graphs = protocol_graphs or found.from_graphs or found.from_named
    check(
        found,
        kg.graph_names() if needs_graphs else (),
        kg.settings.allowed_services.split(),
        protocol_graphs,
    )
    graphs = (tuple(operation.default_graphs), tuple(operation.named_graphs))
    key = (operation.text, graphs, request.base_url, chosen.name)
    version = kg.version  # read before the query runs: an answer is never kept under a later one
    cache = kg.answers if kg.answers and not found.volatile else None
    kept = cache.get(version, key, Kept) if cache else None
    hit = kept is not None
    if kept is None:
        kept = _run(kg, operation, chosen)
        if cache:
            cache.put(version, key, kept)
    response = Response(kept.body, content_type=f"{kept.media_type}; charset=utf-8")
    response.headers[CACHE] = "hit" if hit else "miss"
    response.vary.add("Accept")
    if kept.truncated:
        response.headers[TRUNCATED] = f"limit={kg.settings.result_limit}"
    return response


def _run(kg: Context, operation: Operation, chosen: conneg.Format) -> Kept:
    """Run the query in a worker and serialize its answer in the negotiated format."""
    answer = kg.store.answer(
        operation.text,
        union=kg.settings.union_default_graph,
        default_graph=operation.default_graphs or None,
        named_graphs=operation.named_graphs or None,
        limit=kg.settings.result_limit,
        base_iri=request.base_url,  # the protocol lets the service choose; the endpoint's own URL
    )
    if answer.kind == "graph" and chosen not in conneg.GRAPHS:
        found = conneg.negotiate(request.headers.get("Accept"), conneg.GRAPHS, request.args.get("format"))
        if found is None:
            raise not_acceptable([f.media_type for f in conneg.GRAPHS])
        chosen = found
    body = answer.serialize(
        conneg.PYOXIGRAPH_RESULTS.get(chosen.name), conneg.PYOXIGRAPH_RDF.get(chosen.name)
    )
    return Kept(body, chosen.media_type, answer.truncated)


@blueprint.route("/update", methods=["GET", "POST"])
def update() -> Response:
    auth.require_write(request)
    operation = read(request, "update")
    assert operation is not None  # noqa: S101 - read() refuses an update without one
    kg = context()
    if operation.default_graphs or operation.named_graphs:
        raise bad_request(
            "using-graph-uri and using-named-graph-uri are not supported; "
            "write USING and USING NAMED in the update itself"
        )
    found = shape(operation.text, base=request.base_url)
    check(found, (), kg.settings.allowed_services.split())
    key = retries.key(request, {"status": 204})
    earlier = retries.replayed(kg.store.write(worker.UpdateJob(operation.text, request.base_url, key)))
    if earlier is not None:
        return earlier
    kg.changed()
    return Response(status=204)


@blueprint.route("/health")
@cross_origin(methods=["GET"])
def health() -> Response:
    kg = context()
    info = kg.store.info()
    return jsonify(status="ok", store=kg.describe_store(), quads=info["quads"], graphs=len(info["graphs"]))
