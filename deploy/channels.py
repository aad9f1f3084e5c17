"""The REST and socket.io channels of the production profile: an apology, never silence.

When Rasa cannot handle a message because its tracker store (PostgreSQL) or its lock store
(Redis) is down, Rasa 3.6's REST channel logs the exception (with the person's text) and answers
HTTP 200 with whatever was said so far, usually `[]`; its socket.io channel says nothing at all.
These subclasses wrap Rasa's message handler: on any exception they log one clear line without
the person's text, then send the person a short French apology with the phone numbers of the
Département's France Services. Rasa needs no restart: Redis and SQLAlchemy reconnect by themselves
when the server is back (the first message after a PostgreSQL restart may still get the apology,
while SQLAlchemy discards its dead connections).

deploy/prod.py writes them into var/prod/credentials.yml in place of
`channels.rest.LimitedRestInput:` and
`webchat.socketio_channel.RestrictedSocketIOInput:`; same URLs (`name()` is unchanged).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from sanic import Blueprint

from channels.rest import LimitedRestInput
from deploy.action_guard import default_apology
from webchat.socketio_channel import RestrictedSocketIOInput

logger = logging.getLogger(__name__)

Handler = Callable[[UserMessage], Awaitable[Any]]


def guarded(on_new_message: Handler) -> Handler:
    """`on_new_message` that turns an exception into a logged error and an apology."""

    apology = default_apology()  # read when the channel starts, not in the handler

    async def handle(message: UserMessage) -> None:
        try:
            await on_new_message(message)
        except Exception as error:  # noqa: BLE001 - any failure must reach the person politely
            # The cause and the conversation id, never the person's text.
            logger.error(
                "message of conversation %s not handled: %s: %s (tracker store or lock store "
                "down?); the person got the apology",
                message.sender_id, type(error).__name__, str(error).splitlines()[0][:300],
            )  # fmt: skip
            try:
                await message.output_channel.send_text_message(message.sender_id, apology)
            except Exception:  # noqa: BLE001
                logger.exception("could not send the apology to %s", message.sender_id)

    return handle


class GuardedRestInput(LimitedRestInput):
    """The project's REST channel (/webhooks/rest/webhook) with the apology on failure."""

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        return super().blueprint(guarded(on_new_message))


class GuardedSocketIOInput(RestrictedSocketIOInput):
    """The project's socket.io channel with the apology on failure."""

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        return super().blueprint(guarded(on_new_message))


PROD_CHANNELS = {
    "channels.rest.LimitedRestInput:": "deploy.channels.GuardedRestInput:",
    "webchat.socketio_channel.RestrictedSocketIOInput:": "deploy.channels.GuardedSocketIOInput:",
}


def prod_credentials(text: str) -> str:
    """credentials.yml with the guarded channels; raises if a channel's key is not found."""
    lines = text.splitlines()
    for original, replacement in PROD_CHANNELS.items():
        positions = [i for i, line in enumerate(lines) if line.rstrip() == original]
        if len(positions) != 1:
            raise ValueError(f"credentials.yml: expected one line {original!r}")
        lines[positions[0]] = replacement
    return "\n".join(lines) + "\n"
