"""Booking, handoff and reminders with the real servers: REST channel, agents' API, Rasa's API.

Its own stack (agents always available: HANDOFF_HOURS=always; reminders checked every second),
stopped and started again in the restart test.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid

import pytest
import requests

from handoff.auth import hash_token
from handoff.messages import MessageBox
from scripts.stack import Stack, free_port
from store import Repository
from store.db import make_engine
from store.models import UTC
from tests.e2e.conftest import Conversation
from tests.seed import seed_visio_offer

pytestmark = pytest.mark.e2e

TOKEN = f"e2e-{uuid.uuid4().hex}"


@pytest.fixture(scope="module")
def agent_stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("handoff")
    overrides = {
        "RASA_PORT": str(free_port()),
        "ACTION_PORT": str(free_port()),
        "WEB_PORT": str(free_port()),
        "AGENT_API_PORT": str(free_port()),
        "DATABASE_URL": f"sqlite:///{tmp / 'rasa.db'}",
        "HANDOFF_HOURS": "always",
        "REMINDER_INTERVAL_SECONDS": "1",
        "AGENT_TOKENS": f"Marie:{hash_token(TOKEN)}",
        "AGENT_TOKENS_FILE": str(tmp / "no-tokens.json"),
    }
    overrides["GUARD_PORT"] = str(free_port())  # Rasa -> guard -> action server
    overrides["RASA_URL"] = f"http://127.0.0.1:{overrides['RASA_PORT']}"
    seed_visio_offer(overrides["DATABASE_URL"])
    running = Stack.create(overrides, log_dir=tmp / "logs", with_web=False)
    running.start()
    yield running
    running.stop()


def agent(stack, method, path, **kw):
    return requests.request(
        method,
        stack.agent_api_url + path,
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=60,
        **kw,
    )


def web_messages(stack, sender):
    """What was delivered to a REST conversation (kept for it in the store), once each."""
    box = MessageBox(make_engine(stack.env["DATABASE_URL"]))
    return [m["text"] for m in box.take(sender)]


def no_one_reads_by_sender(stack, sender):
    """The old tokenless GET /agent-messages?sender=... neither reads nor consumes anything."""
    answer = requests.get(
        f"{stack.agent_api_url}/agent-messages", params={"sender": sender}, timeout=30
    )
    assert answer.status_code in (401, 404)


def repository(stack) -> Repository:
    return Repository(make_engine(stack.env["DATABASE_URL"]))


def book(person: Conversation) -> str:
    """Go through the booking form; return the code the person was given."""
    assert "quelques mots" in person.say_text("je voudrais un rendez-vous en visio avec la CAF")
    assert "commune" in person.say_text("ma prime d'activité")
    proposals = person.say("Trélon")
    buttons = [b for m in proposals for b in m.get("buttons", [])]
    assert buttons, proposals
    # only the offer's slots: the CAF is on the Avesnois bus only (seed_visio_offer)
    assert all('"slot_token":"bus:avesnois@' in b["payload"] for b in buttons), buttons
    consent = person.say_text(buttons[0]["payload"])
    assert "1 mois après le rendez-vous" in consent
    assert "nom" in person.say_text("/affirm")
    assert "téléphone" in person.say_text("Marie Martin")
    done = person.say_text("06 12 34 56 78")
    assert "Votre code" in done, done
    return done.split("Votre code : ")[1][:7].replace(" ", "")


def test_book_then_handoff_agent_message_and_hand_back(agent_stack):
    person = Conversation(agent_stack)
    code = book(person)
    booking = repository(agent_stack).by_code(code)
    assert booking.status == "requested" and booking.sender_id == person.sender

    # The person asks for a human: queued, the bot stops answering.
    queued = person.say_text("je veux parler à un conseiller")
    assert "mets en relation" in queued
    queue = agent(agent_stack, "GET", "/queue").json()["requests"]
    (mine,) = [r for r in queue if r["sender_id"] == person.sender]
    assert f"Rendez-vous : {code}" in mine["summary"]
    assert person.say("vous êtes là ?") == []

    # The agent's message reaches the web conversation.
    sent = agent(
        agent_stack,
        "POST",
        f"/conversations/{person.sender}/messages",
        json={"text": "Bonjour, c'est Marie du Département."},
    )
    assert sent.status_code == 200, sent.text
    no_one_reads_by_sender(agent_stack, person.sender)
    assert web_messages(agent_stack, person.sender) == ["Bonjour, c'est Marie du Département."]
    conversation = agent(agent_stack, "GET", f"/conversations/{person.sender}").json()
    assert conversation["paused"] is True
    assert any(e["text"] == "vous êtes là ?" for e in conversation["events"])

    # Hand back: the bot answers again.
    back = agent(agent_stack, "POST", f"/conversations/{person.sender}/hand_back")
    assert back.status_code == 200, back.text
    assert any("de nouveau là" in text for text in web_messages(agent_stack, person.sender))
    assert "assistant automatique" in person.say_text("bonjour")

    # The agent confirms the booking: the person is told (reminder sent by the handoff process).
    confirmed = agent(agent_stack, "POST", f"/bookings/{code}/confirm")
    assert confirmed.status_code == 200, confirmed.text
    deadline = time.monotonic() + 30
    texts: list[str] = []
    while time.monotonic() < deadline and not any("confirmé" in t for t in texts):
        time.sleep(1)
        texts += web_messages(agent_stack, person.sender)
    assert any(f"{code[:3]} {code[3:]} est confirmé" in t for t in texts), texts


def test_a_pending_reminder_and_the_bookings_survive_a_restart(agent_stack):
    person = Conversation(agent_stack)
    code = book(person)
    agent_stack.stop()
    repo = repository(agent_stack)
    reminder = repo.add_reminder(
        due_at=dt.datetime.now(tz=UTC),
        channel="rest",
        recipient=person.sender,
        sender_id=person.sender,
        kind="bus_visit",
        payload={
            "response": "utter_reminder_bus",
            "params": {
                "commune": "Trélon",
                "date": "demain",
                "hours": "de 9 h à 12 h",
                "place": "la mairie",
            },
        },
    )
    agent_stack.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and repo.get_reminder(reminder.id).status == "pending":
        time.sleep(1)
    assert repo.get_reminder(reminder.id).status == "sent"
    assert any(
        "Rappel : le bus France Services passe à Trélon" in t
        for t in web_messages(agent_stack, person.sender)
    )
    assert repo.by_code(code).status == "requested"
    assert "bien reçue" in person.say_text(f"où en est mon rendez-vous {code[:3]} {code[3:]}")


def rasa_tracker(stack, sender) -> dict:
    """The conversation as Rasa holds it (its HTTP API, with the stack's JWT secret)."""
    from handoff.rasa_api import RasaClient

    return asyncio.run(RasaClient(stack.rasa_url, stack.env["RASA_JWT_SECRET"]).tracker(sender))


def test_typed_commands_neither_unpause_nor_restart(agent_stack):
    # Handed over to an agent: "/restart" typed by the person leaves it paused.
    person = Conversation(agent_stack)
    assert "mets en relation" in person.say_text("je veux parler à un conseiller")
    assert person.say("/restart") == []
    assert person.say("/session_start") == []
    tracker = rasa_tracker(agent_stack, person.sender)
    assert tracker["paused"] is True
    kinds = [e["event"] for e in tracker["events"]]
    assert "restart" not in kinds and kinds.count("session_started") == 1, kinds
    (request,) = [
        r
        for r in agent(agent_stack, "GET", "/queue").json()["requests"]
        if r["sender_id"] == person.sender
    ]
    agent(agent_stack, "POST", f"/handoffs/{request['id']}/close")

    # Mid-booking-form: "/session_start" typed by the person keeps what was given.
    other = Conversation(agent_stack)
    assert "quelques mots" in other.say_text("je voudrais un rendez-vous en visio avec la CAF")
    assert "commune" in other.say_text("ma prime d'activité")
    other.say("/session_start")
    slots = rasa_tracker(agent_stack, other.sender)["slots"]
    assert slots["visio_operator"] == "caf"
    assert slots["visio_reason"] == "ma prime d'activité"
    kinds = [e["event"] for e in rasa_tracker(agent_stack, other.sender)["events"]]
    assert kinds.count("session_started") == 1, kinds


def test_an_organisation_the_offer_lacks_gets_a_phone_and_a_call_back(agent_stack):
    """Issue 18: no advisor of the impôts anywhere in the offer: no slot is invented; the
    nearest France Services' phone, then the call-back question."""
    person = Conversation(agent_stack)
    assert "quelques mots" in person.say_text("je voudrais un rendez-vous en visio avec les impôts")
    assert "commune" in person.say_text("ma taxe foncière")
    answer = person.say("Trélon")
    assert not [b for m in answer for b in m.get("buttons", []) if "slot_token" in b["payload"]]
    text = "\n".join(m.get("text", "") for m in answer)
    assert "pas vous proposer de rendez-vous en visio avec les Finances publiques" in text
    assert "Appelez France services" in text and "rappelle" in text, text
    assert repository(agent_stack).bookings_of(person.sender) == []
