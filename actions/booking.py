"""Visio appointments: the booking form, its status and cancellation, "prévenez-moi".

Thin actions; the logic is in `franceservices/booking/` (rules, visio_slots, contact)
and the store (`store/repository.py`).

The form `visio_form` asks, in order: the operator, the reason, the commune (skipped when the
conversation already knows it), a slot among those proposed, the consent to the CNIL notice,
a name, a phone number or an e-mail. Every slot has a custom mapping: `ValidateVisioForm`
extracts only the slot the form asked for, so a name typed at the name question can never be
read as a commune. The person can stop at any question: "conseiller" hands over to a human,
"non"/"au revoir" drops the request; both end the form with `requested_slot = None` and
`action_submit_visio` says the last word.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.calendar import AWAIT_BUS, commune_in_context
from actions.dispatch import channel_of, latest_entity, message_text, send
from actions.handoff import REASON_BOOKING, enter_handoff, latest_intent
from actions.services import get_repository
from franceservices.booking import rules as logic
from franceservices.booking.codes import find_code, format_code, split_code
from franceservices.booking.contact import find_email
from franceservices.booking.names import person_name
from franceservices.booking.operators import load_operators
from franceservices.booking.slot_choice import choose_slot
from franceservices.booking.visio_slots import (
    UnknownCommune,
    find_slot,
    nearest_help,
    propose_slots,
)
from franceservices.calendar.answers import commune_problem, day_response, find_commune, hours_text
from franceservices.calendar.tours import get_calendar
from franceservices.dates.clock import paris_now
from franceservices.places.commune_resolver import get_resolver
from franceservices.policy import get_policy
from franceservices.text.normalize import normalize
from franceservices.text.phones import find_phone
from franceservices.wording import text as wording
from store import BookingNotFound, InvalidTransition, SlotTaken, StoreError

logger = logging.getLogger(__name__)

FORM_SLOTS = (
    "visio_operator",
    "visio_reason",
    "commune_insee",
    "visio_slot",
    "visio_consent",
    "visio_name",
    "visio_contact",
)
STOP_HUMAN = "human"
STOP_DECLINED = "declined"
STOP_NO_SLOT = "no_slot"
STOP_INTENTS = frozenset({"deny", "goodbye"})
# A name ("je m'appelle Marie Martin") or a number ("appelez-moi au 06 ...") the classifier may
# take for a call for a person: when the words read as the answer asked for, they are the answer.
ANSWERS_HEARD_AS_CALLS = frozenset({"visio_name", "visio_contact"})
QUESTION_INTENTS = frozenset(
    {
        "faq",
        "help",
        "bot_challenge",
        "ask_documents",
        "ask_fees",
        "ask_online",
        "ask_bus_visit",
        "ask_bus_location",
        "ask_desk",
        "ask_visit_time",
    }
)
"""Questions that may interrupt the form: when the answer does not fit the slot asked, the
form rejects it and a rule of data/rules_booking.yml answers, then says "On reprend votre
rendez-vous ?" and asks again (tests/unit/test_booking_interruptions.py checks each has one)."""
HELD_WINDOW = dt.timedelta(hours=4)
"""Taken slots read around a chosen one: an appointment overlapping it (up to the longest
appointment, 240 minutes) holds the booth."""
REASON_NO_OFFER = "Pas de rendez-vous en visio proposé près de chez la personne : à rappeler."


def proposals_for(insee: str, operator: str | None, now: dt.datetime) -> list[str]:
    """Tokens of the free slots with `operator` to propose to a person of commune `insee`:
    only slots of the visio offer (franceservices/booking/offer.py), never a held one.

    Reads the store: async handlers call it through `asyncio.to_thread`."""
    try:
        slots = propose_slots(insee, operator or "", now, taken=get_repository().taken_slots)
    except UnknownCommune:
        return []
    return [slot.token for slot in slots]


def slot_of(token: str, operator: str | None, now: dt.datetime, check_taken: bool = True):
    """The `Slot` of a token if it is still bookable with `operator` (in the offer, free, not
    too soon).

    With `check_taken` it reads the store: async handlers then call it through
    `asyncio.to_thread`."""
    key = logic.slot_from_token(token)
    if key is None:
        return None
    taken = ()
    if check_taken:
        start = key[1]
        taken = get_repository().taken_slots([key[0]], start - HELD_WINDOW, start + HELD_WINDOW)
    return find_slot(key, now, taken, operator=operator or "")


