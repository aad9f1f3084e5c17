"""Handoff: summary and hours (handoff_logic), the actions, the agents' API (aiohttp test
client, fake Rasa), tokens, delivery and the reminder sender with an injected clock."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import jwt
from aiohttp.test_utils import TestClient, TestServer
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.handoff as handoff_actions
from franceservices import handoff_rules as handoff_logic
from franceservices.dates.clock import PARIS
from franceservices.places.desks import load_desks
from handoff import auth
from handoff.app import create_app
from handoff.delivery import RasaDelivery
from handoff.messages import MessageBox
from handoff.rasa_api import RasaError, make_jwt
from handoff.reminders import ReminderSender
from store.models import UTC

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)  # a Thursday, desks open

# -- plain logic ------------------------------------------------------------------------------


def test_recent_user_texts_skip_buttons_and_stop_at_the_session_start():
    events = [
        {"event": "user", "text": "avant"},
        {"event": "session_started"},
        {"event": "user", "text": "quand passe le bus"},
        {"event": "bot", "text": "Dans quelle commune ?"},
        {"event": "user", "text": "/ask_human"},
        {"event": "user", "text": "  trélon  "},
    ]
    assert handoff_logic.recent_user_texts(events) == ["quand passe le bus", "trélon"]


def test_summary_has_one_fact_per_line():
    summary = handoff_logic.build_summary(
        reason="La personne demande à parler à quelqu'un.",
        recent=["quand passe le bus", "trélon"],
        commune="Trélon (59601)",
        procedure="cni",
        operator="caf",
        booking_code="AB3K7P",
        channel="rest",
    )
    lines = summary.splitlines()
    assert lines[0].startswith("Motif :")
    assert "Commune : Trélon (59601)" in lines and "Rendez-vous : AB3K7P" in lines
    assert lines[-1] == "Derniers messages : « quand passe le bus » | « trélon »"
    assert len(handoff_logic.build_summary(reason="x", recent=["y" * 200] * 10)) <= 1000


def test_agents_available_follows_the_desks_unless_forced():
    desks = handoff_logic.desks_to_reach(None)
    assert desks and all(d.run_by_departement for d in desks)
    sunday = dt.datetime(2026, 11, 29, 10, 0, tzinfo=PARIS)
    assert handoff_logic.agents_available(desks, NOW, "desks")
    assert not handoff_logic.agents_available(desks, sunday, "desks")
    assert handoff_logic.agents_available(desks, sunday, "always")
    assert not handoff_logic.agents_available(desks, NOW, "never")
    commune = load_desks().fixed()[0]
    assert handoff_logic.desks_to_reach((commune.lat, commune.lon)) == [commune]


# -- actions ----------------------------------------------------------------------------------


def tracker(text, intent, slots=None, sender="web-1", requested=None):
    return Tracker(
        sender_id=sender,
        slots={"requested_slot": requested, **(slots or {})},
        latest_message={"text": text, "intent": {"name": intent}, "entities": []},
        events=[
            {"event": "user", "text": "quand passe le bus", "input_channel": "rest"},
            {"event": "user", "text": text, "input_channel": "rest"},
        ],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def run(action, trk):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, trk, {"forms": {}, "slots": {}}))
    return [m["response"] for m in dispatcher.messages], events


def test_handoff_in_opening_hours_queues_and_pauses(repo, monkeypatch):
    monkeypatch.setenv("HANDOFF_HOURS", "always")
    responses, events = run(
        handoff_actions.ActionHandoff(),
        tracker("je veux un conseiller", "ask_human", {"commune_insee": "59601"}),
    )
    assert responses == ["utter_handoff_queued"]
    assert {"event": "pause", "timestamp": None} in events
    (request,) = repo.waiting_handoffs()
    assert request.sender_id == "web-1" and request.channel == "rest"
    assert "Commune : Trélon (59601)" in request.summary
    assert "« quand passe le bus »" in request.summary


def test_handoff_when_closed_gives_the_desk_and_asks_for_a_call_back(repo, monkeypatch):
    monkeypatch.setenv("HANDOFF_HOURS", "never")
    responses, events = run(handoff_actions.ActionHandoff(), tracker("conseiller", "ask_human"))
    assert responses[0] == "utter_handoff_closed"
    assert {"event": "followup", "name": "callback_form", "timestamp": None} in events
    assert repo.waiting_handoffs() == []


def test_call_back_number_is_validated_then_stored(repo):
    form = handoff_actions.ValidateCallbackForm()
    domain = {"forms": {"callback_form": {"required_slots": ["callback_contact"]}}}

    def validate(text, intent):
        dispatcher = CollectingDispatcher()
        trk = tracker(text, intent, requested="callback_contact")
        events = asyncio.run(form.run(dispatcher, trk, domain))
        return [m["response"] for m in dispatcher.messages], {e["name"]: e["value"] for e in events}

    assert validate("06 12", "inform") == (["utter_contact_invalid"], {"callback_contact": None})
    stop = {"callback_contact": None, "callback_declined": True, "requested_slot": None}
    assert validate("non merci", "deny") == ([], stop)
    assert validate("quand passe le bus", "ask_bus_visit") == ([], stop)
    assert validate("06 12 34 56 78", "inform")[1] == {"callback_contact": "+33612345678"}
    responses, events = run(
        handoff_actions.ActionSubmitCallback(),
        tracker("06 12 34 56 78", "inform", {"callback_contact": "+33612345678"}),
    )
    assert responses == ["utter_callback_stored"]
    (request,) = repo.waiting_handoffs(kind="callback")
    assert request.contact_phone == "+33612345678" and request.consent_at is not None
    responses, _ = run(handoff_actions.ActionSubmitCallback(), tracker("non", "deny"))
    assert responses == ["utter_callback_declined"]


def test_asking_again_while_queued_adds_no_request(repo, monkeypatch):
    """Each "parler à une personne" added a request: one person could flood the agents' queue."""
    monkeypatch.setenv("HANDOFF_HOURS", "always")
    ask = tracker("je veux un conseiller", "ask_human")
    assert run(handoff_actions.ActionHandoff(), ask)[0] == ["utter_handoff_queued"]
    for _ in range(3):
        responses, events = run(handoff_actions.ActionHandoff(), ask)
        assert responses == ["utter_handoff_already_queued"]
        assert {"event": "pause", "timestamp": None} in events
    assert len(repo.waiting_handoffs()) == 1
    # Another conversation still gets its own place; a closed request lets this one ask again.
    assert run(handoff_actions.ActionHandoff(), tracker("conseiller", "ask_human", sender="w2"))[
        0
    ] == ["utter_handoff_queued"]
    (mine,) = [r for r in repo.waiting_handoffs() if r.sender_id == "web-1"]
    repo.close_handoff(mine.id, "Marie")
    assert run(handoff_actions.ActionHandoff(), ask)[0] == ["utter_handoff_queued"]


