"""The console's logic without the web: masking, transcripts from Rasa's own tracker store,
retention and erasure, the teach export (read back by Rasa), the CLI."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json

import pytest
from sqlalchemy import func, select

from console import cli, models, retention
from console.conversations import events, refresh_index, transcript
from console.masking import mask
from console.teach import export_yaml
from store import Repository
from store.db import dispose_engines, get_engine
from tests.unit.test_console import NOW, make_booking, make_db, sample_conversation

UTC = dt.timezone.utc
TODAY = dt.date(2026, 3, 10)


@pytest.mark.parametrize(
    ("text", "hidden", "label"),
    [
        ("Rappelez-moi au 06 12 34 56 78 svp", "06 12 34 56 78", "[téléphone masqué]"),
        ("mon portable c'est le 07.81.22.33.44", "07.81.22.33.44", "[téléphone masqué]"),
        ("tel:0320123456 le matin", "0320123456", "[téléphone masqué]"),
        ("+33 6 12 34 56 78", "6 12 34 56 78", "[téléphone masqué]"),
        ("ou le 0033 3 27 11 22 33", "3 27 11 22 33", "[téléphone masqué]"),
        ("+33 (0)6 12 34 56 78", "12 34 56 78", "[téléphone masqué]"),
        ("écrivez à jean-pierre.dupont59@wanadoo.fr merci", "dupont59@", "[e-mail masqué]"),
        ("mon numéro de sécu 1 85 05 78 006 084 36", "006 084", "[n° de sécurité sociale masqué]"),
        ("NIR 285052A00608436", "285052A006", "[n° de sécurité sociale masqué]"),
        ("ma sécu 185057800608436", "185057800608436", "[n° de sécurité sociale masqué]"),
        ("IBAN FR76 3000 6000 0112 3456 7890 189", "3000 6000", "[IBAN masqué]"),
        ("rib FR7630006000011234567890189", "FR7630006000011234567890189", "[IBAN masqué]"),
        ("je suis né le 12/03/1950 à Maubeuge", "12/03/1950", "[date de naissance masquée]"),
        ("ma mère est née le 3 mars 1948", "3 mars 1948", "[date de naissance masquée]"),
        ("date de naissance : 01-02-1960", "01-02-1960", "[date de naissance masquée]"),
        ("DDN 5/6/2001", "5/6/2001", "[date de naissance masquée]"),
        ("mon fils, 14/07/1999, a besoin d'aide", "14/07/1999", "[date de naissance masquée]"),
    ],
)
def test_mask_hides_personal_data(text, hidden, label):
    masked = mask(text, today=TODAY)
    assert hidden not in masked
    assert label in masked


@pytest.mark.parametrize(
    "text",
    [
        "quand passe le bus à Trélon ?",
        "rdv le 12/03/2026 à 10h",
        "code postal 59000, j'ai 2 enfants",
        "le bus du 14 mars",
        "RN43 direction Maubeuge",
        "il me faut 3 justificatifs de 2024",
        "France Services 03 59",
    ],
)
def test_mask_keeps_ordinary_text(text):
    assert mask(text, today=TODAY) == text


def test_transcript_from_rasa_sql_tracker_store(tmp_path):
    """Events written by Rasa's own SQLTrackerStore are read back with intent and confidence."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import (
        ActionExecuted,
        BotUttered,
        SessionStarted,
        SlotSet,
        UserUttered,
    )
    from rasa.shared.core.trackers import DialogueStateTracker

    db = tmp_path / "rasa.db"
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(db))
    tracker = DialogueStateTracker("web-42", [])
    parse = {"intent": {"name": "ask_bus_visit", "confidence": 0.87}, "entities": []}
    for event in (
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered(
            "quand passe le bus à Trélon ? je suis née le 12/03/1950",
            intent=parse["intent"],
            parse_data=parse,
            input_channel="socketio",
        ),
        SlotSet("commune_insee", "59601"),
        ActionExecuted("action_show_next_visit"),
        BotUttered(
            "Le bus passe à Trélon le mardi 17 mars.",
            data={"buttons": [{"title": "Autre commune", "payload": "/x"}]},
        ),
    ):
        tracker.update(event)
    asyncio.run(store.save(tracker))
    store.engine.dispose()

    from store.cli import upgrade

    url = f"sqlite:///{db}"
    upgrade(url)
    engine = get_engine(url)
    with engine.begin() as conn:
        assert refresh_index(conn) == 7
        turns = transcript(conn, "web-42")
        row = conn.execute(select(models.conversations)).one()
    kinds = [t.kind for t in turns]
    assert kinds == ["action", "session", "user", "slot", "action", "bot"]
    user = turns[2]
    assert (user.intent, user.confidence) == ("ask_bus_visit", 0.87)
    assert "12/03/1950" not in user.text and "Trélon" in user.text
    assert turns[3].name == "commune_insee" and turns[3].value == "59601"
    assert turns[5].buttons == ["Autre commune"]
    assert (row.channel, row.commune_insee, row.n_user) == ("socketio", "59601", 1)
    with engine.connect() as conn:
        assert "12/03/1950" in transcript(conn, "web-42", unmasked=True)[2].text
    dispose_engines()


