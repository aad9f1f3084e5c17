"""Helpers of the thin Action layer: read the latest message, send an Answer."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from franceservices.replies import Answer


def send(dispatcher: CollectingDispatcher, answer: Answer) -> list[dict[str, Any]]:
    """Utter an Answer's replies and return its slot events."""
    for reply in answer.replies:
        dispatcher.utter_message(response=reply.response, buttons=reply.buttons, **reply.params)
    return [SlotSet(name, value) for name, value in answer.slots.items()]


def latest_entity(tracker: Tracker, name: str) -> str | None:
    """The value of the first entity `name` of the latest message (NLU or button payload)."""
    values = [
        e.get("value")
        for e in tracker.latest_message.get("entities", [])
        if e.get("entity") == name and e.get("value")
    ]
    return str(values[0]) if values else None


def latest_entity_typed(tracker: Tracker, name: str) -> str | None:
    """The words of the first entity `name` of the latest message as the person typed them.

    Rasa's EntitySynonymMapper rewrites the value to the training data's casing ("avesnes"
    becomes "Avesnes"); a question quoting the person's words quotes the text. The value when
    the entity has no position (a button payload).
    """
    text = tracker.latest_message.get("text") or ""
    for entity in tracker.latest_message.get("entities", []):
        if entity.get("entity") != name or not entity.get("value"):
            continue
        start, end = entity.get("start"), entity.get("end")
        if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
            return text[start:end]
        return str(entity["value"])
    return None


def message_text(tracker: Tracker) -> str:
    """The latest message as typed ("" for a button payload such as /ask_human)."""
    text = tracker.latest_message.get("text") or ""
    return "" if text.startswith("/") else text


def channel_of(tracker: Tracker) -> str:
    """The Rasa input channel of the latest message ("rest", "socketio", "twilio", ...)."""
    return tracker.get_latest_input_channel() or ""
