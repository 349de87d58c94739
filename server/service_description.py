"""The SPARQL 1.1 Service Description of the endpoint (GET /sparql without a query).

https://www.w3.org/TR/sparql11-service-description/
"""

from __future__ import annotations

from flask import Request, Response, render_template

import queries
from graph.namespaces import Dataset
from server import conneg
from server.context import context
from server.errors import not_acceptable

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
EXAMPLE = """SELECT ?state ?label WHERE {
  ?state a <https://w3id.org/eurasia-kg/ontology#State> ;
         <http://www.w3.org/2000/01/rdf-schema#label> ?label
}
ORDER BY ?label"""
_RESULT_FORMATS = [
    "SPARQL_Results_JSON",
    "SPARQL_Results_XML",
    "SPARQL_Results_CSV",
    "SPARQL_Results_TSV",
    "Turtle",
    "N-Triples",
    "N-Quads",
    "TriG",
    "JSON-LD",
    "RDF_XML",
]


def turtle(endpoint: str, update_endpoint: str | None, union: bool) -> str:
    languages = "sd:SPARQL11Query" + (", sd:SPARQL11Update" if update_endpoint else "")
    features = "sd:feature sd:UnionDefaultGraph ;" if union else ""
    formats = ", ".join(f"<{FORMATS}{name}>" for name in _RESULT_FORMATS)
    return f"""@prefix sd: <{SD}> .
[] a sd:Service ;
   sd:endpoint <{endpoint}> ;
   sd:supportedLanguage {languages} ;
   {features}
   sd:resultFormat {formats} ;
   sd:defaultEntailmentRegime <http://www.w3.org/ns/entailment/Simple> .
"""


def respond(request: Request) -> Response:
    """The description as RDF in the negotiated format (Turtle by default), or for a browser
    a plain query form (the linked-data browser brings the full query page)."""
    from pyoxigraph import RdfFormat, parse, serialize  # noqa: PLC0415

    settings = context().settings
    offers = (*conneg.GRAPHS, conneg.HTML)
    chosen = conneg.negotiate(request.headers.get("Accept"), offers, request.args.get("format"))
    if chosen is None:
        raise not_acceptable([f.media_type for f in offers])
    if chosen is conneg.HTML:
        dataset = Dataset(settings.base)
        catalogue = [q.as_json(dataset) for q in queries.catalogue().values()]
        page = render_template(
            "query.html", endpoint=request.base_url, example=EXAMPLE, catalogue=catalogue, base=settings.base
        )
        response = Response(page, content_type="text/html; charset=utf-8")
        response.vary.add("Accept")
        return response
    update = request.url_root + "update" if settings.write_token else None
    text = turtle(request.base_url, update, settings.union_default_graph)
    quads = parse(text, format=RdfFormat.TURTLE)
    body = serialize((q.triple for q in quads), format=conneg.PYOXIGRAPH_RDF[chosen.name])
    response = Response(body, mimetype=chosen.media_type)
    response.vary.add("Accept")
    return response
