""" "Prévenez-moi" on the website (issue 15): how the person wants to be told.

Rasa's REST channel has no output and a socket.io message the day before reaches only a page
still open, so on those channels `action_remind_bus` stores nothing: it sets `reminder_visit`
and `reminder_form` asks how. By SMS (a mobile number, the consent, STOP to stop: the reminder
is stored for channel "twilio" and said in that number's own conversation), by e-mail (stored
for channel "email": handoff/reminders.py sends it through SMTP with the visit's .ics), or
"ajouter à mon agenda" (a link to the visit's .ics served by webchat/server.py; nothing is
stored). SMS and Messenger conversations keep the reminder of actions/booking.py.

The buttons send existing intents with an entity (`/affirm{"reminder_way":"email"}`); typed
answers work too: "par mail" (the words of reference/reminder_ways.yml, read by
franceservices/booking/reminder_ways.py), an address or a number typed at once, "non laissez
tomber".
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from sqlalchemy.exc import SQLAlchemyError

from actions.booking import STOP_INTENTS, visit_params, visit_payload
from actions.dispatch import latest_entity, message_text
from actions.handoff import REASON_ASKED, enter_handoff, latest_intent
from actions.services import get_repository
from franceservices.booking import rules as logic
from franceservices.booking.contact import find_email
from franceservices.booking.reminder_ways import AGENDA, EMAIL, SMS, WAYS, way_in
from franceservices.calendar.answers import day_response
from franceservices.calendar.ics import visit_on, visit_path
from franceservices.calendar.model import Visit
from franceservices.calendar.tours import get_calendar
from franceservices.dates.clock import paris_now
from franceservices.text.phones import find_phone
from store import StoreError

logger = logging.getLogger(__name__)

STOP_HUMAN = "human"
STOP_DECLINED = "declined"
FORM_SLOTS = ("reminder_visit", "reminder_way", "reminder_contact", "reminder_consent")


def visit_of(key: str | None) -> Visit | None:
    """The visit of a `visit_key` in the calendar the assistant tells now (None: gone)."""
    try:
        tour, insee, day = (key or "").split("|")
        return visit_on(get_calendar(), tour, insee, dt.date.fromisoformat(day))
    except ValueError:
        return None


def agenda_url(visit: Visit, env: dict[str, str] | None = None) -> str:
    """The public link to the visit's .ics: WEB_PUBLIC_URL (the chat page server's address as
    people reach it), else the local chat page of `make run`."""
    env = os.environ if env is None else env
    base = env.get("WEB_PUBLIC_URL") or f"http://127.0.0.1:{env.get('WEB_PORT', '8080')}"
    return base.rstrip("/") + visit_path(visit.tour_id, visit.insee, visit.date)


def reset() -> list[EventType]:
    return [SlotSet(name, None) for name in FORM_SLOTS] + [SlotSet("reminder_stop", None)]


class ValidateReminderForm(FormValidationAction):
    """Extract and check each answer of reminder_form (only the slot asked for)."""

    def name(self) -> str:
        return "validate_reminder_form"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> list[str]:
        if tracker.get_slot("reminder_stop"):
            return []  # the person left: requested_slot None ends the form
        if tracker.get_slot("reminder_way") == AGENDA:
            return ["reminder_way"]  # a link: nothing to keep, nothing to consent to
        return list(domain_slots)

    @staticmethod
    def _text(tracker: Tracker) -> str:
        return message_text(tracker) or tracker.latest_message.get("text") or ""

    def _answer(self, tracker: Tracker, slot: str) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != slot:
            return {}
        return {slot: self._text(tracker)}

    @staticmethod
    def _stop(tracker: Tracker, slot: str, fits: bool) -> dict[str, Any] | None:
        """Leave the form for a human, or on "non" / "au revoir" (unless the words are the
        answer: "non, par e-mail"). Done in the validate methods: the SDK keeps only what
        they return."""
        intent = latest_intent(tracker)
        if intent == "ask_human" and not fits:
            return {slot: None, "reminder_stop": STOP_HUMAN, "requested_slot": None}
        if intent in STOP_INTENTS and not fits:
            return {slot: None, "reminder_stop": STOP_DECLINED, "requested_slot": None}
        return None

    async def extract_reminder_way(self, dispatcher, tracker, domain) -> dict[str, Any]:
        answer = self._answer(tracker, "reminder_way")
        if answer:
            entity = latest_entity(tracker, "reminder_way")
            answer["reminder_way"] = entity or answer["reminder_way"]
        return answer

    async def extract_reminder_contact(self, dispatcher, tracker, domain) -> dict[str, Any]:
        return self._answer(tracker, "reminder_contact")

    async def extract_reminder_consent(self, dispatcher, tracker, domain) -> dict[str, Any]:
        return self._answer(tracker, "reminder_consent")

    def validate_reminder_way(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        if value is None:
            return {}
        text = str(value)
        if text in WAYS:  # a button
            return {"reminder_way": text}
        # An address or a number typed at once is the way and the contact.
        email = find_email(text)
        if email:
            return {"reminder_way": EMAIL, "reminder_contact": email}
        phone = find_phone(text)
        if phone.ok:
            return {"reminder_way": SMS, "reminder_contact": phone.e164}
        way = way_in(text)
        if (stop := self._stop(tracker, "reminder_way", way is not None)) is not None:
            return stop
        if way is None:
            dispatcher.utter_message(response="utter_reminder_way_not_understood")
        return {"reminder_way": way}

    def validate_reminder_contact(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        if value is None:
            return {}
        text = str(value)
        email = find_email(text)
        phone = find_phone(text)
        if (stop := self._stop(tracker, "reminder_contact", bool(email) or phone.ok)) is not None:
            return stop
        if email:
            # An address given at the number question: the person changed their mind.
            return {"reminder_contact": email, "reminder_way": EMAIL}
        if phone.ok:
            return {"reminder_contact": phone.e164, "reminder_way": SMS}
        if tracker.get_slot("reminder_way") == EMAIL:
            dispatcher.utter_message(response="utter_reminder_contact_not_email")
        elif phone.reason == "special":
            dispatcher.utter_message(response="utter_contact_special_number")
        else:
            dispatcher.utter_message(response="utter_contact_invalid")
        return {"reminder_contact": None}

    def validate_reminder_consent(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        if value is None:
            return {}
        intent = latest_intent(tracker)
        if intent == "affirm":
            return {"reminder_consent": paris_now().isoformat()}
        if (stop := self._stop(tracker, "reminder_consent", False)) is not None:
            return stop
        dispatcher.utter_message(response="utter_reminder_consent_yes_or_no")
        return {"reminder_consent": None}


class ActionSubmitReminder(Action):
    """Store the SMS or e-mail reminder, or give the agenda link; or hand over, or drop it."""

    def name(self) -> str:
        return "action_submit_reminder"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        stop = tracker.get_slot("reminder_stop")
        if stop == STOP_HUMAN:
            return reset() + await enter_handoff(dispatcher, tracker, REASON_ASKED)
        visit = await asyncio.to_thread(visit_of, tracker.get_slot("reminder_visit"))
        if visit is None or visit.is_cancelled:
            # Cancelled by staff while the person was answering: say there is nothing to remind.
            commune = visit.commune if visit is not None else ""
            dispatcher.utter_message(response="utter_remind_bus_no_visit", commune=commune)
            return reset()
        params = visit_params(visit)
        sure = visit.day_confirmed
        way = tracker.get_slot("reminder_way")
        if way == AGENDA:
            dispatcher.utter_message(
                response=day_response("utter_reminder_agenda", sure),
                link=agenda_url(visit),
                **params,
            )
            return reset()
        contact = tracker.get_slot("reminder_contact")
        if stop == STOP_DECLINED or way not in (SMS, EMAIL) or not contact:
            dispatcher.utter_message(response="utter_reminder_dropped", commune=visit.commune)
            return reset()
        if not tracker.get_slot("reminder_consent"):
            dispatcher.utter_message(response="utter_reminder_dropped", commune=visit.commune)
            return reset()
        due = logic.day_before(visit.opens_at, paris_now())
        if due is None:
            dispatcher.utter_message(
                response=day_response("utter_remind_bus_too_soon", sure), **params
            )
            return reset()
        # An SMS is said in the number's own conversation (channels/sms.py sends to it).
        channel, sender = ("twilio", contact) if way == SMS else ("email", tracker.sender_id)
        try:
            await asyncio.to_thread(
                get_repository().add_reminder,
                due_at=due,
                channel=channel,
                recipient=contact,
                sender_id=sender,
                kind="bus_visit",
                payload=visit_payload(visit, params),
            )
        except (StoreError, SQLAlchemyError, ValueError):
            logger.exception("could not store the web bus reminder")
            dispatcher.utter_message(response="utter_booking_store_error")
            return reset()
        dispatcher.utter_message(response=day_response(f"utter_reminder_set_{way}", sure), **params)
        return reset()
