"""What to answer about the buses and the desks: plain logic, no Rasa import.

Each function returns an `Answer`: the responses to utter (names of domain.yml responses with
their placeholder values, plus buttons) and the slots to set. The Action classes in
actions/calendar.py only read the tracker, call these functions and send the result.

Dates and times are Paris time: callers pass an aware `now` (franceservices/dates/clock.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from franceservices.calendar.engine import TourCalendar
from franceservices.calendar.model import STATUS_CANCELLED_HOLIDAY, Visit
from franceservices.dates.clock import to_paris
from franceservices.dates.french_dates import DateQuery
from franceservices.dates.holidays import holiday_name
from franceservices.places.commune_resolver import Resolution, get_resolver
from franceservices.places.communes import Commune, load_communes
from franceservices.places.desks import Desk, is_open, load_desks, next_opening, opening_periods
from franceservices.replies import Answer, Reply
from franceservices.text.french import (
    format_date_fr,
    format_distance_km,
    format_periods_fr,
    format_time_fr,
    format_week_hours_fr,
)
from franceservices.text.normalize import normalize
from franceservices.wording import text as wording

MORE_VISITS = 3
MAX_LOCATION_LINES = 12

UNCONFIRMED_RESPONSES = (
    "utter_calendar_next_visit",
    "utter_calendar_visit_today",
    "utter_calendar_hours",
    "utter_calendar_more_visits",
    "utter_calendar_location",
    "utter_calendar_location_next_day",
    "utter_calendar_not_served",
    "utter_remind_bus_set",
    "utter_remind_bus_too_soon",
    "utter_reminder_bus",
    "utter_remind_bus_web_visit",
    "utter_reminder_set_sms",
    "utter_reminder_set_email",
    "utter_reminder_agenda",
)
"""Responses that give a visit's date: each has an `_unconfirmed` twin in domain.yml that tells
the date as planned, "à confirmer" with the bus's phone (`Stop.day_confirmed` decides)."""


# ---------------------------------------------------------------------------------------------
# Communes
# ---------------------------------------------------------------------------------------------


def commune_button(commune: Commune) -> dict[str, str]:
    """A button that designates one commune unambiguously (its INSEE code in the payload)."""
    postcode = commune.postcodes[0] if commune.postcodes else ""
    title = f"{commune.name} ({postcode})" if postcode else commune.name
    return {"title": title, "payload": f'/inform_commune{{"commune_insee": "{commune.insee}"}}'}


def find_commune(
    texts: list[str], insee: str | None = None
) -> tuple[Commune | None, Resolution | None]:
    """Resolve the commune a message designates.

    `insee` (from a button) wins; then each candidate text in turn (the NLU entity first, then
    the whole message). Returns the commune when found, else the most informative resolution
    (ambiguous beats outside the Nord beats unknown) so the caller can say what went wrong.
    """
    if insee:
        commune = load_communes().get(insee)
        if commune is not None:
            return commune, None
    rank = {"ambiguous": 3, "outside_nord": 2, "unknown": 1}
    best: Resolution | None = None
    for text in texts:
        if not text or not text.strip():
            continue
        resolution = get_resolver().resolve(text)
        if resolution.status == "found":
            return resolution.commune, resolution
        if best is None or rank.get(resolution.status, 0) > rank.get(best.status, 0):
            best = resolution
    return None, best


def commune_problem(resolution: Resolution | None, awaiting: str) -> Answer:
    """Answer for a commune that could not be identified; keeps waiting for one."""
    answer = Answer(slots={"awaiting": awaiting})
    if resolution is None or not resolution.query.strip():
        return answer.say("utter_calendar_ask_commune")
    query = resolution.query.strip()[:60]
    if resolution.status == "ambiguous":
        buttons = [commune_button(c) for c in resolution.candidates[:6]]
        return answer.say("utter_calendar_commune_ambiguous", buttons, query=query)
    if resolution.status == "outside_nord":
        place = resolution.outside_name or query
        if resolution.department:
            return answer.say(
                "utter_calendar_commune_outside", place=place, department=resolution.department
            )
        return answer.say("utter_calendar_commune_outside_unknown_department", place=place)
    if resolution.candidates:
        buttons = [commune_button(c) for c in resolution.candidates[:3]]
        return answer.say("utter_calendar_commune_suggestions", buttons, query=query)
    return answer.say("utter_calendar_commune_unknown", query=query)


def nearest_desk(commune: Commune) -> tuple[Desk, float]:
    """The fixed France Services nearest to the commune's town hall, and its distance in km."""
    return load_desks().nearest_fixed(commune.lat, commune.lon, 1)[0]


