"""The thin Action layer, with a Tracker built inline and a CollectingDispatcher."""

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.calendar import ActionHandleCommune, ActionShowDesk, ActionShowNextVisit
from actions.documents import ActionAnswerFees, ActionShowDocuments
from actions.fallback import ActionHandleFallback, ActionOfferHuman
from actions.followups import ActionAnswerWhere


def tracker(text, intent, entities=(), slots=None, events=(), channel="rest"):
    """A tracker whose latest message came through `channel`, as Rasa sends it to actions.

    Rasa's latest event is the user's message, carrying its input channel (the actions read it
    with `get_latest_input_channel`): the last user event of `events` gets it, or one is added.
    """
    latest_message = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": list(entities),
    }
    events = [dict(e) for e in events]
    users = [e for e in events if e.get("event") == "user"]
    if users:
        users[-1]["input_channel"] = channel
    else:
        events.append(
            {"event": "user", "text": text, "parse_data": latest_message, "input_channel": channel}
        )
    return Tracker(
        sender_id="test",
        slots=slots or {},
        latest_message=latest_message,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def run(action, trk):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, trk, {}))
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    return [m["response"] for m in dispatcher.messages], dispatcher.messages, slots


def test_next_visit_from_the_entity():
    entities = [{"entity": "commune", "value": "trelon"}]
    responses, messages, slots = run(
        ActionShowNextVisit(), tracker("quand passe le bus a trelon", "ask_bus_visit", entities)
    )
    assert responses[-1] in ("utter_calendar_next_visit", "utter_calendar_visit_today")
    assert messages[-1]["commune"] == "Trélon"
    assert slots["commune_insee"] == "59601"


def test_next_visit_without_commune_asks_for_it():
    responses, _, slots = run(ActionShowNextVisit(), tracker("quand passe le bus", "ask_bus_visit"))
    assert responses == ["utter_calendar_ask_commune"]
    assert slots["awaiting"] == "commune_for_bus"


def test_next_visit_uses_the_commune_of_the_conversation():
    trk = tracker("et il passe quand le bus", "ask_bus_visit", slots={"commune_insee": "59053"})
    _, messages, _ = run(ActionShowNextVisit(), trk)
    assert messages[-1]["commune"] == "Bavay"


def test_commune_button_then_desk():
    trk = tracker(
        '/inform_commune{"commune_insee": "59309"}',
        "inform_commune",
        [{"entity": "commune_insee", "value": "59309"}],
        slots={"awaiting": "commune_for_desk"},
    )
    responses, messages, _ = run(ActionHandleCommune(), trk)
    assert responses[0] == "utter_desk_info"
    assert messages[0]["desk_name"] == "France services Hondschoote"


def test_desk_without_commune_waits_for_one():
    responses, _, slots = run(ActionShowDesk(), tracker("c'est ouvert ?", "ask_desk"))
    assert responses == ["utter_calendar_ask_commune"] and slots["awaiting"] == "commune_for_desk"


def test_documents_then_fees_through_slots():
    trk = tracker(
        "j'ai perdu ma carte d'identité c'est pour moi",
        "ask_documents",
        [{"entity": "procedure", "value": "carte d'identité"}],
    )
    responses, _, slots = run(ActionShowDocuments(), trk)
    assert responses == ["utter_documents_list"]
    responses, messages, _ = run(ActionAnswerFees(), tracker("combien ?", "ask_fees", slots=slots))
    assert responses == ["utter_documents_fees"] and "25" in messages[0]["details"]


def test_documents_by_sms_are_numbered_and_short():
    trk = tracker("papiers carte grise", "ask_documents", [], channel="twilio")
    responses, messages, _ = run(ActionShowDocuments(), trk)
    assert responses == ["utter_documents_question"]
    assert messages[0]["buttons"] == [] and "Répondez 1" in messages[0]["question"]


def test_documents_on_the_web_have_buttons():
    """The same question on the web: buttons, no numbers to type (the channel is what differs)."""
    responses, messages, _ = run(
        ActionShowDocuments(), tracker("papiers carte grise", "ask_documents", [], channel="rest")
    )
    assert responses == ["utter_documents_question"]
    assert messages[0]["buttons"] and "Répondez 1" not in messages[0]["question"]


def test_documents_list_by_sms_is_the_sms_variant():
    said = "j'ai perdu ma carte d'identité c'est pour moi"
    entities = [{"entity": "procedure", "value": "carte d'identité"}]
    web = run(ActionShowDocuments(), tracker(said, "ask_documents", entities, channel="rest"))
    sms = run(ActionShowDocuments(), tracker(said, "ask_documents", entities, channel="twilio"))
    assert web[0] == sms[0] == ["utter_documents_list"]
    sms_line = "Sans passeport : acte de naissance (si la mairie le demande)"  # procedures.yml
    assert sms_line in sms[1][0]["documents"] and sms_line not in web[1][0]["documents"]
    assert "formulaire cerfa n° 14011*02" in web[1][0]["documents"]
    assert "cerfa" not in sms[1][0]["documents"]


def test_where_follows_the_topic():
    trk = tracker("c'est où ?", "ask_where", slots={"topic": "calendar", "commune_insee": "59601"})
    responses, messages, _ = run(ActionAnswerWhere(), trk)
    assert responses == ["utter_calendar_place"] and "mairie" in messages[0]["place"]


def user(intent):
    return {"event": "user", "parse_data": {"intent": {"name": intent}}}


def test_fallback_rephrase_then_human():
    once = tracker("blablabla truc", "nlu_fallback", events=[user("nlu_fallback")])
    assert run(ActionHandleFallback(), once)[0] == ["utter_ask_rephrase"]
    twice = tracker(
        "machin bidule", "nlu_fallback", events=[user("nlu_fallback"), user("nlu_fallback")]
    )
    assert run(ActionHandleFallback(), twice)[0] == ["utter_fallback_offer_handoff"]


def test_fallback_on_a_bare_commune_name_answers_for_the_commune():
    responses, messages, _ = run(
        ActionHandleFallback(), tracker("Tourcoing", "nlu_fallback", events=[user("nlu_fallback")])
    )
    assert responses[0] == "utter_calendar_not_served" and messages[0]["commune"] == "Tourcoing"


def test_offer_human():
    assert run(ActionOfferHuman(), tracker("conseiller", "ask_human"))[0] == ["utter_ask_human"]


def test_where_for_a_procedure_adds_the_next_bus_in_the_commune():
    documents = tracker(
        "j'ai perdu ma carte d'identité c'est pour moi",
        "ask_documents",
        [{"entity": "procedure", "value": "carte d'identité"}],
    )
    _, _, slots = run(ActionShowDocuments(), documents)
    where = tracker("où je dois aller ?", "ask_where", slots={**slots, "commune_insee": "59601"})
    responses, messages, new_slots = run(ActionAnswerWhere(), where)
    assert responses[0] == "utter_documents_where"
    assert responses[1] in ("utter_calendar_next_visit", "utter_calendar_visit_today")
    assert new_slots["topic"] == "documents"
    unknown = tracker("où je dois aller ?", "ask_where", slots=slots)
    assert run(ActionAnswerWhere(), unknown)[0] == [
        "utter_documents_where",
        "utter_calendar_ask_commune",
    ]
