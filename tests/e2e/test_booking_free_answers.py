"""Issue 13 through the real REST channel: the booking form answered in free words.

A slot chosen by typing its day and hour, a name that is a name ("oui" is refused), a question
asked in the middle of the form (answered, then "On reprend votre rendez-vous ?" and the same
question again), and "non laissez tomber" leaving the form with nothing stored.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from franceservices.booking.visio_slots import parse_slot_token
from franceservices.dates.clock import to_paris
from store import Repository
from store.db import make_engine

pytestmark = pytest.mark.e2e


def start_form(person) -> list[dict]:
    """Operator, reason, commune: returns the messages that propose the slots."""
    assert "quelques mots" in person.say_text("je voudrais un rendez-vous en visio avec la CAF")
    assert "commune" in person.say_text("ma prime d'activité")
    return person.say("Trélon")


def typed_choice(messages: list[dict]) -> str:
    """How a person types one proposed slot ("le 9 à 9h30"): one whose day and hour no other
    proposal shares, read from the buttons' tokens (Paris time)."""
    starts = []
    for button in (b for m in messages for b in m.get("buttons", [])):
        token = json.loads(button["payload"].removeprefix("/affirm"))["slot_token"]
        starts.append(to_paris(parse_slot_token(token)[1]))
    assert starts, messages
    counts = Counter((s.day, s.hour, s.minute) for s in starts)
    start = next(s for s in starts if counts[(s.day, s.hour, s.minute)] == 1)
    return f"le {start.day} à {start.hour}h{start.minute:02d}"


def test_a_slot_chosen_by_typing_its_day_and_hour_then_a_real_name(conversation):
    proposals = start_form(conversation)
    consent = conversation.say_text(typed_choice(proposals))
    assert "Êtes-vous d'accord ?" in consent, consent
    assert "nom" in conversation.say_text("oui je suis d'accord")
    assert "Je n'arrive pas à lire ce nom" in conversation.say_text("oui")
    assert "téléphone" in conversation.say_text("je m'appelle Marie Martin")
    done = conversation.say_text("06 12 34 56 78")
    assert "Votre code" in done, done


def test_a_question_inside_the_form_is_answered_then_the_form_resumes(conversation):
    assert "quelques mots" in conversation.say_text("un rendez-vous en visio avec la CAF")
    assert "commune" in conversation.say_text("ma prime d'activité")
    answer = conversation.say_text("il faut quels papiers pour refaire une carte d'identité ?")
    assert "pas compris quel rendez-vous" not in answer
    assert "On reprend votre rendez-vous ?" in answer, answer
    assert answer.rstrip().endswith("Je cherche les rendez-vous les plus proches de chez vous.")
    proposals = conversation.say("Trélon")
    assert any(m.get("buttons") for m in proposals), proposals


def test_non_laissez_tomber_leaves_the_form_with_nothing_stored(stack, conversation):
    start_form(conversation)
    answer = conversation.say_text("non laissez tomber")
    assert "je n'ai rien enregistré" in answer, answer
    assert "assistant automatique" in conversation.say_text("bonjour")  # the form is over
    repo = Repository(make_engine(stack.env["DATABASE_URL"]))
    assert repo.bookings_of(conversation.sender) == []