def human_contact_for(commune: Commune) -> str:
    """Who to call, nearest the person: the nearest fixed desk's name and phone."""
    desk, _ = nearest_desk(commune)
    return wording("utter_desk_contact", desk_name=desk.name, desk_phone=desk.phone)


def _commune_slots(commune: Commune, topic: str) -> dict[str, Any]:
    return {
        "commune_insee": commune.insee,
        "topic": topic,
        "awaiting": None,
        "human_contact": human_contact_for(commune),
    }


# ---------------------------------------------------------------------------------------------
# Visits of the buses
# ---------------------------------------------------------------------------------------------


def hours_text(visit: Visit) -> str:
    return format_periods_fr(visit.periods)


def day_response(response: str, confirmed: bool) -> str:
    """`response` for a confirmed day, else its twin that says the day is to be confirmed."""
    if response not in UNCONFIRMED_RESPONSES:
        raise ValueError(f"{response} has no _unconfirmed twin")
    return response if confirmed else f"{response}_unconfirmed"


def _phone_if_planned(line: str, visit: Visit) -> str:
    # A list may mix buses: a planned line carries the phone of its own bus, to confirm with.
    if visit.day_confirmed:
        return line
    return wording("utter_calendar_planned_line", line=line, phone=visit.tour.phone)


def _split_by_day_confirmed(visits: list[Visit]) -> tuple[list[Visit], list[Visit]]:
    return [v for v in visits if v.day_confirmed], [v for v in visits if not v.day_confirmed]


def visit_line(visit: Visit) -> str:
    """One line of a list of visits: "- mardi 8 décembre, de 9 h 30 à 12 h 30 et de ..."."""
    line = wording(
        "utter_calendar_visit_line", date=format_date_fr(visit.date), hours=hours_text(visit)
    )
    return wording("utter_calendar_market_day_mark", line=line) if visit.market_day else line


def _visit_reply(answer: Answer, visit: Visit, commune: Commune, now: dt.datetime) -> None:
    today = to_paris(now).date()
    response = "utter_calendar_visit_today" if visit.date == today else "utter_calendar_next_visit"
    answer.say(
        day_response(response, visit.day_confirmed),
        commune=commune.name,
        date=format_date_fr(visit.date),
        hours=hours_text(visit),
        place=visit.place,
        phone=visit.tour.phone,
    )
    if visit.market_day:
        answer.say("utter_calendar_market_day")


def _cancelled_reply(answer: Answer, visit: Visit) -> None:
    if visit.status == STATUS_CANCELLED_HOLIDAY:
        answer.say(
            "utter_calendar_cancelled_holiday",
            date=format_date_fr(visit.date),
            holiday=visit.reason or "jour férié",
        )
    else:
        answer.say(
            "utter_calendar_cancelled", date=format_date_fr(visit.date), reason=visit.reason or ""
        )


def next_visit(
    calendar: TourCalendar, commune: Commune, now: dt.datetime, when: DateQuery | None = None
) -> Answer:
    """The next visit of a bus in `commune` (within `when` if given), or the nearest options."""
    answer = Answer(slots={**_commune_slots(commune, "calendar"), "visits_shown": 1})
    if when is not None and when.invalid:
        return answer.say("utter_calendar_date_invalid", date=when.label)
    if not calendar.is_served(commune.insee) and not calendar.next_visits(commune.insee, now, 1):
        return not_served(calendar, commune, now, answer)
    start = now
    if when is not None and when.start is not None:
        start = max(to_paris(now), dt.datetime.combine(when.start, dt.time(0), tzinfo=now.tzinfo))
    visits = calendar.next_visits(commune.insee, start, 1)
    if when is not None and when.end is not None:
        in_range = [v for v in visits if v.date <= when.end]
        if not any(not v.is_cancelled for v in in_range):
            for visit in in_range:
                _cancelled_reply(answer, visit)
            answer.say("utter_calendar_no_visit_in_range", commune=commune.name, period=when.label)
            visits = calendar.next_visits(
                commune.insee,
                dt.datetime.combine(
                    when.end + dt.timedelta(days=1), dt.time(0), tzinfo=to_paris(now).tzinfo
                ),
                1,
            )
            visits = [v for v in visits if not v.is_cancelled]
    if not any(not v.is_cancelled for v in visits):
        tour = calendar.tours_serving(commune.insee)[0]
        return answer.say("utter_calendar_no_next_visit", commune=commune.name, phone=tour.phone)
    for visit in visits:
        if visit.is_cancelled:
            _cancelled_reply(answer, visit)
        else:
            _visit_reply(answer, visit, commune, now)
    return answer