def test_a_second_call_back_while_one_is_open_adds_no_request(repo, monkeypatch):
    given = tracker("06 12 34 56 78", "inform", {"callback_contact": "+33612345678"})
    assert run(handoff_actions.ActionSubmitCallback(), given)[0] == ["utter_callback_stored"]
    responses, _ = run(handoff_actions.ActionSubmitCallback(), given)
    assert responses == ["utter_callback_already_stored"]
    monkeypatch.setenv("HANDOFF_HOURS", "never")
    responses, events = run(handoff_actions.ActionHandoff(), tracker("conseiller", "ask_human"))
    assert responses == ["utter_callback_already_stored"]
    assert not [e for e in events if e.get("event") == "followup"]
    assert len(repo.waiting_handoffs(kind="callback")) == 1


# -- tokens -----------------------------------------------------------------------------------


def test_tokens_are_stored_hashed_and_checked(tmp_path):
    path = tmp_path / "tokens.json"
    token = auth.add_agent("Marie", path=path)
    assert token not in path.read_text()
    tokens = auth.load_tokens({"AGENT_TOKENS_FILE": str(path)})
    assert auth.authenticate(f"Bearer {token}", tokens) == auth.Caller("Marie", "agent")
    assert auth.authenticate(f"bearer {token}", tokens).name == "Marie"
    assert auth.authenticate(f"Bearer {token}x", tokens) is None
    assert auth.authenticate(token, tokens) is None
    assert auth.authenticate(None, tokens) is None
    env = {
        "AGENT_TOKENS_FILE": str(tmp_path / "none"),
        "AGENT_TOKENS": f"console:{auth.hash_token('s3')}:service",
    }
    assert auth.authenticate("Bearer s3", auth.load_tokens(env)) == auth.Caller(
        "console", "service"
    )
    assert auth.remove_agent("Marie", path=path)
    assert auth.load_tokens({"AGENT_TOKENS_FILE": str(path)}) == {}


