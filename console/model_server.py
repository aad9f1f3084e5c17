"""The model server every Rasa server pulls its model from (Rasa's own mechanism).

endpoints.yml says `models: url: ${MODEL_SERVER_URL}, wait_time_between_pulls: 10`: Rasa then
loads its model from this URL at start, and every 10 s asks again with `If-None-Match: <the ETag
it loaded>` (rasa/core/agent.py `_pull_model_and_fingerprint`). This app answers 304 while the
model in service is unchanged, and the new file with its ETag (the SHA-256 of the file) once an
admin publishes or rolls back (console/versions.py): each Rasa server swaps its model in memory,
with no restart; conversations are in the tracker store and are untouched.

    GET /models/current   the model in service (200 + ETag + `filename`, or 304)
    GET /health           200

A plain WSGI app on waitress (the console's server), bound to loopback:

    python -m console.model_server --port 5080
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from console.versions import TrainingSettings, served_model
from store.db import get_engine

log = logging.getLogger(__name__)

CHUNK = 1 << 20


def etag_matches(header: str, etag: str) -> bool:
    """True when an If-None-Match header names `etag` (quoted or not, in a list, or `*`)."""
    for part in header.split(","):
        value = part.strip()
        if value.startswith("W/"):
            value = value[2:]
        if value == "*" or value.strip('"') == etag:
            return True
    return False


def create_app(database_url: str, delivered_dir: Path) -> Callable:
    """The WSGI application serving the model in service from `database_url`'s publications."""
    engine = get_engine(database_url)

    def app(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/health":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        if path != "/models/current":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        if method not in ("GET", "HEAD"):
            start_response("405 Method Not Allowed", [("Allow", "GET, HEAD")])
            return [b""]
        with engine.connect() as conn:
            model = served_model(conn, delivered_dir)
        if model is None or not model.path.exists():
            # Rasa reads 404 as "no model yet" and keeps what it has.
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"no model"]
        headers = [("ETag", f'"{model.sha256}"'), ("Cache-Control", "no-cache")]
        if etag_matches(environ.get("HTTP_IF_NONE_MATCH", ""), model.sha256):
            start_response("304 Not Modified", headers)
            return [b""]
        size = model.path.stat().st_size
        start_response(
            "200 OK",
            headers
            + [
                ("Content-Type", "application/gzip"),
                ("Content-Length", str(size)),
                # Rasa names the downloaded file after this header.
                ("filename", model.path.name),
            ],
        )
        if method == "HEAD":
            return [b""]
        file = open(model.path, "rb")  # noqa: SIM115 - closed by the server through the wrapper
        wrapper = environ.get("wsgi.file_wrapper")
        if wrapper is not None:
            return wrapper(file, CHUNK)
        return _read(file)

    return app


def _read(file: Any) -> Iterable[bytes]:
    with file:
        yield from iter(lambda: file.read(CHUNK), b"")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("BIND_HOST", "127.0.0.1"))
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("MODEL_SERVER_PORT", "5080"))
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    from waitress import serve

    settings = TrainingSettings.from_env()
    app = create_app(os.environ["DATABASE_URL"], settings.delivered_dir)
    serve(app, host=args.host, port=args.port, threads=4, ident="model-server")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