def more_visits(
    calendar: TourCalendar, commune: Commune, now: dt.datetime, already_shown: int
) -> Answer:
    """The next MORE_VISITS visits after the `already_shown` first ones."""
    shown = max(int(already_shown or 0), 1)
    answer = Answer(slots={**_commune_slots(commune, "calendar")})
    if not calendar.next_visits(commune.insee, now, 1):
        return not_served(calendar, commune, now, answer)
    visits = calendar.next_visits(commune.insee, now, shown + MORE_VISITS)
    upcoming = [v for v in visits if not v.is_cancelled][shown:]
    first_date = upcoming[0].date if upcoming else None
    cancelled = [v for v in visits if v.is_cancelled and first_date and v.date > first_date]
    answer.slots["visits_shown"] = shown + len(upcoming)
    confirmed, planned = _split_by_day_confirmed(upcoming)
    for group, sure in ((confirmed, True), (planned, False)):
        if group or (sure and not upcoming):
            answer.say(
                day_response("utter_calendar_more_visits", sure),
                commune=commune.name,
                visits="\n".join(visit_line(v) for v in group),
                phone=group[0].tour.phone if group else "",
            )
    for visit in cancelled:
        _cancelled_reply(answer, visit)
    return answer


def visit_detail(calendar: TourCalendar, commune: Commune, now: dt.datetime, what: str) -> Answer:
    """Hours ("time") or place ("place") of the next visit in `commune`."""
    answer = Answer(slots={**_commune_slots(commune, "calendar")})
    visits = [v for v in calendar.next_visits(commune.insee, now, 1) if not v.is_cancelled]
    if not visits:
        return not_served(calendar, commune, now, answer)
    visit = visits[0]
    if what == "place":
        return answer.say("utter_calendar_place", commune=commune.name, place=visit.place)
    answer.say(
        day_response("utter_calendar_hours", visit.day_confirmed),
        commune=commune.name,
        date=format_date_fr(visit.date),
        hours=hours_text(visit),
        phone=visit.tour.phone,
    )
    if visit.market_day:
        answer.say("utter_calendar_market_day")
    return answer


def not_served(
    calendar: TourCalendar, commune: Commune, now: dt.datetime, answer: Answer | None = None
) -> Answer:
    """For a commune no bus visits: the two nearest stops and the nearest fixed desk."""
    answer = answer or Answer(slots=_commune_slots(commune, "calendar"))
    lines = []
    all_confirmed = True
    for stop, km in calendar.nearest_stops(
        commune.lat, commune.lon, 2, exclude_insee=commune.insee
    ):
        upcoming = [v for v in calendar.next_visits(stop.insee, now, 1) if not v.is_cancelled]
        today = to_paris(now).date()
        line = wording(
            "utter_calendar_nearby_stop_line", commune=stop.commune, distance=format_distance_km(km)
        )
        if upcoming:
            day = upcoming[0].date
            if day == today:
                line = wording("utter_calendar_nearby_stop_today", line=line)
            else:
                line = wording("utter_calendar_nearby_stop_on", line=line, date=format_date_fr(day))
            line = _phone_if_planned(line, upcoming[0])
            all_confirmed = all_confirmed and upcoming[0].day_confirmed
        lines.append(line)
    answer.say(
        day_response("utter_calendar_not_served", all_confirmed),
        commune=commune.name,
        stops="\n".join(lines),
    )
    desk, km = nearest_desk(commune)
    answer.say("utter_calendar_nearest_desk", **desk_params(desk), distance=format_distance_km(km))
    return answer


def bus_location(
    calendar: TourCalendar, now: dt.datetime, when: DateQuery | None, tour_id: str | None
) -> Answer:
    """Where the buses are on a day (or each day of a range), optionally for one bus."""
    answer = Answer(slots={"topic": "calendar"})
    if when is not None and when.invalid:
        return answer.say("utter_calendar_date_invalid", date=when.label)
    today = to_paris(now).date()
    first = when.start if when is not None and when.start else today
    last = when.end if when is not None and when.end else first
    first = max(first, today)
    if last < first:
        last = first
    shown: list[Visit] = []
    day = first
    while day <= last and len(shown) < MAX_LOCATION_LINES:
        for visit in calendar.visits_on(day):
            if tour_id and visit.tour_id != tour_id:
                continue
            if visit.is_cancelled:
                continue
            if day == today and visit.closes_at <= to_paris(now):
                continue
            shown.append(visit)
        day += dt.timedelta(days=1)
    if shown:
        return _say_by_day_confirmed(
            answer,
            "utter_calendar_location",
            shown,
            lambda v: wording(
                "utter_calendar_location_line",
                date=format_date_fr(v.date),
                commune=v.commune,
                hours=hours_text(v),
                place=v.place,
            ),
        )
    if first == last and holiday_name(first):
        answer.say(
            "utter_calendar_location_holiday",
            date=format_date_fr(first),
            holiday=holiday_name(first),
        )
    elif first == last:
        answer.say("utter_calendar_location_none", date=format_date_fr(first))
    else:
        answer.say("utter_calendar_location_none_range", period=when.label if when else "")
    # Say where the buses are next, rather than leave the person with a "no".
    for offset in range(1, 32):
        day = last + dt.timedelta(days=offset)
        visits = [
            v for v in calendar.visits_on(day)
            if not v.is_cancelled and (not tour_id or v.tour_id == tour_id)
        ]  # fmt: skip
        if visits:
            return _say_by_day_confirmed(
                answer,
                "utter_calendar_location_next_day",
                visits,
                lambda v: wording(
                    "utter_calendar_location_day_line",
                    commune=v.commune,
                    hours=hours_text(v),
                    place=v.place,
                ),
                date=format_date_fr(day),
            )
    return answer


