"""The linked-data browser: every IRI dereferenceable, as a page for people and as RDF.

``/id/<slug>`` and ``/graph/<name>`` serve the dataset's own IRIs, ``/resource?uri=`` any IRI
in the store, ``/ontology`` the ontology and (through its fragment) every term. Each answers
HTML or, by ``Accept`` or a suffix (``.ttl``, ``.nt``, ``.jsonld``, ``.rdf``, ``.trig``,
``.nq``), RDF, with ``Vary: Accept`` and ``Link`` headers to the other forms; an unknown IRI is
a 404 in the negotiated form. ``/`` is the home page, ``/search`` the search.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, jsonify, render_template, request
from pyoxigraph import DefaultGraph, NamedNode, Quad, serialize

from graph import describe as describing
from graph.namespaces import Dataset
from server import conneg, display, figures
from server.context import context
from server.errors import Problem, bad_request, not_acceptable

blueprint = Blueprint("browse", __name__)
SUFFIXES = {
    "ttl": "turtle",
    "nt": "ntriples",
    "jsonld": "jsonld",
    "rdf": "rdfxml",
    "trig": "trig",
    "nq": "nquads",
}
OFFERS = (conneg.HTML, *conneg.GRAPHS)


@blueprint.route("/")
def home() -> str:
    return render_template("home.html", **figures.overview(context()))


@blueprint.route("/id/<path:slug>")
def entity(slug: str) -> Response:
    slug, forced = _suffix(slug)
    return show(Dataset(context().settings.base).base + "id/" + slug, forced, "/id/" + quote(slug))


@blueprint.route("/graph/<path:name>")
def graph(name: str) -> Response:
    name, forced = _suffix(name)
    return show(Dataset(context().settings.base).base + "graph/" + name, forced, "/graph/" + quote(name))


@blueprint.route("/resource")
def resource() -> Response:
    uri = request.args.get("uri", "")
    try:
        NamedNode(uri)
    except ValueError:
        raise bad_request(f"uri={uri!r} is not an IRI; give /resource?uri=<IRI>") from None
    return show(uri, None, "/resource?uri=" + quote(uri, safe=""))


@blueprint.route("/ontology")
def ontology() -> Response:
    kg = context()
    dataset = Dataset(kg.settings.base)
    chosen = _negotiate()
    if chosen is not conneg.HTML:
        return show(dataset.ontology_iri, chosen.name, "/ontology")
    page = render_template("ontology.html", **figures.ontology_terms(kg.store, dataset))
    return _html(page, "/ontology")


@blueprint.route("/search")
def search() -> Response:
    query = request.args.get("q", "").strip()
    if len(query) > 200:
        raise bad_request("a search is at most 200 characters")
    kg = context()
    hits = kg.search_index().search(query) if query else []
    dataset = Dataset(kg.settings.base)
    wants_json = request.args.get("format") == "json" or (
        conneg.negotiate(request.headers.get("Accept"), (conneg.HTML, conneg.JSON)) is conneg.JSON
    )
    if wants_json:
        return jsonify(
            query=query,
            hits=[
                {
                    "iri": h.iri,
                    "label": h.label,
                    "matched": h.matched,
                    "type": h.kind,
                    "score": h.score,
                    "href": display.href(h.iri, dataset),
                }
                for h in hits
            ],
        )
    page = render_template("search.html", query=query, hits=hits, href=lambda iri: display.href(iri, dataset))
    return _html(page, None)


def show(iri: str, forced: str | None, path: str) -> Response:
    """The resource ``iri`` as the request wants it: a page, or RDF in a negotiated format.

    ``path`` is the resource's URL path, percent-encoded: it goes into the ``Link`` header,
    which must be ASCII (a raw non-Latin-1 character there made waitress answer 500)."""
    kg = context()
    dataset = Dataset(kg.settings.base)
    chosen = conneg.GRAPHS_BY_NAME[forced] if forced else _negotiate()
    try:
        NamedNode(iri)
    except ValueError:
        raise Problem(404, f"{iri!r} is not an IRI, so nothing in the store has it") from None
    if iri == dataset.ontology_iri and chosen is not conneg.HTML:
        return _alternates(figures.ontology_rdf(dataset, chosen), path)
    if chosen is conneg.HTML:
        view = describing.describe(kg.store, dataset, iri)
        if not view.known():
            return _html(render_template("not_found.html", iri=iri), path, status=404)
        template, extra = figures.page_for(kg, view, request.args)
        return _html(render_template(template, view=view, **extra), path)
    rows = describing.select(kg.store, "quads", dataset, resource=NamedNode(iri))
    quads = [Quad(r["s"], r["p"], r["o"], r["g"] if r["g"] is not None else DefaultGraph()) for r in rows]
    fmt = conneg.PYOXIGRAPH_RDF[chosen.name]
    items = quads if fmt.supports_datasets else [q.triple for q in quads]
    body = serialize(items, format=fmt, prefixes=dataset.prefixes()) or b""
    response = Response(
        body, status=200 if quads else 404, content_type=f"{chosen.media_type}; charset=utf-8"
    )
    return _alternates(response, path)


def alternate_link(extension: str) -> str:
    """The URL of the current resource in another format, for links on its page."""
    path = request.path
    if path.startswith(("/id/", "/graph/")):
        return f"{path}.{extension}"
    separator = "&" if request.query_string else "?"
    return f"{request.full_path.rstrip('?')}{separator}format={SUFFIXES[extension]}"


def _suffix(name: str) -> tuple[str, str | None]:
    stem, dot, extension = name.rpartition(".")
    if dot and extension in SUFFIXES:
        return stem, SUFFIXES[extension]
    return name, None


def _negotiate() -> conneg.Format:
    chosen = conneg.negotiate(request.headers.get("Accept"), OFFERS, request.args.get("format"))
    if chosen is None:
        raise not_acceptable([f.media_type for f in OFFERS])
    return chosen


def _html(page: str, path: str | None, status: int = 200) -> Response:
    response = Response(page, status=status, content_type="text/html; charset=utf-8")
    return _alternates(response, path) if path else response


def _alternates(response: Response, path: str) -> Response:
    """``Vary: Accept`` and a ``Link`` to each other form of the resource."""
    response.vary.add("Accept")
    links = []
    for extension, name in SUFFIXES.items():
        media = conneg.GRAPHS_BY_NAME[name].media_type
        target = f"{path}&format={name}" if "?" in path else f"{path}.{extension}"
        links.append(f'<{target}>; rel="alternate"; type="{media}"')
    response.headers["Link"] = ", ".join(links)
    return response
