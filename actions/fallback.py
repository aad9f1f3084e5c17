"""Actions for messages the assistant did not understand, and the way out to a human."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.calendar import answer_for_commune
from actions.dispatch import message_text, send
from franceservices.conversation import consecutive_fallbacks
from franceservices.places.commune_spans import resolve_in_sentence

# A message this short that names a commune is taken as the commune, even when NLU hesitated
# ("Tourcoing", "a wignehies svp"): people often answer with the name alone.
COMMUNE_ALONE_MAX_WORDS = 4


class ActionHandleFallback(Action):
    """Ask to rephrase the first time; from the second miss in a row, offer a human.

    A short message that names a commune is answered as one first.
    """

    def name(self) -> str:
        return "action_handle_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = message_text(tracker)
        if 0 < len(text.split()) <= COMMUNE_ALONE_MAX_WORDS:
            commune = resolve_in_sentence(text).commune
            if commune is not None:
                return send(dispatcher, answer_for_commune(tracker, commune))
        if consecutive_fallbacks(tracker.events) >= 2:
            # Offer the handoff (a button to the agents' queue, actions/handoff.py) rather than
            # entering it at once: the person may prefer to rephrase or call.
            dispatcher.utter_message(response="utter_fallback_offer_handoff")
            return [SlotSet("fallback_offered", True)]
        else:
            dispatcher.utter_message(response="utter_ask_rephrase")
        return []


class ActionOfferHuman(Action):
    """Give the person a way to reach a France Services agent."""

    def name(self) -> str:
        return "action_offer_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_ask_human")
        return []
