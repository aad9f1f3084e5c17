"""The web widget's files and the demo host page, for `make run` and the browser tests.

The widget talks socket.io straight to the Rasa server (webchat/socketio_channel.py), so this
server only serves files: the demo page, which embeds the widget with its one `<script>` tag and
gets Rasa's public URL from `RASA_PUBLIC_URL`, the widget's script and styles, the vendored
socket.io client and the privacy notice. A WSGI app from `create_app(config)`, served by the
standard library.

It also serves "ajouter à mon agenda" (issue 15): GET /agenda/<tour>/<insee>/<YYYY-MM-DD>.ics,
the visit's iCalendar file (franceservices/calendar/ics.py), from the calendar the assistant
tells (tours.yml with the staff's changes: `main()` installs store/calendar_overlay.py). A visit
staff cancelled answers 410 and an unknown one 404, with a short French text (domain.yml).
The assistant links to it from WEB_PUBLIC_URL (actions/reminders.py).
"""

from __future__ import annotations

import datetime as dt
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

from franceservices import wording
from franceservices.calendar.engine import TourCalendar
from franceservices.calendar.ics import (
    AGENDA_PREFIX,
    MEDIA_TYPE,
    parse_visit_path,
    visit_filename,
    visit_ics,
    visit_on,
)
from franceservices.dates.clock import utc_now

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


def _get_calendar() -> TourCalendar:
    from franceservices.calendar.tours import get_calendar

    return get_calendar()


def create_app(
    config: WebConfig,
    calendar: Callable[[], TourCalendar] = _get_calendar,
    clock: Callable[[], dt.datetime] = utc_now,
) -> WSGIApp:
    """Build the WSGI app serving the demo page, the widget's files and the visits' .ics.

    Args:
        config: the settings.
        calendar: the calendar the assistant tells (tests give one with a cancelled visit).
        clock: the aware current time (the .ics DTSTAMP).
    """
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
        elif path.startswith(AGENDA_PREFIX):
            if method not in ("GET", "HEAD"):
                return _plain(start_response, "405 Method Not Allowed", "Méthode refusée.", config)
            return _agenda(path, method, start_response, config, calendar, clock)
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


def _agenda(
    path: str,
    method: str,
    start_response: StartResponse,
    config: WebConfig,
    calendar: Callable[[], TourCalendar],
    clock: Callable[[], dt.datetime],
) -> list:
    """One visit's .ics file; 404 for no such visit, 410 for a visit staff cancelled."""
    found = parse_visit_path(path)
    visit = visit_on(calendar(), *found) if found is not None else None
    if visit is None:
        text = wording.text("utter_agenda_not_found", "web")
        return _plain(start_response, "404 Not Found", text, config)
    if visit.is_cancelled:
        text = wording.text("utter_agenda_cancelled", "web", commune=visit.commune)
        return _plain(start_response, "410 Gone", text, config)
    body = visit_ics(visit, clock())
    start_response(
        "200 OK",
        [
            ("Content-Type", MEDIA_TYPE),
            ("Content-Length", str(len(body))),
            ("Content-Disposition", f'attachment; filename="{visit_filename(visit)}"'),
            # The calendar may change (staff cancel a visit): never served from a cache.
            ("Cache-Control", "no-cache"),
            *security_headers(config, False),
        ],
    )
    return [b""] if method == "HEAD" else [body]


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
    # "Ajouter à mon agenda" reads the calendar with the staff's changes (cancelled visits: 410).
    from store.calendar_overlay import install as install_calendar_overlay

    install_calendar_overlay()
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
