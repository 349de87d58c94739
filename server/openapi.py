"""The OpenAPI description of the HTTP API at /openapi.json (read-only, CORS).

The description is hand-written data in ``openapi.yaml`` beside this module, read once; the
answer adds the server's own URL as its ``servers`` entry, so a client such as schemathesis
or Swagger UI calls the server that described itself. A test compares the paths with the
app's routes, so the two cannot drift apart.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from flask import Blueprint, Response, jsonify, request
from flask_cors import cross_origin

blueprint = Blueprint("openapi", __name__)
SOURCE = Path(__file__).with_name("openapi.yaml")


@cache
def description() -> dict[str, Any]:
    """The description as written, without ``servers``. Raises OSError or yaml.YAMLError
    when the file is missing or malformed, which a test catches before any release."""
    with SOURCE.open(encoding="utf-8") as file:
        loaded: dict[str, Any] = yaml.safe_load(file)
    return loaded


def for_server(url_root: str) -> dict[str, Any]:
    """The description with ``url_root`` (e.g. ``http://127.0.0.1:8000/``) as its server.

    >>> for_server("http://127.0.0.1:8000/")["servers"]
    [{'url': 'http://127.0.0.1:8000'}]
    """
    document = copy.deepcopy(description())  # the cached original stays untouched
    document["servers"] = [{"url": url_root.rstrip("/")}]
    return document


@blueprint.route("/openapi.json")
@cross_origin(methods=["GET"])
def openapi() -> Response:
    return jsonify(for_server(request.url_root))
