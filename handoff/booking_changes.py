"""Change a booking and tell the person: the one place for the agents' API and the staff console.

`change_booking` sets the new status (`Repository.set_status`: checks the transition, claims the
new slot of a move; refusing, cancelling or moving drops the reminders not yet sent), then
queues what the person is told: a notice due now
(kind "booking_status", the response `utter_booking_now_<status>` with its parameters) and, when
the booking stands, a reminder the day before (kind "booking_reminder"). The handoff process's
reminder sender delivers both on the booking's channel (handoff/reminders.py), so a platform that
is down delays the message instead of losing it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from franceservices.booking.codes import format_code
from franceservices.booking.rules import booking_params, day_before
from store.models import (
    BOOKING_CANCELLED,
    BOOKING_CONFIRMED,
    BOOKING_MOVED,
    BOOKING_REFUSED,
    Booking,
)

NOTICE_RESPONSES = {
    BOOKING_CONFIRMED: "utter_booking_now_confirmed",
    BOOKING_MOVED: "utter_booking_now_moved",
    BOOKING_REFUSED: "utter_booking_now_refused",
    BOOKING_CANCELLED: "utter_booking_now_cancelled",
}


def change_booking(
    repo: Any,
    code: str,
    status: str,
    agent: str,
    now: dt.datetime,
    *,
    new_slot: Any = None,
    note: str | None = None,
) -> Booking:
    """Set `status` on the booking `code` and queue the person's notices; return the booking.

    Raises the repository's BookingNotFound, InvalidTransition or SlotTaken unchanged.
    """
    updated = repo.set_status(code, status, agent, new_slot=new_slot, note=note)
    _announce(repo, updated, NOTICE_RESPONSES[status], now)
    return updated


def _announce(repo: Any, booking: Booking, response: str, now: dt.datetime) -> None:
    """Tell the person now, and remind them the day before when the booking stands."""
    params = booking_params(format_code(booking.code), booking.place_label, booking.slot_start)
    common = {
        "channel": booking.channel or "rest",
        "recipient": booking.sender_id or booking.contact_phone or booking.contact_email,
        "sender_id": booking.sender_id,
        "booking_id": booking.id,
    }
    repo.add_reminder(
        due_at=now,
        kind="booking_status",
        payload={"response": response, "params": params},
        **common,
    )
    if booking.status in (BOOKING_CONFIRMED, BOOKING_MOVED):
        due = day_before(booking.slot_start, now)
        if due is not None:
            repo.add_reminder(
                due_at=due,
                kind="booking_reminder",
                payload={"response": "utter_reminder_booking", "params": params},
                **common,
            )
