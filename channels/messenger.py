"""Facebook Messenger channel, safer than Rasa's own `facebook` connector.

What it adds to Rasa 3.6's connector:
- every webhook call must carry a valid `X-Hub-Signature-256` (HMAC-SHA256 of the raw body with
  the app secret, compared in constant time), otherwise 403 (Rasa checks only the old SHA-1
  header and answers 200 when it fails); malformed JSON gets 400;
- every messaging event of a batch is handled (Rasa stops at the first); events that are not a
  message from the person (echoes, read receipts, deliveries, reactions...) are ignored with 200;
- a message or a postback delivered twice (Meta's retry, or a replayed signed call) is handled
  once: messages by `message.mid`, postbacks by `postback.mid` and by (sender, timestamp,
  payload);
- a message over 1000 characters reaches Rasa as "/message_too_long" (channels.limits), before
  any NLU;
- buttons are sent as quick replies (at most 13, titles cut to 20 characters);
- Meta's 24-hour rule: the time each person last wrote is stored; outside the 24 hours a message
  is only sent when it is marked as an agent's reply (`agent_reply: true` in the response's
  metadata or custom payload), with the HUMAN_AGENT tag (allowed up to 7 days); anything else is
  not sent, logged and kept in the `channel_messenger_unsent` table for staff;
- sending uses the Graph API with aiohttp (non-blocking) and retries transient failures;
- no PSID (the person's Messenger id) is written to the logs, only `log_tag("psid", psid)`, a
  salted hash (channels.log_tags).

The input and output channels are both named `facebook` (webhook /webhooks/facebook/webhook).
Settings: credentials.yml keys, or else environment variables (see `MessengerConfig`).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.delivery import DeliveryResult, RetryPolicy, post_with_retry
from channels.limits import screen_length
from channels.log_tags import log_tag
from channels.store import ChannelStore, get_store, utcnow

logger = logging.getLogger(__name__)

DEFAULT_GRAPH_API_BASE = "https://graph.facebook.com/v18.0"

# Meta's messaging windows: a normal answer within 24 hours of the person's last message; a
# human agent's answer, tagged HUMAN_AGENT, within 7 days.
STANDARD_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)

MAX_QUICK_REPLIES = 13
MAX_QUICK_REPLY_TITLE = 20
MAX_TEXT_CHARS = 2000

# Reasons recorded with an unsent message.
UNSENT_NEVER_WROTE = "no_user_message"
UNSENT_OUTSIDE_WINDOW = "outside_24h_window"
UNSENT_OUTSIDE_AGENT_WINDOW = "outside_human_agent_window"
UNSENT_SEND_FAILED = "send_failed"


# How many recent message ids are remembered per process to drop Meta's redeliveries.
SEEN_MESSAGES_KEPT = 10_000

_running: set[asyncio.Task] = set()


async def _shielded(coro: Awaitable[Any]) -> None:
    """Await `coro` in its own task, which goes on if the caller is cancelled."""
    task = asyncio.ensure_future(coro)
    _running.add(task)  # keep a reference until it is done
    task.add_done_callback(_running.discard)
    await asyncio.shield(task)


def _env(name: str) -> str | None:
    return os.environ.get(name) or None


def signature_is_valid(app_secret: str, body: bytes, header: str | None) -> bool:
    """Check `X-Hub-Signature-256: sha256=<hex>` against the raw body, in constant time."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


def quick_reply_title(title: str) -> str:
    """A button title within Messenger's 20 characters: cut after a word, with an ellipsis."""
    title = " ".join(str(title).split())
    if len(title) <= MAX_QUICK_REPLY_TITLE:
        return title
    room = title[: MAX_QUICK_REPLY_TITLE - 1]
    if " " in room:
        room = room.rsplit(" ", 1)[0]
    return room.rstrip(" ,;:.!?-'") + "\u2026"


