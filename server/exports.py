"""Exports for other tools: the dumps under /export/, the VoID and DCAT description at
/.well-known/void, and the ontology alone at /ontology.ttl, /ontology.owl, /ontology.jsonld.

A dump is served from a file (streamed, with ETag and Range support) that is written on
first request and again after the store changes; names outside the fixed list are a 404,
so no request can reach another file.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request, send_file, url_for
from pyoxigraph import RdfFormat, serialize

from graph import void
from graph.namespaces import Dataset
from graph.sandbox import NoSpace
from graph.worker import NO_SPACE
from ontology import ontology_triples
from server import conneg
from server.context import context
from server.errors import Problem, not_acceptable

blueprint = Blueprint("exports", __name__)
ONTOLOGY_FORMATS = {
    "ttl": RdfFormat.TURTLE,
    "owl": RdfFormat.RDF_XML,
    "rdf": RdfFormat.RDF_XML,
    "jsonld": RdfFormat.JSON_LD,
    "nt": RdfFormat.N_TRIPLES,
    "trig": RdfFormat.TRIG,
    "nq": RdfFormat.N_QUADS,
}


@blueprint.route("/export/")
def catalogue() -> Response:
    """The dumps on offer, as JSON; sizes and checksums are in /.well-known/void."""
    offers = context().shelf.offers.values()
    return jsonify(
        dumps=[
            {
                "name": o.name,
                "url": url_for("exports.dump", name=o.name, _external=True),
                "mediaType": o.media_type,
                "graphs": o.selection,
            }
            for o in offers
        ],
        void=url_for("exports.well_known_void", _external=True),
    )


@blueprint.route("/export/<name>")
def dump(name: str) -> Response:
    kg = context()
    if name not in kg.shelf.offers:
        raise Problem(404, f"there is no dump {name!r}; /export/ lists them")
    try:
        path, made = kg.shelf.get(name, kg.version)
    except OSError as error:  # the entity graph is written here, RDF dumps in a worker (NoSpace)
        if error.errno in NO_SPACE:
            raise NoSpace(str(error)) from None
        raise
    response = send_file(
        path,
        mimetype=kg.shelf.offers[name].media_type,
        conditional=True,
        etag=made.sha256 if made else True,
        max_age=0,
    )
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@blueprint.route("/.well-known/void")
def well_known_void() -> Response:
    kg = context()
    chosen = conneg.negotiate(request.headers.get("Accept"), conneg.GRAPHS, request.args.get("format"))
    if chosen is None:
        raise not_acceptable([f.media_type for f in conneg.GRAPHS])
    dataset = Dataset(kg.settings.base)
    dumps = [
        (d, url_for("exports.dump", name=d.path.name, _external=True)) for d in kg.shelf.rdf_dumps(kg.version)
    ]
    triples = void.describe(kg.store, dataset, url_for("sparql.query", _external=True), dumps)
    body = serialize(triples, format=conneg.PYOXIGRAPH_RDF[chosen.name], prefixes=void.PREFIXES)
    response = Response(body, content_type=f"{chosen.media_type}; charset=utf-8")
    response.vary.add("Accept")
    return response


@blueprint.route("/ontology.<extension>")
def ontology_file(extension: str) -> Response:
    """The ontology alone, with absolute IRIs, as Turtle, RDF/XML (OWL) or JSON-LD."""
    if extension not in ONTOLOGY_FORMATS:
        raise Problem(404, "the ontology is at /ontology.ttl, /ontology.owl and /ontology.jsonld")
    base = context().settings.base
    fmt = ONTOLOGY_FORMATS[extension]
    body = serialize(ontology_triples(base), format=fmt, prefixes=Dataset(base).prefixes())
    return Response(body, content_type=f"{fmt.media_type}; charset=utf-8")
