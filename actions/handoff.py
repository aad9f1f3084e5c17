"""Handoff to a human agent: the agents' queue during opening hours, a call-back otherwise.

Thin actions; the summary and the opening-hours rule are in `franceservices/handoff_rules.py`, the
queue is the store's `handoff_requests` table, which the agents' API (`handoff/app.py`) reads.
While an agent has the conversation, Rasa does not answer (`ConversationPaused`); the agent
hands it back through the API (`ConversationResumed`). See docs/handoff.md.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ConversationPaused, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.dispatch import channel_of, message_text
from actions.services import get_repository
from franceservices import handoff_rules as handoff_logic
from franceservices.booking.contact import find_email
from franceservices.calendar.answers import desk_params, desk_status, find_commune
from franceservices.dates.clock import paris_now
from franceservices.policy import get_policy
from franceservices.text.phones import find_phone
from store import StoreError
from store.models import CALLBACK

logger = logging.getLogger(__name__)

STOP_INTENTS = frozenset({"deny", "goodbye"})
REASON_ASKED = "La personne demande à parler à quelqu'un."
REASON_FALLBACK = "Le robot n'a pas compris la personne deux fois de suite."
REASON_BOOKING = "La personne veut finir sa demande de rendez-vous avec quelqu'un."


def latest_intent(tracker: Tracker) -> str:
    return (tracker.latest_message.get("intent") or {}).get("name") or ""


def _commune(tracker: Tracker):
    insee = tracker.get_slot("commune_insee")
    if not insee:
        return None
    commune, _ = find_commune([], insee)
    return commune


def summary_of(tracker: Tracker, reason: str) -> str:
    """The agent's summary of this conversation."""
    commune = _commune(tracker)
    return handoff_logic.build_summary(
        reason=reason,
        recent=handoff_logic.recent_user_texts(tracker.events),
        commune=f"{commune.name} ({commune.insee})" if commune else None,
        procedure=tracker.get_slot("procedure_id"),
        operator=tracker.get_slot("visio_operator"),
        booking_code=tracker.get_slot("booking_code"),
        channel=channel_of(tracker),
    )


async def enter_handoff(
    dispatcher: CollectingDispatcher, tracker: Tracker, reason: str
) -> list[EventType]:
    """Queue the person for an agent (open hours) or ask for a call-back number (closed).

    Returns the events: `ConversationPaused` when queued, the call-back form otherwise.
    The store is called in a worker thread (actions/services.py).
    """
    try:
        already = await asyncio.to_thread(get_repository().open_handoff, tracker.sender_id)
    except (StoreError, SQLAlchemyError):
        logger.exception("could not read the open request of %s", tracker.sender_id)
        dispatcher.utter_message(response="utter_handoff_unavailable")
        return []
    if already is not None:
        # One open request per conversation: asking again must not flood the agents' queue.
        if already.kind == CALLBACK:
            dispatcher.utter_message(response="utter_callback_already_stored")
            return []
        dispatcher.utter_message(response="utter_handoff_already_queued")
        return [SlotSet("handoff_id", float(already.id)), ConversationPaused()]
    commune = _commune(tracker)
    desks = handoff_logic.desks_to_reach((commune.lat, commune.lon) if commune else None)
    now = paris_now()
    if handoff_logic.agents_available(desks, now):
        try:
            request = await asyncio.to_thread(
                get_repository().add_handoff,
                sender_id=tracker.sender_id,
                channel=channel_of(tracker),
                summary=summary_of(tracker, reason),
            )
        except (StoreError, SQLAlchemyError, ValueError):
            logger.exception("could not queue %s for an agent", tracker.sender_id)
            dispatcher.utter_message(response="utter_handoff_unavailable")
            return []
        dispatcher.utter_message(response="utter_handoff_queued")
        return [SlotSet("handoff_id", float(request.id)), ConversationPaused()]
    desk = desks[0]
    status = desk_status(desk, now)
    dispatcher.utter_message(response="utter_handoff_closed", **desk_params(desk))
    dispatcher.utter_message(response=status.response, **status.params)
    return [SlotSet("handoff_reason", reason), FollowupAction("callback_form")]


class ActionHandoff(Action):
    """The person asked for a human (or chose "Parler à une personne")."""

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        reason = REASON_FALLBACK if tracker.get_slot("fallback_offered") else REASON_ASKED
        return [
            SlotSet("fallback_offered", None),
            *await enter_handoff(dispatcher, tracker, reason),
        ]


class ValidateCallbackForm(FormValidationAction):
    """The call-back number (or e-mail); "non" ends the form without storing anything.

    Giving the number after the notice of `utter_ask_callback_form_callback_contact` is the
    consent: the notice says what is kept, why and for how long.
    """

    def name(self) -> str:
        return "validate_callback_form"

    async def extract_callback_contact(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "callback_contact":
            return {}
        return {"callback_contact": message_text(tracker) or tracker.latest_message.get("text")}

    def validate_callback_contact(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        text = str(value or "")
        email = find_email(text)
        if email:
            return {"callback_contact": email}
        phone = find_phone(text)
        if phone.ok:
            return {"callback_contact": phone.e164}
        if latest_intent(tracker) in STOP_INTENTS or not any(ch.isdigit() for ch in text):
            # "non", or something else than a number (another question): no call-back;
            # requested_slot None ends the form (done here: the SDK keeps only what
            # validate methods return).
            return {"callback_contact": None, "callback_declined": True, "requested_slot": None}
        dispatcher.utter_message(response="utter_contact_invalid")
        return {"callback_contact": None}


class ActionAskCallbackContact(Action):
    """Ask for the call-back number, with the retention of reference/policy.yml."""

    def name(self) -> str:
        return "action_ask_callback_form_callback_contact"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        retention = get_policy().booking.retention_text
        dispatcher.utter_message(
            response="utter_ask_callback_form_callback_contact", retention=retention
        )
        return []


class ActionSubmitCallback(Action):
    """Store the call-back request, or say how to call if the person said no."""

    def name(self) -> str:
        return "action_submit_callback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        reset = [SlotSet("callback_contact", None), SlotSet("callback_declined", None)]
        contact = tracker.get_slot("callback_contact")
        if not contact:
            dispatcher.utter_message(response="utter_callback_declined")
            return reset
        reason = tracker.get_slot("handoff_reason") or REASON_ASKED
        email = contact if "@" in contact else None
        repo = get_repository()
        try:
            if await asyncio.to_thread(repo.open_handoff, tracker.sender_id) is not None:
                dispatcher.utter_message(response="utter_callback_already_stored")
                return reset
            await asyncio.to_thread(
                repo.add_handoff,
                sender_id=tracker.sender_id,
                channel=channel_of(tracker),
                summary=summary_of(tracker, reason),
                kind="callback",
                contact_email=email,
                contact_phone=None if email else contact,
                consent_at=paris_now(),
            )
        except (StoreError, SQLAlchemyError, ValueError):
            logger.exception("could not store the call-back of %s", tracker.sender_id)
            dispatcher.utter_message(response="utter_handoff_unavailable")
            return reset
        dispatcher.utter_message(response="utter_callback_stored")
        return reset
