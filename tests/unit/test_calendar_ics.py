"""The .ics of a bus visit, parsed back by a calendar library (icalendar's parser)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from icalendar import Calendar

from franceservices.calendar.ics import visit_ics, visit_uid
from franceservices.calendar.tours import load_tours
from franceservices.dates.clock import PARIS

NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=PARIS)


@pytest.fixture(scope="module")
def calendar():
    return load_tours()


def _first_visit(calendar, confirmed: bool):
    stop = next(s for s in calendar.stops() if s.day_confirmed is confirmed)
    return calendar.next_visits(stop.insee, NOW, 1, include_cancelled=False)[0]


def _parse(data: bytes):
    parsed = Calendar.from_ical(data)
    events = list(parsed.walk("VEVENT"))
    zones = list(parsed.walk("VTIMEZONE"))
    assert len(events) == 1
    return parsed, events[0], zones


def test_a_confirmed_visit_in_paris_time_with_its_zone(calendar):
    visit = _first_visit(calendar, confirmed=True)
    parsed, event, zones = _parse(visit_ics(visit, NOW))
    assert [str(z["TZID"]) for z in zones] == ["Europe/Paris"]
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    assert start == visit.opens_at and end == visit.closes_at
    assert start.utcoffset() == dt.timedelta(hours=1)  # December: UTC+1
    assert (start.hour, start.minute) == (visit.periods[0][0].hour, visit.periods[0][0].minute)
    assert str(event["SUMMARY"]) == f"Bus France Services à {visit.commune}"
    assert str(event["LOCATION"]) == visit.place
    assert str(event["STATUS"]) == "CONFIRMED"
    description = str(event["DESCRIPTION"])
    assert visit.tour.phone in description and "à confirmer" not in description
    assert str(event["UID"]) == visit_uid(visit)
    assert str(parsed["VERSION"]) == "2.0"


def test_a_planned_day_is_tentative_and_says_to_confirm(calendar):
    visit = _first_visit(calendar, confirmed=False)
    _, event, _ = _parse(visit_ics(visit, NOW))
    assert str(event["STATUS"]) == "TENTATIVE"
    assert f"à confirmer au {visit.tour.phone}" in str(event["DESCRIPTION"])


def test_a_summer_visit_is_utc_plus_two(calendar):
    visit = _first_visit(calendar, confirmed=True)
    summer = calendar.next_visits(
        visit.insee, dt.datetime(2027, 7, 1, tzinfo=PARIS), 1, include_cancelled=False
    )[0]
    _, event, _ = _parse(visit_ics(summer, NOW))
    assert event.decoded("DTSTART").utcoffset() == dt.timedelta(hours=2)


def test_same_visit_same_uid_and_cancelled_visits_refused(calendar):
    visit = _first_visit(calendar, confirmed=True)
    assert visit_uid(visit) == visit_uid(replace(visit))
    with pytest.raises(ValueError):
        visit_ics(replace(visit, status="cancelled", reason="panne du bus"), NOW)
