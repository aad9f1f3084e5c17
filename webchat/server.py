"""The web widget's files and the demo host page, for `make run` and the browser tests.

The widget talks socket.io straight to the Rasa server (webchat/socketio_channel.py), so this
server only serves files: the demo page, which embeds the widget with its one `<script>` tag and
gets Rasa's public URL from `RASA_PUBLIC_URL`, the widget's script and styles, the vendored
socket.io client and the privacy notice. A WSGI app from `create_app(config)`, served by the
standard library: no dependency beyond Python.
"""

from __future__ import annotations

import html
import logging
import mimetypes
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from socketserver import ThreadingMixIn
from urllib.parse import urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

STATIC_DIR = Path(__file__).resolve().parent / "static"
logger = logging.getLogger("webchat")

StartResponse = Callable[..., object]
WSGIApp = Callable[[dict, StartResponse], Iterable[bytes]]

# Every file served, by URL path. A fixed list: no path from the request reaches the disk.
FILES = {
    "/widget.js": "widget.js",
    "/widget.css": "widget.css",
    "/vendor/socket.io.min.js": "vendor/socket.io.min.js",
    "/confidentialite.html": "confidentialite.html",
    "/page.css": "page.css",
}
DEMO_PAGE = "index.html"


@dataclass(frozen=True)
class WebConfig:
    """Settings of the web server."""

    rasa_public_url: str
    static_dir: Path = STATIC_DIR

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WebConfig:
        env = os.environ if env is None else env
        url = env.get("RASA_PUBLIC_URL") or f"http://127.0.0.1:{env.get('RASA_PORT', '5005')}"
        return cls(rasa_public_url=url.rstrip("/"))


def socket_origins(rasa_public_url: str) -> str:
    """The CSP `connect-src` sources for the socket.io server: its HTTP and WebSocket origins."""
    parts = urlsplit(rasa_public_url)
    ws = "wss" if parts.scheme == "https" else "ws"
    return f"{parts.scheme}://{parts.netloc} {ws}://{parts.netloc}"


def security_headers(config: WebConfig, is_html: bool) -> list[tuple[str, str]]:
    headers = [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
    ]
    if is_html:
        headers.append(
            (
                "Content-Security-Policy",
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                f"connect-src 'self' {socket_origins(config.rasa_public_url)}; "
                "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
            )
        )
    return headers


def create_app(config: WebConfig) -> WSGIApp:
    """Build the WSGI app serving the demo page and the widget's files."""
    page = (config.static_dir / DEMO_PAGE).read_text(encoding="utf-8")
    page = page.replace("{{RASA_PUBLIC_URL}}", html.escape(config.rasa_public_url, quote=True))
    page_bytes = page.encode("utf-8")

    def app(environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO") or "/"
        if path in ("/", "/index.html"):
            body, content_type = page_bytes, "text/html; charset=utf-8"
        elif path in FILES:
            file = config.static_dir / FILES[path]
            body = file.read_bytes()
            guessed = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            content_type = f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed
            if file.suffix == ".js":
                content_type = "text/javascript; charset=utf-8"
        elif path == "/favicon.ico":
            start_response("204 No Content", security_headers(config, False))
            return [b""]
        else:
            return _plain(start_response, "404 Not Found", "Page introuvable.", config)
        if method not in ("GET", "HEAD"):
            return _plain(start_response, "405 Method Not Allowed", "Méthode refusée.", config)
        headers = [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            # Small files that change with each release: always revalidated.
            ("Cache-Control", "no-cache"),
            *security_headers(config, content_type.startswith("text/html")),
        ]
        start_response("200 OK", headers)
        return [b""] if method == "HEAD" else [body]

    return app


def _plain(start_response: StartResponse, status: str, text: str, config: WebConfig) -> list:
    body = text.encode("utf-8")
    start_response(
        status,
        [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
            *security_headers(config, False),
        ],
    )
    return [body]


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """One thread per request, so that a slow client never holds the others."""

    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, fmt: str, *args: object) -> None:
        logger.debug(fmt, *args)


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    config = WebConfig.from_env()
    host = os.environ.get("BIND_HOST", "127.0.0.1")
    port = int(os.environ.get("WEB_PORT", "8080"))
    server = make_server(
        host, port, create_app(config), server_class=ThreadingWSGIServer, handler_class=QuietHandler
    )
    logger.info("Demo page on http://%s:%d (Rasa at %s)", host, port, config.rasa_public_url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
