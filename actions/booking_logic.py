"""Plain logic of the visio booking conversation (no Rasa import, unit-tested directly).

The Action layer (`actions/booking.py`) reads slots and calls these functions:
- which operator a message names, and the buttons to choose one;
- the slots to propose (store's taken slots + `visio_slots.propose_slots`), their buttons and
  how a typed answer ("le 2", "le premier") picks one of them;
- the booking's words for the citizen (date, place, code) and when its reminders are due.

Retention: a booking is kept `BOOKING_RETENTION_DAYS` after its appointment, then deleted by
the handoff process (`handoff/reminders.py` calls `Repository.purge`); the CNIL notice the
person reads (`utter_ask_visio_form_visio_consent`) says the same.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from actions.clock import PARIS, to_paris
from actions.communes import normalize
from actions.french import format_date_fr, format_time_fr
from actions.visio_slots import Operator, OperatorCatalogue, Slot, parse_slot_token

BOOKING_RETENTION_DAYS = 31
"""A booking is deleted this many days after its appointment (announced as "1 mois")."""
REMINDER_HOUR = dt.time(10, 0)
"""Reminders "the day before" are sent at this Paris time."""
MAX_OPERATOR_BUTTONS = 6
REASON_MIN_CHARS = 3
REASON_MAX_CHARS = 300

_ORDINALS = {
    "premier": 1,
    "premiere": 1,
    "un": 1,
    "deuxieme": 2,
    "second": 2,
    "seconde": 2,
    "deux": 2,
    "troisieme": 3,
    "trois": 3,
    "quatrieme": 4,
    "quatre": 4,
    "cinquieme": 5,
    "cinq": 5,
    "sixieme": 6,
    "six": 6,
}
_DIGIT_RE = re.compile(r"(?<![\d])([1-9])(?![\d])")


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
    when = f"{format_date_fr(start.date())} à {format_time_fr(start.time())}"
    where = place_label(slot)
    return f"{when}, {where}" if where else when


def slot_button(slot: Slot) -> dict[str, str]:
    """A button choosing one slot; the payload carries the slot's token."""
    payload = "/affirm" + json.dumps({"slot_token": slot.token}, separators=(",", ":"))
    return {"title": slot_label(slot), "payload": payload}


def pick_slot(text: str, token: str | None, proposals: Sequence[str]) -> str | None:
    """The proposed slot the person chose: a button's token, "2", "le deuxième" ...

    Returns the chosen token, or None when the answer designates none of `proposals`.
    """
    if token:
        return token if token in proposals else None
    words = normalize(text or "").split()
    for word in words:
        if word in _ORDINALS and _ORDINALS[word] <= len(proposals):
            return proposals[_ORDINALS[word] - 1]
    digits = _DIGIT_RE.findall(text or "")
    if len(digits) == 1 and 1 <= int(digits[0]) <= len(proposals):
        return proposals[int(digits[0]) - 1]
    return None


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
    """When to remind of something at `moment`: the day before at 10:00 Paris time.

    None when that time is already past (the person has just been told).
    """
    local = to_paris(moment)
    due = dt.datetime.combine(local.date() - dt.timedelta(days=1), REMINDER_HOUR, tzinfo=PARIS)
    return due if due > to_paris(now) else None
