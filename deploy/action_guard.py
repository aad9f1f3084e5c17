"""A guard between Rasa and the action server: an answer within a few seconds, always.

Rasa 3.6 calls the action server with a fixed 300 s timeout (`DEFAULT_REQUEST_TIMEOUT` in
`rasa/core/actions/action.py`, not configurable) and, when the call fails, logs the error and
sends the person nothing. This small proxy forwards each call and, when the action server does
not answer within `ACTION_GUARD_TIMEOUT` seconds (default 4), cannot be reached or fails (5xx),
answers Rasa itself with a valid action result: no events and one apology with the phone numbers
of the Département's France Services. Rasa then utters it and goes on as usual.

    python -m deploy.action_guard --port 5066 --upstream http://127.0.0.1:5065/webhook

The apology is the domain's response `utter_technical_problem` when domain.yml has one (it
does), else the text below. A 400 (an action rejecting its
execution) is passed through unchanged, as Rasa handles it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import time
from functools import cache
from pathlib import Path

import aiohttp
from aiohttp import web

from channels.texts import human_contact

PROJECT_DIR = Path(__file__).resolve().parent.parent
RESPONSE_NAME = "utter_technical_problem"
# Used when domain.yml has no `utter_technical_problem` (a model trained before it), and by
# deploy/channels.py (a channel has no NLG). The phone numbers are the domain's default
# `human_contact` (channels/texts.py).
APOLOGY_START = "Désolé, un problème technique m'empêche de vous répondre pour le moment."


def apology_text(domain_file: Path = PROJECT_DIR / "domain.yml") -> str:
    """The apology with the domain's `human_contact` numbers."""
    return f"{APOLOGY_START} {human_contact(domain_file)}"


@cache
def default_apology() -> str:
    """The project's apology (`apology_text`), read from domain.yml on first call, not at import."""
    return apology_text()


PASSED_HEADERS = ("Content-Type", "Content-Encoding")

logger = logging.getLogger("action_guard")


def domain_has_response(name: str, domain_file: Path = PROJECT_DIR / "domain.yml") -> bool:
    """Whether the domain defines the response `name` (a plain text check, no YAML load)."""
    try:
        text = domain_file.read_text(encoding="utf-8")
    except OSError:
        return False
    return f"\n  {name}:" in text


def apology_payload(use_response: bool) -> dict:
    """A valid action server result: no events, one message."""
    message = {"response": RESPONSE_NAME} if use_response else {"text": default_apology()}
    return {"events": [], "responses": [message]}


def create_app(upstream: str, timeout: float, use_response: bool | None = None) -> web.Application:
    """The guard's aiohttp application, forwarding POST /webhook to `upstream`."""
    if use_response is None:
        use_response = domain_has_response(RESPONSE_NAME)
    apology = apology_payload(use_response)
    health_url = upstream.rsplit("/", 1)[0] + "/health"

    async def on_startup(app: web.Application) -> None:
        app["client"] = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout))

    async def on_cleanup(app: web.Application) -> None:
        await app["client"].close()

    def fallback(action: str, reason: str, started: float) -> web.Response:
        # The action's name and the reason only: never the person's text.
        logger.error(
            "action %s failed (%s) after %.1f s: answered with the apology",
            action, reason, time.monotonic() - started,
        )  # fmt: skip
        return web.json_response(apology)

    async def webhook(request: web.Request) -> web.Response:
        started = time.monotonic()
        body = await request.read()
        action = "?"
        try:
            if request.headers.get("Content-Encoding") != "gzip":
                action = json.loads(body).get("next_action", "?")
        except (ValueError, AttributeError):
            pass
        headers = {h: request.headers[h] for h in PASSED_HEADERS if h in request.headers}
        try:
            async with request.app["client"].post(upstream, data=body, headers=headers) as answer:
                payload = await answer.read()
                if answer.status >= 500:
                    return fallback(action, f"HTTP {answer.status}", started)
                return web.Response(
                    status=answer.status,
                    body=payload,
                    content_type=answer.content_type,
                )
        except asyncio.TimeoutError:
            return fallback(action, f"no answer in {timeout:g} s", started)
        except aiohttp.ClientError as error:
            return fallback(action, f"{type(error).__name__}: {error}", started)

    async def health(request: web.Request) -> web.Response:
        try:
            async with request.app["client"].get(health_url) as answer:
                upstream_ok = answer.status == 200
        except (asyncio.TimeoutError, aiohttp.ClientError):
            upstream_ok = False
        return web.json_response({"status": "ok", "action_server": upstream_ok})

    app = web.Application(client_max_size=8 * 1024 * 1024)
    app.router.add_post("/webhook", webhook)
    app.router.add_get("/health", health)
    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy.action_guard", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5066)
    parser.add_argument("--upstream", default=os.environ.get("ACTION_UPSTREAM_URL"))
    parser.add_argument(
        "--timeout", type=float, default=float(os.environ.get("ACTION_GUARD_TIMEOUT", "4"))
    )
    args = parser.parse_args(argv)
    if not args.upstream:
        parser.error("--upstream or ACTION_UPSTREAM_URL is required")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    web.run_app(create_app(args.upstream, args.timeout), host=args.host, port=args.port,
                print=None)  # fmt: skip


if __name__ == "__main__":
    main()
