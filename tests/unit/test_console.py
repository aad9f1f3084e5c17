"""The staff console's web application: access control, CSRF, lock-out, every page, actions."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from console import create_app, models
from console.conversations import events
from console.security import create_account
from store import Repository
from store.cli import upgrade
from store.db import dispose_engines, get_engine

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
FAST_N = 2**10


class FakeRelay:
    """Like the agents' API (handoff/app.py): handing back closes the request itself."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []
        self.handed_back: list[str] = []
        self.repo: Repository | None = None

    def send(self, sender_id: str, text: str, agent: str) -> None:
        self.sent.append((sender_id, text, agent))

    def hand_back(self, sender_id: str, agent: str) -> None:
        self.handed_back.append(sender_id)
        if self.repo is not None:
            from store.models import HandoffRequest

            with self.repo.engine.begin() as conn:
                row = conn.execute(
                    select(HandoffRequest.__table__.c.id).where(
                        HandoffRequest.sender_id == sender_id, HandoffRequest.status == "taken"
                    )
                ).first()
            if row is not None:
                self.repo.close_handoff(row.id, agent)


def user_event(sender: str, at: float, text: str, intent: str, confidence: float, **extra):
    data = {
        "event": "user",
        "timestamp": at,
        "text": text,
        "parse_data": {
            "intent": {"name": intent, "confidence": confidence},
            "entities": [],
            "text": text,
            "message_id": None,
            "metadata": {},
        },
        "input_channel": extra.get("channel", "rest"),
        "message_id": None,
        "metadata": {},
    }
    return {
        "sender_id": sender,
        "type_name": "user",
        "timestamp": at,
        "intent_name": intent,
        "action_name": None,
        "data": json.dumps(data),
    }


def bot_event(sender: str, at: float, text: str):
    data = {"event": "bot", "timestamp": at, "text": text, "data": {}, "metadata": {}}
    return {
        "sender_id": sender,
        "type_name": "bot",
        "timestamp": at,
        "intent_name": None,
        "action_name": None,
        "data": json.dumps(data),
    }


def action_event(sender: str, at: float, name: str):
    data = {"event": "action", "timestamp": at, "name": name, "policy": None, "confidence": None}
    return {
        "sender_id": sender,
        "type_name": "action",
        "timestamp": at,
        "intent_name": None,
        "action_name": name,
        "data": json.dumps(data),
    }


def slot_event(sender: str, at: float, name: str, value: str):
    data = {"event": "slot", "timestamp": at, "name": name, "value": value}
    return {
        "sender_id": sender,
        "type_name": "slot",
        "timestamp": at,
        "intent_name": None,
        "action_name": name,
        "data": json.dumps(data),
    }


def make_db(tmp_path: Path) -> str:
    """A migrated SQLite database with Rasa's `events` table (as the tracker store makes it)."""
    url = f"sqlite:///{tmp_path / 'console.db'}"
    upgrade(url)
    events.metadata.create_all(get_engine(url))
    return url


def sample_conversation(engine, sender: str = "conv-1", at: float | None = None) -> None:
    t = at if at is not None else NOW.timestamp() - 3600
    rows = [
        user_event(sender, t, "bonjour", "greet", 0.99),
        bot_event(sender, t + 1, "Bonjour ! Je suis l'assistant automatique."),
        user_event(
            sender,
            t + 10,
            "quand passe le bus à Trélon ? mon tel 06 12 34 56 78",
            "ask_bus_visit",
            0.91,
        ),
        slot_event(sender, t + 11, "commune_insee", "59601"),
        action_event(sender, t + 12, "action_show_next_visit"),
        bot_event(sender, t + 13, "Le bus passe à Trélon le mardi 17 mars."),
        user_event(sender, t + 20, "ma CAF a coupé mes APL", "nlu_fallback", 0.31),
        user_event(sender, t + 30, "je veux parler à quelqu'un", "ask_human", 0.97),
        action_event(sender, t + 31, "action_offer_human"),
    ]
    with engine.begin() as conn:
        conn.execute(events.insert(), rows)


