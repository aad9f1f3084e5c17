"""The staff console: a Flask application on the assistant's database.

Agents take over conversations waiting for a human, read conversations (personal data masked),
handle bookings and teach the assistant what it missed; admins also manage accounts, read the
audit log, export data and apply erasure requests. Server-rendered French pages (templates/),
a little JavaScript for the queue's polling (static/).

    from console import create_app
    app = create_app({"DATABASE_URL": "sqlite:///var/rasa.db", "SECRET_KEY": "..."})

Run it with `python -m console.cli serve` (the launcher does); see docs/console.md.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, g, render_template

from console.labels import booking_status, channel_label
from franceservices.dates.clock import utc_now
from store.db import get_engine
from store.repository import Repository

log = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")


def default_config() -> dict[str, Any]:
    """Settings from the environment (documented in docs/console.md and .env.example)."""
    env = os.environ
    return {
        "DATABASE_URL": env.get("DATABASE_URL"),
        "SECRET_KEY": env.get("CONSOLE_SECRET_KEY"),
        "SESSION_COOKIE_SECURE": env.get("CONSOLE_COOKIE_SECURE", "false").lower()
        in ("1", "true", "yes"),
        "AGENT_API_URL": env.get("AGENT_API_URL", ""),
        "AGENT_API_TOKEN": env.get("AGENT_API_TOKEN", ""),
        "RETENTION_MONTHS": int(env.get("CONSOLE_RETENTION_MONTHS", "6")),
        "BOOKING_RETENTION_MONTHS": int(env.get("CONSOLE_BOOKING_RETENTION_MONTHS", "1")),
    }


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the console application.

    Args:
        config: overrides of `default_config()`; tests pass DATABASE_URL, SECRET_KEY,
            RELAY (a `console.relay.Relay`), CLOCK, SCRYPT_N.
    """
    app = Flask(__name__)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="console_session",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=8),
        MAX_CONTENT_LENGTH=1024 * 1024,
        LOCKOUT_ATTEMPTS=5,  # per (name, client address)
        LOCKOUT_ADDRESS_ATTEMPTS=20,  # per client address, whatever the names
        LOCKOUT_MINUTES=15,
        CLOCK=utc_now,
        ZONE=PARIS,
        RELAY=None,
        SCRYPT_N=None,
    )
    app.config.update(default_config())
    app.config.update(config or {})
    if not app.config["SECRET_KEY"]:
        # Sessions then end when the process stops; production sets CONSOLE_SECRET_KEY.
        log.warning("CONSOLE_SECRET_KEY is not set: using a random key for this process")
        app.config["SECRET_KEY"] = secrets.token_hex(32)

    engine = get_engine(app.config["DATABASE_URL"])
    app.extensions["console_engine"] = engine
    app.extensions["console_repo"] = Repository(engine, clock=app.config["CLOCK"])
    if app.config["RELAY"] is None:
        from console.relay import default_relay

        app.config["RELAY"] = default_relay(app.config)

    from console import (
        admin,
        auth,
        bookings,
        browse,
        calendar,
        calendar_import,
        dashboard,
        freshness,
        queue,
        security,
        teach,
        visio,
    )

    for module in (
        auth,
        queue,
        browse,
        bookings,
        calendar,
        calendar_import,
        visio,
        teach,
        dashboard,
        freshness,
        admin,
    ):
        app.register_blueprint(module.bp)

    app.before_request(security.load_user)
    app.before_request(security.check_csrf)
    app.jinja_env.globals["csrf_token"] = security.csrf_token
    app.jinja_env.globals["min_reason"] = browse.MIN_REASON_LENGTH
    app.jinja_env.filters["paris"] = _paris_filter(app)
    app.jinja_env.filters["channel"] = channel_label
    app.jinja_env.filters["booking_status"] = booking_status

    @app.after_request
    def _headers(response: Any) -> Any:
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    for code in (400, 403, 404):
        app.register_error_handler(
            code, lambda error, code=code: (render_template("error.html", code=code), code)
        )

    @app.context_processor
    def _user() -> dict[str, Any]:
        return {"user": g.get("user")}

    return app


def _paris_filter(app: Flask) -> Any:
    def paris(value: Any, fmt: str = "%d/%m/%Y %H:%M") -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, (int, float)):
            value = dt.datetime.fromtimestamp(value, tz=dt.timezone.utc)
        return value.astimezone(app.config["ZONE"]).strftime(fmt)

    return paris