def test_rasa_jwt_is_an_admin_token():
    secret = "s" * 48
    claims = jwt.decode(make_jwt(secret), secret, algorithms=["HS256"])
    assert claims["user"] == {"username": "handoff", "role": "admin"}


# -- the API ----------------------------------------------------------------------------------


class FakeRasa:
    def __init__(self):
        self.events: list[tuple[str, list]] = []
        self.executed: list[tuple[str, str, str | None]] = []
        self.down = False

    async def append_events(self, sender_id, events):
        if self.down:
            raise RasaError("down")
        self.events.append((sender_id, events))

    async def execute(self, sender_id, action, output_channel=None):
        if self.down:
            raise RasaError("down")
        self.executed.append((sender_id, action, output_channel))
        if output_channel:
            return []
        slots = {
            e["name"]: e["value"] for _, evs in self.events for e in evs if e["event"] == "slot"
        }
        return [{"recipient_id": sender_id, "text": slots.get("agent_message") or action}]

    async def tracker(self, sender_id):
        return {"paused": True, "events": [{"event": "user", "text": "bonjour", "timestamp": 1}]}

    async def is_up(self):
        return not self.down


TOKENS = {
    auth.hash_token("marie-token"): auth.Caller("Marie", "agent"),
    auth.hash_token("paul-token"): auth.Caller("Paul", "agent"),
    auth.hash_token("console-token"): auth.Caller("console", "service"),
}


def api(repo, test):
    """Run `test(client, rasa, box)` against the app with a fake Rasa."""
    rasa = FakeRasa()
    box = MessageBox(repo.engine)
    app = create_app(
        {
            "tokens": TOKENS,
            "repo": repo,
            "rasa": rasa,
            "deliver": RasaDelivery(rasa, box),
            "box": box,
            "clock": lambda: NOW,
        }
    )

    async def main():
        async with TestClient(TestServer(app)) as client:
            await test(client, rasa, box)

    asyncio.run(main())


def bearer(name):
    return {"Authorization": f"Bearer {name}-token"}


def test_every_agent_route_needs_a_bearer_token(repo):
    async def test(client, rasa, box):
        assert (await client.get("/health")).status == 200
        for method, path in [
            ("GET", "/queue"),
            ("POST", "/handoffs/1/take"),
            ("GET", "/conversations/web-1"),
            ("POST", "/conversations/web-1/messages"),
            ("POST", "/conversations/web-1/hand_back"),
            ("GET", "/bookings"),
            ("POST", "/bookings/AB3K7P/confirm"),
        ]:
            answer = await client.request(method, path)
            assert answer.status == 401, path
            assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        # A token in the URL is never read.
        assert (await client.get("/queue?token=marie-token")).status == 401
        assert (await client.get("/queue", headers={"Authorization": "Bearer nope"})).status == 401
        assert (await client.get("/queue", headers=bearer("marie"))).status == 200

    api(repo, test)


