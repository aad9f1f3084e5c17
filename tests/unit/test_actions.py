"""The thin Action layer, with a Tracker built inline and a CollectingDispatcher."""

import asyncio
import datetime as dt

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
    # Trélon's day is a pilot plan: told as planned (issue 15).
    assert responses[-1] in (
        "utter_calendar_next_visit_unconfirmed",
        "utter_calendar_visit_today_unconfirmed",
    )
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
    assert responses[0].startswith("utter_calendar_not_served")
    assert messages[0]["commune"] == "Tourcoing"


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
    assert responses[1] in (
        "utter_calendar_next_visit_unconfirmed",  # Trélon: a pilot day
        "utter_calendar_visit_today_unconfirmed",
    )
    assert new_slots["topic"] == "documents"
    unknown = tracker("où je dois aller ?", "ask_where", slots=slots)
    assert run(ActionAnswerWhere(), unknown)[0] == [
        "utter_documents_where",
        "utter_calendar_ask_commune",
    ]


# -- confirmed and planned days of the bus (issue 15) -------------------------------------------


def rendered(message: dict, channel: str) -> str:
    """The text Rasa makes of a dispatcher message for `channel`, from the project's domain.yml."""
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    from franceservices.paths import PROJECT_DIR

    domain = Domain.load(str(PROJECT_DIR / "domain.yml"))
    own = {"text", "buttons", "elements", "custom", "template", "response", "image", "attachment"}
    params = {k: v for k, v in message.items() if k not in own}
    answer = asyncio.run(
        TemplatedNaturalLanguageGenerator(domain.responses).generate(
            message["response"],
            DialogueStateTracker.from_events("citizen", [], domain.slots),
            channel,
            **params,
        )
    )
    assert answer is not None, f"{message['response']} is not in domain.yml"
    return answer["text"]


def test_next_visit_of_a_planned_day_by_sms_and_on_the_web():
    button = [{"entity": "commune_insee", "value": "59601"}]  # Trélon: a pilot day
    for channel in ("rest", "twilio", "facebook"):
        trk = tracker(
            '/inform_commune{"commune_insee": "59601"}', "ask_bus_visit", button, channel=channel
        )
        responses, messages, _ = run(ActionShowNextVisit(), trk)
        assert responses[-1] in (
            "utter_calendar_next_visit_unconfirmed",
            "utter_calendar_visit_today_unconfirmed",
        )
        text = rendered(messages[-1], channel)
        assert "prévu" in text and "à confirmer au 03 59 73 18 20" in text, text


def _stop_reminded_later(confirmed: bool):
    """A stop whose next visit is after tomorrow (so a reminder is stored), by day status."""
    from franceservices.booking.rules import day_before
    from franceservices.calendar.tours import get_calendar
    from franceservices.dates.clock import paris_now

    now, calendar = paris_now(), get_calendar()
    for stop in calendar.stops():
        visits = calendar.next_visits(stop.insee, now, 1, include_cancelled=False)
        if stop.day_confirmed == confirmed and visits and visits[0].day_confirmed == confirmed:
            if day_before(visits[0].opens_at, now) is not None:
                return stop, visits[0]
    raise AssertionError("no stop to remind of")


def _remind_then_deliver(repo, stop, channel):
    import json

    from actions.booking import ActionDeliverReminder, ActionRemindBus
    from franceservices.dates.clock import paris_now

    said = f'/inform_commune{{"commune_insee": "{stop.insee}"}}'
    button = [{"entity": "commune_insee", "value": stop.insee}]
    set_responses, set_messages, _ = run(
        ActionRemindBus(), tracker(said, "remind_bus", button, channel=channel)
    )
    (reminder,) = repo.due_reminders(paris_now() + dt.timedelta(days=400))
    assert reminder.channel == channel and reminder.kind == "bus_visit"
    delivered = tracker("", "x", slots={"reminder_id": float(reminder.id)}, channel=channel)
    responses, messages, _ = run(ActionDeliverReminder(), delivered)
    assert json.loads(reminder.payload)["response"] == responses[0]
    return set_responses, set_messages, responses, messages


def test_reminder_of_a_planned_day_says_it_is_to_be_confirmed(repo):
    from channels.sms_format import segment_count

    stop, visit = _stop_reminded_later(confirmed=False)
    set_responses, set_messages, responses, messages = _remind_then_deliver(repo, stop, "twilio")
    assert set_responses == ["utter_remind_bus_set_unconfirmed"]
    assert f"à confirmer au {visit.tour.phone}" in rendered(set_messages[0], "twilio")
    assert responses == ["utter_reminder_bus_unconfirmed"]
    sms = rendered(messages[0], "twilio")
    assert sms.startswith(f"Rappel : bus France Services prévu demain à {stop.commune}, ")
    assert f"à confirmer au {visit.tour.phone}." in sms and segment_count(sms) <= 3
    web = rendered(messages[0], "rest")
    assert "est prévu demain" in web and f"date à confirmer au {visit.tour.phone}" in web


def test_reminder_of_a_published_day_is_worded_as_before(repo):
    stop, visit = _stop_reminded_later(confirmed=True)
    # Messenger keeps the reminder in the conversation (the web asks how: test_web_reminders.py).
    set_responses, _, responses, messages = _remind_then_deliver(repo, stop, "facebook")
    assert set_responses == ["utter_remind_bus_set"] and responses == ["utter_reminder_bus"]
    text = rendered(messages[0], "rest")
    assert text.startswith(f"Rappel : le bus France Services passe à {stop.commune} demain, ")
    assert "confirmer" not in text and f"Lieu : {visit.place}." in text


def test_the_ambiguity_question_repeats_the_words_as_typed():
    # Rasa's EntitySynonymMapper gives the training data's casing ("Avesnes") as the value; the
    # question quotes what the person typed.
    text = "quand passe le bus à avesnes"
    entities = [{"entity": "commune", "value": "Avesnes", "start": 21, "end": 28}]
    _, messages, _ = run(ActionShowNextVisit(), tracker(text, "ask_bus_visit", entities))
    assert messages[0]["response"] == "utter_calendar_commune_ambiguous"
    assert messages[0]["query"] == "avesnes"
