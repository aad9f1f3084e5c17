"""Rasa's REST channel (POST /webhooks/rest/webhook) with the checks a public endpoint needs.

Before Rasa sees a message, the request must be a JSON object of at most 16 KB with a string
`message`, a `sender` that may name a web conversation (channels/limits.py: never a phone number
or a Messenger id, which would read or write an SMS or Messenger person's conversation), and no
`input_channel` other than "rest" (a client must not pass itself off as SMS or Messenger). Bad
requests get HTTP 400 (413 when too big) with a JSON `{"error": ...}` and never reach Rasa.
Then the per-conversation and per-address limits: over them, HTTP 429 with one French message in
the channel's usual answer format, so a client shows it as it shows the bot's answers.
A message over 1000 characters reaches Rasa as "/message_too_long" (`screen_length`): no NLU
runs on it, so one client cannot hold the event loop every conversation shares.
Same URL and answers as Rasa's channel otherwise (`name()` is "rest").
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels import texts
from channels.limits import Limits, limits_from_env, screen_length, web_sender_problem

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024


def bad_request(reason: str, status: int = 400) -> HTTPResponse:
    return response.json({"error": reason}, status=status)


class LimitedRestInput(RestInput):
    """See the module docstring."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or limits_from_env()

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls()

    def refusal(self, request: Request) -> HTTPResponse | None:
        """The answer to a request that must not reach Rasa, or None to let it through."""
        if len(request.body or b"") > MAX_BODY_BYTES:
            return bad_request(f"the body is over {MAX_BODY_BYTES} bytes", status=413)
        try:
            body = request.json
        except Exception:  # noqa: BLE001 - Sanic raises its own BadRequest on invalid JSON
            body = None
        if not isinstance(body, dict):
            return bad_request('expected a JSON object: {"sender": "...", "message": "..."}')
        sender = body.get("sender")
        problem = web_sender_problem(sender)
        if problem:
            return bad_request(problem)
        if not isinstance(body.get("message"), str):
            return bad_request("message must be a string")
        if body.get("input_channel") not in (None, self.name()):
            return bad_request("input_channel can only be 'rest' here")
        address = self.limits.client_address(request.ip, request.headers.get("x-forwarded-for"))
        if not self.limits.web_allows(sender, address):
            logger.warning("REST: conversation %s or address %s over the limit", sender, address)
            return response.json(
                [{"recipient_id": sender, "text": texts.web_rate_limited()}], status=429
            )
        return None

    def _extract_message(self, req: Request) -> str | None:
        # Called by RestInput's handler once `refusal` has let the request through.
        text = super()._extract_message(req)
        return screen_length(text) if isinstance(text, str) else text

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)
        texts.web_rate_limited()  # domain.yml read now, at start, not by a request handler

        @webhook.middleware("request")
        async def check(request: Request) -> HTTPResponse | None:
            if request.method == "POST" and request.path.rstrip("/").endswith("/webhook"):
                return self.refusal(request)
            return None

        return webhook
