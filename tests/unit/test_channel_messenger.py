"""Messenger channel (channels/messenger.py): signature, events, quick replies, 24-hour window.

Each scenario runs the real connector in a Sanic server and a real local HTTP server for the
Graph API (see channel_harness.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from channels.delivery import RetryPolicy
from channels.log_tags import log_tag
from channels.messenger import (
    MAX_QUICK_REPLY_TITLE,
    MessengerConfig,
    MessengerOutput,
    SecureMessengerInput,
    quick_reply_title,
    signature_is_valid,
    split_text,
)
from channels.store import ChannelStore, utcnow
from tests.unit.channel_harness import Agent, Bot, Platform, Reply, request, say, serve

SECRET = "messenger-app-secret"
PAGE_TOKEN = "page-access-token"
VERIFY = "verify-me"
PSID = "2468013579"
PAGE_ID = "1122334455"
WEBHOOK = "/webhooks/facebook/webhook"


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def batch(*events: dict[str, Any]) -> dict[str, Any]:
    return {"object": "page", "entry": [{"id": PAGE_ID, "time": 1, "messaging": list(events)}]}


_mids = itertools.count()


def text_event(text: str, psid: str = PSID, mid: str | None = None) -> dict[str, Any]:
    return {
        "sender": {"id": psid},
        "recipient": {"id": PAGE_ID},
        "timestamp": 1,
        "message": {"mid": mid or f"m_{next(_mids)}", "text": text},
    }


@dataclass
class World:
    platform: Platform
    agent: Agent
    store: ChannelStore
    channel: SecureMessengerInput
    base_url: str

    @property
    def sent(self) -> list[dict[str, Any]]:
        """The Send API bodies posted to the Graph API."""
        return [r.json for r in self.platform.requests]

    async def post_raw(self, body: bytes, signature: str | None = "auto") -> Reply:
        headers = {"Content-Type": "application/json"}
        if signature == "auto":
            signature = sign(body)
        if signature is not None:
            headers["X-Hub-Signature-256"] = signature
        return await request("POST", self.base_url + WEBHOOK, data=body, headers=headers)

    async def post(self, payload: dict[str, Any]) -> Reply:
        return await self.post_raw(json.dumps(payload).encode())


@asynccontextmanager
async def world(tmp_path: Path, bot: Bot | None = None) -> AsyncIterator[World]:
    store = ChannelStore(f"sqlite:///{tmp_path / 'channels.db'}")
    agent = Agent(bot=bot)
    async with Platform().running() as platform:
        config = MessengerConfig(
            app_secret=SECRET,
            page_access_token=PAGE_TOKEN,
            verify_token=VERIFY,
            api_base=platform.base_url + "/v18.0",
            retry=RetryPolicy(attempts=3, base_delay=0.01, timeout=5),
        )
        channel = SecureMessengerInput(config, store)
        async with serve(channel, agent) as base_url:
            yield World(platform, agent, store, channel, base_url)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


# --- Verification handshake ----------------------------------------------------------------------


def test_verification_handshake(tmp_path):
    async def scenario():
        async with world(tmp_path) as w:
            query = f"?hub.mode=subscribe&hub.verify_token={VERIFY}&hub.challenge=12345"
            ok = await request("GET", w.base_url + WEBHOOK + query)
            assert (ok.status, ok.text) == (200, "12345")
            wrong = query.replace(VERIFY, "nope")
            refused = await request("GET", w.base_url + WEBHOOK + wrong)
            assert refused.status == 403

    run(scenario())


# --- Signature and payload -----------------------------------------------------------------------


def test_signed_message_reaches_the_dialogue(tmp_path):
    async def scenario():
        async with world(tmp_path) as w:
            reply = await w.post(batch(text_event("quand passe le bus à Trélon ?")))
            assert reply.status == 200
            [message] = w.agent.messages
            assert message.text == "quand passe le bus à Trélon ?"
            assert message.sender_id == PSID
            assert message.input_channel == "facebook"
            assert message.output_channel.name() == "facebook"
            assert w.store.messenger_last_user_message(PSID) is not None

    run(scenario())


@pytest.mark.parametrize(
    "signature",
    [
        None,
        sign(b"{}"),
        sign(json.dumps(batch(text_event("bonjour"))).encode(), secret="wrong"),
        "sha1=" + hmac.new(SECRET.encode(), b"x", hashlib.sha1).hexdigest(),
        "sha256=not-hex",
    ],
    ids=["missing", "other-body", "wrong-secret", "old-sha1-header", "garbage"],
)
def test_bad_or_missing_signature_is_refused(tmp_path, signature):
    async def scenario():
        async with world(tmp_path) as w:
            body = json.dumps(batch(text_event("bonjour"))).encode()
            reply = await w.post_raw(body, signature=signature)
            assert reply.status == 403
            assert w.agent.messages == []

    run(scenario())


def test_replayed_signature_with_modified_body_is_refused(tmp_path):
    async def scenario():
        async with world(tmp_path) as w:
            original = json.dumps(batch(text_event("bonjour"))).encode()
            tampered = json.dumps(batch(text_event("bonjour", psid="999"))).encode()
            reply = await w.post_raw(tampered, signature=sign(original))
            assert reply.status == 403
            assert w.agent.messages == []

    run(scenario())


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b"[1, 2]"])
def test_malformed_json_is_a_400(tmp_path, body):
    async def scenario():
        async with world(tmp_path) as w:
            reply = await w.post_raw(body)
            assert reply.status == 400
            assert w.agent.messages == []

    run(scenario())


def test_events_without_a_message_are_ignored(tmp_path):
    async def scenario():
        async with world(tmp_path, bot=say({"text": "Bonjour !"})) as w:
            sender = {"sender": {"id": PSID}, "recipient": {"id": PAGE_ID}, "timestamp": 1}
            events = [
                {**sender, "message": {"mid": "m_2", "text": "Bonjour !", "is_echo": True}},
                {**sender, "read": {"watermark": 1}},
                {**sender, "delivery": {"mids": ["m_2"], "watermark": 1}},
                {**sender, "reaction": {"mid": "m_2", "action": "react", "emoji": "👍"}},
                {**sender, "message": {"mid": "m_3"}},
                {"recipient": {"id": PAGE_ID}, "message": {"text": "sans expéditeur"}},
                "not an event",
            ]
            reply = await w.post(batch(*events))
            assert reply.status == 200
            assert w.agent.messages == []
            assert w.sent == []
            assert (await w.post({"object": "page", "entry": "nope"})).status == 200
            assert (await w.post({"object": "instagram", "entry": []})).status == 200

    run(scenario())


def test_every_message_of_a_batch_is_handled(tmp_path):
    async def scenario():
        async with world(tmp_path) as w:
            quick = text_event("Quels papiers…")
            quick["message"]["quick_reply"] = {"payload": "/ask_documents"}
            postback = {
                "sender": {"id": PSID},
                "recipient": {"id": PAGE_ID},
                "postback": {"title": "Parler à une personne", "payload": "/ask_human"},
            }
            photo = {
                "sender": {"id": PSID},
                "message": {"mid": "m_4", "attachments": [{"type": "image", "payload": {}}]},
            }
            await w.post(batch(text_event("bonjour"), quick, postback, photo))
            assert w.agent.texts == ["bonjour", "/ask_documents", "/ask_human", ""]
            assert w.agent.messages[3].metadata["attachments"] == ["image"]

    run(scenario())


def test_a_redelivered_message_is_handled_once(tmp_path):
    async def scenario():
        async with world(tmp_path) as w:
            event = text_event("bonjour", mid="m_same")
            await w.post(batch(event))
            await w.post(batch(event))
            assert w.agent.texts == ["bonjour"]

    run(scenario())


def test_a_crash_in_the_dialogue_still_answers_200(tmp_path):
    async def boom(message):
        raise RuntimeError("dialogue down")

    async def scenario():
        async with world(tmp_path, bot=boom) as w:
            assert (await w.post(batch(text_event("bonjour")))).status == 200

    run(scenario())


def test_the_logs_name_a_messenger_user_by_a_tag_never_by_the_psid(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)

    async def bot(message):
        if message.text == "panne":
            raise RuntimeError("dialogue down")
        await message.output_channel.send_response(message.sender_id, {"text": "Bonjour."})

    async def scenario():
        async with world(tmp_path, bot=bot) as w:
            # The Graph API refuses the answer: the refusal is logged.
            w.platform.fail_with = [(400, {"error": {"message": "bad token", "code": 190}})]
            assert (await w.post(batch(text_event("bonjour")))).status == 200
            # The dialogue fails: the error is logged.
            assert (await w.post(batch(text_event("panne")))).status == 200
            # A reminder outside Meta's 24 hours: not sent, logged and recorded.
            w.store.touch_messenger_user(PSID, at=utcnow() - timedelta(days=2))
            await w.channel.get_output_channel().send_response(PSID, {"text": "Rappel"})
            assert len(w.store.unsent_messages(PSID)) == 2

    run(scenario())
    tag = log_tag("psid", PSID)
    lines = [record.getMessage() for record in caplog.records]
    assert [line for line in lines if PSID in line] == []
    assert PSID not in caplog.text  # the tracebacks too
    for what in ("refused", "error while handling", "not sent"):
        assert any(what in line and tag in line for line in lines), (what, lines)


def postback_event(payload: str, timestamp: int, mid: str | None = None) -> dict[str, Any]:
    """A postback as Meta sends it (a button of a template, Get Started, the persistent menu)."""
    postback: dict[str, Any] = {"title": "Parler à une personne", "payload": payload}
    if mid:
        postback["mid"] = mid
    return {
        "sender": {"id": PSID},
        "recipient": {"id": PAGE_ID},
        "timestamp": timestamp,
        "postback": postback,
    }


@pytest.mark.parametrize("mid", ["m_postback_1", None], ids=["with-mid", "without-mid"])
def test_a_replayed_signed_postback_is_handled_once(tmp_path, mid):
    async def scenario():
        async with world(tmp_path) as w:
            body = json.dumps(batch(postback_event("/ask_human", 1733097600123, mid))).encode()
            signature = sign(body)
            assert (await w.post_raw(body, signature=signature)).status == 200
            assert (await w.post_raw(body, signature=signature)).status == 200
            assert w.agent.texts == ["/ask_human"]
            # The same button pressed again later is a new postback: handled.
            again = postback_event("/ask_human", 1733097660456, mid and "m_postback_2")
            await w.post(batch(again))
            assert w.agent.texts == ["/ask_human", "/ask_human"]

    run(scenario())


def test_an_over_long_message_reaches_rasa_as_message_too_long(tmp_path):
    async def scenario():
        async with world(tmp_path) as w:
            text = ("Bonjour, je voudrais savoir quand passe le bus. " * 400)[:15_000]
            assert (await w.post(batch(text_event(text)))).status == 200
            assert w.agent.texts == ["/message_too_long"]

    run(scenario())


@pytest.mark.parametrize(
    ("agent", "prefix"),
    [("Julie", "Julie, conseiller France Services : "), (None, "Un conseiller France Services : ")],
)
def test_an_agents_message_says_a_person_wrote_it(tmp_path, agent, prefix):
    from handoff.delivery import RasaDelivery
    from tests.unit.channel_harness import RasaApi

    async def scenario():
        async with world(tmp_path) as w:
            w.store.touch_messenger_user(PSID, at=utcnow() - timedelta(days=2))
            deliver = RasaDelivery(RasaApi(w.channel), box=None)
            text = "Bonjour, votre dossier est complet."
            await deliver(
                PSID,
                "facebook",
                {"agent_message": text},
                "utter_agent_message",
                agent="jdupont",
                agent_display_name=agent,
            )
            [body] = w.sent
            assert body["message"] == {"text": prefix + text}
            assert body["tag"] == "HUMAN_AGENT"  # still an agent's reply for Meta's rule

    run(scenario())


# --- Sending -------------------------------------------------------------------------------------


def test_answer_goes_to_the_send_api_as_a_response(tmp_path):
    async def scenario():
        async with world(tmp_path, bot=say({"text": "Bonjour !"})) as w:
            await w.post(batch(text_event("bonjour")))
            [call] = w.platform.requests
            assert call.path == "/v18.0/me/messages"
            assert call.query == {"access_token": PAGE_TOKEN}
            assert call.json == {
                "recipient": {"id": PSID},
                "message": {"text": "Bonjour !"},
                "messaging_type": "RESPONSE",
            }

    run(scenario())


def test_buttons_become_at_most_13_short_quick_replies(tmp_path):
    buttons = [
        {"title": f"Commune numéro {i} de l'Avesnois", "payload": f'/choose{{"n": {i}}}'}
        for i in range(15)
    ]

    async def scenario():
        async with world(tmp_path, bot=say({"text": "Quelle commune ?", "buttons": buttons})) as w:
            await w.post(batch(text_event("bus")))
            [body] = w.sent
            replies = body["message"]["quick_replies"]
            assert body["message"]["text"] == "Quelle commune ?"
            assert len(replies) == 13
            assert all(len(r["title"]) <= MAX_QUICK_REPLY_TITLE for r in replies)
            assert replies[0] == {
                "content_type": "text",
                "title": "Commune numéro 0…",
                "payload": '/choose{"n": 0}',
            }

    run(scenario())


def test_transient_errors_are_retried(tmp_path):
    async def scenario():
        async with world(tmp_path, bot=say({"text": "Bonjour !"})) as w:
            w.platform.fail_with = [(500, {"error": {"message": "oops"}})]
            await w.post(batch(text_event("bonjour")))
            assert len(w.platform.requests) == 2
            assert w.store.unsent_messages() == []

    run(scenario())


def test_client_errors_are_not_retried_and_are_recorded(tmp_path):
    async def scenario():
        async with world(tmp_path, bot=say({"text": "Bonjour !"})) as w:
            w.platform.fail_with = [(400, {"error": {"message": "bad token", "code": 190}})]
            await w.post(batch(text_event("bonjour")))
            assert len(w.platform.requests) == 1
            [unsent] = w.store.unsent_messages(PSID)
            assert unsent.reason.startswith("send_failed")

    run(scenario())


# --- 24-hour window ------------------------------------------------------------------------------


def test_outside_24_hours_a_bot_message_is_not_sent_but_recorded(tmp_path):
    async def scenario():
        async with world(tmp_path) as w:
            w.store.touch_messenger_user(PSID, at=utcnow() - timedelta(hours=25))
            output = w.channel.get_output_channel()
            await output.send_response(PSID, {"text": "Rappel : le bus passe demain."})
            assert w.sent == []
            [unsent] = w.store.unsent_messages(PSID)
            assert unsent.reason == "outside_24h_window"
            assert unsent.payload["message"] == {"text": "Rappel : le bus passe demain."}

    run(scenario())


def test_never_contacted_user_is_not_messaged(tmp_path):
    async def scenario():
        async with world(tmp_path) as w:
            await w.channel.get_output_channel().send_response("42", {"text": "Bonjour"})
            assert w.sent == []
            assert [u.reason for u in w.store.unsent_messages("42")] == ["no_user_message"]

    run(scenario())


@pytest.mark.parametrize(
    "response",
    [
        # `agent_reply=True` given to utter_message: Rasa passes it to the channel as a keyword.
        {"text": "Un conseiller vous répond : votre dossier est complet.", "agent_reply": True},
        {
            "text": "Un conseiller vous répond : votre dossier est complet.",
            "metadata": {"agent_reply": True},
        },
    ],
    ids=["utter-keyword", "response-metadata"],
)
def test_agent_reply_outside_24_hours_uses_the_human_agent_tag(tmp_path, response):
    async def scenario():
        async with world(tmp_path) as w:
            w.store.touch_messenger_user(PSID, at=utcnow() - timedelta(days=3))
            await w.channel.get_output_channel().send_response(PSID, dict(response))
            [body] = w.sent
            assert body["messaging_type"] == "MESSAGE_TAG"
            assert body["tag"] == "HUMAN_AGENT"
            assert body["message"]["text"].startswith("Un conseiller")
            assert w.store.unsent_messages() == []

    run(scenario())


def test_agent_reply_in_a_custom_payload_and_helper(tmp_path):
    async def scenario():
        async with world(tmp_path) as w:
            w.store.touch_messenger_user(PSID, at=utcnow() - timedelta(days=2))
            output = w.channel.get_output_channel()
            assert isinstance(output, MessengerOutput)
            await output.send_response(PSID, {"custom": {"agent_reply": True, "text": "Oui."}})
            await output.send_agent_reply(PSID, "Votre rendez-vous est confirmé.")
            assert [b["message"] for b in w.sent] == [
                {"text": "Oui."},
                {"text": "Votre rendez-vous est confirmé."},
            ]
            assert {b["tag"] for b in w.sent} == {"HUMAN_AGENT"}

    run(scenario())


def test_agent_reply_after_7_days_is_refused_and_recorded(tmp_path):
    async def scenario():
        async with world(tmp_path) as w:
            w.store.touch_messenger_user(PSID, at=utcnow() - timedelta(days=8))
            await w.channel.get_output_channel().send_agent_reply(PSID, "Bonjour")
            assert w.sent == []
            assert [u.reason for u in w.store.unsent_messages()] == ["outside_human_agent_window"]

    run(scenario())


def test_writing_again_reopens_the_window(tmp_path):
    async def scenario():
        async with world(tmp_path, bot=say({"text": "Bonjour !"})) as w:
            w.store.touch_messenger_user(PSID, at=utcnow() - timedelta(days=30))
            await w.post(batch(text_event("bonjour")))
            assert [b["messaging_type"] for b in w.sent] == ["RESPONSE"]

    run(scenario())


# --- Plain rules ---------------------------------------------------------------------------------


def test_quick_reply_title():
    assert quick_reply_title("Oui") == "Oui"
    assert quick_reply_title("Quels papiers apporter ?") == "Quels papiers…"
    assert quick_reply_title("Parler à une personne") == "Parler à une…"
    assert quick_reply_title("Anticonstitutionnellement") == "Anticonstitutionnel…"
    assert all(len(quick_reply_title("x " * n)) <= 20 for n in range(30))


def test_split_text_keeps_sentences_under_2000_chars():
    text = " ".join(f"Phrase numéro {i} pour tester." for i in range(200))
    parts = split_text(text)
    assert len(parts) > 1
    assert all(len(p) <= 2000 for p in parts)
    assert all(p.endswith(".") for p in parts)
    assert " ".join(parts) == text
    assert split_text("x" * 4500) == ["x" * 2000, "x" * 2000, "x" * 500]


def test_signature_is_valid():
    assert signature_is_valid(SECRET, b"{}", sign(b"{}"))
    assert signature_is_valid(SECRET, b"{}", sign(b"{}").upper().replace("SHA256=", "sha256="))
    assert not signature_is_valid(SECRET, b"{}", None)
    assert not signature_is_valid(SECRET, b"{}", sign(b"{ }"))


def test_config_from_environment(monkeypatch):
    monkeypatch.setenv("MESSENGER_APP_SECRET", SECRET)
    monkeypatch.setenv("MESSENGER_PAGE_ACCESS_TOKEN", PAGE_TOKEN)
    monkeypatch.setenv("MESSENGER_VERIFY_TOKEN", VERIFY)
    monkeypatch.delenv("MESSENGER_API_BASE", raising=False)
    config = MessengerConfig.from_credentials(None)
    assert config.send_url == "https://graph.facebook.com/v18.0/me/messages"
    monkeypatch.delenv("MESSENGER_APP_SECRET")
    with pytest.raises(ValueError, match="MESSENGER_APP_SECRET"):
        MessengerConfig.from_credentials({})
