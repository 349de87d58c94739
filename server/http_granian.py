"""The app under granian, a Rust HTTP server: about three times waitress's requests per second.

One granian worker process takes the requests on ``threads`` blocking threads: the store has
one writer, and the app's query workers (``graph.sandbox``) are where queries run in parallel.
The worker is a fresh interpreter (spawned, not forked: this process has started the query
workers' fork server, whose state a forked copy must not inherit), and it builds its own app
from the same settings. The app built here first has already reported any problem with the
store, and built the graph if the store was empty; it is closed before granian starts.
"""

from __future__ import annotations

import functools
import multiprocessing

from flask import Flask

from graph.settings import Settings
from server.context import EXTENSION


def serve(app: Flask, settings: Settings, host: str, port: int, threads: int) -> None:
    from granian import Granian
    from granian.constants import Interfaces
    from granian.http import HTTP1Settings

    app.extensions[EXTENSION].store.close()  # releases the store for granian's worker
    multiprocessing.set_start_method("spawn", force=True)
    server = Granian(
        "server:create_app",  # named for the log; the loader below builds the app
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=1,
        blocking_threads=threads,
        # A head must arrive within the deadline; granian has no deadline for a body.
        http1_settings=HTTP1Settings(header_read_timeout=max(1, round(settings.request_deadline * 1000))),
    )
    server.serve(target_loader=functools.partial(_load, settings))


def _load(settings: Settings, _target: str) -> Flask:
    from server import create_app

    return create_app(settings)
