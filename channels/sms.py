"""SMS channel through Twilio, safer than Rasa's own `twilio` connector.

What it adds to Rasa 3.6's connector:
- every webhook call must carry a valid `X-Twilio-Signature` (twilio's `RequestValidator` over the
  public URL and every form parameter, the empty ones too: Twilio signs them all, and Sanic's
  `request.form` drops them), otherwise 403: nobody can write as someone else's number;
- a message over 1000 characters reaches Rasa as "/message_too_long" (channels.limits), before
  any NLU;
- buttons become numbered choices ("Répondez 1 pour ..., 2 pour ..."), and a reply "2", "2.",
  "le 2" is turned back into the payload of the second button;
- the whole answer of a turn is sent as one SMS of at most 3 segments, cut on sentence boundaries,
  the rest on "SUITE" (the rule is in `channels.sms_format`);
- STOP / ARRET / STOPALL / UNSUBSCRIBE stop every message to the number until START / DEMARRER
  (`is_opted_out(phone)` for the reminders);
- sending uses Twilio's REST API with aiohttp (non-blocking) and retries transient failures;
- no phone number is written to the logs, only `phone_tag(phone)`, a salted hash.

The input and output channels are both named `twilio`, so the `channel: twilio` variants of
domain.yml apply and the webhook stays at /webhooks/twilio/webhook.

Settings: credentials.yml keys, or else environment variables (see `TwilioConfig`).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request, RequestParameters
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator

from channels import texts
from channels.delivery import DeliveryResult, RetryPolicy, post_with_retry
from channels.limits import Limits, limits_from_env, screen_length
from channels.log_tags import log_tag
from channels.sms_format import (
    choices_line,
    keyword,
    normalise_for_sms,
    parse_choice,
    split_for_sms,
)
from channels.store import ChannelStore, get_store
from franceservices.text.phones import to_e164

logger = logging.getLogger(__name__)

DEFAULT_TWILIO_API_BASE = "https://api.twilio.com"

# Alone in the message, any case, accents ignored ("Arrêt" is ARRET). Twilio's own opt-out list
# (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT) plus the French ARRET.
OPT_OUT_KEYWORDS = frozenset({"STOP", "STOPALL", "ARRET", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_IN_KEYWORDS = frozenset({"START", "DEMARRER", "UNSTOP"})
MORE_KEYWORDS = frozenset({"SUITE", "LA SUITE"})

# Twilio's error code when the recipient has opted out at the carrier or at Twilio.
TWILIO_UNSUBSCRIBED_ERROR = 21610

# How many recent MessageSid are remembered per process to drop an exact replay or a retry.
SEEN_MESSAGES_KEPT = 10_000


_running: set[asyncio.Task] = set()


async def _shielded(coro: Awaitable[Any]) -> None:
    """Await `coro` in its own task, which goes on if the caller is cancelled."""
    task = asyncio.ensure_future(coro)
    _running.add(task)  # keep a reference until it is done
    task.add_done_callback(_running.discard)
    await asyncio.shield(task)


def phone_tag(phone: str | None) -> str:
    """What the logs say instead of a phone number: "n:" and 8 hex digits (channels.log_tags).

    The number is normalised first, so "06 12 ..." and "+33612..." get the same tag.
    """
    return log_tag("n", to_e164(phone))


def form_parameters(body: bytes) -> RequestParameters:
    """The form Twilio posted, every field kept, the empty ones too (they are signed)."""
    return RequestParameters(parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True))


def is_opted_out(phone: str, database_url: str | None = None) -> bool:
    """True when this number sent STOP (and not START since): send it nothing.

    For the reminders feature and any other sender of SMS. `database_url` defaults to
    CHANNELS_DATABASE_URL, then DATABASE_URL (the tracker store's database).
    """
    return get_store(database_url).is_opted_out(to_e164(phone))


def _env(name: str) -> str | None:
    return os.environ.get(name) or None


@dataclass(frozen=True)
class TwilioConfig:
    """Settings of the SMS channel.

    Each credentials.yml key falls back to an environment variable: account_sid
    (TWILIO_ACCOUNT_SID), auth_token (TWILIO_AUTH_TOKEN), twilio_number (TWILIO_NUMBER),
    public_url (TWILIO_PUBLIC_URL: the exact webhook URL set in the Twilio console, needed
    behind a reverse proxy), api_base (TWILIO_API_BASE, default https://api.twilio.com),
    database_url (CHANNELS_DATABASE_URL, then DATABASE_URL), fold_accents (SMS_FOLD_ACCENTS).
    """

    account_sid: str
    auth_token: str
    twilio_number: str
    public_url: str | None = None
    api_base: str = DEFAULT_TWILIO_API_BASE
    database_url: str | None = None
    fold_accents: bool = False
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TwilioConfig:
        creds = credentials or {}
        account_sid = creds.get("account_sid") or _env("TWILIO_ACCOUNT_SID")
        auth_token = creds.get("auth_token") or _env("TWILIO_AUTH_TOKEN")
        number = creds.get("twilio_number") or _env("TWILIO_NUMBER")
        missing = [
            name
            for name, value in (
                ("account_sid / TWILIO_ACCOUNT_SID", account_sid),
                ("auth_token / TWILIO_AUTH_TOKEN", auth_token),
                ("twilio_number / TWILIO_NUMBER", number),
            )
            if not value
        ]
        if missing:
            raise ValueError(f"SMS channel: missing settings: {', '.join(missing)}")
        fold = creds.get("fold_accents", _env("SMS_FOLD_ACCENTS") or False)
        return cls(
            account_sid=account_sid,
            auth_token=auth_token,
            twilio_number=number,
            public_url=creds.get("public_url") or _env("TWILIO_PUBLIC_URL"),
            api_base=(
                creds.get("api_base") or _env("TWILIO_API_BASE") or DEFAULT_TWILIO_API_BASE
            ).rstrip("/"),
            database_url=creds.get("database_url"),
            fold_accents=str(fold).lower() in ("1", "true", "yes", "oui"),
        )

    @property
    def messages_url(self) -> str:
        return f"{self.api_base}/2010-04-01/Accounts/{self.account_sid}/Messages.json"


class SmsOutput(OutputChannel):
    """Sends the assistant's answers by SMS.

    `buffered=True` (inside a webhook call): the responses of the turn are collected and sent as
    one SMS by `flush`, with the choices of every button numbered in order. `buffered=False`
    (proactive messages through `get_output_channel`): each response is sent at once.
    """

    @classmethod
    def name(cls) -> str:
        return "twilio"

    def __init__(
        self, config: TwilioConfig, store: ChannelStore | None = None, buffered: bool = False
    ) -> None:
        super().__init__()
        self.config = config
        self.store = store or get_store(config.database_url)
        self.buffered = buffered
        self._parts: list[str] = []
        self._choices: list[dict[str, str]] = []

    # --- OutputChannel ------------------------------------------------------------------------

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._add(recipient_id, text, [])

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self._add(recipient_id, text, buttons)

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self._add(recipient_id, text, quick_replies)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        # No MMS: the link is the best an old phone can do with a picture.
        await self._add(recipient_id, image, [])

    async def send_attachment(self, recipient_id: str, attachment: Any, **kwargs: Any) -> None:
        if isinstance(attachment, str):
            await self._add(recipient_id, attachment, [])

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        # Custom payloads are written for richer channels; in an SMS they would read as JSON.
        logger.debug("SMS: custom payload not sent to %s", phone_tag(recipient_id))

    # --- Turn assembly ------------------------------------------------------------------------

    async def _add(
        self, recipient_id: str, text: str | None, buttons: list[dict[str, Any]]
    ) -> None:
        choices = [
            {"title": str(b.get("title", "")), "payload": str(b.get("payload") or b.get("title"))}
            for b in buttons
            if b.get("title") or b.get("payload")
        ]
        if self.buffered:
            start = len(self._choices) + 1
            self._choices.extend(choices)
        else:
            start = 1
        part = (text or "").strip()
        if choices:
            line = choices_line([c["title"] for c in choices], first_number=start)
            part = f"{part}\n{line}" if part else line
        if self.buffered:
            if part:
                self._parts.append(part)
        else:
            await self.deliver_answer(recipient_id, part, choices)

    async def flush(self, recipient_id: str) -> None:
        """Send what the turn produced as one SMS (nothing if the turn said nothing)."""
        parts, choices = self._parts, self._choices
        self._parts, self._choices = [], []
        if parts or choices:
            await self.deliver_answer(recipient_id, "\n".join(parts), choices)

    async def deliver_answer(
        self, phone: str, text: str, choices: list[dict[str, str]]
    ) -> DeliveryResult | None:
        """Send an answer under the length rule; remember its choices and what is left."""
        if await asyncio.to_thread(self.store.is_opted_out, phone):
            logger.info("SMS: %s opted out, answer not sent", phone_tag(phone))
            return None
        body = normalise_for_sms(text, fold_accents=self.config.fold_accents)
        if not body:
            return None
        chunk, rest = split_for_sms(body)
        await asyncio.to_thread(self.store.save_sms_turn, phone, choices, rest or None)
        return await self.send_sms(phone, chunk)

    async def send_more(self, phone: str) -> bool:
        """Send the next part of the last answer ("SUITE"); False when nothing is waiting."""
        pending = await asyncio.to_thread(self.store.sms_pending, phone)
        if not pending:
            return False
        chunk, rest = split_for_sms(pending)
        await asyncio.to_thread(self.store.save_sms_pending, phone, rest or None)
        await self.send_sms(phone, chunk)
        return True

    # --- Transport ----------------------------------------------------------------------------

    async def send_sms(self, phone: str, body: str) -> DeliveryResult:
        """One POST to Twilio's Messages API (retried if transient). Does not check opt-out."""
        result = await post_with_retry(
            self.config.messages_url,
            policy=self.config.retry,
            data={"To": phone, "From": self.config.twilio_number, "Body": body},
            auth=aiohttp.BasicAuth(self.config.account_sid, self.config.auth_token),
            what=f"SMS to {phone_tag(phone)}",
        )
        if (
            result.status == 400
            and isinstance(result.body, dict)
            and result.body.get("code") == TWILIO_UNSUBSCRIBED_ERROR
        ):
            # The number opted out through the carrier or Twilio itself: honour it here too.
            await asyncio.to_thread(self.store.set_opted_out, phone, True)
        return result


class SecureTwilioInput(InputChannel):
    """Twilio SMS webhook that checks Twilio's signature; see the module docstring."""

    @classmethod
    def name(cls) -> str:
        return "twilio"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(TwilioConfig.from_credentials(credentials))

    def __init__(
        self,
        config: TwilioConfig,
        store: ChannelStore | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.config = config
        self._store = store
        # Messages per phone number (channels/limits.py): against floods and SMS pumping.
        self.limits = limits or limits_from_env()
        self._validator = RequestValidator(config.auth_token)
        self._seen: OrderedDict[str, None] = OrderedDict()

    @property
    def store(self) -> ChannelStore:
        # Opened on first use, not when Rasa builds the channel.
        if self._store is None:
            self._store = get_store(self.config.database_url)
        return self._store

    def get_output_channel(self) -> OutputChannel:
        return SmsOutput(self.config, self.store, buffered=False)

    def signed_url(self, request: Request) -> str:
        """The URL Twilio signed: the configured public URL, else the one the reverse proxy
        forwarded (X-Forwarded-Proto / X-Forwarded-Host), else the URL of the request.

        The forwarded headers are believed only from a trusted proxy (WEB_TRUSTED_PROXIES,
        channels/limits.py): from anyone else they would let a caller pick the URL checked.
        """
        query = f"?{request.query_string}" if request.query_string else ""
        if self.config.public_url:
            url = self.config.public_url
            return url if "?" in url else url + query
        proto = host = ""
        if request.ip in self.limits.trusted_proxies:
            proto = (request.headers.get("X-Forwarded-Proto") or "").split(",")[0].strip()
            host = (request.headers.get("X-Forwarded-Host") or "").split(",")[0].strip()
        return f"{proto or request.scheme}://{host or request.host}{request.path}{query}"

    def is_signed(self, request: Request, form: RequestParameters) -> bool:
        signature = request.headers.get("X-Twilio-Signature")
        if not signature:
            return False
        return self._validator.validate(self.signed_url(request), form, signature)

    def _already_seen(self, message_sid: str | None) -> bool:
        """Drop an exact replay (or a retry) of a message already handled by this process."""
        if not message_sid:
            return False
        if message_sid in self._seen:
            return True
        self._seen[message_sid] = None
        if len(self._seen) > SEEN_MESSAGES_KEPT:
            self._seen.popitem(last=False)
        return False

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("secure_twilio_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            form = form_parameters(request.body or b"")
            if not self.is_signed(request, form):
                logger.warning(
                    "SMS webhook: missing or invalid X-Twilio-Signature for %s (check public_url)",
                    self.signed_url(request),
                )
                return response.text("invalid signature", status=403)
            phone = to_e164(form.get("From"))
            if not phone:
                return response.text("missing From", status=400)
            if self._already_seen(form.get("MessageSid")):
                return response.empty()
            if not self.limits.sms_allows(phone):
                # No answer: answering a flood is what SMS pumping makes us pay for.
                logger.warning(
                    "SMS: %s over the per-number limit: message not answered", phone_tag(phone)
                )
                return response.empty()
            # Shielded: if Twilio hangs up (15 s timeout) and Sanic cancels this handler, the
            # turn still completes and its answer is still sent.
            await _shielded(
                self._handle(phone, form.get("Body") or "", form.get("MessageSid"), on_new_message)
            )
            # Empty answer: every reply goes through the REST API.
            return response.empty()

        return webhook

    async def _handle(
        self,
        phone: str,
        text: str,
        message_sid: str | None,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> None:
        store = self.store
        output = SmsOutput(self.config, store, buffered=True)
        word = keyword(text)
        opted_out = await asyncio.to_thread(store.is_opted_out, phone)

        if word in OPT_OUT_KEYWORDS:
            if not opted_out:
                # Recorded before the confirmation: if sending fails, the opt-out still holds.
                await asyncio.to_thread(store.set_opted_out, phone, True)
                await output.send_sms(phone, texts.SMS_OPTED_OUT)
            return
        if opted_out:
            if word in OPT_IN_KEYWORDS:
                await asyncio.to_thread(store.set_opted_out, phone, False)
                await output.send_sms(phone, texts.SMS_OPTED_IN)
            else:
                logger.info(
                    "SMS: message from opted-out %s ignored (START resumes)", phone_tag(phone)
                )
            return
        if word in MORE_KEYWORDS and await output.send_more(phone):
            return

        metadata: dict[str, Any] = {"message_sid": message_sid}
        number = parse_choice(text)
        if number is not None:
            choices = await asyncio.to_thread(store.sms_choices, phone)
            if 1 <= number <= len(choices):
                metadata.update(sms_choice=number, sms_raw_text=text)
                text = choices[number - 1]["payload"]

        # Some carriers turn "@" into "¡" (as in Rasa's connector). An over-long message
        # becomes a command: no NLU runs on it (channels/limits.py).
        text = screen_length(text.replace("¡", "@"))
        try:
            await on_new_message(
                UserMessage(text, output, phone, input_channel=self.name(), metadata=metadata)
            )
        except Exception:
            logger.exception("SMS: error while handling a message from %s", phone_tag(phone))
        finally:
            await output.flush(phone)
