"""Actions about the documents to bring (thin: logic in franceservices/documents/answers.py)."""

from __future__ import annotations

from rasa_sdk import Action

from actions.dispatch import channel_of, latest_entity, message_text, send
from franceservices.dates.clock import paris_today
from franceservices.documents import answers as answers
from franceservices.documents.loader import load_catalogue
from franceservices.documents.render import channel_for

QUESTION_ENTITIES = ("situation", "for_whom", "need")


def entities_of(tracker) -> dict[str, str]:
    return {
        e["entity"]: str(e["value"])
        for e in tracker.latest_message.get("entities", [])
        if e.get("entity") in QUESTION_ENTITIES and e.get("value")
    }


class ActionShowDocuments(Action):
    """Which papers to bring: asks what it must (buttons), then lists them for the channel."""

    def name(self) -> str:
        return "action_show_documents"

    async def run(self, dispatcher, tracker, domain):
        catalogue = load_catalogue()
        text = message_text(tracker)
        entity = latest_entity(tracker, "procedure")
        found = answers.find_procedure(
            catalogue, [entity or "", text], latest_entity(tracker, "procedure_id")
        )
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        answer = answers.documents(
            catalogue,
            channel_for(channel_of(tracker)),
            found,
            tracker.get_slot("procedure_id") if intent != "ask_documents" or not entity else None,
            tracker.get_slot("procedure_answers"),
            text,
            entities_of(tracker),
            tracker.get_slot("awaiting"),
            named_something=bool(entity),
            today=paris_today(),
        )
        return send(dispatcher, answer)


class _FollowUp(Action):
    what = ""

    def name(self) -> str:
        return f"action_answer_{self.what}"

    async def run(self, dispatcher, tracker, domain):
        answer = answers.follow_up(
            load_catalogue(),
            channel_for(channel_of(tracker)),
            self.what,
            tracker.get_slot("procedure_id"),
            tracker.get_slot("procedure_answers"),
        )
        return send(dispatcher, answer)


class ActionAnswerFees(_FollowUp):
    """ "Combien ça coûte ?" about the procedure being discussed."""

    what = "fees"


class ActionAnswerOnline(_FollowUp):
    """ "Je peux le faire en ligne ?" about the procedure being discussed."""

    what = "online"