def quick_replies(buttons: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    """Rasa buttons as Messenger text quick replies (the first 13)."""
    buttons = [b for b in buttons if b.get("title") or b.get("payload")]
    if len(buttons) > MAX_QUICK_REPLIES:
        logger.warning(
            "Messenger: %d buttons, only the first %d are shown", len(buttons), MAX_QUICK_REPLIES
        )
    return [
        {
            "content_type": "text",
            "title": quick_reply_title(b.get("title") or b.get("payload")),
            "payload": str(b.get("payload") or b.get("title"))[:1000],
        }
        for b in buttons[:MAX_QUICK_REPLIES]
    ]


def split_text(text: str, limit: int = MAX_TEXT_CHARS) -> list[str]:
    """Cut a text over Messenger's 2000 characters after sentences (after words if need be)."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    parts: list[str] = []
    current = ""
    for piece in re.split(r"(?<=[.!?\n])\s+", text):
        while len(piece) > limit:
            cut = piece.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            if current:
                parts.append(current)
                current = ""
            parts.append(piece[:cut].strip())
            piece = piece[cut:].strip()
        candidate = f"{current} {piece}".strip() if current else piece
        if len(candidate) <= limit:
            current = candidate
        else:
            parts.append(current)
            current = piece
    if current:
        parts.append(current)
    return [p for p in parts if p]


def is_agent_reply(kwargs: dict[str, Any]) -> bool:
    """True when a response is marked as an agent's reply: `agent_reply: true` given to
    `utter_message`, or in the response's `metadata`."""
    metadata = kwargs.get("metadata")
    return bool(
        kwargs.get("agent_reply") or (isinstance(metadata, dict) and metadata.get("agent_reply"))
    )


@dataclass(frozen=True)
class MessengerConfig:
    """Settings of the Messenger channel.

    Each credentials.yml key falls back to an environment variable: app_secret
    (MESSENGER_APP_SECRET), page_access_token (MESSENGER_PAGE_ACCESS_TOKEN), verify_token
    (MESSENGER_VERIFY_TOKEN), api_base (MESSENGER_API_BASE, default
    https://graph.facebook.com/v18.0), database_url (CHANNELS_DATABASE_URL, then DATABASE_URL).
    Rasa's own key names (secret, page-access-token, verify) are accepted too.
    """

    app_secret: str
    page_access_token: str
    verify_token: str
    api_base: str = DEFAULT_GRAPH_API_BASE
    database_url: str | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> MessengerConfig:
        creds = credentials or {}
        app_secret = creds.get("app_secret") or creds.get("secret") or _env("MESSENGER_APP_SECRET")
        token = (
            creds.get("page_access_token")
            or creds.get("page-access-token")
            or _env("MESSENGER_PAGE_ACCESS_TOKEN")
        )
        verify = creds.get("verify_token") or creds.get("verify") or _env("MESSENGER_VERIFY_TOKEN")
        missing = [
            name
            for name, value in (
                ("app_secret / MESSENGER_APP_SECRET", app_secret),
                ("page_access_token / MESSENGER_PAGE_ACCESS_TOKEN", token),
                ("verify_token / MESSENGER_VERIFY_TOKEN", verify),
            )
            if not value
        ]
        if missing:
            raise ValueError(f"Messenger channel: missing settings: {', '.join(missing)}")
        return cls(
            app_secret=app_secret,
            page_access_token=token,
            verify_token=verify,
            api_base=(
                creds.get("api_base") or _env("MESSENGER_API_BASE") or DEFAULT_GRAPH_API_BASE
            ).rstrip("/"),
            database_url=creds.get("database_url"),
        )

    @property
    def send_url(self) -> str:
        return f"{self.api_base}/me/messages"


class MessengerOutput(OutputChannel):
    """Sends the assistant's answers through the Send API, within Meta's messaging windows."""

    @classmethod
    def name(cls) -> str:
        return "facebook"

    def __init__(
        self,
        config: MessengerConfig,
        store: ChannelStore | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__()
        self.config = config
        self.store = store or get_store(config.database_url)
        self.clock = clock

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for part in split_text(text):
            await self.send_message(
                recipient_id, {"text": part}, agent_reply=is_agent_reply(kwargs)
            )

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        replies = quick_replies(buttons)
        parts = split_text(text) or [""]
        agent = is_agent_reply(kwargs)
        for part in parts[:-1]:
            await self.send_message(recipient_id, {"text": part}, agent_reply=agent)
        # Messenger needs a text to carry quick replies.
        message: dict[str, Any] = {"text": parts[-1] or "\u2026"}
        if replies:
            message["quick_replies"] = replies
        await self.send_message(recipient_id, message, agent_reply=agent)

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies, **kwargs)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        message = {"attachment": {"type": "image", "payload": {"url": image, "is_reusable": True}}}
        await self.send_message(recipient_id, message, agent_reply=is_agent_reply(kwargs))

    async def send_elements(
        self, recipient_id: str, elements: Iterable[dict[str, Any]], **kwargs: Any
    ) -> None:
        elements = [dict(e) for e in elements]
        for element in elements:
            for button in element.get("buttons", []):
                button.setdefault("type", "postback")
        message = {
            "attachment": {
                "type": "template",
                "payload": {"template_type": "generic", "elements": elements},
            }
        }
        await self.send_message(recipient_id, message, agent_reply=is_agent_reply(kwargs))

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        """A custom payload is a Send API `message` object; `agent_reply: true` in it marks an
        agent's reply and is not sent."""
        if not isinstance(json_message, dict):
            logger.warning("Messenger: custom payload that is not an object, not sent")
            return
        message = dict(json_message)
        agent = bool(message.pop("agent_reply", False)) or is_agent_reply(kwargs)
        if message:
            await self.send_message(recipient_id, message, agent_reply=agent)

    async def send_agent_reply(self, recipient_id: str, text: str) -> None:
        """Send a staff member's answer (allowed up to 7 days after the person's last message)."""
        await self.send_text_message(recipient_id, text, agent_reply=True)

    async def send_message(
        self, psid: str, message: dict[str, Any], agent_reply: bool = False
    ) -> DeliveryResult | None:
        """Send one Send API message if Meta's window allows it; else record it as unsent."""
        body: dict[str, Any] = {"recipient": {"id": psid}, "message": message}
        last = await asyncio.to_thread(self.store.messenger_last_user_message, psid)
        elapsed = self.clock() - last if last else None
        if elapsed is not None and elapsed <= STANDARD_WINDOW:
            body["messaging_type"] = "RESPONSE"
        elif agent_reply and elapsed is not None and elapsed <= HUMAN_AGENT_WINDOW:
            body.update(messaging_type="MESSAGE_TAG", tag="HUMAN_AGENT")
        else:
            if elapsed is None:
                reason = UNSENT_NEVER_WROTE
            elif agent_reply:
                reason = UNSENT_OUTSIDE_AGENT_WINDOW
            else:
                reason = UNSENT_OUTSIDE_WINDOW
            logger.warning(
                "Messenger: message to %s not sent (%s), recorded", log_tag("psid", psid), reason
            )
            await asyncio.to_thread(self.store.record_unsent, psid, reason, body)
            return None

        result = await post_with_retry(
            self.config.send_url,
            policy=self.config.retry,
            json=body,
            params={"access_token": self.config.page_access_token},
            what=f"Messenger message to {log_tag('psid', psid)}",
        )
        if not result.ok:
            await asyncio.to_thread(
                self.store.record_unsent, psid, f"{UNSENT_SEND_FAILED}: {result.error}", body
            )
        return result


class SecureMessengerInput(InputChannel):
    """Messenger webhook that checks Meta's SHA-256 signature; see the module docstring."""

    @classmethod
    def name(cls) -> str:
        return "facebook"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(MessengerConfig.from_credentials(credentials))

    def __init__(self, config: MessengerConfig, store: ChannelStore | None = None) -> None:
        self.config = config
        self._store = store
        self._seen: OrderedDict[str, None] = OrderedDict()

    @property
    def store(self) -> ChannelStore:
        # Opened on first use, not when Rasa builds the channel.
        if self._store is None:
            self._store = get_store(self.config.database_url)
        return self._store

    def get_output_channel(self) -> OutputChannel:
        return MessengerOutput(self.config, self.store)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("secure_messenger_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            token = request.args.get("hub.verify_token") or ""
            if request.args.get("hub.mode") == "subscribe" and hmac.compare_digest(
                token.encode("utf-8"), self.config.verify_token.encode("utf-8")
            ):
                return response.text(request.args.get("hub.challenge") or "")
            logger.warning("Messenger: webhook verification refused (wrong verify token)")
            return response.text("invalid verify token", status=403)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = request.body or b""
            header = request.headers.get("X-Hub-Signature-256")
            if not signature_is_valid(self.config.app_secret, body, header):
                logger.warning("Messenger: missing or invalid X-Hub-Signature-256")
                return response.text("invalid signature", status=403)
            try:
                payload = json.loads(body)
            except (ValueError, UnicodeDecodeError):
                return response.text("malformed JSON", status=400)
            if not isinstance(payload, dict):
                return response.text("malformed payload", status=400)
            if payload.get("object") != "page":
                return response.text("ignored")
            events = [
                event
                for entry in payload.get("entry") or []
                if isinstance(entry, dict)
                for event in entry.get("messaging") or []
                if isinstance(event, dict)
            ]
            # Shielded: if Meta hangs up and Sanic cancels this handler, the batch still
            # completes and its answers are still sent.
            await _shielded(self._handle_events(events, on_new_message))
            # Meta wants a 200 for the whole batch, even when one event went wrong.
            return response.text("EVENT_RECEIVED")

        return webhook

    @staticmethod
    def user_text(event: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        """What the person said in a messaging event, and metadata; None for anything that is
        not a person's message (echo of the page's own message, read, delivery, reaction...)."""
        message = event.get("message")
        if isinstance(message, dict):
            if message.get("is_echo"):
                return None
            metadata: dict[str, Any] = {"mid": message.get("mid")}
            quick_reply = message.get("quick_reply")
            if isinstance(quick_reply, dict) and quick_reply.get("payload"):
                return str(quick_reply["payload"]), metadata
            if isinstance(message.get("text"), str):
                return message["text"], metadata
            attachments = message.get("attachments")
            if isinstance(attachments, list) and attachments:
                # A photo, a voice note, a sticker: the dialogue answers an empty message.
                metadata["attachments"] = [
                    a.get("type") for a in attachments if isinstance(a, dict)
                ]
                return "", metadata
            return None
        postback = event.get("postback")
        if isinstance(postback, dict):
            payload = postback.get("payload") or postback.get("title")
            if not payload:
                return None
            metadata = {"postback": True, "mid": postback.get("mid")}
            timestamp = event.get("timestamp")
            if timestamp:
                # Postbacks have carried no mid for years: what tells a replay from a new press.
                sender = event.get("sender") or {}
                metadata["postback_key"] = f"{sender.get('id')}:{timestamp}:{payload}"
            return str(payload), metadata
        return None

    async def _handle_events(
        self,
        events: list[dict[str, Any]],
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> None:
        for event in events:
            await self._handle_event(event, on_new_message)

    def _already_seen(self, mid: Any) -> bool:
        """Drop a message Meta delivers again (it retries when our 200 came too late)."""
        if not mid:
            return False
        if mid in self._seen:
            return True
        self._seen[mid] = None
        if len(self._seen) > SEEN_MESSAGES_KEPT:
            self._seen.popitem(last=False)
        return False

    async def _handle_event(
        self, event: dict[str, Any], on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        sender = event.get("sender")
        psid = str(sender.get("id") or "") if isinstance(sender, dict) else ""
        said = self.user_text(event) if psid else None
        if said is None:
            logger.debug("Messenger: event ignored: %s", sorted(event))
            return
        text, metadata = said
        # Both keys are remembered (a replay may drop the mid); either one seen: a replay.
        seen = [self._already_seen(metadata.get(key)) for key in ("mid", "postback_key")]
        if any(seen):
            return
        text = screen_length(text)
        try:
            # The person wrote: the 24-hour window opens (recorded before the answer is sent).
            await asyncio.to_thread(self.store.touch_messenger_user, psid)
            output = MessengerOutput(self.config, self.store)
            await on_new_message(
                UserMessage(text, output, psid, input_channel=self.name(), metadata=metadata)
            )
        except Exception:
            logger.exception(
                "Messenger: error while handling a message from %s", log_tag("psid", psid)
            )
