"""The HTTP layer: a Flask app factory with one blueprint per area.

``create_app(settings)`` opens the store (building the graph when it is empty), registers
the SPARQL Protocol (/sparql, /update, /health), the Graph Store Protocol (/store) and the
exports (/export/, /.well-known/void, /ontology.ttl …), the OpenAPI description of it all
(/openapi.json), and maps every error to HTTP in one place. It never runs Flask's development server:
``eurasia-kg serve`` hands the app to waitress.
"""

from __future__ import annotations

import logging

from flask import Flask, Response

from graph.build import build
from graph.dumps import Shelf
from graph.namespaces import Dataset
from graph.sandbox import open_backend
from graph.settings import Settings
from server import browse, display, errors, exports, graph_store, inputs, named, openapi, sparql
from server.answer_cache import AnswerCache
from server.context import EXTENSION, Context
from server.replay import ReplayKept

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, build_if_empty: bool = True) -> Flask:
    """The WSGI app for ``settings`` (default: from the environment).

    Raises StoreUnavailable when the store cannot be opened, and the build's errors when the
    store is empty and the sources do not build.
    """
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=settings.max_request_bytes, PROPAGATE_EXCEPTIONS=False)
    store = open_backend(settings)
    try:
        if build_if_empty and len(store) == 0:
            log.info("the store is empty: building the graph from %s", settings.sources)
            log.info("%s", build(settings, store))
    except BaseException:
        store.close()  # stop the workers and release the store's lock
        raise
    shelf = Shelf(settings.dumps_directory, store, Dataset(settings.base))
    # A remote store can change behind this server's back, so its answers are never kept.
    keep = settings.answer_cache_mb > 0 and not settings.remote
    answers = AnswerCache(settings.answer_cache_mb << 20) if keep else None
    kg = Context(settings, store, shelf, answers=answers)
    app.extensions[EXTENSION] = kg
    if answers:
        app.wsgi_app = ReplayKept(app.wsgi_app, kg, answers)  # type: ignore[method-assign]
    app.register_blueprint(sparql.blueprint)
    app.register_blueprint(graph_store.blueprint)
    app.register_blueprint(exports.blueprint)
    app.register_blueprint(browse.blueprint)
    app.register_blueprint(named.blueprint)
    app.register_blueprint(openapi.blueprint)
    errors.register(app)
    app.before_request(inputs.screen)  # text that is not UTF-8 is refused on every route alike
    dataset = Dataset(settings.base)
    app.jinja_env.globals.update(
        href=lambda iri: display.href(iri, dataset),
        show=display.value,
        when=display.when,
        precision=display.precision,
        alternate=browse.alternate_link,
    )
    app.after_request(security_headers)
    app.after_request(no_type_without_content)  # runs first: after_request goes in reverse
    return app


CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def security_headers(response: Response) -> Response:
    """A Content-Security-Policy on every page: nothing runs or loads from elsewhere. No
    answer may be sniffed into HTML: an error that repeats the request's text stays text."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = CSP
        response.headers["Referrer-Policy"] = "same-origin"
    return response


def no_type_without_content(response: Response) -> Response:
    """An answer without content (a 204, or a 201 that names the new graph in ``Location``)
    carries no Content-Type; Flask would label the empty body text/html."""
    if response.status_code in {201, 204} and response.is_sequence and not response.get_data():
        del response.headers["Content-Type"]
    return response