def test_index_is_incremental(tmp_path):
    engine = get_engine(make_db(tmp_path))
    sample_conversation(engine, "a")
    with engine.begin() as conn:
        assert refresh_index(conn) == 9
        assert refresh_index(conn) == 0
    sample_conversation(engine, "a", at=NOW.timestamp())
    with engine.begin() as conn:
        assert refresh_index(conn) == 9
        row = conn.execute(select(models.conversations)).one()
        reasons = sorted(r.reason for r in conn.execute(select(models.teach_items)))
    assert row.n_user == 8 and row.fallback and row.handed_over
    # Per copy: the fallback message, and the one before "talk to a person" (also the fallback
    # message, counted once).
    assert reasons == ["fallback", "fallback"]
    dispose_engines()


def test_purge_deletes_old_conversations_and_bookings(tmp_path):
    engine = get_engine(make_db(tmp_path))
    old = (NOW - dt.timedelta(days=200)).timestamp()
    sample_conversation(engine, "old", at=old)
    sample_conversation(engine, "recent")
    sample_conversation(engine, "long", at=old)
    sample_conversation(engine, "long", at=NOW.timestamp() - 60)
    past = make_booking(engine, NOW - dt.timedelta(days=45))
    kept = Repository(engine, clock=lambda: NOW).book(
        type(
            "S",
            (),
            {
                "place_key": "bus:avesnois",
                "start": NOW - dt.timedelta(days=10),
                "end": NOW - dt.timedelta(days=10, minutes=-30),
            },
        )(),
        operator="caf",
        name="Paul",
        consent_at=NOW,
        contact_email="paul@example.fr",
    )
    with engine.begin() as conn:
        refresh_index(conn)
    counts = retention.purge(engine, NOW, months=6, booking_months=1)
    assert counts["events"] == 18 and counts["bookings"] == 1
    with engine.connect() as conn:
        senders = set(conn.execute(select(events.c.sender_id).distinct()).scalars())
        index = {r.sender_id: r for r in conn.execute(select(models.conversations))}
    assert senders == {"recent", "long"}
    assert set(index) == {"recent", "long"} and index["long"].n_user == 4
    repo = Repository(engine)
    assert repo.by_code(past.code) is None and repo.by_code(kept.code) is not None
    dispose_engines()


def test_erase_by_conversation(tmp_path):
    engine = get_engine(make_db(tmp_path))
    sample_conversation(engine, "conv-1")
    sample_conversation(engine, "conv-2")
    Repository(engine, clock=lambda: NOW).add_handoff(sender_id="conv-1", channel="rest")
    counts = retention.erase(engine, sender_id="conv-1")
    assert counts["events"] == 9 and counts["handoff_requests"] == 1
    with engine.connect() as conn:
        assert set(conn.execute(select(events.c.sender_id).distinct()).scalars()) == {"conv-2"}
        assert (
            conn.execute(
                select(func.count())
                .select_from(models.teach_items)
                .where(models.teach_items.c.sender_id == "conv-1")
            ).scalar_one()
            == 0
        )
    dispose_engines()


