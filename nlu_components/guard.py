"""MessageGuard: recognise messages whose meaning is certain before trusting the classifier.

An empty message, one made only of emoji or punctuation, or one far too long is given a fixed
intent with full confidence (`empty_message`, `no_words`, `message_too_long`), so the dialogue
answers it politely instead of guessing. A message that is only a booking code ("AB3 K7P", the
answer to "Quel est le code ?") becomes `check_booking` with the code as entity; the action then
checks or cancels, whichever was asked. The rules live in franceservices/message_checks.py.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from franceservices.message_checks import (
    BOOKING_CODE,
    MAX_MESSAGE_CHARS,
    bare_booking_code,
    classify_message,
)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class MessageGuard(GraphComponent):
    """Overrides the predicted intent for messages without a question in them."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"max_chars": MAX_MESSAGE_CHARS}

    def __init__(self, config: dict[str, Any]) -> None:
        self.max_chars = int(config.get("max_chars", MAX_MESSAGE_CHARS))

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MessageGuard:
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/"):
                continue  # a button payload such as /ask_human, already parsed
            intent = classify_message(text, self.max_chars)
            if intent is None:
                code = bare_booking_code(text)
                if code is None:
                    continue
                intent = BOOKING_CODE
                entity = {"entity": "booking_code", "value": code, "start": 0, "end": len(text),
                          "extractor": "MessageGuard"}  # fmt: skip
                message.set(ENTITIES, [entity], add_to_output=True)
            prediction = {INTENT_NAME_KEY: intent, PREDICTED_CONFIDENCE_KEY: 1.0}
            message.set(INTENT, prediction, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [prediction], add_to_output=True)
        return messages