@pytest.fixture()
def env(tmp_path):
    url = make_db(tmp_path)
    engine = get_engine(url)
    with engine.begin() as conn:
        create_account(conn, "admin", PASSWORD, "admin", FAST_N)
        create_account(conn, "agent", PASSWORD, "agent", FAST_N)
    relay = FakeRelay()
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "test",
            "TESTING": True,
            "RELAY": relay,
            "CLOCK": lambda: NOW,
            "SCRYPT_N": FAST_N,
        }
    )
    yield app, engine, relay
    dispose_engines()


def csrf(client, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def login(client, username: str = "agent", password: str = PASSWORD):
    token = csrf(client)
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


def audit_rows(engine, action):
    a = models.audit_log.c
    with engine.connect() as conn:
        return conn.execute(select(models.audit_log).where(a.action == action)).all()


def post(client, path: str, data: dict | None = None):
    token = csrf(client, "/")
    return client.post(path, data={**(data or {}), "csrf_token": token})


AGENT_PAGES = ["/", "/queue.json", "/conversations", "/bookings", "/teach", "/dashboard"]
ADMIN_PAGES = [
    "/admin/accounts",
    "/admin/audit",
    "/admin/retention",
    "/teach/export.yml",
    "/dashboard.csv",
]


# -- access -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", AGENT_PAGES + ADMIN_PAGES + ["/conversation?id=conv-1"])
def test_logged_out_sees_nothing(env, path):
    app, _, _ = env
    response = app.test_client().get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_logged_out_post_is_refused(env):
    app, _, _ = env
    client = app.test_client()
    token = csrf(client)
    for path in ("/queue/1/take", "/admin/retention/erase", "/bookings/ABC123/status"):
        response = client.post(path, data={"csrf_token": token})
        assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", AGENT_PAGES)
def test_agent_reaches_agent_pages(env, path):
    app, _, _ = env
    client = app.test_client()
    assert login(client).status_code == 302
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_agent_cannot_reach_admin_pages(env, path):
    app, _, _ = env
    client = app.test_client()
    login(client)
    assert client.get(path).status_code == 403


def test_agent_cannot_post_admin_actions(env):
    app, _, _ = env
    client = app.test_client()
    login(client)
    assert post(client, "/admin/retention/purge").status_code == 403
    assert post(client, "/admin/accounts", {"username": "x", "role": "admin"}).status_code == 403


@pytest.mark.parametrize("path", AGENT_PAGES + ADMIN_PAGES)
def test_admin_reaches_every_page(env, path):
    app, _, _ = env
    client = app.test_client()
    login(client, "admin")
    assert client.get(path).status_code == 200


def test_session_cookie_is_httponly_and_samesite(env):
    app, _, _ = env
    client = app.test_client()
    response = login(client)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secure_cookie_is_configurable(tmp_path):
    app = create_app(
        {"DATABASE_URL": make_db(tmp_path), "SECRET_KEY": "x", "SESSION_COOKIE_SECURE": True}
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    dispose_engines()


def test_missing_or_wrong_csrf_is_400(env):
    app, _, _ = env
    client = app.test_client()
    assert (
        client.post("/login", data={"username": "agent", "password": PASSWORD}).status_code == 400
    )
    login(client)
    assert client.post("/queue/1/take").status_code == 400
    assert client.post("/queue/1/take", data={"csrf_token": "forged"}).status_code == 400
    assert client.post("/logout").status_code == 400


def test_wrong_password_then_lockout(env):
    app, engine, _ = env
    client = app.test_client()
    for _ in range(5):
        assert login(client, "agent", "wrong password!").status_code == 401
    # Locked: even the right password is refused for 15 minutes.
    response = login(client, "agent", PASSWORD)
    assert response.status_code == 429
    assert "bloqué" in response.get_data(as_text=True)
    later = dt.datetime(2026, 3, 10, 9, 16, tzinfo=UTC)
    app.config["CLOCK"] = lambda: later
    assert login(client, "agent", PASSWORD).status_code == 302


def test_unknown_user_and_deactivated_account(env):
    app, engine, _ = env
    client = app.test_client()
    assert login(client, "nobody").status_code == 401
    with engine.begin() as conn:
        conn.execute(models.accounts.update().values(active=False))
    assert login(client, "agent").status_code == 401


def test_deactivating_ends_the_session(env):
    app, engine, _ = env
    client = app.test_client()
    login(client)
    assert client.get("/conversations").status_code == 200
    with engine.begin() as conn:
        conn.execute(
            models.accounts.update()
            .where(models.accounts.c.username == "agent")
            .values(active=False)
        )
    assert client.get("/conversations").status_code == 302


def test_logout(env):
    app, _, _ = env
    client = app.test_client()
    login(client)
    assert post(client, "/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_login_next_is_never_an_external_url(env):
    app, _, _ = env
    client = app.test_client()
    token = csrf(client)
    response = client.post(
        "/login",
        data={
            "username": "agent",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/x",
        },
    )
    assert response.headers["Location"] == "/"


def test_passwords_are_hashed_with_scrypt(env):
    _, engine, _ = env
    with engine.connect() as conn:
        stored = conn.execute(select(models.accounts.c.password_hash)).scalars().all()
    assert all(h.startswith("scrypt$") and PASSWORD not in h for h in stored)


def _account_id(engine, username: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            select(models.accounts.c.id).where(models.accounts.c.username == username)
        ).scalar_one()


def _stolen_copy(app, victim):
    """A second browser holding a copy of the victim's session cookie (as a thief would)."""
    thief = app.test_client()
    thief.set_cookie("console_session", victim.get_cookie("console_session").value)
    return thief


def test_a_copied_session_cookie_dies_with_logout(env):
    app, _, _ = env
    victim = app.test_client()
    login(victim)
    thief = _stolen_copy(app, victim)
    assert thief.get("/conversations").status_code == 200
    assert post(victim, "/logout").status_code == 302
    response = thief.get("/conversations")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert thief.get("/queue.json", headers={"Accept": "application/json"}).status_code == 401
    token = csrf(thief, "/login")
    assert thief.post("/queue/1/take", data={"csrf_token": token}).status_code == 302


def test_deactivation_and_password_change_end_the_sessions(env):
    app, engine, _ = env
    agent_id = _account_id(engine, "agent")
    admin = app.test_client()
    login(admin, "admin")
    agent = app.test_client()
    login(agent)
    thief = _stolen_copy(app, agent)
    post(admin, f"/admin/accounts/{agent_id}", {"action": "deactivate"})
    post(admin, f"/admin/accounts/{agent_id}", {"action": "activate"})
    # Reactivated, the account does not bring its old sessions back.
    assert agent.get("/conversations").status_code == 302
    assert thief.get("/conversations").status_code == 302
    login(agent)
    thief = _stolen_copy(app, agent)
    assert agent.get("/conversations").status_code == 200
    post(admin, f"/admin/accounts/{agent_id}", {"action": "password", "password": "x" * 14})
    assert agent.get("/conversations").status_code == 302
    assert thief.get("/conversations").status_code == 302
    assert login(agent, "agent", "x" * 14).status_code == 302
    # The admin who changed a password is still logged in.
    assert admin.get("/admin/accounts").status_code == 200


def client_at(app, address: str):
    """A test client whose requests come from `address` (Flask's `environ_base`)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_failures_from_one_address_do_not_lock_the_account_elsewhere(env):
    app, _, _ = env
    attacker = client_at(app, "203.0.113.7")
    for _ in range(5):
        assert login(attacker, "agent", "wrong password!").status_code == 401
    assert login(attacker, "agent", PASSWORD).status_code == 429
    colleague = client_at(app, "10.0.0.12")
    assert login(colleague, "agent", PASSWORD).status_code == 302
    # The attacker's address stays locked for that name.
    assert login(attacker, "agent", PASSWORD).status_code == 429


def test_one_address_cannot_try_many_names(env):
    app, _, _ = env
    attacker = client_at(app, "203.0.113.8")
    for i in range(20):
        assert login(attacker, f"name{i}", "wrong password!").status_code == 401
    assert login(attacker, "admin", PASSWORD).status_code == 429
    assert login(app.test_client(), "admin", PASSWORD).status_code == 302


def test_an_unknown_name_costs_the_same_password_hashing(env, monkeypatch):
    """A name that does not exist (or is deactivated) runs scrypt with the same parameters as a
    real account: the answer's time does not tell which names exist."""
    from console import security

    app, engine, _ = env
    calls: list[tuple[int, int, int]] = []
    real = security._scrypt

    def counting(password, salt, n, r, p):
        calls.append((n, r, p))
        return real(password, salt, n, r, p)

    monkeypatch.setattr(security, "_scrypt", counting)
    client = app.test_client()
    assert login(client, "agent", "wrong password!").status_code == 401
    assert calls == [(FAST_N, 8, 1)]
    calls.clear()
    assert login(client, "nobody", "wrong password!").status_code == 401
    assert calls == [(FAST_N, 8, 1)]
    with engine.begin() as conn:
        conn.execute(
            models.accounts.update()
            .where(models.accounts.c.username == "admin")
            .values(active=False)
        )
    calls.clear()
    assert login(client, "admin", PASSWORD).status_code == 401
    assert calls == [(FAST_N, 8, 1)]


# -- conversations ------------------------------------------------------------------------------


def test_conversation_list_is_masked_and_filterable(env):
    app, engine, _ = env
    sample_conversation(engine, "conv-1")
    sample_conversation(engine, "conv-2")
    with engine.begin() as conn:
        conn.execute(
            events.insert(),
            [
                user_event(
                    "conv-3",
                    NOW.timestamp() - 60,
                    "horaires de Hondschoote",
                    "ask_desk",
                    0.95,
                    channel="twilio",
                )
            ],
        )
    client = app.test_client()
    login(client)
    page = client.get("/conversations").get_data(as_text=True)
    assert "3 conversations" in page
    assert client.get("/conversations?channel=twilio").get_data(as_text=True).count("?id=") == 1
    assert "2 conversations" in client.get("/conversations?fallback=1").get_data(as_text=True)
    assert "2 conversations" in client.get("/conversations?handed_over=1").get_data(as_text=True)
    assert "2 conversations" in client.get("/conversations?commune=59601").get_data(as_text=True)
    assert "1 conversation " in client.get("/conversations?intent=ask_desk").get_data(as_text=True)
    assert "1 conversation " in client.get("/conversations?q=hondschoote").get_data(as_text=True)
    # Searching by a phone number typed with spaces finds it typed without.
    assert "2 conversations" in client.get("/conversations?q=0612345678").get_data(as_text=True)
    assert "0 conversation" in client.get("/conversations?from=2026-03-11").get_data(as_text=True)


def test_transcript_shows_intent_confidence_and_masks(env):
    app, engine, _ = env
    sample_conversation(engine)
    client = app.test_client()
    login(client)
    page = client.get("/conversation?id=conv-1").get_data(as_text=True)
    assert "ask_bus_visit" in page and "91 %" in page
    assert "nlu_fallback" in page and "31 %" in page and "(faible)" in page
    assert "06 12 34 56 78" not in page and "[téléphone masqué]" in page
    assert "Le bus passe à Trélon" in page
    assert client.get("/conversation?id=nope").status_code == 404


def test_unmasking_is_logged(env):
    app, engine, _ = env
    sample_conversation(engine)
    client = app.test_client()
    login(client)
    page = post(client, "/conversation/unmask", {"id": "conv-1", "reason": "rappel"}).get_data(
        as_text=True
    )
    assert "06 12 34 56 78" in page
    with engine.connect() as conn:
        actions = [
            (r.actor, r.action, r.target, r.detail) for r in conn.execute(select(models.audit_log))
        ]
    assert ("agent", "conversation_unmask", "conv-1", "rappel") in actions
    # Reading it again: masked again.
    assert "06 12 34 56 78" not in client.get("/conversation?id=conv-1").get_data(as_text=True)


@pytest.mark.parametrize("reason", [None, "", "   ", " ok "])
def test_unmasking_needs_a_reason(env, reason):
    app, engine, _ = env
    sample_conversation(engine)
    client = app.test_client()
    login(client)
    data = {"id": "conv-1"} if reason is None else {"id": "conv-1", "reason": reason}
    response = post(client, "/conversation/unmask", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "06 12 34 56 78" not in page and "[téléphone masqué]" in page
    assert "Indiquez le motif du démasquage" in page
    with engine.connect() as conn:
        actions = conn.execute(select(models.audit_log.c.action)).scalars().all()
    assert "conversation_unmask" not in actions


def test_reading_is_in_the_audit_log_admins_see(env):
    app, engine, _ = env
    sample_conversation(engine)
    agent = app.test_client()
    login(agent)
    agent.get("/conversation?id=conv-1")
    admin = app.test_client()
    login(admin, "admin")
    page = admin.get("/admin/audit").get_data(as_text=True)
    assert "conversation_read" in page and "conv-1" in page and "login" in page


# -- queue --------------------------------------------------------------------------------------


def test_queue_take_reply_hand_back(env):
    app, engine, relay = env
    sample_conversation(engine)
    repo = Repository(engine, clock=lambda: NOW)
    first = repo.add_handoff(
        sender_id="conv-1", channel="rest", summary="APL coupées, tel 0612345678"
    )
    later = Repository(engine, clock=lambda: NOW + dt.timedelta(minutes=1))
    later.add_handoff(sender_id="conv-9", channel="rest", summary="Zoé attend")
    relay.repo = repo
    client = app.test_client()
    login(client)
    page = client.get("/").get_data(as_text=True)
    assert page.index("APL coupées") < page.index("Zoé attend")
    assert "0612345678" not in page
    items = client.get("/queue.json").get_json()
    assert [i["id"] for i in items] == [first.id, first.id + 1]
    response = post(client, f"/queue/{first.id}/take")
    assert response.headers["Location"].endswith(f"/queue/{first.id}")
    assert [i["id"] for i in client.get("/queue.json").get_json()] == [first.id + 1]
    # A colleague cannot take it again, nor answer in it.
    other = app.test_client()
    login(other, "admin")
    assert "/queue/" not in post(other, f"/queue/{first.id}/take").headers["Location"][7:]
    assert post(other, f"/queue/{first.id}/reply", {"text": "x"}).status_code == 403
    page = client.get(f"/queue/{first.id}").get_data(as_text=True)
    assert "Répondre à la personne" in page
    post(client, f"/queue/{first.id}/reply", {"text": "Bonjour, je regarde votre dossier."})
    assert relay.sent == [("conv-1", "Bonjour, je regarde votre dossier.", "agent")]
    post(client, f"/queue/{first.id}/hand-back")
    assert relay.handed_back == ["conv-1"]
    assert repo.get_handoff(first.id).status == "done"


def test_reply_when_relay_fails_says_so(env):
    app, engine, _ = env
    from console.relay import NullRelay

    app.config["RELAY"] = NullRelay()
    repo = Repository(engine, clock=lambda: NOW)
    item = repo.add_handoff(sender_id="conv-1", channel="rest", summary="aide")
    client = app.test_client()
    login(client)
    post(client, f"/queue/{item.id}/take")
    response = post(client, f"/queue/{item.id}/reply", {"text": "Bonjour"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "n&#39;a pas pu être transmis" in page


# -- bookings -----------------------------------------------------------------------------------


class Slot:
    def __init__(self, key: str, start: dt.datetime, minutes: int = 30) -> None:
        self.place_key = key
        self.start = start
        self.end = start + dt.timedelta(minutes=minutes)


def make_booking(engine, start: dt.datetime, channel: str = "rest", sender: str = "conv-1"):
    repo = Repository(engine, clock=lambda: NOW)
    return repo.book(
        Slot("desk:346", start),
        operator="caf",
        name="Marie Martin",
        consent_at=NOW,
        reason="APL",
        contact_phone="06 12 34 56 78",
        place_label="France Services de Hondschoote",
        channel=channel,
        sender_id=sender,
    )


def test_bookings_page_and_actions_notify(env):
    app, engine, _ = env
    start = dt.datetime(2026, 3, 12, 9, 0, tzinfo=UTC)
    booking = make_booking(engine, start)
    client = app.test_client()
    login(client)
    page = client.get("/bookings?day=2026-03-12").get_data(as_text=True)
    assert booking.code in page and "France Services de Hondschoote" in page
    assert "<td>à confirmer</td>" in page and "<td>requested</td>" not in page  # the status's word
    post(client, f"/bookings/{booking.code}/status", {"status": "confirmed", "day": "2026-03-12"})
    repo = Repository(engine, clock=lambda: NOW)
    assert repo.by_code(booking.code).status == "confirmed"
    post(
        client,
        f"/bookings/{booking.code}/move",
        {"new_day": "2026-03-13", "new_time": "14:00", "day": "2026-03-12"},
    )
    moved = repo.by_code(booking.code)
    assert moved.status == "moved" and moved.slot_start == dt.datetime(
        2026, 3, 13, 13, 0, tzinfo=UTC
    )
    # The same notices as the agents' API's (handoff/booking_changes.py): moving drops the
    # confirmation not yet sent and the reminder of the old slot.
    due = repo.due_reminders(NOW)
    assert [json.loads(r.payload)["response"] for r in due] == ["utter_booking_now_moved"]
    assert all(r.kind == "booking_status" and r.recipient == "conv-1" for r in due)
    assert json.loads(due[0].payload)["params"]["time"] == "14 h"  # Paris time
    later = repo.due_reminders(NOW + dt.timedelta(days=60))
    assert [r.kind for r in later] == ["booking_status", "booking_reminder"]
    post(client, f"/bookings/{booking.code}/status", {"status": "refused", "note": "complet"})
    assert repo.by_code(booking.code).status == "refused"
    # Refusing drops the notices not yet sent (the store's rule): the person gets the last one.
    due = repo.due_reminders(NOW + dt.timedelta(days=60))
    assert [json.loads(r.payload)["response"] for r in due] == ["utter_booking_now_refused"]
    # A final status cannot change again.
    response = post(client, f"/bookings/{booking.code}/status", {"status": "confirmed"})
    assert response.status_code == 302 and repo.by_code(booking.code).status == "refused"
    assert post(client, "/bookings/ZZZZZZ/status", {"status": "confirmed"}).status_code == 404
    assert post(client, f"/bookings/{booking.code}/status", {"status": "bogus"}).status_code == 400


# -- teach, dashboard, admin ------------------------------------------------------------------


def test_teach_label_and_export(env):
    app, engine, _ = env
    sample_conversation(engine)
    client = app.test_client()
    login(client)
    page = client.get("/teach").get_data(as_text=True)
    assert "ma CAF a coupé mes APL" in page
    with engine.connect() as conn:
        item = conn.execute(
            select(models.teach_items).where(models.teach_items.c.reason == "fallback")
        ).one()
    assert post(client, f"/teach/{item.id}", {"intent": "not_an_intent"}).status_code == 400
    post(client, f"/teach/{item.id}", {"intent": "ask_documents", "action": "label"})
    admin = app.test_client()
    login(admin, "admin")
    text = admin.get("/teach/export.yml").get_data(as_text=True)
    assert "- intent: ask_documents" in text and "ma CAF a coupé mes APL" in text


def test_dashboard_and_csv(env):
    app, engine, _ = env
    sample_conversation(engine)
    client = app.test_client()
    login(client, "admin")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "<svg" in page and "ask_bus_visit" in page and "100.0 %" in page
    csv_text = client.get("/dashboard.csv").get_data(as_text=True)
    assert "metric,key,value" in csv_text and "conversations,total,1" in csv_text


def test_admin_creates_account_and_changes_role(env):
    app, engine, _ = env
    client = app.test_client()
    login(client, "admin")
    post(client, "/admin/accounts", {"username": "claire", "password": "short", "role": "agent"})
    post(client, "/admin/accounts", {"username": "claire", "password": PASSWORD, "role": "agent"})
    new = app.test_client()
    assert login(new, "claire").status_code == 302
    assert new.get("/admin/accounts").status_code == 403
    with engine.connect() as conn:
        claire = conn.execute(
            select(models.accounts).where(models.accounts.c.username == "claire")
        ).one()
    post(client, f"/admin/accounts/{claire.id}", {"action": "role", "role": "admin"})
    assert new.get("/admin/accounts").status_code == 200
    post(client, f"/admin/accounts/{claire.id}", {"action": "deactivate"})
    assert new.get("/").status_code == 302


def test_admin_erasure_by_phone(env):
    app, engine, _ = env
    sample_conversation(engine, "conv-1")
    sample_conversation(engine, "conv-2")
    make_booking(engine, dt.datetime(2026, 3, 12, 9, 0, tzinfo=UTC))
    client = app.test_client()
    login(client, "admin")
    page = post(client, "/admin/retention/erase", {"phone": "+33 6 12 34 56 78"}).get_data(
        as_text=True
    )
    assert "events" in page
    with engine.connect() as conn:
        assert conn.execute(select(events.c.id)).first() is None
    assert Repository(engine).bookings_of("conv-1", active_only=False) == []
    assert post(client, "/admin/retention/erase", {"phone": "12"}).status_code == 302


# -- channel names ------------------------------------------------------------------------------

RAW_CHANNEL = re.compile(
    r">\s*\(?(socketio|rest|twilio|facebook)\)?\s*<|\((socketio|rest|twilio|facebook)\)"
)


def test_every_page_names_the_channels_as_staff_know_them(env):
    app, engine, _ = env
    at = NOW.timestamp() - 600
    with engine.begin() as conn:
        conn.execute(
            events.insert(),
            [
                user_event(f"c-{name}", at, "bonjour", "greet", 0.99, channel=name)
                for name in ("socketio", "rest", "twilio", "facebook")
            ],
        )
    repo = Repository(engine, clock=lambda: NOW)
    handoffs = {
        name: repo.add_handoff(sender_id=f"c-{name}", channel=name, summary="aide")
        for name in ("socketio", "twilio", "facebook")
    }
    day = dt.datetime(2026, 3, 12, 9, 0, tzinfo=UTC)
    make_booking(engine, day, channel="twilio", sender="c-twilio")
    make_booking(engine, day + dt.timedelta(hours=1), channel="facebook", sender="c-facebook")
    make_booking(engine, day + dt.timedelta(hours=2), channel="socketio", sender="c-socketio")
    client = app.test_client()
    login(client)
    post(client, f"/queue/{handoffs['twilio'].id}/take")
    pages = {
        "queue": client.get("/").get_data(as_text=True),
        "conversations": client.get("/conversations").get_data(as_text=True),
        "bookings": client.get("/bookings?day=2026-03-12").get_data(as_text=True),
        "handle": client.get(f"/queue/{handoffs['twilio'].id}").get_data(as_text=True),
    }
    for name, page in pages.items():
        assert not RAW_CHANNEL.search(page), (name, RAW_CHANNEL.search(page))
    for name in ("queue", "conversations", "bookings"):
        assert "Site web" in pages[name] and "Messenger" in pages[name], name
        assert "SMS" in pages[name], name
    assert "(SMS)" in pages["handle"]
    labels = {i["channel"]: i["channel_label"] for i in client.get("/queue.json").get_json()}
    assert labels == {"socketio": "Site web", "facebook": "Messenger"}
    # The menu offers each name once; "Site web" finds both web channels.
    assert pages["conversations"].count(">Site web</option>") == 1
    web = client.get("/conversations", query_string={"channel": "Site web"})
    assert "2 conversations" in web.get_data(as_text=True)
    admin = app.test_client()
    login(admin, "admin")
    dashboard = admin.get("/dashboard").get_data(as_text=True)
    assert '<th scope="row">Site web</th><td>2</td>' in dashboard
