"""Visio booking: the plain logic (booking_logic) and the thin actions (actions/booking.py),
with Trackers built inline and a store on a temporary SQLite file."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.booking import (
    FORM_SLOTS,
    ActionAskVisioSlot,
    ActionCancelBooking,
    ActionCheckBooking,
    ActionDeliverReminder,
    ActionRemindBus,
    ActionSubmitVisio,
    ValidateVisioForm,
    proposals_for,
)
from franceservices.booking import rules as logic
from franceservices.booking.operators import load_operators
from franceservices.booking.visio_slots import Slot, find_slot, parse_slot_token
from franceservices.dates.clock import PARIS, paris_now

pytestmark = pytest.mark.usefixtures("caf_on_the_avesnois_bus")
"""The CAF on the Avesnois bus (tests/unit/conftest.py): the shipped offer has no organisation."""

# -- plain logic ------------------------------------------------------------------------------

PROPOSALS = [
    "desk:346@2026-12-01T09:00:00+01:00",
    "bus:avesnois@2026-12-02T09:30:00+01:00",
    "desk:346@2026-12-03T14:00:00+01:00",
]


@pytest.mark.parametrize(
    ("text", "token", "expected"),
    [
        ("", PROPOSALS[1], PROPOSALS[1]),
        ("", "desk:999@2026-12-01T09:00:00+01:00", None),
        ("2", None, PROPOSALS[1]),
        ("le 3 svp", None, PROPOSALS[2]),
        ("le premier", None, PROPOSALS[0]),
        ("la deuxième", None, PROPOSALS[1]),
        ("7", None, None),
        # Issue 13: the slot in the person's words (1 December 2026 is a Tuesday).
        ("mardi peut-être", None, PROPOSALS[0]),
        ("samedi peut-être", None, None),
    ],
)
def test_pick_slot(text, token, expected):
    assert logic.pick_slot(text, token, PROPOSALS) == expected


def test_operator_choice_one_several_none():
    catalogue = load_operators()
    one, candidates = logic.operator_choice("un rendez-vous avec la CAF", catalogue)
    assert one.id == "caf" and candidates == []
    none, candidates = logic.operator_choice("la caf ou les impôts", catalogue)
    assert none is None and {op.id for op in candidates} == {"caf", "dgfip"}
    assert logic.operator_choice("bonjour", catalogue) == (None, [])
    buttons = logic.operator_buttons(candidates)
    assert buttons[0]["payload"] == '/inform_operator{"operator": "caf"}'


def test_clean_reason():
    assert logic.clean_reason("  dossier   de retraite ") == "dossier de retraite"
    assert logic.clean_reason("ok") is None
    assert logic.clean_reason("/affirm") is None


def test_slot_button_carries_the_token():
    start = dt.datetime(2026, 12, 1, 9, 0, tzinfo=PARIS)
    slot = Slot("desk:346", start, start + dt.timedelta(minutes=30))
    button = logic.slot_button(slot)
    payload = json.loads(button["payload"].removeprefix("/affirm"))
    assert payload == {"slot_token": slot.token}
    assert "9 h" in button["title"]


def test_day_before_at_ten_or_none_when_past():
    now = dt.datetime(2026, 11, 27, 8, 0, tzinfo=PARIS)
    due = logic.day_before(dt.datetime(2026, 12, 1, 9, 0, tzinfo=PARIS), now)
    assert due == dt.datetime(2026, 11, 30, 10, 0, tzinfo=PARIS)
    assert logic.day_before(dt.datetime(2026, 11, 28, 9, 0, tzinfo=PARIS), now) == dt.datetime(
        2026, 11, 27, 10, 0, tzinfo=PARIS
    )
    assert logic.day_before(dt.datetime(2026, 11, 27, 14, 0, tzinfo=PARIS), now) is None


# -- actions ----------------------------------------------------------------------------------


DOMAIN = {
    "forms": {"visio_form": {"required_slots": list(FORM_SLOTS)}},
    "slots": {name: {} for name in FORM_SLOTS},
}


def tracker(
    text, intent, entities=(), slots=None, events=(), sender="web-1", loop=None, channel="rest"
):
    return Tracker(
        sender_id=sender,
        slots=slots or {},
        latest_message={
            "text": text,
            "intent": {"name": intent, "confidence": 0.9},
            "entities": list(entities),
        },
        events=[*events, {"event": "user", "text": text, "input_channel": channel}],
        paused=False,
        followup_action=None,
        active_loop={"name": loop} if loop else {},
        latest_action_name="action_listen",
    )


def run(action, trk, domain=None):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, trk, domain or DOMAIN))
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    return [m["response"] for m in dispatcher.messages], dispatcher.messages, slots, events


def form_turn(text, intent, requested, slots=None, entities=()):
    return tracker(
        text,
        intent,
        entities,
        slots={"requested_slot": requested, **(slots or {})},
        loop="visio_form",
    )


def test_the_first_message_fills_the_operator():
    trk = tracker("un rendez-vous en visio avec la CAF", "book_visio", loop="visio_form")
    _, _, slots, _ = run(ValidateVisioForm(), trk)
    assert slots["visio_operator"] == "caf"


def test_an_operator_button():
    trk = form_turn(
        "/inform_operator", "inform_operator", "visio_operator", entities=[
            {"entity": "operator", "value": "msa"}
        ]
    )  # fmt: skip
    assert run(ValidateVisioForm(), trk)[2]["visio_operator"] == "msa"


def test_two_operators_are_asked_with_buttons():
    entity = [{"entity": "operator", "value": "caf"}]  # NLU saw only one of them
    responses, messages, slots, _ = run(
        ValidateVisioForm(),
        form_turn("la caf ou la cpam", "inform_operator", "visio_operator", entities=entity),
    )
    assert slots["visio_operator"] is None
    assert responses == ["utter_visio_operator_ambiguous"]
    assert len(messages[0]["buttons"]) == 2


def test_asking_for_a_human_stops_the_form():
    _, _, slots, _ = run(
        ValidateVisioForm(), form_turn("je veux parler à quelqu'un", "ask_human", "visio_reason")
    )
    assert slots["visio_stop"] == "human" and slots["requested_slot"] is None


def test_a_name_is_checked():
    responses, _, slots, _ = run(
        ValidateVisioForm(), form_turn("@@@", "nlu_fallback", "visio_name")
    )
    assert slots["visio_name"] is None and responses == ["utter_visio_name_invalid"]
    _, _, slots, _ = run(ValidateVisioForm(), form_turn("Marie Martin", "greet", "visio_name"))
    assert slots["visio_name"] == "Marie Martin"


@pytest.mark.parametrize(
    ("text", "value", "response"),
    [
        ("06 12 34 56 78", "+33612345678", None),
        ("mon numéro c'est le +33 6 12 34 56 78", "+33612345678", None),
        ("marie.martin@exemple.fr", "marie.martin@exemple.fr", None),
        ("06 12 34", None, "utter_contact_invalid"),
        ("08 00 12 34 56", None, "utter_contact_special_number"),
    ],
)
def test_contact_is_validated_with_a_polite_re_ask(text, value, response):
    responses, _, slots, _ = run(ValidateVisioForm(), form_turn(text, "inform", "visio_contact"))
    assert slots["visio_contact"] == value
    assert responses == ([response] if response else [])


def test_consent_yes_no_or_ask_again():
    _, _, slots, _ = run(ValidateVisioForm(), form_turn("oui", "affirm", "visio_consent"))
    assert dt.datetime.fromisoformat(slots["visio_consent"]).tzinfo is not None
    _, _, slots, _ = run(ValidateVisioForm(), form_turn("non", "deny", "visio_consent"))
    assert slots["visio_stop"] == "declined" and slots["requested_slot"] is None
    responses, _, slots, _ = run(ValidateVisioForm(), form_turn("hein", "greet", "visio_consent"))
    assert responses == ["utter_visio_consent_yes_or_no"] and slots["visio_consent"] is None


def test_commune_then_proposals(repo):
    # the operator is asked first: the proposals are that organisation's (issue 18)
    _, _, slots, _ = run(
        ValidateVisioForm(),
        form_turn("Trélon", "inform_commune", "commune_insee", {"visio_operator": "caf"}),
    )
    assert slots["commune_insee"] == "59601"
    assert slots["visio_proposals"]
    responses, messages, ask_slots, _ = run(
        ActionAskVisioSlot(),
        tracker(
            "", "x", slots={"visio_proposals": slots["visio_proposals"], "visio_operator": "caf"}
        ),
    )
    assert responses == ["utter_ask_visio_slot"]
    assert [b["payload"] for b in messages[0]["buttons"]][0].startswith('/affirm{"slot_token"')
    token = ask_slots["visio_proposals"][1]
    _, _, chosen, _ = run(
        ValidateVisioForm(),
        form_turn(
            "2",
            "inform",
            "visio_slot",
            {"visio_proposals": ask_slots["visio_proposals"], "visio_operator": "caf"},
        ),
    )
    assert chosen["visio_slot"] == token


def booked_slots(token, sender="web-1"):
    return {
        "visio_operator": "caf",
        "visio_reason": "prime d'activité",
        "commune_insee": "59601",
        "visio_slot": token,
        "visio_consent": paris_now().isoformat(),
        "visio_name": "Marie Martin",
        "visio_contact": "+33612345678",
    }


def test_submit_books_and_gives_the_code_then_the_slot_is_taken(repo):
    token = proposals_for("59601", "caf", paris_now())[0]
    responses, messages, slots, _ = run(
        ActionSubmitVisio(), tracker("", "affirm", slots=booked_slots(token))
    )
    assert responses == ["utter_visio_booked"]
    booking = repo.by_code(slots["booking_code"])
    assert booking.status == "requested" and booking.sender_id == "web-1"
    assert messages[0]["code"] == f"{booking.code[:3]} {booking.code[3:]}"
    assert slots["visio_slot"] is None  # the form is reset for another booking
    # Someone else chose the same slot meanwhile: offered the next ones, form reopened.
    responses, _, slots, events = run(
        ActionSubmitVisio(), tracker("", "affirm", slots=booked_slots(token), sender="web-2")
    )
    assert responses == ["utter_visio_slot_taken"]
    assert token not in slots["visio_proposals"]
    assert {"event": "followup", "name": "visio_form", "timestamp": None} in events
    assert proposals_for("59601", "caf", paris_now())[0] != token


def test_submit_after_a_refusal_stores_nothing(repo):
    responses, _, _, _ = run(
        ActionSubmitVisio(), tracker("", "deny", slots={"visio_stop": "declined"})
    )
    assert responses == ["utter_visio_dropped"]


def test_status_and_cancel_need_the_same_conversation_or_the_phone(repo):
    token = proposals_for("59601", "caf", paris_now())[0]
    _, _, slots, _ = run(ActionSubmitVisio(), tracker("", "affirm", slots=booked_slots(token)))
    code = slots["booking_code"]
    typed = f"où en est mon rendez-vous {code[:3]} {code[3:]}"
    responses, _, _, _ = run(ActionCheckBooking(), tracker(typed, "check_booking"))
    assert responses == ["utter_booking_status_requested"]
    responses, _, _, _ = run(ActionCheckBooking(), tracker(typed, "check_booking", sender="other"))
    assert responses == ["utter_booking_not_found"]
    responses, _, _, _ = run(
        ActionCheckBooking(), tracker(typed + " 06 12 34 56 78", "check_booking", sender="other")
    )
    assert responses == ["utter_booking_status_requested"]
    responses, _, _, _ = run(
        ActionCancelBooking(), tracker(f"annuler {code}", "cancel_booking", sender="other")
    )
    assert responses == ["utter_booking_not_found"]
    responses, messages, _, _ = run(ActionCancelBooking(), tracker("annuler", "cancel_booking"))
    assert responses == ["utter_booking_which_to_cancel"]
    responses, _, _, _ = run(
        ActionCancelBooking(),
        tracker(
            messages[0]["buttons"][0]["payload"],
            "cancel_booking",
            [{"entity": "booking_code", "value": code}],
        ),
    )
    assert responses == ["utter_booking_cancelled"]
    assert repo.by_code(code).status == "cancelled"


def test_remind_bus_stores_a_reminder_for_the_day_before(repo):
    # By SMS (and Messenger) the reminder is said in the conversation itself; the web asks how
    # (tests/unit/test_web_reminders.py).
    responses, messages, slots, _ = run(
        ActionRemindBus(),
        tracker(
            "prévenez-moi",
            "remind_bus",
            [{"entity": "commune", "value": "Trélon"}],
            sender="+33612345678",
            channel="twilio",
        ),
    )
    assert slots["commune_insee"] == "59601"
    # Trélon's day is a pilot plan: the reminder says it is to be confirmed (issue 15).
    if responses == ["utter_remind_bus_too_soon_unconfirmed"]:
        return  # the visit is tomorrow: nothing to remind
    assert responses == ["utter_remind_bus_set_unconfirmed"]
    far = paris_now() + dt.timedelta(days=400)
    (reminder,) = repo.due_reminders(far)
    assert reminder.channel == "twilio" and reminder.sender_id == "+33612345678"
    assert reminder.due_at.astimezone(PARIS).hour == 10
    payload = json.loads(reminder.payload)
    assert payload["response"] == "utter_reminder_bus_unconfirmed"
    # The handoff process later runs action_deliver_reminder with the reminder's id.
    responses, messages, slots, _ = run(
        ActionDeliverReminder(), tracker("", "x", slots={"reminder_id": float(reminder.id)})
    )
    assert responses == ["utter_reminder_bus_unconfirmed"] and messages[0]["commune"] == "Trélon"
    assert slots == {"reminder_id": None}


def test_remind_bus_without_commune_asks_for_it(repo):
    responses, _, _, _ = run(ActionRemindBus(), tracker("prévenez-moi", "remind_bus"))
    assert responses == ["utter_remind_bus_ask_commune"]


def test_a_bare_code_answers_the_question_asked(repo):
    """ "Quel est le code ?" then "ab3 k7p" alone: checked, or cancelled if that was asked."""
    token = proposals_for("59601", "caf", paris_now())[0]
    _, _, slots, _ = run(ActionSubmitVisio(), tracker("", "affirm", slots=booked_slots(token)))
    code = slots["booking_code"]
    # A new conversation on another device: no booking known, so the code is asked for.
    responses, _, asked, _ = run(
        ActionCheckBooking(), tracker("où en est mon rendez-vous", "check_booking", sender="new")
    )
    assert responses == ["utter_booking_ask_code"]
    assert asked["awaiting"] == "booking_code_status"
    responses, _, asked, _ = run(
        ActionCancelBooking(), tracker("annuler mon rendez-vous", "cancel_booking", sender="new")
    )
    assert responses == ["utter_booking_ask_code_cancel"]
    assert asked["awaiting"] == "booking_code_cancel"
    # The bare code (NLU guard: intent check_booking, entity booking_code) with the phone given
    # at booking, in the conversation that asked to cancel.
    bare = f"{code[:3].lower()} {code[3:].lower()} 06 12 34 56 78"
    responses, _, _, _ = run(
        ActionCheckBooking(),
        tracker(bare, "check_booking", [{"entity": "booking_code", "value": code}],
                slots={"awaiting": "booking_code_cancel"}, sender="new"),
    )  # fmt: skip
    assert responses == ["utter_booking_cancelled"]
    assert repo.by_code(code).status == "cancelled"


def rendered(message: dict) -> str:
    """The text Rasa makes of a dispatcher message, from the project's domain.yml."""
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))
    params = {k: v for k, v in message.items() if k not in ("response", "buttons", "elements")}
    answer = asyncio.run(
        TemplatedNaturalLanguageGenerator(domain.responses).generate(
            message["response"],
            DialogueStateTracker.from_events("web-1", [], domain.slots),
            "rest",
            **params,
        )
    )
    return answer["text"]


