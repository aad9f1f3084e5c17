""" "Prévenez-moi" on the website (issue 15): the web cannot reach a closed page, so the
assistant asks how (SMS, e-mail, agenda) and stores the reminder for that channel.

Trackers built inline (tests/unit/test_booking.py's helpers); the store is a real migrated
SQLite database (the `repo` fixture).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest

from actions.booking import ActionRemindBus, visit_key
from actions.reminders import ActionSubmitReminder, ValidateReminderForm, agenda_url, way_in
from franceservices.booking import rules as logic
from franceservices.calendar.answers import day_response
from franceservices.calendar.tours import get_calendar
from franceservices.dates.clock import PARIS, paris_now
from franceservices.paths import PROJECT_DIR
from tests.unit.test_booking import run, tracker

TRELON = "59601"
FORM = ("reminder_way", "reminder_contact", "reminder_consent")
DOMAIN = {
    "forms": {"reminder_form": {"required_slots": list(FORM)}},
    "slots": {name: {} for name in (*FORM, "reminder_visit", "reminder_stop")},
}
FAR = dt.timedelta(days=400)


def next_visit():
    (visit,) = get_calendar().next_visits(TRELON, paris_now(), 1, include_cancelled=False)
    if logic.day_before(visit.opens_at, paris_now()) is None:
        pytest.skip("Trélon's next visit is too soon for a reminder")
    return visit


def turn(text, intent, requested, slots=None, entities=()):
    return tracker(
        text,
        intent,
        entities,
        slots={"requested_slot": requested, "reminder_visit": "x", **(slots or {})},
        loop="reminder_form",
    )


def rasa_answer(response, channel="rest", slots=None, **params):
    """What Rasa makes of a response for `channel` with `slots` (conditions included)."""
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load(str(PROJECT_DIR / "domain.yml"))
    events = [SlotSet(k, v) for k, v in (slots or {}).items()]
    state = DialogueStateTracker.from_events("citizen", events, domain.slots)
    answer = asyncio.run(
        TemplatedNaturalLanguageGenerator(domain.responses).generate(
            response, state, channel, **params
        )
    )
    assert answer is not None
    return answer


# -- action_remind_bus ------------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["rest", "socketio"])
def test_on_the_web_nothing_is_stored_and_the_form_asks_how(repo, channel):
    visit = next_visit()
    trk = tracker(
        "prévenez-moi", "remind_bus", [{"entity": "commune", "value": "Trélon"}], channel=channel
    )
    responses, messages, slots, events = run(ActionRemindBus(), trk)
    assert responses == [day_response("utter_remind_bus_web_visit", visit.day_confirmed)]
    assert messages[0]["date"] == logic.format_date_fr(visit.date)
    assert slots["reminder_visit"] == visit_key(visit) == f"{visit.tour_id}|59601|{visit.date}"
    assert {"event": "followup", "name": "reminder_form"} in [
        {k: e.get(k) for k in ("event", "name")} for e in events
    ]
    assert repo.due_reminders(paris_now() + FAR) == []  # no promise the web cannot keep


def test_the_way_question_has_three_buttons_with_existing_intents():
    answer = rasa_answer("utter_ask_reminder_way")
    assert [b["title"] for b in answer["buttons"]] == [
        "Par SMS",
        "Par e-mail",
        "Ajouter à mon agenda",
    ]
    assert [b["payload"] for b in answer["buttons"]] == [
        '/affirm{"reminder_way":"sms"}',
        '/affirm{"reminder_way":"email"}',
        '/affirm{"reminder_way":"agenda"}',
    ]
    # Without buttons (read aloud, copied) the text still names the three ways.
    assert all(w in answer["text"] for w in ("SMS", "e-mail", "agenda", "« non »"))


def test_the_consent_says_what_is_kept_and_stop_for_sms():
    sms = rasa_answer("utter_ask_reminder_consent", slots={"reminder_way": "sms"})["text"]
    mail = rasa_answer("utter_ask_reminder_consent", slots={"reminder_way": "email"})["text"]
    assert "Je garde votre numéro seulement pour ce rappel, puis il est effacé" in sms
    assert "STOP" in sms
    assert "Je garde votre adresse seulement pour ce rappel, puis elle est effacée" in mail
    ask_sms = rasa_answer("utter_ask_reminder_contact", slots={"reminder_way": "sms"})["text"]
    assert "numéro de téléphone" in ask_sms
    assert "adresse e-mail" in rasa_answer("utter_ask_reminder_contact")["text"]


# -- the form ---------------------------------------------------------------------------------


@pytest.mark.parametrize("way", ["sms", "email", "agenda"])
def test_a_button_chooses_the_way(way):
    entities = [{"entity": "reminder_way", "value": way}]
    trk = turn(f'/affirm{{"reminder_way":"{way}"}}', "affirm", "reminder_way", entities=entities)
    responses, _, slots, _ = run(ValidateReminderForm(), trk, DOMAIN)
    assert responses == [] and slots["reminder_way"] == way
    # The agenda needs no contact: the form ends (requested_slot None).
    assert slots.get("requested_slot", "unset") == (None if way == "agenda" else "unset")


@pytest.mark.parametrize(
    "text, intent, way, contact",
    [
        ("par mail", "nlu_fallback", "email", None),
        ("par e-mail s'il vous plaît", "nlu_fallback", "email", None),
        ("par SMS", "nlu_fallback", "sms", None),
        ("dans mon agenda", "nlu_fallback", "agenda", None),
        ("jean.dupont@orange.fr", "inform_case", "email", "jean.dupont@orange.fr"),
        ("06 12 34 56 78", "inform_case", "sms", "+33612345678"),
        ("non, par e-mail", "deny", "email", None),
    ],
)
def test_typed_answers_choose_the_way(text, intent, way, contact):
    responses, _, slots, _ = run(ValidateReminderForm(), turn(text, intent, "reminder_way"), DOMAIN)
    assert responses == [] and slots["reminder_way"] == way
    assert slots.get("reminder_contact") == contact
    assert "reminder_stop" not in slots


def test_an_address_typed_at_once_goes_to_the_consent():
    trk = turn("c'est jean.dupont@orange.fr", "inform_case", "reminder_way")
    _, _, slots, _ = run(ValidateReminderForm(), trk, DOMAIN)
    assert slots["reminder_way"] == "email"
    assert slots["reminder_contact"] == "jean.dupont@orange.fr"
    assert "requested_slot" not in slots  # Rasa's form asks the first empty one: the consent


@pytest.mark.parametrize("requested", ["reminder_way", "reminder_contact", "reminder_consent"])
def test_non_laissez_tomber_leaves_the_form(requested):
    slots = {"reminder_way": "email"} if requested != "reminder_way" else {}
    trk = turn("non laissez tomber", "deny", requested, slots)
    responses, _, set_slots, _ = run(ValidateReminderForm(), trk, DOMAIN)
    assert responses == []
    assert set_slots["reminder_stop"] == "declined" and set_slots["requested_slot"] is None


def test_asking_for_a_person_leaves_the_form_for_a_human():
    trk = turn("je veux parler à quelqu'un", "ask_human", "reminder_way")
    _, _, slots, _ = run(ValidateReminderForm(), trk, DOMAIN)
    assert slots["reminder_stop"] == "human" and slots["requested_slot"] is None


def test_words_that_name_no_way_are_asked_again():
    trk = turn("je ne sais pas", "nlu_fallback", "reminder_way")
    responses, _, slots, _ = run(ValidateReminderForm(), trk, DOMAIN)
    assert responses == ["utter_reminder_way_not_understood"] and slots["reminder_way"] is None


def test_a_wrong_address_is_asked_again():
    trk = turn("jean.dupont@orange", "inform_case", "reminder_contact", {"reminder_way": "email"})
    responses, _, slots, _ = run(ValidateReminderForm(), trk, DOMAIN)
    assert responses == ["utter_reminder_contact_not_email"] and slots["reminder_contact"] is None
    trk = turn("01 02", "inform_case", "reminder_contact", {"reminder_way": "sms"})
    responses, _, slots, _ = run(ValidateReminderForm(), trk, DOMAIN)
    assert responses == ["utter_contact_invalid"] and slots["reminder_contact"] is None


def test_the_consent_is_a_yes():
    slots = {"reminder_way": "email", "reminder_contact": "jean.dupont@orange.fr"}
    _, _, set_slots, _ = run(
        ValidateReminderForm(), turn("oui", "affirm", "reminder_consent", slots), DOMAIN
    )
    assert dt.datetime.fromisoformat(set_slots["reminder_consent"]).tzinfo is not None
    responses, _, set_slots, _ = run(
        ValidateReminderForm(), turn("bof", "nlu_fallback", "reminder_consent", slots), DOMAIN
    )
    assert responses == ["utter_reminder_consent_yes_or_no"]
    assert set_slots["reminder_consent"] is None


def test_way_words():
    assert way_in("par courriel") == "email"
    assert way_in("un texto") == "sms"
    assert way_in("sms ou mail") is None  # two ways: asked again


# -- action_submit_reminder -------------------------------------------------------------------


def submitted(visit, **slots):
    trk = tracker("oui", "affirm", slots={"reminder_visit": visit_key(visit), **slots})
    return run(ActionSubmitReminder(), trk)


def _due(visit):
    day = visit.date - dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(10), tzinfo=PARIS)


def test_by_email_the_reminder_is_stored_for_the_email_sender(repo):
    visit = next_visit()
    consent = paris_now().isoformat()
    responses, messages, slots, _ = submitted(
        visit,
        reminder_way="email",
        reminder_contact="jean.dupont@orange.fr",
        reminder_consent=consent,
    )
    assert responses == [day_response("utter_reminder_set_email", visit.day_confirmed)]
    (reminder,) = repo.due_reminders(paris_now() + FAR)
    assert (reminder.channel, reminder.recipient) == ("email", "jean.dupont@orange.fr")
    assert reminder.sender_id == "web-1" and reminder.kind == "bus_visit"
    assert reminder.due_at.astimezone(PARIS) == _due(visit)
    payload = json.loads(reminder.payload)
    assert payload["response"] == day_response("utter_reminder_bus", visit.day_confirmed)
    assert payload["visit"] == {
        "tour": visit.tour_id,
        "insee": TRELON,
        "date": visit.date.isoformat(),
    }
    assert payload["params"]["date"] == logic.format_date_fr(visit.date)
    # Every answer of the form is forgotten once stored.
    assert all(slots[name] is None for name in (*FORM, "reminder_visit", "reminder_stop"))


def test_by_sms_the_reminder_goes_to_the_number_conversation(repo):
    visit = next_visit()
    responses, messages, _, _ = submitted(
        visit,
        reminder_way="sms",
        reminder_contact="+33612345678",
        reminder_consent=paris_now().isoformat(),
    )
    assert responses == [day_response("utter_reminder_set_sms", visit.day_confirmed)]
    (reminder,) = repo.due_reminders(paris_now() + FAR)
    # As an SMS conversation's own reminder: said through Rasa's twilio output to the number.
    assert (reminder.channel, reminder.recipient, reminder.sender_id) == (
        "twilio",
        "+33612345678",
        "+33612345678",
    )
    text = rasa_answer(messages[0]["response"], **{k: v for k, v in messages[0].items() if k in (
        "commune", "date", "hours", "place", "phone")})["text"]  # fmt: skip
    assert "SMS la veille" in text and "STOP" in text


def test_the_agenda_gives_a_link_and_stores_nothing(repo, monkeypatch):
    visit = next_visit()
    monkeypatch.setenv("WEB_PUBLIC_URL", "https://assistant.lenord.fr/")
    responses, messages, _, _ = submitted(visit, reminder_way="agenda")
    assert responses == [day_response("utter_reminder_agenda", visit.day_confirmed)]
    link = f"https://assistant.lenord.fr/agenda/{visit.tour_id}/59601/{visit.date}.ics"
    assert messages[0]["link"] == link == agenda_url(visit)
    assert repo.due_reminders(paris_now() + FAR) == []


def test_the_agenda_link_defaults_to_the_local_chat_page():
    visit = next_visit()
    assert agenda_url(visit, {"WEB_PORT": "8123"}).startswith("http://127.0.0.1:8123/agenda/")


@pytest.mark.parametrize(
    "slots",
    [
        {"reminder_stop": "declined"},
        {"reminder_way": "email", "reminder_contact": "a@b.fr"},  # no consent
    ],
)
def test_leaving_or_no_consent_stores_nothing(repo, slots):
    visit = next_visit()
    responses, messages, _, _ = submitted(visit, **slots)
    assert responses == ["utter_reminder_dropped"] and messages[0]["commune"] == "Trélon"
    assert repo.due_reminders(paris_now() + FAR) == []
