"""Actions for messages the assistant did not understand, and the way out to a human."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import consecutive_fallbacks


class ActionHandleFallback(Action):
    """Ask to rephrase the first time; from the second miss in a row, offer a human."""

    def name(self) -> str:
        return "action_handle_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if consecutive_fallbacks(tracker.events) >= 2:
            dispatcher.utter_message(response="utter_fallback_offer_help")
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