def no_offer(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """Nothing offered (or free) within reach: say so honestly, give the nearest France
    Services' phone and offer a call-back (never an invented slot)."""
    operator = load_operators().get(tracker.get_slot("visio_operator") or "")
    try:
        found = nearest_help(tracker.get_slot("commune_insee") or "")
    except UnknownCommune:
        found = None
    if found is None:
        dispatcher.utter_message(response="utter_visio_no_slots")
        return []
    desk, _km = found
    dispatcher.utter_message(
        response="utter_visio_no_offer",
        operator=operator.name if operator else "un conseiller",
        desk_name=desk.name,
        desk_phone=desk.phone,
    )
    return [SlotSet("handoff_reason", REASON_NO_OFFER), FollowupAction("callback_form")]


def reset_form() -> list[EventType]:
    return [SlotSet(name, None) for name in FORM_SLOTS if name != "commune_insee"] + [
        SlotSet("visio_proposals", None),
        SlotSet("visio_stop", None),
    ]


class ValidateVisioForm(FormValidationAction):
    """Extract and check each answer of the visio booking form."""

    def name(self) -> str:
        return "validate_visio_form"

    # -- extraction: only the slot asked for (plus the operator named in the first message) --

    def _answer(self, tracker: Tracker, slot: str) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != slot:
            return {}
        text = message_text(tracker) or tracker.latest_message.get("text") or ""
        if latest_intent(tracker) in QUESTION_INTENTS and not self._fits(tracker, slot, text):
            return {}  # nothing extracted: the form is rejected and a rule answers the question
        return {slot: text}

    @staticmethod
    def _fits(tracker: Tracker, slot: str, text: str) -> bool:
        """Whether a message classified as a question still reads as an answer to `slot`
        ("mercredi à 9 h 30" may look like a question about the bus to the classifier)."""
        if slot == "visio_reason":
            return True  # free words: "carte grise" is a reason, even if it names a procedure
        if slot == "visio_operator":
            return bool(latest_entity(tracker, "operator") or any(
                logic.operator_choice(text, load_operators())
            ))  # fmt: skip
        if slot == "commune_insee":
            # A button, or a commune's name with at most two words around it ("à Trélon").
            commune = get_resolver().resolve(text).commune
            return bool(latest_entity(tracker, "commune_insee")) or (
                commune is not None
                and len(normalize(text).split()) <= len(normalize(commune.name).split()) + 2
            )
        if slot == "visio_slot":
            proposals = list(tracker.get_slot("visio_proposals") or [])
            choice = choose_slot(text, latest_entity(tracker, "slot_token"), proposals)
            return choice.token is not None or choice.several
        if slot == "visio_name":
            return person_name(text) is not None
        if slot == "visio_contact":
            return bool(find_email(text)) or find_phone(text).reason != "empty"
        return False

    @staticmethod
    def _stop(tracker: Tracker, slot: str) -> dict[str, Any] | None:
        """End the form when the person asks for a human or drops the request.

        Done in the validate methods: the SDK returns only the slots they set.
        """
        intent = latest_intent(tracker)
        if intent == "ask_human" and not (
            slot in ANSWERS_HEARD_AS_CALLS
            and ValidateVisioForm._fits(tracker, slot, message_text(tracker) or "")
        ):
            return {slot: None, "visio_stop": STOP_HUMAN, "requested_slot": None}
        if intent in STOP_INTENTS and slot != "visio_consent":
            return {slot: None, "visio_stop": STOP_DECLINED, "requested_slot": None}
        return None

    async def extract_visio_operator(self, dispatcher, tracker, domain) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") is None and not tracker.get_slot("visio_operator"):
            # The message that opened the form: "un rendez-vous en visio avec la CAF".
            operator = latest_entity(tracker, "operator")
            if operator or logic.operator_choice(message_text(tracker), load_operators())[0]:
                return {"visio_operator": operator or message_text(tracker)}
            return {}
        return self._answer(tracker, "visio_operator")

    async def extract_visio_reason(self, dispatcher, tracker, domain) -> dict[str, Any]:
        return self._answer(tracker, "visio_reason")

    async def extract_commune_insee(self, dispatcher, tracker, domain) -> dict[str, Any]:
        answer = self._answer(tracker, "commune_insee")
        if answer.get("commune_insee") is not None:
            answer["commune_insee"] = (
                latest_entity(tracker, "commune_insee") or answer["commune_insee"]
            )
        return answer

    async def extract_visio_slot(self, dispatcher, tracker, domain) -> dict[str, Any]:
        answer = self._answer(tracker, "visio_slot")
        if answer.get("visio_slot") is not None:
            answer["visio_slot"] = latest_entity(tracker, "slot_token") or answer["visio_slot"]
        return answer

    async def extract_visio_consent(self, dispatcher, tracker, domain) -> dict[str, Any]:
        return self._answer(tracker, "visio_consent")

    async def extract_visio_name(self, dispatcher, tracker, domain) -> dict[str, Any]:
        return self._answer(tracker, "visio_name")

    async def extract_visio_contact(self, dispatcher, tracker, domain) -> dict[str, Any]:
        return self._answer(tracker, "visio_contact")

    # -- validation ------------------------------------------------------------------------

    def validate_visio_operator(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        if value is None:
            return {}
        if (stop := self._stop(tracker, "visio_operator")) is not None:
            return stop
        catalogue = load_operators()
        # The words first ("la caf ou les impôts" names two, whatever NLU's entity says); the
        # entity for a button payload or a spelling the catalogue does not know.
        operator, candidates = logic.operator_choice(str(value), catalogue)
        entity = latest_entity(tracker, "operator") or ""
        if operator is None and not candidates and entity:
            operator = catalogue.get(entity) or logic.operator_choice(entity, catalogue)[0]
        if operator is not None:
            return {"visio_operator": operator.id}
        if candidates:
            buttons = logic.operator_buttons(candidates)
            dispatcher.utter_message(response="utter_visio_operator_ambiguous", buttons=buttons)
        else:
            buttons = logic.operator_buttons(catalogue.all())
            dispatcher.utter_message(response="utter_visio_operator_unknown", buttons=buttons)
        return {"visio_operator": None}

    def validate_visio_reason(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        if value is None:
            return {}
        if (stop := self._stop(tracker, "visio_reason")) is not None:
            return stop
        reason = logic.clean_reason(str(value))
        if reason is None:
            dispatcher.utter_message(response="utter_visio_reason_too_short")
        return {"visio_reason": reason}

    async def validate_commune_insee(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        if value is None:
            return {}
        if (stop := self._stop(tracker, "commune_insee")) is not None:
            return stop
        text = str(value)
        insee = text if text.isdigit() and len(text) == 5 else None
        commune, resolution = find_commune([] if insee else [text], insee)
        if commune is None:
            problem = commune_problem(resolution, AWAIT_BUS)
            problem.slots.clear()  # the form, not `awaiting`, waits for the commune
            send(dispatcher, problem)
            return {"commune_insee": None}
        operator = tracker.get_slot("visio_operator")
        proposals = await asyncio.to_thread(proposals_for, commune.insee, operator, paris_now())
        if not proposals:
            return {
                "commune_insee": commune.insee,
                "visio_stop": STOP_NO_SLOT,
                "requested_slot": None,
            }
        return {"commune_insee": commune.insee, "visio_proposals": proposals}

    async def validate_visio_slot(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        if value is None:
            return {}
        if (stop := self._stop(tracker, "visio_slot")) is not None:
            return stop
        proposals = list(tracker.get_slot("visio_proposals") or [])
        if not proposals:
            return {"visio_slot": None, "visio_stop": STOP_NO_SLOT, "requested_slot": None}
        choice = choose_slot(str(value), latest_entity(tracker, "slot_token"), proposals)
        chosen = choice.token
        if chosen is None:
            # "mardi" when two Tuesdays are proposed: ask which, the list is shown again.
            several = "utter_visio_slot_several" if choice.several else None
            dispatcher.utter_message(response=several or "utter_visio_slot_not_understood")
            return {"visio_slot": None}
        now = paris_now()
        operator = tracker.get_slot("visio_operator")
        if await asyncio.to_thread(slot_of, chosen, operator, now) is None:
            dispatcher.utter_message(response="utter_visio_slot_taken")
            insee = tracker.get_slot("commune_insee") or ""
            fresh = await asyncio.to_thread(proposals_for, insee, operator, now)
            if not fresh:
                return {"visio_slot": None, "visio_stop": STOP_NO_SLOT, "requested_slot": None}
            return {"visio_slot": None, "visio_proposals": fresh}
        return {"visio_slot": chosen}

    def validate_visio_consent(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        if value is None:
            return {}
        if (stop := self._stop(tracker, "visio_consent")) is not None:
            return stop
        intent = latest_intent(tracker)
        if intent == "affirm":
            return {"visio_consent": paris_now().isoformat()}
        if intent in STOP_INTENTS:
            return {"visio_consent": None, "visio_stop": STOP_DECLINED, "requested_slot": None}
        dispatcher.utter_message(response="utter_visio_consent_yes_or_no")
        return {"visio_consent": None}

    def validate_visio_name(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        if value is None:
            return {}
        if (stop := self._stop(tracker, "visio_name")) is not None:
            return stop
        name = person_name(str(value))  # not "oui", not a sentence
        if name is None:
            dispatcher.utter_message(response="utter_visio_name_invalid")
        return {"visio_name": name}

    def validate_visio_contact(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        if value is None:
            return {}
        if (stop := self._stop(tracker, "visio_contact")) is not None:
            return stop
        text = str(value)
        email = find_email(text)
        if email:
            return {"visio_contact": email}
        phone = find_phone(text)
        if phone.ok:
            return {"visio_contact": phone.e164}
        if phone.reason == "special":
            dispatcher.utter_message(response="utter_contact_special_number")
        else:
            dispatcher.utter_message(response="utter_contact_invalid")
        return {"visio_contact": None}


class ActionAskVisioSlot(Action):
    """Propose the free slots as buttons (numbered choices by SMS)."""

    def name(self) -> str:
        return "action_ask_visio_slot"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        now = paris_now()
        operator = tracker.get_slot("visio_operator")
        proposals = list(tracker.get_slot("visio_proposals") or [])
        if not proposals:
            insee = tracker.get_slot("commune_insee") or ""
            proposals = await asyncio.to_thread(proposals_for, insee, operator, now)
        slots = [s for s in (slot_of(t, operator, now, check_taken=False) for t in proposals) if s]
        if not slots:
            dispatcher.utter_message(response="utter_visio_no_slots")
            return [SlotSet("visio_proposals", []), SlotSet("visio_stop", STOP_NO_SLOT)]
        buttons = [logic.slot_button(slot) for slot in slots]
        dispatcher.utter_message(response="utter_ask_visio_slot", buttons=buttons)
        return [SlotSet("visio_proposals", [slot.token for slot in slots])]


class ActionAskVisioConsent(Action):
    """The CNIL notice before booking, with the retention of reference/policy.yml."""

    def name(self) -> str:
        return "action_ask_visio_form_visio_consent"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        retention = get_policy().booking.retention_text
        dispatcher.utter_message(response="utter_ask_visio_form_visio_consent", retention=retention)
        return []


class ActionSubmitVisio(Action):
    """Store the booking and give its code; or hand over, or say why nothing was booked."""

    def name(self) -> str:
        return "action_submit_visio"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        stop = tracker.get_slot("visio_stop")
        if stop == STOP_HUMAN:
            return reset_form() + await enter_handoff(dispatcher, tracker, REASON_BOOKING)
        if stop == STOP_NO_SLOT:
            return reset_form() + no_offer(dispatcher, tracker)
        if stop == STOP_DECLINED or not tracker.get_slot("visio_slot"):
            dispatcher.utter_message(response="utter_visio_dropped")
            return reset_form()
        now = paris_now()
        operator_id = tracker.get_slot("visio_operator")
        slot = slot_of(tracker.get_slot("visio_slot"), operator_id, now, check_taken=False)
        operator = load_operators().get(operator_id or "")
        contact = tracker.get_slot("visio_contact") or ""
        try:
            if slot is None:
                raise SlotTaken("", now)
            booking = await asyncio.to_thread(
                get_repository().book,
                slot,
                operator=operator.id if operator else "",
                name=tracker.get_slot("visio_name") or "",
                consent_at=dt.datetime.fromisoformat(tracker.get_slot("visio_consent")),
                reason=tracker.get_slot("visio_reason") or "",
                contact_phone=None if "@" in contact else contact,
                contact_email=contact if "@" in contact else None,
                commune_insee=tracker.get_slot("commune_insee"),
                place_label=logic.place_label(slot),  # a bus: with the commune of the visit
                channel=channel_of(tracker),
                sender_id=tracker.sender_id,
            )
        except SlotTaken:
            # Someone took it since it was proposed: offer the next ones, keep the rest.
            dispatcher.utter_message(response="utter_visio_slot_taken")
            insee = tracker.get_slot("commune_insee") or ""
            fresh = await asyncio.to_thread(proposals_for, insee, operator_id, now)
            if not fresh:
                return reset_form() + no_offer(dispatcher, tracker)
            return [
                SlotSet("visio_slot", None),
                SlotSet("visio_proposals", fresh),
                FollowupAction("visio_form"),
            ]
        except (StoreError, SQLAlchemyError, ValueError):
            logger.exception("booking failed for %s", tracker.sender_id)
            dispatcher.utter_message(response="utter_booking_store_error")
            return reset_form()
        params = logic.booking_params(
            format_code(booking.code),
            logic.place_label(slot),
            slot.start,
            operator.name if operator else "",
        )
        dispatcher.utter_message(response="utter_visio_booked", **params)
        return [*reset_form(), SlotSet("booking_code", booking.code)]


# What `awaiting` holds after asking for a booking code (a bare code then comes as check_booking).
AWAIT_CODE_STATUS = "booking_code_status"
AWAIT_CODE_CANCEL = "booking_code_cancel"


def _code_in(tracker: Tracker) -> str | None:
    return latest_entity(tracker, "booking_code") or find_code(message_text(tracker))


def _phone_beside(text: str, code: str | None):
    """The phone number typed next to the code ("AB3-K79 06 12 ..." must not glue 9 to it)."""
    return find_phone(split_code(text, code)[1])


def _say_status(dispatcher: CollectingDispatcher, booking) -> None:
    params = logic.booking_params(
        format_code(booking.code), booking.place_label, booking.slot_start
    )
    dispatcher.utter_message(response=f"utter_booking_status_{booking.status}", **params)


class ActionCheckBooking(Action):
    """ "Où en est mon rendez-vous AB3 K7P ?": the status, to the person who booked only."""

    def name(self) -> str:
        return "action_check_booking"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        repo = get_repository()
        code = _code_in(tracker)
        try:
            if code is None:
                bookings = await asyncio.to_thread(repo.bookings_of, tracker.sender_id)
                if not bookings:
                    dispatcher.utter_message(response="utter_booking_ask_code")
                    return [SlotSet("awaiting", AWAIT_CODE_STATUS)]
                for booking in bookings[:3]:
                    _say_status(dispatcher, booking)
                return []
            if tracker.get_slot("awaiting") == AWAIT_CODE_CANCEL:
                # The code alone, answering "Quel rendez-vous voulez-vous annuler ?".
                return await ActionCancelBooking().run(dispatcher, tracker, domain)
            booking = await asyncio.to_thread(repo.by_code, code)
            phone = _phone_beside(message_text(tracker), code)
            proof = booking is not None and (
                booking.sender_id == tracker.sender_id
                or (phone.ok and phone.e164 == booking.contact_phone)
            )
        except (StoreError, SQLAlchemyError):
            logger.exception("status look-up failed")
            dispatcher.utter_message(response="utter_booking_store_error")
            return []
        if not proof:
            # Same answer for an unknown code and someone else's: codes cannot be probed.
            dispatcher.utter_message(response="utter_booking_not_found")
            return []
        _say_status(dispatcher, booking)
        return [SlotSet("booking_code", booking.code), SlotSet("awaiting", None)]


class ActionCancelBooking(Action):
    """ "Annuler mon rendez-vous (AB3 K7P)": cancel with the code and a proof of identity."""

    def name(self) -> str:
        return "action_cancel_booking"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        repo = get_repository()
        code = _code_in(tracker)
        text = message_text(tracker)
        try:
            if code is None:
                bookings = await asyncio.to_thread(repo.bookings_of, tracker.sender_id)
                if not bookings:
                    dispatcher.utter_message(response="utter_booking_ask_code_cancel")
                    return [SlotSet("awaiting", AWAIT_CODE_CANCEL)]
                buttons = [
                    {
                        "title": wording(
                            "utter_booking_cancel_button",
                            code=format_code(b.code),
                            date=logic.booking_params(b.code, b.place_label, b.slot_start)["date"],
                        ),
                        "payload": f'/cancel_booking{{"booking_code": "{b.code}"}}',
                    }
                    for b in bookings[:5]
                ]
                dispatcher.utter_message(response="utter_booking_which_to_cancel", buttons=buttons)
                return []
            phone = _phone_beside(text, code)
            booking = await asyncio.to_thread(
                repo.cancel,
                code,
                sender_id=tracker.sender_id,
                channel=channel_of(tracker),
                phone=phone.e164 if phone.ok else None,
                email=find_email(text),
            )
        except BookingNotFound:
            dispatcher.utter_message(response="utter_booking_not_found")
            return []
        except InvalidTransition:
            dispatcher.utter_message(response="utter_booking_cannot_cancel")
            return []
        except (StoreError, SQLAlchemyError):
            logger.exception("cancellation failed")
            dispatcher.utter_message(response="utter_booking_store_error")
            return []
        params = logic.booking_params(
            format_code(booking.code), booking.place_label, booking.slot_start
        )
        dispatcher.utter_message(response="utter_booking_cancelled", **params)
        return [SlotSet("booking_code", None), SlotSet("awaiting", None)]


WEB_CHANNELS = frozenset({"rest", "socketio"})
"""Channels that cannot reach the person the day before (no output, or an open page only)."""


def visit_key(visit) -> str:
    """What `reminder_visit` holds: the visit, as "tour|insee|YYYY-MM-DD"."""
    return f"{visit.tour_id}|{visit.insee}|{visit.date.isoformat()}"


def visit_params(visit) -> dict[str, str]:
    """The fill of the responses that tell a visit (reminders, the web's choice)."""
    return {
        "commune": visit.commune,
        "date": logic.format_date_fr(visit.date),
        "hours": hours_text(visit),
        "place": visit.place,
        "phone": visit.tour.phone,
    }


def visit_payload(visit, params: dict[str, str]) -> dict[str, Any]:
    """A "prévenez-moi" reminder's payload: what it says, and the visit it is about (so
    handoff/reminders.py attaches its .ics and sends a notice if staff cancel it)."""
    return {
        "response": day_response("utter_reminder_bus", visit.day_confirmed),
        "params": params,
        "visit": {"tour": visit.tour_id, "insee": visit.insee, "date": visit.date.isoformat()},
    }


class ActionRemindBus(Action):
    """ "Prévenez-moi quand le bus passe à Trélon": a reminder the day before the visit.

    On the website (REST, socket.io) nothing can reach the person the day before: the visit is
    told and `reminder_visit` set, and reminder_form asks how (actions/reminders.py)."""

    def name(self) -> str:
        return "action_remind_bus"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        commune, _ = commune_in_context(tracker)
        if commune is None:
            dispatcher.utter_message(response="utter_remind_bus_ask_commune")
            return []
        now = paris_now()
        visits = get_calendar().next_visits(commune.insee, now, 1, include_cancelled=False)
        if not visits:
            dispatcher.utter_message(response="utter_remind_bus_no_visit", commune=commune.name)
            return [SlotSet("commune_insee", commune.insee)]
        visit = visits[0]
        params = {**visit_params(visit), "commune": commune.name}
        sure = visit.day_confirmed  # a planned day is reminded "à confirmer" (issue 15)
        due = logic.day_before(visit.opens_at, now)
        if due is None:
            dispatcher.utter_message(
                response=day_response("utter_remind_bus_too_soon", sure), **params
            )
            return [SlotSet("commune_insee", commune.insee)]
        if channel_of(tracker) in WEB_CHANNELS:
            dispatcher.utter_message(
                response=day_response("utter_remind_bus_web_visit", sure), **params
            )
            return [
                SlotSet("commune_insee", commune.insee),
                SlotSet("reminder_visit", visit_key(visit)),
                FollowupAction("reminder_form"),
            ]
        try:
            await asyncio.to_thread(
                get_repository().add_reminder,
                due_at=due,
                channel=channel_of(tracker),
                recipient=tracker.sender_id,
                sender_id=tracker.sender_id,
                kind="bus_visit",
                payload=visit_payload(visit, params),
            )
        except (StoreError, SQLAlchemyError, ValueError):
            logger.exception("could not store the bus reminder")
            dispatcher.utter_message(response="utter_booking_store_error")
            return []
        dispatcher.utter_message(response=day_response("utter_remind_bus_set", sure), **params)
        return [SlotSet("commune_insee", commune.insee)]


class ActionDeliverReminder(Action):
    """Say a stored reminder; run by the handoff process through Rasa's API (not predicted)."""

    def name(self) -> str:
        return "action_deliver_reminder"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        import json

        value = tracker.get_slot("reminder_id")
        reminder = None
        if value:
            reminder = await asyncio.to_thread(get_repository().get_reminder, int(value))
        if reminder is not None:
            payload = json.loads(reminder.payload or "{}")
            if payload.get("response"):
                dispatcher.utter_message(
                    response=payload["response"], **(payload.get("params") or {})
                )
        return [SlotSet("reminder_id", None)]