def test_the_booking_confirmation_names_the_organisation_and_the_date_once(repo):
    from franceservices.text.french import format_date_fr, format_time_fr

    token = proposals_for("59601", "caf", paris_now())[0]
    _, messages, slots, _ = run(
        ActionSubmitVisio(), tracker("", "affirm", slots=booked_slots(token))
    )
    code = slots["booking_code"]
    start = dt.datetime.fromisoformat(token.split("@", 1)[1]).astimezone(PARIS)
    when = f"{format_date_fr(start.date())} à {format_time_fr(start.time())}"
    place = repo.by_code(code).place_label
    assert rendered(messages[0]) == (
        f"C'est noté. Votre demande de rendez-vous en visio avec la CAF (allocations familiales) :"
        f" {when}, {place}.\n"
        f"Votre code : {code[:3]} {code[3:]}. Gardez-le : il sert à suivre ou annuler le"
        " rendez-vous.\n"
        "Un conseiller France Services va vérifier et vous confirmer le rendez-vous."
    )


def test_the_confirmation_text_of_a_known_slot():
    slot = find_slot(
        parse_slot_token("bus:avesnois@2026-12-02T09:30:00+01:00"),
        dt.datetime(2026, 11, 20, 12, 0, tzinfo=PARIS),
        min_lead=dt.timedelta(0),
    )
    params = logic.booking_params("AB3 K7P", logic.place_label(slot), slot.start, "la CAF")
    first_line = rendered({"response": "utter_visio_booked", **params}).splitlines()[0]
    assert first_line == (
        "C'est noté. Votre demande de rendez-vous en visio avec la CAF :"
        f" mercredi 2 décembre à 9 h 30, {logic.place_label(slot)}."
    )
    assert "décembre" not in logic.place_label(slot) and logic.place_label(slot)


