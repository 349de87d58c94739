"""The HTTP layer: a Flask app factory with one blueprint per area.

``create_app(settings)`` opens the store (building the graph when it is empty), registers
the SPARQL Protocol (/sparql, /update, /health), the Graph Store Protocol (/store) and the
exports (/export/, /.well-known/void, /ontology.ttl …), and
maps every error to HTTP in one place. It never runs Flask's development server:
``eurasia-kg serve`` hands the app to waitress.
"""

from __future__ import annotations

import logging

from flask import Flask

from graph.build import build
from graph.dumps import Shelf
from graph.namespaces import Dataset
from graph.sandbox import open_backend
from graph.settings import Settings
from server import errors, exports, graph_store, sparql
from server.context import EXTENSION, Context

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
    if build_if_empty and len(store) == 0:
        log.info("the store is empty: building the graph from %s", settings.sources)
        log.info("%s", build(settings, store))
    shelf = Shelf(settings.dumps_directory, store, Dataset(settings.base))
    app.extensions[EXTENSION] = Context(settings, store, shelf)
    app.register_blueprint(sparql.blueprint)
    app.register_blueprint(graph_store.blueprint)
    app.register_blueprint(exports.blueprint)
    errors.register(app)
    return app