def test_erase_by_phone_finds_sms_sender_and_bookings(tmp_path):
    engine = get_engine(make_db(tmp_path))
    sample_conversation(engine, "+33612345678")  # an SMS conversation: the sender is the number
    sample_conversation(engine, "web-1")  # typed the number in a message
    make_booking(engine, NOW + dt.timedelta(days=2))  # booked from conv-1 with that number
    sample_conversation(engine, "other")
    # "other" also typed 06 12 34 56 78 in sample_conversation; make it a different number.
    with engine.begin() as conn:
        rows = conn.execute(select(events).where(events.c.sender_id == "other")).all()
        for row in rows:
            conn.execute(
                events.update()
                .where(events.c.id == row.id)
                .values(data=row.data.replace("06 12 34 56 78", "07 00 00 00 00"))
            )
    counts = retention.erase(engine, phone="06 12 34 56 78")
    assert counts["bookings"] == 1
    with engine.connect() as conn:
        assert set(conn.execute(select(events.c.sender_id).distinct()).scalars()) == {"other"}
    dispose_engines()


def test_teach_export_is_valid_rasa_nlu(tmp_path):
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    engine = get_engine(make_db(tmp_path))
    sample_conversation(engine)
    with engine.begin() as conn:
        refresh_index(conn)
        conn.execute(
            models.teach_items.insert(),
            [
                {"event_id": 9001, "sender_id": "x", "at": 1.0, "text": "mon tel 0612345678",
                 "reason": "fallback", "intent": "ask_human", "out_of_scope": False},
                {"event_id": 9002, "sender_id": "x", "at": 1.0,
                 "text": "quelle heure est-il: 10h ?",
                 "reason": "fallback", "intent": None, "out_of_scope": True},
            ],
        )  # fmt: skip
        conn.execute(
            models.teach_items.update()
            .where(models.teach_items.c.reason == "fallback", models.teach_items.c.event_id < 9000)
            .values(intent="ask_documents")
        )
        text, count, skipped = export_yaml(conn, NOW)
    assert (count, skipped) == (2, 1)
    data = RasaYAMLReader().reads(text)
    examples = {(m.get("intent"), m.get("text")) for m in data.intent_examples}
    assert examples == {
        ("ask_documents", "ma CAF a coupé mes APL"),
        ("out_of_scope", "quelle heure est-il: 10h ?"),
    }
    dispose_engines()


