"""Actions about the buses' tour calendar and the fixed desks (thin: logic in calendar_answers)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker

from actions.dispatch import latest_entity, latest_entity_typed, message_text, send
from franceservices.calendar import answers as answers
from franceservices.calendar.tours import get_calendar
from franceservices.dates.clock import paris_now
from franceservices.dates.french_dates import parse_date_fr
from franceservices.places.commune_spans import resolve_in_sentence
from franceservices.places.communes import Commune

AWAIT_BUS = "commune_for_bus"
AWAIT_DESK = "commune_for_desk"


def commune_from_message(tracker: Tracker) -> tuple[Commune | None, Any]:
    """The commune named in the latest message (button, entity, or found in the sentence).

    The whole text goes to the span matcher, not the resolver: NLU often misses a misspelt
    name inside a sentence ("qd passe le bus a bousie"), and the resolver reads a sentence's
    common words as places ("du bus": Bus, Pas-de-Calais).
    """
    commune, resolution = answers.find_commune(
        [latest_entity_typed(tracker, "commune") or ""], latest_entity(tracker, "commune_insee")
    )
    if commune is not None:
        return commune, resolution
    in_sentence = resolve_in_sentence(message_text(tracker))
    if in_sentence.status == "found":
        return in_sentence.commune, in_sentence
    if resolution is not None and resolution.status != "unknown":
        return None, resolution  # what the entity said beats what the sentence did not
    return None, in_sentence if message_text(tracker).strip() else resolution


def commune_in_context(tracker: Tracker) -> tuple[Commune | None, Any]:
    """The commune of the latest message, else the one the conversation is about."""
    commune, resolution = commune_from_message(tracker)
    if commune is None and (resolution is None or resolution.status == "unknown"):
        insee = tracker.get_slot("commune_insee")
        if insee:
            commune, _ = answers.find_commune([], insee)
            if commune is not None:
                return commune, None
    return commune, resolution


def commune_or_problem(
    tracker: Tracker, awaiting: str
) -> tuple[Commune | None, answers.Answer | None]:
    """The commune in context, or the answer that asks for it or says what is wrong with it.

    A whole sentence in which no commune was recognised ("quand passe le bus ?") just asks for
    the commune; "je ne trouve pas ..." is kept for a name the person actually gave.
    """
    commune, resolution = commune_in_context(tracker)
    if commune is not None:
        return commune, None
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    explicit = latest_entity(tracker, "commune") or intent == "inform_commune"
    if resolution is not None and resolution.status == "unknown" and not explicit:
        resolution = None
    return None, answers.commune_problem(resolution, awaiting)


def answer_for_commune(tracker: Tracker, commune: Commune) -> answers.Answer:
    """What a commune given on its own answers: the desk when one was asked for, else the bus."""
    now = paris_now()
    if tracker.get_slot("awaiting") == AWAIT_DESK or tracker.get_slot("topic") == "desk":
        return answers.desk_info(commune, now)
    return answers.next_visit(get_calendar(), commune, now)


def date_query(tracker: Tracker):
    text = message_text(tracker)
    return parse_date_fr(text, paris_now().date()) if text else None


class ActionShowNextVisit(Action):
    """Next visit of the bus in the person's commune ("quand passe le bus à Trélon ?")."""

    def name(self) -> str:
        return "action_show_next_visit"

    async def run(self, dispatcher, tracker, domain):
        commune, problem = commune_or_problem(tracker, AWAIT_BUS)
        if problem is not None:
            return send(dispatcher, problem)
        answer = answers.next_visit(get_calendar(), commune, paris_now(), date_query(tracker))
        return send(dispatcher, answer)


class ActionHandleCommune(Action):
    """A commune given on its own: answer what the assistant was waiting for it for."""

    def name(self) -> str:
        return "action_handle_commune"

    async def run(self, dispatcher, tracker, domain):
        commune, resolution = commune_from_message(tracker)
        if commune is None:
            awaiting = tracker.get_slot("awaiting") or AWAIT_BUS
            return send(dispatcher, answers.commune_problem(resolution, awaiting))
        return send(dispatcher, answer_for_commune(tracker, commune))


class ActionShowMoreVisits(Action):
    """The following visits ("et le mois d'après ?")."""

    def name(self) -> str:
        return "action_show_more_visits"

    async def run(self, dispatcher, tracker, domain):
        commune, problem = commune_or_problem(tracker, AWAIT_BUS)
        if problem is not None:
            return send(dispatcher, problem)
        shown = tracker.get_slot("visits_shown") or 1
        answer = answers.more_visits(get_calendar(), commune, paris_now(), int(shown))
        return send(dispatcher, answer)


class ActionShowVisitTime(Action):
    """Hours of the next visit ("à quelle heure ?")."""

    def name(self) -> str:
        return "action_show_visit_time"

    async def run(self, dispatcher, tracker, domain):
        commune, problem = commune_or_problem(tracker, AWAIT_BUS)
        if problem is not None:
            return send(dispatcher, problem)
        answer = answers.visit_detail(get_calendar(), commune, paris_now(), "time")
        return send(dispatcher, answer)


class ActionShowBusLocation(Action):
    """Where the buses are on a day ("où est le bus demain ?")."""

    def name(self) -> str:
        return "action_show_bus_location"

    async def run(self, dispatcher, tracker, domain):
        calendar = get_calendar()
        tour_id = answers.find_tour(
            calendar, latest_entity(tracker, "tour") or message_text(tracker)
        )
        answer = answers.bus_location(calendar, paris_now(), date_query(tracker), tour_id)
        return send(dispatcher, answer)


class ActionShowTourCommunes(Action):
    """The communes a bus serves."""

    def name(self) -> str:
        return "action_show_tour_communes"

    async def run(self, dispatcher, tracker, domain):
        calendar = get_calendar()
        tour_id = answers.find_tour(
            calendar, latest_entity(tracker, "tour") or message_text(tracker)
        )
        commune = None
        if tour_id is None and tracker.get_slot("commune_insee"):
            commune, _ = answers.find_commune([], tracker.get_slot("commune_insee"))
        return send(dispatcher, answers.tour_communes(calendar, tour_id, commune))


class ActionShowDesk(Action):
    """The nearest fixed France Services, its hours and whether it is open now."""

    def name(self) -> str:
        return "action_show_desk"

    async def run(self, dispatcher, tracker, domain):
        commune, problem = commune_or_problem(tracker, AWAIT_DESK)
        if problem is not None:
            return send(dispatcher, problem)
        return send(dispatcher, answers.desk_info(commune, paris_now()))
