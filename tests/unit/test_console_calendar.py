"""The console's Calendrier: visits listed, changes recorded, refused, audited and undone."""

from __future__ import annotations

import re

from sqlalchemy import select

from store.models import CalendarChangeRow
from tests.unit import test_console
from tests.unit.test_console import audit_rows, csrf, login, post

env = test_console.env  # the console on a fresh database, agent and admin accounts (a fixture)

# NOW of test_console is Tuesday 10 March 2026, 10:00 in Paris. Avesnois bus: Cartignies today
# (week 2 Tuesday), Bousies on Monday 16 March (week 3 Monday), Cousolre on Wednesday 11 March.
BOUSIES = "59099"
CANCEL_BOUSIES = {
    "kind": "cancel_visit",
    "tour": "avesnois",
    "insee": BOUSIES,
    "date": "2026-03-16",
    "reason": "panne du bus",
}


def page(client, path="/calendar?tour=avesnois"):
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def bousies_entry(html):
    return re.search(r"<strong>Bousies</strong>.*?</li>", html, re.S).group(0)


def stored_rows(engine):
    with engine.connect() as conn:
        return conn.execute(select(CalendarChangeRow.__table__)).all()


def test_logged_out_sees_nothing_and_cannot_post(env):
    app, engine, _ = env
    client = app.test_client()
    for path in ("/calendar", "/calendar/cancel?tour=avesnois&date=2026-03-16", "/calendar/stop"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    token = csrf(client)
    response = client.post("/calendar/changes", data={**CANCEL_BOUSIES, "csrf_token": token})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert stored_rows(engine) == []


def test_visits_of_the_coming_weeks(env):
    app, _, _ = env
    client = app.test_client()
    login(client)
    html = page(client)
    assert "mardi 10 mars 2026" in html and "Cartignies" in html
    assert "lundi 16 mars 2026" in html and "Bousies" in html
    # Trélon's 6 April is Easter Monday: listed as no visit, with the holiday's name.
    assert "Pas de passage : lundi de Pâques (jour férié)" in html
    assert "mardi 7 avril 2026" not in html, "four weeks are shown"
    assert "date à confirmer" in bousies_entry(html)
    assert "Calendrier" in page(client, "/")  # in the menu


def test_agent_cancels_a_visit_with_a_reason_and_undoes_it(env):
    app, engine, _ = env
    client = app.test_client()
    login(client)
    form = page(client, "/calendar/cancel?tour=avesnois&insee=59099&date=2026-03-16")
    assert "Annuler le passage à Bousies" in form
    assert 'value="panne du bus"' in form and 'name="csrf_token"' in form
    response = post(client, "/calendar/changes", {**CANCEL_BOUSIES, "why": "appel du chauffeur"})
    assert response.status_code == 302
    html = page(client)
    assert "Annulé : panne du bus" in bousies_entry(html)
    assert "Modification enregistrée" in html
    (row,) = stored_rows(engine)
    assert (row.created_by, row.kind, row.why) == ("agent", "cancel_visit", "appel du chauffeur")
    (logged,) = audit_rows(engine, "calendar_cancel_visit")
    assert logged.actor == "agent" and "appel du chauffeur" in logged.detail
    assert "date=2026-03-16" in logged.detail and "reason=panne du bus" in logged.detail

    response = post(client, f"/calendar/changes/{row.id}/undo", {"tour": "avesnois"})
    assert response.status_code == 302
    html = page(client)
    assert "Annulé" not in bousies_entry(html)
    assert "Annulée par agent" in html
    assert len(audit_rows(engine, "calendar_undo")) == 1
    assert post(client, f"/calendar/changes/{row.id}/undo").status_code == 404


def test_a_post_without_the_csrf_token_is_refused(env):
    app, engine, _ = env
    client = app.test_client()
    login(client)
    assert client.post("/calendar/changes", data=CANCEL_BOUSIES).status_code == 400
    bad = {**CANCEL_BOUSIES, "csrf_token": "forged"}
    assert client.post("/calendar/changes", data=bad).status_code == 400
    assert stored_rows(engine) == []


def test_the_validators_message_is_shown_and_nothing_stored(env):
    app, engine, _ = env
    client = app.test_client()
    login(client)
    wrong = {**CANCEL_BOUSIES, "date": "2026-03-17"}
    response = post(client, "/calendar/changes", wrong)
    assert response.status_code == 302
    html = page(client)
    assert (
        "passage annulé : Bousies (avesnois) n&#39;a pas de passage régulier le 2026-03-17 "
        "(un mardi) ; ses passages sont le lundi de la semaine 3 de chaque mois, "
        "par exemple le 2026-03-16"
    ) in html
    past = {**CANCEL_BOUSIES, "date": "2026-03-02", "insee": "59099"}
    post(client, "/calendar/changes", past)
    assert "cette date est passée" in page(client)
    assert stored_rows(engine) == []


def test_admin_cancels_a_whole_day_and_adds_a_catch_up(env):
    app, engine, _ = env
    client = app.test_client()
    login(client, "admin")
    form = page(client, "/calendar/cancel?tour=avesnois&date=2026-03-16")
    assert "Annuler toute la journée du bus" in form
    day = {"kind": "cancel_day", "tour": "avesnois", "date": "2026-03-16", "reason": "grève"}
    post(client, "/calendar/changes", {**day, "other_reason": "grève des transports"})
    assert "Annulé : grève des transports" in bousies_entry(page(client))
    catch_up = {
        "kind": "add_visit",
        "tour": "avesnois",
        "commune": "bousies",
        "date": "2026-03-30",  # a 5th Monday
        "place": "",
        "hours": "09:30-12:00",
        "reason": "rattrapage du 16 mars",
    }
    post(client, "/calendar/changes", catch_up)
    html = page(client)
    assert "Passage ajouté : rattrapage du 16 mars" in html
    assert [r.created_by for r in stored_rows(engine)] == ["admin", "admin"]


def test_stop_place_hours_day_and_confirmation(env):
    app, engine, _ = env
    client = app.test_client()
    login(client)
    form = page(client, "/calendar/stop?tour=avesnois&insee=59099")
    assert "Confirmer ce jour" in form and "Changer le jour" in form
    base = {"tour": "avesnois", "insee": BOUSIES}
    post(client, "/calendar/changes", {**base, "kind": "confirm_day"})
    assert "date confirmée" in bousies_entry(page(client))
    post(client, "/calendar/changes", {**base, "kind": "stop_place", "place": "place du marché"})
    post(client, "/calendar/changes", {**base, "kind": "stop_hours", "hours": "10:00-12:00"})
    entry = bousies_entry(page(client))
    assert "place du marché" in entry and "10:00–12:00" in entry
    post(client, "/calendar/changes", {**base, "kind": "stop_hours", "hours": "12:00-10:00"})
    assert "finit avant de commencer" in page(client)
    # Without swapping, Bousies cannot take Trélon's day (week 1 Monday).
    post(client, "/calendar/changes", {**base, "kind": "stop_day", "week": "1", "weekday": "0"})
    assert "un bus ne peut pas être dans deux communes à la fois" in page(client)
    post(
        client,
        "/calendar/changes",
        {**base, "kind": "stop_day", "week": "1", "weekday": "0", "swap": "1"},
    )
    html = page(client)
    assert "Bousies" not in html.split("lundi 16 mars 2026")[1].split("</section>")[0]
    assert [r.kind for r in stored_rows(engine)] == [
        "confirm_day",
        "stop_place",
        "stop_hours",
        "stop_day",
    ]


def test_an_undo_a_later_change_needs_is_refused(env):
    app, engine, _ = env
    client = app.test_client()
    login(client)
    post(client, "/calendar/changes", CANCEL_BOUSIES)
    catch_up = {
        "kind": "add_visit",
        "tour": "avesnois",
        "commune": "59601",
        "date": "2026-03-16",
        "place": "mairie",
        "reason": "échange de jour",
    }
    post(client, "/calendar/changes", catch_up)
    first, second = stored_rows(engine)
    post(client, f"/calendar/changes/{first.id}/undo", {"tour": "avesnois"})
    html = page(client)
    assert f"la modification n° {second.id} en dépend" in html
    assert "déjà à Bousies" in html
    assert all(r.undone_at is None for r in stored_rows(engine))


def test_unknown_tour_or_visit_is_404(env):
    app, _, _ = env
    client = app.test_client()
    login(client)
    assert client.get("/calendar?tour=nowhere").status_code == 404
    assert (
        client.get("/calendar/cancel?tour=avesnois&insee=59099&date=2026-03-17").status_code == 404
    )
    assert client.get("/calendar/stop?tour=avesnois&insee=00000").status_code == 404
