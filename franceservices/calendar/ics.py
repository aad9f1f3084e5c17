"""A bus visit as an iCalendar file (.ics): "ajouter à mon agenda" for a reminder on the web.

One VEVENT from the bus's first opening to its last closing that day, in Europe/Paris with the
zone's VTIMEZONE and TZID (a calendar program shows it at the right hour whatever its own zone),
made with the `icalendar` library. A day not confirmed is STATUS:TENTATIVE and its description
says "date à confirmer" with the bus's phone, as every other channel does (issue 15). The words
are `domain.yml`'s (`utter_ics_bus_summary`, `utter_ics_bus_description[_unconfirmed]`). The UID
is the same for the same visit, so adding it twice updates it instead of doubling it.
No Rasa import.
"""

from __future__ import annotations

import datetime as dt
import re

from icalendar import Calendar, Event

from franceservices import wording
from franceservices.calendar.answers import hours_text
from franceservices.calendar.engine import TourCalendar
from franceservices.calendar.model import Visit
from franceservices.dates.clock import PARIS
from franceservices.text.french import format_date_fr

PRODID = "-//Departement du Nord//France Services assistant//FR"
UID_DOMAIN = "franceservices.lenord.fr"
MEDIA_TYPE = "text/calendar; charset=utf-8"
DESCRIPTION = "utter_ics_bus_description"  # + "_unconfirmed" for a planned day


def visit_uid(visit: Visit) -> str:
    """The event's stable id: one bus, one commune, one day."""
    return f"bus-{visit.tour_id}-{visit.insee}-{visit.date.isoformat()}@{UID_DOMAIN}"


def visit_filename(visit: Visit) -> str:
    return f"bus-france-services-{visit.insee}-{visit.date.isoformat()}.ics"


def visit_on(calendar: TourCalendar, tour: str, insee: str, day: dt.date) -> Visit | None:
    """The visit of bus `tour` in commune `insee` on `day` (cancelled ones included), if any."""
    start = dt.datetime.combine(day, dt.time(0), tzinfo=PARIS)
    for visit in calendar.next_visits(insee, start, 3, include_cancelled=True):
        if visit.date == day and visit.tour_id == tour:
            return visit
    return None


def visit_ics(visit: Visit, now: dt.datetime) -> bytes:
    """The .ics file of one visit; `now` (aware) is its DTSTAMP.

    Raises:
        ValueError: the visit is cancelled (nobody adds a cancelled visit to an agenda).
    """
    if visit.is_cancelled:
        raise ValueError(f"visit {visit_uid(visit)} is cancelled")
    sure = visit.day_confirmed
    fill = {
        "commune": visit.commune,
        "date": format_date_fr(visit.date),
        "hours": hours_text(visit),
        "place": visit.place,
        "phone": visit.tour.phone,
    }
    event = Event()
    event.add("uid", visit_uid(visit))
    event.add("dtstamp", now.astimezone(dt.timezone.utc))
    event.add("dtstart", visit.opens_at.astimezone(PARIS))
    event.add("dtend", visit.closes_at.astimezone(PARIS))
    event.add("summary", wording.text("utter_ics_bus_summary", "web", **fill))
    event.add(
        "description",
        wording.text(DESCRIPTION if sure else f"{DESCRIPTION}_unconfirmed", "web", **fill),
    )
    event.add("location", visit.place)
    event.add("status", "CONFIRMED" if sure else "TENTATIVE")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


AGENDA_PREFIX = "/agenda/"
_AGENDA_PATH_RE = re.compile(r"^/agenda/([a-z0-9_-]{1,40})/(\d{5})/(\d{4}-\d{2}-\d{2})\.ics$")


def visit_path(tour: str, insee: str, day: dt.date) -> str:
    """The public path of a visit's .ics file ("ajouter à mon agenda" in the web widget),
    served by webchat/server.py: /agenda/<tour>/<insee>/<YYYY-MM-DD>.ics."""
    return f"{AGENDA_PREFIX}{tour}/{insee}/{day.isoformat()}.ics"


def parse_visit_path(path: str) -> tuple[str, str, dt.date] | None:
    """(tour, INSEE code, day) of a `visit_path`, or None when the path is not one."""
    match = _AGENDA_PATH_RE.match(path)
    if match is None:
        return None
    try:
        day = dt.date.fromisoformat(match.group(3))
    except ValueError:
        return None
    return match.group(1), match.group(2), day
