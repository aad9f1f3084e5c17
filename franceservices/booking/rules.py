"""Plain logic of the visio booking conversation (no Rasa import, unit-tested directly).

The Action layer (`actions/booking.py`) reads slots and calls these functions:
- which operator a message names, and the buttons to choose one;
- the slots to propose (store's taken slots + `visio_slots.propose_slots`), their buttons and
  how a typed answer ("le 2", "celui de lundi") picks one of them (`slot_choice`);
- the booking's words for the citizen (date, place, code) and when its reminders are due.

Retention: a booking is kept the policy's `booking.retention_days` (`reference/policy.yml`)
after its appointment, then deleted by the handoff process (`handoff/reminders.py` calls
`Repository.purge`); the CNIL notice the person reads (`utter_ask_visio_form_visio_consent`)
is filled with the same policy (`BookingPolicy.retention_text`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

from franceservices.booking.operators import Operator, OperatorCatalogue
from franceservices.booking.slot_choice import choose_slot
from franceservices.booking.visio_slots import Slot, parse_slot_token
from franceservices.dates.clock import PARIS, to_paris
from franceservices.policy import get_policy
from franceservices.text.french import format_date_fr, format_time_fr
from franceservices.wording import text as wording

MAX_OPERATOR_BUTTONS = 6
REASON_MIN_CHARS = 3
REASON_MAX_CHARS = 300


# -- operators --------------------------------------------------------------------------------


def operator_choice(
    text: str, catalogue: OperatorCatalogue
) -> tuple[Operator | None, list[Operator]]:
    """The operator a message names, or the candidates to ask about (several or none named).

    Returns (operator, []) when exactly one is named; (None, candidates) when several are;
    (None, []) when none is.
    """
    found = catalogue.matches(text or "")
    if len(found) == 1:
        return found[0], []
    return None, found


def operator_buttons(operators: Iterable[Operator]) -> list[dict[str, str]]:
    """Buttons that name one operator each (its id in the payload)."""
    return [
        {"title": _short_name(op), "payload": f'/inform_operator{{"operator": "{op.id}"}}'}
        for op in list(operators)[:MAX_OPERATOR_BUTTONS]
    ]


def _short_name(op: Operator) -> str:
    # "la CAF (allocations familiales)" -> "la CAF": a button title stays short on a phone.
    return op.name.split(" (")[0][:30]


def clean_reason(text: str) -> str | None:
    """The reason in a few words, trimmed; None when too short to help the adviser."""
    reason = " ".join((text or "").split())
    if reason.startswith("/") or len(reason) < REASON_MIN_CHARS:
        return None
    return reason[:REASON_MAX_CHARS]


# -- slots ------------------------------------------------------------------------------------


def place_label(slot: Slot) -> str:
    """ "Bus France services de l'Avesnois (Trélon)": where the slot is, without its time."""
    if slot.place is None:
        return ""
    where = slot.place.name
    if slot.place.commune and slot.place.commune not in where:
        where += f" ({slot.place.commune})"
    return where


def slot_label(slot: Slot) -> str:
    """ "mardi 8 décembre à 9 h 30, Bus France services de l'Avesnois (Trélon)"."""
    start = to_paris(slot.start)
    when = {"date": format_date_fr(start.date()), "time": format_time_fr(start.time())}
    where = place_label(slot)
    if where:
        return wording("utter_visio_slot_button", place=where, **when)
    return wording("utter_visio_slot_button_no_place", **when)


def slot_button(slot: Slot) -> dict[str, str]:
    """A button choosing one slot; the payload carries the slot's token."""
    payload = "/affirm" + json.dumps({"slot_token": slot.token}, separators=(",", ":"))
    return {"title": slot_label(slot), "payload": payload}


def pick_slot(text: str, token: str | None, proposals: Sequence[str]) -> str | None:
    """The proposed slot the person chose: a button's token, "2", "le deuxième", "celui de
    lundi", "mercredi à 9 h 30" (`slot_choice.choose_slot`).

    Returns the chosen token, or None when the answer designates none, or several, of
    `proposals`.
    """
    return choose_slot(text, token, proposals).token


def slot_from_token(token: str) -> tuple[str, dt.datetime] | None:
    """(place_key, start) of a token, None when malformed."""
    try:
        return parse_slot_token(token)
    except ValueError:
        return None


def booking_params(
    code: str, place_label: str, start: dt.datetime, operator_name: str = ""
) -> dict[str, Any]:
    """Placeholders of the booking responses (utter_visio_booked, reminders ...)."""
    local = to_paris(start)
    return {
        "code": code,
        "date": format_date_fr(local.date()),
        "time": format_time_fr(local.time()),
        "place": place_label,
        "operator": operator_name,
    }


def day_before(moment: dt.datetime, now: dt.datetime) -> dt.datetime | None:
    """When to remind of something at `moment`: the day before at the policy's reminder hour
    (`booking.reminder_hour`, 10:00 Paris time).

    None when that time is already past (the person has just been told).
    """
    local = to_paris(moment)
    hour = get_policy().booking.reminder_hour
    due = dt.datetime.combine(local.date() - dt.timedelta(days=1), hour, tzinfo=PARIS)
    return due if due > to_paris(now) else None
