"""'Ajouter à mon agenda': the chat page server gives a visit's .ics (issue 15).

The body is parsed back with the icalendar library; a visit staff cancelled (a real calendar
change applied by franceservices/calendar/changes.py) answers 410, an unknown one 404.
"""

from __future__ import annotations

import datetime as dt
from wsgiref.util import setup_testing_defaults

import pytest
from icalendar import Calendar

from franceservices import wording
from franceservices.calendar.changes import CancelVisit, apply_changes, read_base
from franceservices.calendar.ics import parse_visit_path, visit_path
from franceservices.dates.clock import PARIS
from webchat.server import WebConfig, create_app

NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def base():
    return read_base()


@pytest.fixture(scope="module")
def plain(base):
    return apply_changes(base, []).calendar


def _visit(calendar):
    stop = next(s for s in calendar.stops() if s.day_confirmed)
    return calendar.next_visits(stop.insee, NOW + dt.timedelta(days=3), 1)[0]


def get(path, calendar, method="GET"):
    app = create_app(
        WebConfig(rasa_public_url="http://127.0.0.1:5005"),
        calendar=lambda: calendar,
        clock=lambda: NOW,
    )
    environ = {"PATH_INFO": path, "REQUEST_METHOD": method}
    setup_testing_defaults(environ)
    captured = {}

    def start_response(status, headers):
        captured["status"] = status
        captured["headers"] = dict(headers)

    body = b"".join(app(environ, start_response))
    return int(captured["status"].split()[0]), captured["headers"], body


def test_the_ics_of_a_visit_parses_back_in_europe_paris(plain):
    visit = _visit(plain)
    status, headers, body = get(visit_path(visit.tour_id, visit.insee, visit.date), plain)
    assert status == 200
    assert headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert headers["Content-Disposition"].startswith("attachment; filename=")
    assert headers["X-Content-Type-Options"] == "nosniff"
    (event,) = Calendar.from_ical(body).walk("VEVENT")
    start = event.decoded("dtstart")
    assert start == visit.opens_at and str(start.tzinfo) == "Europe/Paris"
    assert event.decoded("dtend") == visit.closes_at
    assert str(event["summary"]) == f"Bus France Services à {visit.commune}"
    assert str(event["location"]) == visit.place
    assert str(event["status"]) == "CONFIRMED"
    assert event.decoded("dtstamp") == NOW


def test_head_gives_the_headers_without_the_file(plain):
    visit = _visit(plain)
    status, headers, body = get(visit_path(visit.tour_id, visit.insee, visit.date), plain, "HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 100


def test_a_cancelled_visit_answers_410_in_french(base, plain):
    visit = _visit(plain)
    cancelled = apply_changes(
        base, [CancelVisit(visit.tour_id, visit.insee, visit.date, "panne du bus")]
    ).calendar
    status, headers, body = get(visit_path(visit.tour_id, visit.insee, visit.date), cancelled)
    assert status == 410
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    assert body.decode() == wording.text("utter_agenda_cancelled", "web", commune=visit.commune)
    assert "annulé" in body.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/agenda/avesnois/59601/2026-02-30.ics",  # no such day
        "/agenda/avesnois/99999/2026-12-08.ics",  # no such stop
        "/agenda/../../etc/passwd",
        "/agenda/avesnois/59601/2026-12-08.txt",
    ],
)
def test_no_such_visit_answers_404(path, plain):
    status, _, body = get(path, plain)
    assert status == 404
    assert body.decode() == wording.text("utter_agenda_not_found", "web")


def test_a_day_without_the_bus_answers_404(plain):
    visit = _visit(plain)
    day = visit.date + dt.timedelta(days=1)
    while any(v.date == day for v in plain.next_visits(visit.insee, dt.datetime.combine(
        day, dt.time(0), tzinfo=PARIS), 1)):  # fmt: skip
        day += dt.timedelta(days=1)
    assert get(visit_path(visit.tour_id, visit.insee, day), plain)[0] == 404


def test_post_is_refused(plain):
    visit = _visit(plain)
    path = visit_path(visit.tour_id, visit.insee, visit.date)
    assert get(path, plain, "POST")[0] == 405


def test_the_path_reads_back():
    day = dt.date(2026, 12, 8)
    assert parse_visit_path(visit_path("avesnois", "59601", day)) == ("avesnois", "59601", day)
    assert parse_visit_path("/agenda/avesnois/59601/2026-13-01.ics") is None
