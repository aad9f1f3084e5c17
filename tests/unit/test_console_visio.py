"""The console's Visio section: the offer edited with the file's validation, audited, served to
the assistant (the overlay), the day's appointments per booth, absences and exceptional slots."""

from __future__ import annotations

import datetime as dt
import json
import re

from sqlalchemy import select

from franceservices.booking.visio_slots import propose_slots
from franceservices.dates.clock import PARIS
from store.models import UTC, VisioOfferVersion
from store.repository import Repository
from store.visio_offer import OfferOverlay, VisioOfferVersions
from tests.unit import test_console
from tests.unit.test_console import NOW, Slot, audit_rows, csrf, login, post

env = test_console.env  # the console on a fresh database, agent and admin accounts (a fixture)

HONDSCHOOTE = "desk:346"
CAF_WEDNESDAY = {
    "edit": "add_organisation",
    "place": HONDSCHOOTE,
    "operator": "caf",
    "weekday": "2",
    "hours": "09:00-12:00",
    "why": "la CAF vient le mercredi matin",
}


def page(client, path="/visio"):
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def versions(engine):
    with engine.connect() as conn:
        return conn.execute(select(VisioOfferVersion.__table__)).all()


def test_logged_out_sees_nothing_and_cannot_post(env):
    app, engine, _ = env
    client = app.test_client()
    for path in ("/visio", "/visio/affected?place=desk:346&operator=caf&date=2026-03-11"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    token = csrf(client)
    response = client.post("/visio/edit", data={**CAF_WEDNESDAY, "csrf_token": token})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert versions(engine) == []


def test_the_shipped_offer_is_shown_with_no_organisation(env):
    app, _, _ = env
    client = app.test_client()
    login(client)
    html = page(client)
    assert "France services Hondschoote" in html
    assert "France Services itinérante de l&#39;Avesnois" in html  # a bus (tours.yml's name)
    assert html.count("Aucun organisme : aucun rendez-vous proposé ici.") == 7
    assert 'href="/visio"' in page(client, "/")  # the menu link


def test_an_organisation_added_is_validated_audited_and_served_to_the_assistant(env):
    app, engine, _ = env
    client = app.test_client()
    login(client)
    response = post(client, "/visio/edit", CAF_WEDNESDAY)
    assert response.status_code == 302
    (row,) = versions(engine)
    assert row.created_by == "agent" and row.why == "la CAF vient le mercredi matin"
    assert audit_rows(engine, "visio_offer_changed")
    html = page(client)
    assert "la CAF (allocations familiales) : mercredi, 09:00–12:00" in html
    # the assistant's overlay serves it: Wednesday-morning CAF slots at Hondschoote
    overlay = OfferOverlay(VisioOfferVersions(engine), every=0, background=False)
    from franceservices.booking.offer import get_offer, set_offer_overlay

    set_offer_overlay(overlay)
    try:
        slots = propose_slots("59309", "caf", NOW, n=4)  # Hondschoote
        assert get_offer().places_for("caf")[0].key == HONDSCHOOTE
    finally:
        set_offer_overlay(None)
    assert slots and all(s.start.weekday() == 2 and s.start.hour < 12 for s in slots)
    assert {s.place_key for s in slots} == {HONDSCHOOTE}
    assert propose_slots("59309", "cpam", NOW) == []


def test_a_refused_edit_shows_the_validator_message_and_saves_nothing(env):
    app, engine, _ = env
    client = app.test_client()
    login(client)
    post(client, "/visio/edit", {**CAF_WEDNESDAY, "hours": "12:00-09:00"})
    html = page(client)
    assert "Modification refusée" in html and "finit avant de commencer" in html
    post(client, "/visio/edit", {**CAF_WEDNESDAY, "weekday": ""})
    assert "weekdays doit être une liste non vide" in page(client)
    post(client, "/visio/edit", {"edit": "booths", "place": HONDSCHOOTE, "booths": "deux"})
    assert "Modification refusée : nombre de cabines « deux » : écrivez un nombre" in page(client)
    post(client, "/visio/edit", {"edit": "remove_absence", "index": "x"})
    assert "Modification refusée : entrée « x » : écrivez un nombre" in page(client)
    assert versions(engine) == []


def test_an_absent_advisor_lists_the_bookings_to_tell_and_the_day_per_booth(env):
    app, engine, _ = env
    repo = Repository(engine, clock=lambda: NOW)
    start = dt.datetime(2026, 3, 11, 9, 30, tzinfo=PARIS)  # Wednesday
    booking = repo.book(
        Slot(HONDSCHOOTE, start),
        operator="caf",
        name="Marie Martin",
        consent_at=NOW,
        reason="APL",
        contact_phone="06 12 34 56 78",
        place_label="France services Hondschoote",
        channel="rest",
        sender_id="conv-1",
    )
    client = app.test_client()
    login(client)
    post(client, "/visio/edit", CAF_WEDNESDAY)
    day = page(client, "/visio?day=2026-03-11")
    assert re.search(r"France services Hondschoote — cabine 1</h3>\s*<ul>\s*<li>09:30–10:00", day)
    assert booking.code in day and f"{booking.code} · à confirmer</li>" in day  # its status
    response = post(
        client,
        "/visio/edit",
        {
            "edit": "absence",
            "place": HONDSCHOOTE,
            "operator": "caf",
            "date": "2026-03-11",
            "reason": "conseillère en formation",
        },
    )
    assert "/visio/affected" in response.headers["Location"]
    affected = page(client, response.headers["Location"])
    assert booking.code in affected and "Déplacer ou annuler" in affected
    # a new slot is proposed: the next CAF Wednesday morning at Hondschoote (18 March, 9:00)
    assert "Déplacer au 18/03 à 09:00" in affected
    token = re.search(r'name="slot" value="([^"]+)"', affected).group(1)
    moved = post(client, f"/visio/move/{booking.code}", {"slot": token, "back": "//evil.example"})
    assert moved.headers["Location"].endswith("/visio")  # never back to another site
    after = repo.by_code(booking.code)
    assert after.status == "moved" and after.slot_start == dt.datetime(2026, 3, 18, 8, tzinfo=UTC)
    due = repo.due_reminders(NOW + dt.timedelta(days=1))
    assert "utter_booking_now_moved" in {json.loads(r.payload)["response"] for r in due}
    # a slot of the absent day is no slot of the offer: refused
    post(client, f"/visio/move/{booking.code}", {"slot": "desk:346@2026-03-11T09:00:00+01:00"})
    assert "Ce créneau est déjà pris." in page(client)
    nobody = page(client, "/visio/affected?place=desk:346&operator=cpam&date=2026-03-11")
    assert "personne à prévenir" in nobody
    assert len(versions(engine)) == 2


def test_an_exceptional_slot_and_a_revert(env):
    app, engine, _ = env
    client = app.test_client()
    login(client, "admin")
    post(client, "/visio/edit", CAF_WEDNESDAY)
    extra = {
        "edit": "extra",
        "place": HONDSCHOOTE,
        "operator": "msa",
        "date": "2026-03-14",
        "hours": "09:00-11:00",
        "reason": "permanence exceptionnelle",
    }
    post(client, "/visio/edit", extra)
    html = page(client)
    assert "MSA" in html and "2026-03-14" in html and "permanence exceptionnelle" in html
    first = versions(engine)[0].id
    post(client, f"/visio/versions/{first}/restore", {"why": "erreur"})
    latest = VisioOfferVersions(engine).latest()
    assert latest.why == "erreur" and latest.document.get("extra_slots") == []
    assert audit_rows(engine, "visio_offer_restored")