def test_cli_create_admin_purge_and_export(tmp_path, monkeypatch, capsys):
    url = make_db(tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert cli.main(["--url", url, "create-admin", "marie"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert cli.main(["--url", url, "create-admin", "marie"]) == 1
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert cli.main(["--url", url, "create-agent", "paul"]) == 2
    engine = get_engine(url)
    with engine.connect() as conn:
        row = conn.execute(select(models.accounts)).one()
    assert (row.username, row.role) == ("marie", "admin")
    capsys.readouterr()
    assert cli.main(["--url", url, "purge", "--months", "6"]) == 0
    assert "events" in json.loads(capsys.readouterr().out)
    out = tmp_path / "nlu.yml"
    assert cli.main(["--url", url, "teach-export", str(out)]) == 0
    assert out.read_text().startswith('version: "3.1"')
    dispose_engines()


def _message_rows(engine) -> dict[str, set[str]]:
    from channels.store import messenger_contact, messenger_unsent, sms_optout, sms_state
    from handoff.messages import agent_messages

    with engine.connect() as conn:
        return {
            "agent_messages": set(conn.execute(select(agent_messages.c.sender_id)).scalars()),
            "sms_state": set(conn.execute(select(sms_state.c.phone)).scalars()),
            "sms_optout": set(conn.execute(select(sms_optout.c.phone)).scalars()),
            "messenger_contact": set(conn.execute(select(messenger_contact.c.psid)).scalars()),
            "messenger_unsent": set(conn.execute(select(messenger_unsent.c.psid)).scalars()),
        }


def _channel_data(url: str, engine, people: list[str], at: dt.datetime) -> None:
    from channels.store import ChannelStore
    from handoff.messages import MessageBox, agent_messages

    naive = at.astimezone(dt.timezone.utc).replace(tzinfo=None)
    channels = ChannelStore(url)
    box = MessageBox(engine)
    for who in people:
        box.put(who, "rest", "Bonjour, c'est Marie.", "agent", "marie")
        channels.save_sms_turn(who, [{"title": "Oui", "payload": "/affirm"}], "la suite", now=naive)
        channels.touch_messenger_user(who, at=naive)
        channels.record_unsent(who, "outside_24h", {"text": "Votre rendez-vous"}, now=naive)
        channels.set_opted_out(who, True, now=naive)
    with engine.begin() as conn:
        conn.execute(
            agent_messages.update()
            .where(agent_messages.c.sender_id.in_(people))
            .values(created_at=at)
        )


def test_erase_removes_waiting_messages_and_channel_rows_keeps_the_opt_out(tmp_path):
    url = make_db(tmp_path)
    engine = get_engine(url)
    sample_conversation(engine, "+33612345678")
    _channel_data(url, engine, ["+33612345678", "psid-2", "psid-3"], NOW)
    counts = retention.erase(engine, phone="06 12 34 56 78")
    assert counts["agent_messages"] == 1 and counts["channel_sms_state"] == 1
    retention.erase(engine, sender_id="psid-2")
    rows = _message_rows(engine)
    for table in ("agent_messages", "sms_state", "messenger_contact", "messenger_unsent"):
        assert rows[table] == {"psid-3"}, table
    # "STOP" stays honoured: the opt-out list keeps the number.
    assert rows["sms_optout"] == {"+33612345678", "psid-2", "psid-3"}
    dispose_engines()


def test_purge_removes_old_waiting_messages_and_channel_rows(tmp_path):
    url = make_db(tmp_path)
    engine = get_engine(url)
    _channel_data(url, engine, ["old"], NOW - dt.timedelta(days=200))
    _channel_data(url, engine, ["recent"], NOW - dt.timedelta(days=2))
    counts = retention.purge(engine, NOW, months=6, booking_months=1)
    assert counts["agent_messages"] == 1 and counts["channel_messenger_unsent"] == 1
    rows = _message_rows(engine)
    assert rows["sms_state"] == rows["messenger_contact"] == {"recent"}
    assert rows["messenger_unsent"] == {"recent"}
    dispose_engines()


def _wait_http(url: str, proc, timeout: float = 60) -> None:
    import time

    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1]
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise TimeoutError(url)


def _login(session, base: str, username: str, password: str, address: str) -> int:
    import re

    forwarded = {"X-Forwarded-For": f"198.51.100.99, {address}"}  # as nginx appends it
    page = session.get(f"{base}/login", headers=forwarded, timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return session.post(
        f"{base}/login",
        data={"username": username, "password": password, "csrf_token": token},
        headers=forwarded,
        allow_redirects=False,
        timeout=30,
    ).status_code


def test_the_production_console_runs_on_waitress_behind_nginx(tmp_path):
    """The console started exactly as deploy/prod.py starts it: waitress (not Werkzeug's
    development server), the client's address from nginx's X-Forwarded-For (the lock-out counts
    per address), and an access log without query strings (a search may hold personal data)."""
    import os
    import subprocess

    import requests

    from console.security import create_account
    from deploy.prod import console_command
    from scripts.env import PROJECT_DIR
    from scripts.stack import free_port

    url = make_db(tmp_path)
    with get_engine(url).begin() as conn:
        create_account(conn, "julie", "correct horse battery", "agent", 2**10)
    dispose_engines()
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "CONSOLE_SECRET_KEY": "k" * 32}
    env.pop("AGENT_API_URL", None)
    proc = subprocess.Popen(
        console_command(port),
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_http(f"{base}/login", proc)
        response = requests.get(f"{base}/login", timeout=10)
        assert response.status_code == 200
        assert response.headers["Server"] == "waitress"
        assert "Werkzeug" not in response.headers["Server"]
        requests.get(f"{base}/conversations", params={"q": "06 12 34 56 78"}, allow_redirects=False)
        attacker = requests.Session()
        for _ in range(5):
            assert _login(attacker, base, "julie", "wrong password!", "203.0.113.7") == 401
        assert _login(attacker, base, "julie", "correct horse battery", "203.0.113.7") == 429
        office = requests.Session()
        assert _login(office, base, "julie", "correct horse battery", "10.0.0.12") == 302
    finally:
        proc.terminate()
        _, log = proc.communicate(timeout=20)
    assert "GET /conversations" in log and "GET /login" in log
    assert "q=" not in log and "56+78" not in log and "56%2078" not in log