def test_queue_message_permissions_and_hand_back(repo):
    request = repo.add_handoff(sender_id="web-1", channel="rest", summary="Motif : x")

    async def test(client, rasa, box):
        queue = await (await client.get("/queue", headers=bearer("marie"))).json()
        assert [r["id"] for r in queue["requests"]] == [request.id]
        # Marie's first message takes the conversation; Paul may then neither write nor hand back.
        answer = await client.post(
            "/conversations/web-1/messages",
            json={"text": "Bonjour, je regarde."},
            headers=bearer("marie"),
        )
        assert answer.status == 200, await answer.text()
        assert rasa.executed == [("web-1", "utter_agent_message", None)]
        assert box.take("web-1") == [{"text": "Bonjour, je regarde.", "source": "agent"}]
        assert repo.get_handoff(request.id).agent == "Marie"
        paul = await client.post(
            "/conversations/web-1/messages", json={"text": "x"}, headers=bearer("paul")
        )
        assert paul.status == 403
        assert (
            await client.post("/conversations/web-1/hand_back", headers=bearer("paul"))
        ).status == 403
        assert (
            await client.post(f"/handoffs/{request.id}/take", headers=bearer("paul"))
        ).status == 409
        empty = await client.post(
            "/conversations/web-1/messages", json={"text": " "}, headers=bearer("marie")
        )
        assert empty.status == 400
        # Reading the conversation.
        conversation = await (
            await client.get("/conversations/web-1", headers=bearer("paul"))
        ).json()
        assert conversation["paused"] and conversation["events"][0]["text"] == "bonjour"
        # Hand back: Rasa resumes the conversation and says so; the request is closed.
        back = await client.post("/conversations/web-1/hand_back", headers=bearer("marie"))
        assert back.status == 200 and (await back.json())["status"] == "done"
        assert ("web-1", [{"event": "resume"}]) in rasa.events
        assert rasa.executed[-1] == ("web-1", "utter_handoff_resumed", None)
        assert (
            await client.post("/conversations/web-1/hand_back", headers=bearer("marie"))
        ).status == 404

    api(repo, test)


def test_the_console_acts_for_the_agent_it_names(repo):
    repo.add_handoff(sender_id="+33612345678", channel="twilio", summary="")

    async def test(client, rasa, box):
        missing = await client.post(
            "/conversations/%2B33612345678/messages",
            json={"text": "Bonjour"},
            headers=bearer("console"),
        )
        assert missing.status == 400
        answer = await client.post(
            "/conversations/%2B33612345678/messages",
            json={"text": "Bonjour", "agent": "Marie"},
            headers=bearer("console"),
        )
        assert answer.status == 200
        # SMS: Rasa's own output channel sends it; nothing waits for a web page.
        assert rasa.executed == [("+33612345678", "utter_agent_message", "twilio")]
        assert box.take("+33612345678") == []

    api(repo, test)


def test_delivery_failure_is_reported(repo):
    repo.add_handoff(sender_id="web-1", channel="rest", summary="")

    async def test(client, rasa, box):
        rasa.down = True
        answer = await client.post(
            "/conversations/web-1/messages", json={"text": "Bonjour"}, headers=bearer("marie")
        )
        assert answer.status == 502

    api(repo, test)


def make_booking(repo, start):
    class S:
        place_key = "desk:346"

    slot = S()
    slot.start, slot.end = start, start + dt.timedelta(minutes=30)
    return repo.book(
        slot,
        operator="caf",
        name="Marie Martin",
        consent_at=NOW,
        contact_phone="06 12 34 56 78",
        channel="rest",
        sender_id="web-1",
        place_label="France services",
    )


def test_confirming_a_booking_tells_the_person_and_plans_the_reminder(repo):
    start = dt.datetime(2026, 12, 3, 9, 0, tzinfo=PARIS)
    booking = make_booking(repo, start)

    async def test(client, rasa, box):
        listed = await (await client.get("/bookings", headers=bearer("marie"))).json()
        assert [b["code"] for b in listed["bookings"]] == [booking.code]
        answer = await client.post(f"/bookings/{booking.code}/confirm", headers=bearer("marie"))
        assert answer.status == 200 and (await answer.json())["status"] == "confirmed"
        again = await client.post(
            f"/bookings/{booking.code}/refuse", json={"note": "x"}, headers=bearer("marie")
        )
        assert again.status == 200
        final = await client.post(f"/bookings/{booking.code}/confirm", headers=bearer("marie"))
        assert final.status == 409
        assert (
            await client.post("/bookings/ZZZZZZ/confirm", headers=bearer("marie"))
        ).status == 404
        move = await client.post(f"/bookings/{booking.code}/move", json={}, headers=bearer("marie"))
        assert move.status == 400

    api(repo, test)
    due = repo.due_reminders(start)
    kinds = [(r.kind, json.loads(r.payload)["response"]) for r in due]
    # Refusing dropped what was still pending (the "confirmed" message, the day-before
    # reminder): only the refusal is told.
    assert kinds == [("booking_status", "utter_booking_now_refused")]