def test_a_new_session_does_not_keep_the_personal_data_of_an_abandoned_form():
    """Rasa's own session start, with the project's domain: the name and contact typed into a
    form left unfinished are not carried into the next session."""
    from rasa.core.actions.action import ActionSessionStart
    from rasa.core.channels import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))
    personal = {
        "visio_name": "Marie Martin",
        "visio_contact": "+33612345678",
        "callback_contact": "+33612345678",
    }
    tracker = DialogueStateTracker.from_events(
        "web-1", [SlotSet(name, value) for name, value in personal.items()], domain.slots
    )
    events = asyncio.run(
        ActionSessionStart().run(
            CollectingOutputChannel(),
            TemplatedNaturalLanguageGenerator(domain.responses),
            tracker,
            domain,
        )
    )
    carried = {e.key for e in events if isinstance(e, SlotSet)}
    assert not carried & set(personal), carried


# -- only the offer's slots (issue 18) ------------------------------------------------------------


def test_only_the_organisation_the_offer_has_gets_slots(repo):
    assert proposals_for("59601", "caf", paris_now())
    assert all(t.startswith("bus:avesnois@") for t in proposals_for("59601", "caf", paris_now()))
    assert proposals_for("59601", "dgfip", paris_now()) == []  # no advisor of the impôts
    _, _, slots, _ = run(
        ValidateVisioForm(),
        form_turn("Trélon", "inform_commune", "commune_insee", {"visio_operator": "dgfip"}),
    )
    assert slots["visio_stop"] == "no_slot" and slots["requested_slot"] is None


