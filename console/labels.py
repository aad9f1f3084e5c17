"""Names staff read for things the assistant stores under technical names.

Rasa records the input channel's name ("socketio", "rest", "twilio", "facebook"); the console
shows what an agent knows them by, on every page (queue, conversations, bookings, dashboard)
through `channel_label` (the `channel` template filter).
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