def test_nobody_reads_or_consumes_a_web_conversations_messages_by_its_sender(repo):
    """The attack: GET /agent-messages?sender=... with no token read an agent's reply to a REST
    conversation and marked it delivered. The route is gone (nothing used it: the widget gets
    its messages pushed through socket.io); the genuine delivery is untouched."""
    request = repo.add_handoff(sender_id="web-9", channel="rest", summary="Motif : x")

    async def test(client, rasa, box):
        sent = await client.post(
            "/conversations/web-9/messages",
            json={"text": "Bonjour, ici Marie."},
            headers=bearer("marie"),
        )
        assert sent.status == 200, await sent.text()
        assert (await sent.json())["stored_for_web"] == 1
        assert rasa.executed == [("web-9", "utter_agent_message", None)]
        for headers in ({"Origin": "http://localhost:8080"}, {}, bearer("marie")):
            attack = await client.get("/agent-messages?sender=web-9", headers=headers)
            assert attack.status in (401, 404), headers
            assert "Bonjour" not in await attack.text()
        # Still pending for the conversation itself: nothing was read nor marked delivered.
        assert box.take("web-9") == [{"text": "Bonjour, ici Marie.", "source": "agent"}]
        assert repo.get_handoff(request.id).agent == "Marie"

    api(repo, test)


# -- reminder sender --------------------------------------------------------------------------


def test_reminder_sender_delivers_what_is_due_and_retries_failures(repo):
    now = dt.datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    due = repo.add_reminder(
        due_at=now, channel="rest", recipient="web-1", sender_id="web-1", kind="bus_visit"
    )
    later = repo.add_reminder(
        due_at=now + dt.timedelta(days=1), channel="rest", recipient="web-1", kind="bus_visit"
    )
    stopped = repo.add_reminder(
        due_at=now, channel="twilio", recipient="+33611111111", kind="bus_visit"
    )
    failing = repo.add_reminder(
        due_at=now, channel="rest", recipient="web-2", sender_id="web-2", kind="x"
    )
    delivered = []

    async def deliver(sender_id, channel, slots, action, **kw):
        if sender_id == "web-2":
            raise RasaError("down")
        delivered.append((sender_id, channel, slots, action))

    async def up():
        return True

    sender = ReminderSender(
        repo, deliver, clock=lambda: now, is_up=up, opted_out=lambda phone: phone == "+33611111111"
    )
    counts = asyncio.run(sender.run_once())
    assert counts == {"sent": 1, "failed": 1, "opted_out": 1}
    assert delivered == [
        ("web-1", "rest", {"reminder_id": float(due.id)}, "action_deliver_reminder")
    ]
    assert repo.get_reminder(due.id).status == "sent"
    assert repo.get_reminder(later.id).status == "pending"
    assert repo.get_reminder(stopped.id).status == "failed"
    retried = repo.get_reminder(failing.id)
    assert retried.status == "pending" and retried.attempts == 1 and retried.due_at > now

    async def down():
        return False

    # While Rasa is down, a round does nothing (no attempt is used up).
    assert asyncio.run(
        ReminderSender(
            repo, deliver, clock=lambda: now + dt.timedelta(days=2), is_up=down
        ).run_once()
    ) == {
        "sent": 0,
        "failed": 0,
        "opted_out": 0,
    }
    assert repo.get_reminder(later.id).status == "pending"
