"""Issue 13: free answers in the booking form, a question asked inside it, leaving it.

The validator's extraction is called as rasa-sdk calls it (Trackers built inline); the dialogue
part (answer, "On reprend votre rendez-vous ?", ask again) is Rasa's form rejection plus the
rules of data/rules_booking.yml, checked here against QUESTION_INTENTS and in
tests/test_stories.yml."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions.booking import QUESTION_INTENTS, ValidateVisioForm
from tests.unit.test_booking import DOMAIN, form_turn, run

PROJECT = Path(__file__).resolve().parents[2]
MON_7_10H = "bus:avesnois@2026-12-07T10:00:00+01:00"
TUE_8_9H = "desk:346@2026-12-08T09:00:00+01:00"
TUE_8_14H = "desk:346@2026-12-08T14:00:00+01:00"
WED_9_9H30 = "bus:avesnois@2026-12-09T09:30:00+01:00"
PROPOSALS = [MON_7_10H, TUE_8_9H, TUE_8_14H, WED_9_9H30]


def extract(slot, text, intent, slots=None, entities=()):
    form = ValidateVisioForm()
    method = getattr(form, f"extract_{slot}")
    trk = form_turn(text, intent, slot, slots, entities)
    return asyncio.run(method(CollectingDispatcher(), trk, DOMAIN))


@pytest.mark.parametrize(
    ("slot", "text", "intent", "slots"),
    [
        ("visio_name", "c'est quoi les papiers pour la carte grise ?", "ask_documents", None),
        ("visio_name", "le bus passe quand à Trélon ?", "ask_bus_visit", None),
        ("visio_contact", "vous êtes un robot ?", "bot_challenge", None),
        ("visio_slot", "ça coûte combien ?", "ask_fees", {"visio_proposals": PROPOSALS}),
        ("commune_insee", "quand passe le bus à Trélon", "ask_bus_visit", None),
        ("visio_operator", "il faut quels papiers ?", "ask_documents", None),
        ("visio_consent", "c'est quoi vos horaires ?", "ask_desk", None),
    ],
)
def test_a_question_inside_the_form_is_not_taken_as_the_answer(slot, text, intent, slots):
    # Nothing extracted: Rasa rejects the form and a rule answers the question.
    assert extract(slot, text, intent, slots) == {}


@pytest.mark.parametrize(
    ("slot", "text", "intent", "slots", "value"),
    [
        ("visio_name", "Marie Martin", "ask_documents", None, "Marie Martin"),
        ("visio_slot", "mercredi à 9 h 30", "ask_bus_location", {"visio_proposals": PROPOSALS},
         "mercredi à 9 h 30"),
        ("visio_slot", "mardi", "ask_bus_visit", {"visio_proposals": PROPOSALS}, "mardi"),
        ("visio_contact", "06 12 34 56 78", "ask_desk", None, "06 12 34 56 78"),
        ("commune_insee", "Trélon", "ask_bus_visit", None, "Trélon"),
        ("visio_reason", "carte grise", "ask_documents", None, "carte grise"),
        ("visio_operator", "la caf", "ask_documents", None, "la caf"),
        ("visio_name", "non laissez tomber", "deny", None, "non laissez tomber"),
    ],
)  # fmt: skip
def test_an_answer_that_looks_like_a_question_is_still_the_answer(slot, text, intent, slots, value):
    assert extract(slot, text, intent, slots) == {slot: value}


def test_oui_is_not_a_name_and_a_name_in_a_sentence_is_kept():
    responses, _, slots, _ = run(ValidateVisioForm(), form_turn("oui", "affirm", "visio_name"))
    assert slots["visio_name"] is None and responses == ["utter_visio_name_invalid"]
    _, _, slots, _ = run(
        ValidateVisioForm(), form_turn("je m'appelle Marie Martin", "inform", "visio_name")
    )
    assert slots["visio_name"] == "Marie Martin"


def test_a_typed_answer_fitting_two_slots_asks_which():
    turn = form_turn("mardi", "inform", "visio_slot", {"visio_proposals": PROPOSALS})
    responses, _, slots, _ = run(ValidateVisioForm(), turn)
    assert responses == ["utter_visio_slot_several"] and slots["visio_slot"] is None


@pytest.mark.parametrize(
    "slot", ["visio_operator", "visio_reason", "commune_insee", "visio_slot", "visio_name"]
)
def test_non_laissez_tomber_leaves_the_form_at_any_question(slot):
    slots = {"visio_proposals": PROPOSALS}
    _, _, events, _ = run(ValidateVisioForm(), form_turn("non laissez tomber", "deny", slot, slots))
    assert events["visio_stop"] == "declined" and events["requested_slot"] is None


def _load(name):
    return yaml.safe_load((PROJECT / name).read_text(encoding="utf-8"))


def test_every_question_intent_has_its_interruption_rule_and_answer():
    answers = {}
    for rule in _load("data/rules.yml")["rules"]:
        steps = rule["steps"]
        if len(steps) == 2 and "intent" in steps[0] and "condition" not in rule:
            answers[steps[0]["intent"]] = steps[1]["action"]
    interruptions = {}
    for rule in _load("data/rules_booking.yml")["rules"]:
        if (
            rule.get("condition") == [{"active_loop": "visio_form"}]
            and "intent" in rule["steps"][0]
        ):
            interruptions[rule["steps"][0]["intent"]] = [s.get("action") for s in rule["steps"][1:]]
    for intent in QUESTION_INTENTS:
        assert interruptions.get(intent) == [
            answers[intent],
            "utter_visio_resume",
            "visio_form",
            None,
        ], intent
    domain = _load("domain.yml")
    assert domain["responses"]["utter_visio_resume"][0]["text"] == "On reprend votre rendez-vous ?"
    assert set(QUESTION_INTENTS) <= set(domain["intents"])


@pytest.mark.parametrize(
    ("slot", "text", "value"),
    [
        # "appelle" makes the classifier hear a call for a person; the words are the answer.
        ("visio_name", "je m'appelle Marie Martin", "Marie Martin"),
        ("visio_contact", "appelez moi au 06 12 34 56 78", "+33612345678"),
    ],
)
def test_an_answer_classified_as_asking_for_a_person_is_still_the_answer(slot, text, value):
    _, _, events, _ = run(ValidateVisioForm(), form_turn(text, "ask_human", slot))
    assert events[slot] == value and events.get("visio_stop") is None


def test_asking_for_a_person_inside_the_form_still_leaves_it():
    turn = form_turn("je veux parler à quelqu'un", "ask_human", "visio_name")
    _, _, events, _ = run(ValidateVisioForm(), turn)
    assert events["visio_stop"] == "human" and events["requested_slot"] is None
