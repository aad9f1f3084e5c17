"""Names staff read for things the assistant stores under technical names.

Rasa records the input channel's name ("socketio", "rest", "twilio", "facebook"); the console
shows what an agent knows them by, on every page (queue, conversations, bookings, dashboard)
through `channel_label` (the `channel` template filter), and a booking's status by its French
word (`booking_status`, the `booking_status` filter: Rendez-vous and Visio pages).
"""

from __future__ import annotations

CHANNEL_LABELS = {
    "socketio": "Site web",
    "rest": "Site web",
    "twilio": "SMS",
    "facebook": "Messenger",
}


def channel_label(name: str | None) -> str:
    """The channel's name for staff (an unknown channel keeps its own name)."""
    return CHANNEL_LABELS.get(name or "", name or "")


def channel_names(label: str) -> list[str]:
    """The stored channel names shown as `label` (a stored name also selects itself)."""
    names = [name for name, shown in CHANNEL_LABELS.items() if shown == label]
    return names or [label]


BOOKING_STATUS_LABELS = {
    "requested": "à confirmer",
    "confirmed": "confirmé",
    "moved": "déplacé",
    "refused": "refusé",
    "cancelled": "annulé",
}


def booking_status(status: str | None) -> str:
    """The booking status's word for staff (an unknown status keeps its own name)."""
    return BOOKING_STATUS_LABELS.get(status or "", status or "")