def _say_by_day_confirmed(
    answer: Answer,
    response: str,
    visits: list[Visit],
    line: Callable[[Visit], str],
    **params: Any,
) -> Answer:
    """The confirmed visits in `response`, then the planned ones in its "à confirmer" twin."""
    for group, sure in zip(_split_by_day_confirmed(visits), (True, False), strict=True):
        if group:
            lines = "\n".join(_phone_if_planned(line(v), v) for v in group)
            answer.say(day_response(response, sure), visits=lines, **params)
    return answer


def find_tour(calendar: TourCalendar, text: str | None) -> str | None:
    """The id of the bus a text names ("avesnois", "bus du Douaisis"), if any."""
    words = set(normalize(text or "").split())
    for tour in calendar.tours.values():
        if tour.id in words or normalize(tour.id) in words:
            return tour.id
    return None


def tour_buttons(calendar: TourCalendar) -> list[dict[str, str]]:
    return [
        {"title": tour.id.capitalize(), "payload": f'/ask_tour_communes{{"tour": "{tour.id}"}}'}
        for tour in calendar.tours.values()
    ]


def tour_communes(
    calendar: TourCalendar, tour_id: str | None, commune: Commune | None = None
) -> Answer:
    """The communes a bus serves; asks which bus when it cannot tell."""
    answer = Answer(slots={"topic": "calendar"})
    if tour_id is None and commune is not None:
        serving = calendar.tours_serving(commune.insee)
        tour_id = serving[0].id if serving else None
    if tour_id is None:
        return answer.say("utter_calendar_choose_tour", tour_buttons(calendar))
    tour = calendar.tour(tour_id)
    stops = sorted(calendar.tour_communes(tour_id), key=lambda s: normalize(s.commune))
    return answer.say(
        "utter_calendar_tour_communes",
        tour=tour.name,
        count=len(stops),
        communes=", ".join(s.commune for s in stops),
        phone=tour.phone,
    )


# ---------------------------------------------------------------------------------------------
# Fixed desks
# ---------------------------------------------------------------------------------------------


def desk_params(desk: Desk) -> dict[str, str]:
    return {
        "desk_name": desk.name,
        "desk_address": desk.address
        + (f", {desk.postcode} {desk.commune}" if desk.postcode else ""),
        "desk_hours": format_week_hours_fr(desk.hours),
        "desk_phone": desk.phone,
    }


def desk_status(desk: Desk, now: dt.datetime) -> Reply:
    """Open now (until when) or closed (next opening)."""
    moment = to_paris(now)
    if is_open(desk, moment):
        until = next(
            end
            for start, end in opening_periods(desk, moment.date())
            if start <= moment.time() < end
        )
        return Reply("utter_desk_open_now", {"until": format_time_fr(until)})
    opening = next_opening(desk, moment)
    if opening is None:
        return Reply("utter_desk_closed_now_no_date")
    when = format_time_fr(opening.time())
    if opening.date() == moment.date():
        next_text = wording("utter_desk_opening_today", time=when)
    elif opening.date() == moment.date() + dt.timedelta(days=1):
        next_text = wording("utter_desk_opening_tomorrow", time=when)
    else:
        next_text = wording("utter_desk_opening_on", date=format_date_fr(opening.date()), time=when)
    return Reply("utter_desk_closed_now", {"next_opening": next_text})


def desk_info(commune: Commune, now: dt.datetime) -> Answer:
    """The fixed France Services nearest to `commune` (its own when it has one), open or not."""
    answer = Answer(slots=_commune_slots(commune, "desk"))
    desk, km = nearest_desk(commune)
    answer.say("utter_desk_info", **desk_params(desk), distance=format_distance_km(km))
    answer.replies.append(desk_status(desk, now))
    return answer
