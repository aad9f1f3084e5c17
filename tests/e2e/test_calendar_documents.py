"""Calendar and documents conversations with the real servers (REST channel).

The servers run on the real clock, so these tests check the shape of the answers; the exact
dates are checked by the unit tests with an injected `now`.
"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e
DATE = re.compile(r"(lundi|mardi|mercredi|jeudi|vendredi) (1er|\d{1,2}) \w+")


def test_bus_question_with_the_commune(conversation):
    text = conversation.say_text("quand passe le bus à Trélon ?")
    assert "Trélon" in text
    assert "aujourd'hui" in text or DATE.search(text)
    assert "03 59 73 18 20" in text  # the Avesnois bus


def test_bus_question_then_commune_then_follow_ups(conversation):
    assert "quelle commune" in conversation.say_text("quand passe le bus ?")
    first = conversation.say_text("sin le noble")
    assert "Sin-le-Noble" in first and "03 59 73 18 31" in first
    more = conversation.say_text("et le mois d'après ?")
    assert "passages suivants" in more and len(DATE.findall(more)) == 3
    assert "Sin-le-Noble" in conversation.say_text("c'est où exactement ?")
    assert " h" in conversation.say_text("à quelle heure ?")


def test_ambiguous_commune_offers_buttons_that_work(conversation):
    messages = conversation.say("quand passe le bus à avesnes")
    buttons = [b for m in messages for b in m.get("buttons", [])]
    assert any("Avesnes-sur-Helpe" in b["title"] for b in buttons)
    payload = next(b["payload"] for b in buttons if "Avesnes-sur-Helpe" in b["title"])
    text = conversation.say_text(payload)
    assert "ne s'arrête pas à Avesnes-sur-Helpe" in text
    assert "France Services la plus proche" in text


def test_commune_outside_the_nord(conversation):
    assert "Pas-de-Calais" in conversation.say_text("quand passe le bus à Arras ?")


def test_desk_open_or_closed(conversation):
    text = conversation.say_text("la france services de Hondschoote est ouverte ?")
    assert "France services Hondschoote" in text
    assert "ouvert en ce moment" in text or "fermé en ce moment" in text


def test_where_is_the_bus_tomorrow(conversation):
    text = conversation.say_text("où sera le bus demain ?")
    assert "bus" in text


def test_documents_with_a_question_then_fees(conversation):
    messages = conversation.say("je dois refaire ma carte d'identité")
    assert any(m.get("buttons") for m in messages)
    text = conversation.say_text("c'est pour moi")
    if "photo" not in text.lower():
        text = conversation.say_text("je l'ai perdue")
    assert "photo" in text.lower() and "https://" in text
    assert "25" in conversation.say_text("combien ça coûte ?")


def test_the_assistant_keeps_answering_after_bad_input(conversation):
    conversation.say("")
    conversation.say("🙂")
    assert "Trélon" in conversation.say_text("quand passe le bus à Trélon ?")
