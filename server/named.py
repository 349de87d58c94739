"""The named questions over HTTP: /queries/ lists them, /queries/<name>?param=value runs one
with its parameters passed as typed terms in a VALUES block (never the request's text), answering in the
negotiated SPARQL results format. /labels gives the labels of IRIs, for pages that show
query results."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

import queries
from graph.namespaces import Dataset
from server import conneg
from server.context import context
from server.errors import Problem, bad_request, not_acceptable
from server.guard import shape
from server.inputs import json_nesting
from server.sparql import TRUNCATED

blueprint = Blueprint("named", __name__)
MAX_LABELS = 500


@blueprint.route("/queries/")
def catalogue() -> Response:
    dataset = Dataset(context().settings.base)
    return jsonify(queries=[q.as_json(dataset) for q in queries.catalogue().values()])


@blueprint.route("/queries/<name>")
def run(name: str) -> Response:
    kg = context()
    dataset = Dataset(kg.settings.base)
    try:
        named = queries.find(name)
    except queries.QueryError as error:
        raise Problem(404, str(error)) from None
    values = {k: v for k, v in request.args.items() if k != "format"}
    try:
        bindings = named.bindings(values, dataset)
    except queries.QueryError as error:
        raise bad_request(str(error)) from None
    offers = conneg.GRAPHS if shape(named.text).form in {"CONSTRUCT", "DESCRIBE"} else conneg.RESULTS
    chosen = conneg.negotiate(request.headers.get("Accept"), offers, request.args.get("format"))
    if chosen is None:
        raise not_acceptable([f.media_type for f in offers])
    # the values inline, where the query planner sees them (see NamedQuery.bound_sparql)
    answer = kg.store.answer(named.bound_sparql(dataset, bindings), limit=kg.settings.result_limit)
    results, graphs = conneg.PYOXIGRAPH_RESULTS.get(chosen.name), conneg.PYOXIGRAPH_RDF.get(chosen.name)
    body = answer.serialize(results, graphs)
    response = Response(body, content_type=f"{chosen.media_type}; charset=utf-8")
    response.vary.add("Accept")
    if answer.truncated:
        response.headers[TRUNCATED] = f"limit={kg.settings.result_limit}"
    return response


@blueprint.route("/labels", methods=["POST"])
def labels() -> Response:
    """{"iris": [...]} -> {"labels": {iri: label}} for the IRIs that have a label."""
    if request.is_json:  # the only bodies get_json reads; bounded before its parser recurses
        json_nesting(request.get_data(cache=True))
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("iris"), list):
        raise bad_request('send JSON like {"iris": ["https://…"]}')
    iris = [i for i in data["iris"][:MAX_LABELS] if isinstance(i, str)]
    known = context().search_index().labels
    return jsonify(labels={iri: known[iri] for iri in iris if iri in known})