def test_nothing_offered_gives_the_nearest_phone_and_a_call_back(repo, monkeypatch):
    from franceservices.booking import offer as offer_module

    monkeypatch.setattr(offer_module, "_overlay", None)  # the shipped offer: no organisation
    assert proposals_for("59601", "caf", paris_now()) == []
    _, _, slots, _ = run(
        ValidateVisioForm(),
        form_turn("Trélon", "inform_commune", "commune_insee", {"visio_operator": "caf"}),
    )
    assert slots["visio_stop"] == "no_slot"
    responses, messages, slots, events = run(
        ActionSubmitVisio(),
        tracker(
            "",
            "inform_commune",
            slots={"visio_stop": "no_slot", "visio_operator": "caf", "commune_insee": "59601"},
        ),
    )
    assert responses == ["utter_visio_no_offer"]
    from franceservices.places.communes import load_communes
    from franceservices.places.desks import load_desks

    trelon = load_communes().get("59601")
    nearest, _ = load_desks().nearest_fixed(trelon.lat, trelon.lon, 1)[0]
    assert messages[0]["desk_phone"] == nearest.phone and messages[0]["desk_name"] == nearest.name
    assert messages[0]["operator"].startswith("la CAF")
    assert {"event": "followup", "name": "callback_form", "timestamp": None} in events
    assert slots["handoff_reason"] and slots["visio_stop"] is None
    text = rendered(messages[0])
    assert "Je ne peux pas vous proposer de rendez-vous en visio avec la CAF" in text
    assert nearest.phone in text


def test_a_slot_not_in_the_offer_cannot_be_booked(repo):
    token = proposals_for("59601", "caf", paris_now())[0]
    # the same slot, booked "with the impôts": not in the offer, refused like a taken one
    booked = {**booked_slots(token), "visio_operator": "dgfip"}
    responses, _, _, _ = run(ActionSubmitVisio(), tracker("", "affirm", slots=booked))
    assert responses[0] == "utter_visio_slot_taken" and "utter_visio_booked" not in responses
