"""The SPARQL 1.1 Graph Store HTTP Protocol at /store (indirect graph identification).

https://www.w3.org/TR/sparql11-http-rdf-update/ : ``?graph=<iri>`` or ``?default`` names the
graph; GET (and HEAD) read it, PUT replaces it, POST adds to it, DELETE drops it. GET without
a parameter returns the whole dataset (TriG or N-Quads); POST without one creates a new graph
and answers with its IRI in ``Location``. Writes need the write token and are atomic: invalid
RDF is refused with the parser's message and changes nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, Response, request
from pyoxigraph import DefaultGraph, RdfFormat, Triple, parse, serialize

from graph import admission, load, worker, xml_entities
from server import auth, conneg, retries
from server.context import context
from server.errors import Problem, bad_request, not_acceptable, unsupported_media_type
from server.inputs import graph_iri, json_nesting

blueprint = Blueprint("graph_store", __name__)
# A graph is triples: TriG and N-Quads could write other graphs, and N3 formulae are not RDF.
# JSON-LD may name graphs too, so _admit refuses a JSON-LD body that does.
_READABLE = [f.media_type for f in conneg.GRAPHS if f.name not in {"nquads", "trig"}]


def _target() -> tuple[bool, str | None]:
    """(named, iri): which graph the request names. Raises Problem 400 when it is unclear."""
    graphs = request.args.getlist("graph")
    default = "default" in request.args
    if len(graphs) > 1 or (graphs and default):
        raise bad_request("name one graph: either ?graph=<IRI> or ?default")
    if graphs:
        return True, graph_iri(graphs[0], "graph")
    return default, None


@blueprint.route("/store", methods=["GET", "HEAD"])
def read_graph() -> Response:
    named, iri = _target()
    kg = context()
    whole = not named
    offers = conneg.DATASETS[:2] if whole else conneg.GRAPHS
    chosen = conneg.negotiate(request.headers.get("Accept"), offers, request.args.get("format"))
    if chosen is None:
        raise not_acceptable([f.media_type for f in offers])
    body = kg.store.dump(worker.DumpJob(chosen.media_type, graph=iri, whole=whole))
    if body is None:
        raise Problem(404, f"there is no graph <{iri}> in the store")
    response = Response(body, mimetype=chosen.media_type)
    response.vary.add("Accept")
    return response


@blueprint.route("/store", methods=["PUT", "POST"])
def write_graph() -> Response:
    auth.require_write(request)
    named, iri = _target()
    if not named:
        if request.method == "PUT":
            raise bad_request("PUT needs ?graph=<IRI> or ?default")
        iri = f"{context().settings.base}graph/uploaded/{uuid.uuid4()}"
    kg = context()
    data, media_type = _body(base_iri=iri or kg.settings.base)
    existed = iri in kg.graph_names() if iri else True
    answer: dict[str, Any] = {"status": 204} if existed else {"status": 201, "location": iri or ""}
    result = kg.store.write(
        worker.LoadJob(
            data,
            media_type,
            iri,
            replace=request.method == "PUT",
            base_iri=iri or kg.settings.base,
            key=retries.key(request, answer),
        )
    )
    earlier = retries.replayed(result)
    if earlier is not None:
        return earlier
    kg.changed()
    response = Response(status=answer["status"])
    if "location" in answer:
        response.headers["Location"] = answer["location"]
    return response


def _body(base_iri: str) -> tuple[bytes, str]:
    """The request's RDF and its media type. A multipart/form-data body (one RDF document per
    part, GSP section 5.5) is merged into one N-Triples document here, so that it is written
    in one transaction. Raises Problem 415 for a type that is not RDF, 400 for invalid RDF
    and for a multipart body without a file part."""
    if request.mimetype != "multipart/form-data":
        fmt = RdfFormat.from_media_type(request.mimetype or "")
        # A graph is triples: quads could write other graphs, N3 formulas are not RDF.
        if fmt is None or fmt.media_type not in _READABLE:
            raise unsupported_media_type(request.content_type or "", _READABLE)
        charset = request.mimetype_params.get("charset", "utf-8").lower()
        if charset not in {"utf-8", "utf8"}:  # the parsers read UTF-8 only
            raise Problem(415, f"the body must be UTF-8, not {charset}")
        _admit(request.get_data(), fmt, base_iri)
        return request.get_data(), fmt.media_type
    if not request.files:  # garbage, no boundary, or fields only: a PUT would empty the graph
        raise bad_request(
            "the multipart/form-data body holds no file part; send each RDF document as a part "
            'with Content-Disposition: form-data; name="…"; filename="…"; nothing was written'
        )
    triples: list[Triple] = []
    for part in request.files.values():
        fmt = RdfFormat.from_media_type(part.mimetype or "") or RdfFormat.from_extension(
            (part.filename or "").rsplit(".", 1)[-1]
        )
        if fmt is None or fmt.media_type not in _READABLE:
            raise unsupported_media_type(part.content_type or "", _READABLE)
        data = part.read()
        _admit(data, fmt, base_iri, f"{part.filename or 'a part'}: ")
        triples.extend(q.triple for q in parse(data, format=fmt, base_iri=base_iri))
    return serialize(triples, format=RdfFormat.N_TRIPLES) or b"", RdfFormat.N_TRIPLES.media_type


def _admit(data: bytes, fmt: RdfFormat, base_iri: str, where: str = "") -> None:
    """Read the RDF through once, before anything is written or any worker stops: raises
    Problem 400 for invalid RDF (the parser's message and position), for a term no export
    or page could carry (``graph.admission``) and for a statement in a graph of its own (a
    JSON-LD ``@graph`` with an ``@id``), which would write beside the graph the request names."""
    count = 0
    if fmt == RdfFormat.JSON_LD:  # nested deeply, it overflowed the parser's stack
        json_nesting(data, f"{where}the JSON-LD body")
    try:
        if fmt == RdfFormat.RDF_XML:  # entities are checked before the parser expands them
            xml_entities.check(data)
        quads = parse(data, format=fmt, base_iri=base_iri)
        for count, quad in enumerate(admission.checked(quads, "statement {} of the body".format), 1):
            if not isinstance(quad.graph_name, DefaultGraph):
                raise bad_request(
                    f"{where}statement {count} of the body is in the graph {quad.graph_name}; a Graph "
                    "Store write takes triples, for the one graph the request names; nothing was written"
                )
    except SyntaxError as error:
        raise bad_request(f"{where}syntax error: {load.syntax_message(error, count)}") from None
    except (admission.Inadmissible, xml_entities.EntityError) as error:
        raise bad_request(f"{where}{error}; nothing was written") from None


@blueprint.route("/store", methods=["DELETE"])
def delete_graph() -> Response:
    auth.require_write(request)
    named, iri = _target()
    if not named:
        raise bad_request("DELETE needs ?graph=<IRI> or ?default")
    kg = context()
    existed = kg.store.write(worker.DropJob(iri, key=retries.key(request, {"status": 204})))
    earlier = retries.replayed(existed)
    if earlier is not None:
        return earlier
    kg.changed()
    if not existed and iri is not None:
        raise Problem(404, f"there is no graph <{iri}> in the store")
    return Response(status=204)
