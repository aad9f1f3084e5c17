"""Rasa's socket.io channel, restricted to the web origins and to unguessable sessions.

Rasa 3.6.21's `SocketIOInput` builds its server with `cors_allowed_origins=[]`, which turns the
Origin check of python-engineio off: any web page could open a socket to the assistant from a
visitor's browser. It also takes the `session_id` of every message as the tracker's sender, so a
client could talk as any sender it names, a phone number of the SMS channel included.

`RestrictedSocketIOInput` closes both gaps (threat model in docs/widget.md):
- only the origins of `WEB_ALLOWED_ORIGINS` (comma-separated) may connect; the default is the
  local demo page, http://localhost:$WEB_PORT and http://127.0.0.1:$WEB_PORT;
- a session id must look like the widget's own, 32 to 64 lowercase hex digits (at least 128
  random bits); anything else is replaced by a fresh random id, so no socket can address a
  short, guessable sender or another channel's sender;
- a socket talks only as the session confirmed to it by `session_request`: the `session_id`
  inside a message is ignored;
- a message over 1000 characters reaches Rasa as "/message_too_long" (no NLU runs on it: 15 KB
  of text would hold the event loop every conversation shares for seconds).

`WidgetOutput` tells the widget which messages a person wrote: an agent's reply (a response
with `agent_reply: true` in its metadata, `utter_agent_message` in domain.yml) is emitted as
`{"text": ..., "sender_kind": "agent"}`, plus `"agent_name"` when the message's metadata holds
the agent's display name; the widget labels it as a person, not as the assistant.

Enabled in credentials.yml as `webchat.socketio_channel.RestrictedSocketIOInput`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import rasa.core.channels.channel
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncRedisManager, AsyncServer

from channels import texts
from channels.limits import Limits, limits_from_env, screen_length

logger = logging.getLogger(__name__)

SESSION_ID_PATTERN = re.compile(r"[0-9a-f]{32,64}")
# A citizen's question is a few lines; an over-long one reaches Rasa as /message_too_long
# (channels.limits.screen_length). This only bounds what the server accepts at all (Engine.IO's
# default is 1 MB).
MAX_PACKET_BYTES = 64_000


def allowed_origins(env: Mapping[str, str] | None = None) -> list[str]:
    """Return the origins allowed to open a socket, from `WEB_ALLOWED_ORIGINS` or the default.

    Raises:
        ValueError: on `*` or on a value that is not a bare `scheme://host[:port]` origin.
    """
    env = os.environ if env is None else env
    raw = (env.get("WEB_ALLOWED_ORIGINS") or "").strip()
    if not raw:
        port = env.get("WEB_PORT") or "8080"
        return [f"http://localhost:{port}", f"http://127.0.0.1:{port}"]
    origins = []
    for item in raw.split(","):
        origin = item.strip().rstrip("/")
        if not origin:
            continue
        if not re.fullmatch(r"https?://[^/\s?#*]+", origin):
            raise ValueError(
                f"WEB_ALLOWED_ORIGINS: {origin!r} is not an origin like https://www.lenord.fr"
            )
        origins.append(origin)
    if not origins:
        raise ValueError("WEB_ALLOWED_ORIGINS names no origin")
    return origins


def is_valid_session_id(value: object) -> bool:
    """True for a session id the widget could have made: 32 to 64 lowercase hex digits."""
    return isinstance(value, str) and SESSION_ID_PATTERN.fullmatch(value) is not None


def new_session_id() -> str:
    """A fresh unguessable session id (128 random bits)."""
    return secrets.token_hex(16)


def session_for(requested: object) -> str:
    """The session id to confirm for a `session_request`: the requested one if well-formed."""
    return requested if is_valid_session_id(requested) else new_session_id()  # type: ignore[return-value]


def redis_manager(env: Mapping[str, str] | None = None) -> AsyncRedisManager | None:
    """With several Rasa servers: the manager that relays emits between them, else None.

    A socket lives in one Rasa process; an agent's answer or a reminder may be executed by
    another (Rasa's API behind the load balancer, handoff/delivery.py). With
    `SOCKETIO_REDIS_URL` (redis://:password@host:port/db, set by deploy/prod.py) every server
    publishes its emits on Redis and each one delivers them to the sockets it holds.
    """
    env = os.environ if env is None else env
    url = env.get("SOCKETIO_REDIS_URL")
    if not url:
        return None
    return AsyncRedisManager(url, channel=env.get("SOCKETIO_REDIS_CHANNEL", "fsnord-socketio"))


def origin_allowed(environ: Mapping[str, Any], origins: list[str]) -> bool:
    """True when the request has no Origin (not a browser page) or one of `origins`."""
    origin = environ.get("HTTP_ORIGIN")
    return not origin or origin in origins


MAX_AGENT_NAME_CHARS = 40


def sender_fields(kwargs: Mapping[str, Any]) -> dict[str, str]:
    """The fields that mark a message written by a person (an agent), or {} for the bot's.

    `kwargs` are the keys Rasa passes to the output channel with the text: the response's
    `metadata` among them (`agent_reply: true`, optionally `agent_name`), as for Messenger.
    """
    metadata = kwargs.get("metadata")
    if not isinstance(metadata, Mapping):
        metadata = {}
    if not (kwargs.get("agent_reply") or metadata.get("agent_reply")):
        return {}
    fields = {"sender_kind": "agent"}
    name = metadata.get("agent_name") or kwargs.get("agent_name")
    if isinstance(name, str) and name.strip():
        fields["agent_name"] = " ".join(name.split())[:MAX_AGENT_NAME_CHARS]
    return fields


class WidgetOutput(SocketIOOutput):
    """Rasa's socket.io output, with an agent's messages marked as a person's (sender_fields)."""

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        sender = sender_fields(kwargs)
        if not sender:
            await super().send_text_message(recipient_id, text, **kwargs)
            return
        for part in text.strip().split("\n\n"):
            await self._send_message(recipient_id, {"text": part, **sender})


def read_metadata(value: object) -> dict:
    """The metadata of a message as a dict; anything malformed becomes `{}` instead of a crash."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


class RestrictedSocketIOInput(SocketIOInput):
    """Rasa's socket.io input channel with an Origin allow-list and server-held sessions."""

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        return cls(
            credentials.get("user_message_evt", "user_uttered"),
            credentials.get("bot_message_evt", "bot_uttered"),
            credentials.get("namespace"),
            credentials.get("session_persistence", True),
            credentials.get("socketio_path", "/socket.io"),
            credentials.get("jwt_key"),
            credentials.get("jwt_method", "HS256"),
            credentials.get("metadata_key", "metadata"),
            cors_allowed_origins=allowed_origins(),
        )

    def __init__(
        self,
        *args: Any,
        cors_allowed_origins: list[str] | None = None,
        limits: Limits | None = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.cors_allowed_origins = (
            allowed_origins() if cors_allowed_origins is None else cors_allowed_origins
        )
        # Per session and per address (channels/limits.py), as for the REST channel.
        self.limits = limits or limits_from_env()

    def get_output_channel(self) -> SocketIOOutput | None:
        """The output for messages sent through Rasa's API (an agent's reply, a reminder)."""
        if self.sio is None:
            return super().get_output_channel()
        return WidgetOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The socket.io server and its event handlers (same events as Rasa's channel)."""
        rate_limited = texts.web_rate_limited()  # domain.yml read at start, not in a handler
        origins = list(self.cors_allowed_origins)
        # A list makes python-engineio answer 400 to a handshake from any other Origin.
        sio = AsyncServer(
            async_mode="sanic",
            cors_allowed_origins=origins,
            max_http_buffer_size=MAX_PACKET_BYTES,
            client_manager=redis_manager(),
        )
        socketio_webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio
        # socket id -> the session confirmed to that socket; only this process's sockets.
        sessions: dict[str, str] = {}
        # socket id -> the person's address (for the per-address limit).
        addresses: dict[str, str] = {}
        logger.info("socket.io accepts the origins %s", ", ".join(origins))

        @socketio_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: str, environ: dict, auth: dict | None = None) -> bool:
            # Engine.IO has already refused other origins; checked again here in case a
            # later python-engineio changes its default.
            if not origin_allowed(environ, origins):
                logger.warning("socket.io connection refused from %s", environ.get("HTTP_ORIGIN"))
                return False
            addresses[sid] = self.limits.client_address(
                environ.get("REMOTE_ADDR"), environ.get("HTTP_X_FORWARDED_FOR")
            )
            if self.jwt_key:
                token = (auth or {}).get("token")
                payload = None
                if token:
                    payload = rasa.core.channels.channel.decode_bearer_token(
                        token, self.jwt_key, self.jwt_algorithm
                    )
                return bool(payload)
            return True

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: str, *_: Any) -> None:
            sessions.pop(sid, None)
            addresses.pop(sid, None)

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any = None) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            session_id = session_for(requested)
            if requested and requested != session_id:
                logger.info("socket.io: malformed session id replaced by a fresh one")
            previous = sessions.get(sid)
            if previous and previous != session_id:
                await sio.leave_room(sid, previous, namespace=self.namespace)
            sessions[sid] = session_id
            if self.session_persistence:
                await sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any = None) -> None:
            if not isinstance(data, dict) or not isinstance(data.get("message"), str):
                return
            if self.session_persistence:
                sender_id = sessions.get(sid)
                if sender_id is None:
                    logger.warning("socket.io: message before session_request ignored")
                    return
            else:
                sender_id = sid
            address = addresses.get(sid, "unknown")
            if not self.limits.web_allows(sender_id, address):
                logger.warning("socket.io: session %s or %s over the limit", sender_id, address)
                await sio.emit(
                    self.bot_message_evt,
                    {"text": rate_limited},
                    room=sid,
                    namespace=self.namespace,
                )
                return
            message = UserMessage(
                screen_length(data["message"]),
                WidgetOutput(sio, self.bot_message_evt),
                sender_id,
                input_channel=self.name(),
                metadata=read_metadata(data.get(self.metadata_key)),
            )
            await on_new_message(message)

        return socketio_webhook
