"""Conversations held with the real servers through the REST channel."""

from __future__ import annotations

import sqlite3

import pytest

pytestmark = pytest.mark.e2e


def test_greeting_says_it_is_an_automatic_assistant_and_offers_a_menu(conversation):
    messages = conversation.say("bonjour")
    text = messages[0]["text"]
    assert "assistant automatique du Département du Nord" in text
    titles = [b["title"] for b in messages[0].get("buttons", [])]
    assert "Parler à une personne" in titles


def test_asking_for_a_human_gives_a_phone_number(conversation):
    text = conversation.say_text("je veux parler à un conseiller")
    assert "03 59 73" in text


def test_not_understood_twice_offers_a_human(conversation):
    first = conversation.say_text("xkcd qwfp zzgrbl")
    second = conversation.say_text("brimborion quetzal mandoline")
    assert "pas bien compris" in first
    assert "conseiller" in second and "03 59 73" in second


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("", "aucun texte"),
        ("   ", "aucun texte"),
        ("🙂🙂🚌👍", "émojis"),
        ("?!?!...", "émojis"),
        ("bonjour " * 625, "très long"),
    ],
)
def test_bad_input_gets_a_polite_answer(conversation, message, expected):
    assert expected in conversation.say_text(message)


def test_another_language_is_answered_in_french_and_english(conversation):
    text = conversation.say_text("hello, do you speak english? I need help")
    assert "seulement le français" in text


def test_the_conversation_is_stored_in_the_sql_tracker_store(stack, conversation):
    conversation.say("bonjour")
    db_path = stack.env["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(db_path) as db:
        (count,) = db.execute(
            "SELECT COUNT(*) FROM events WHERE sender_id = ? AND type_name = 'user'",
            (conversation.sender,),
        ).fetchone()
    assert count == 1


def test_a_booking_code_typed_alone_is_understood(conversation):
    from franceservices.booking.codes import format_code, new_code

    assert "code" in conversation.say_text("où en est mon rendez-vous ?")
    # An unknown code: the same polite answer as someone else's (codes cannot be probed).
    assert "Je ne trouve pas ce rendez-vous" in conversation.say_text(format_code(new_code()))


def test_a_hanging_action_server_gets_an_apology_not_silence(stack, conversation):
    """Rasa would wait 300 s and say nothing; the guard answers within its 4 s timeout."""
    import os
    import signal
    import time

    group = os.getpgid(stack.processes["actions"].pid)
    os.killpg(group, signal.SIGSTOP)
    try:
        started = time.monotonic()
        answer = conversation.say_text("quand passe le bus à Trélon ?")
        elapsed = time.monotonic() - started
    finally:
        os.killpg(group, signal.SIGCONT)
    assert "problème technique" in answer and "03 59 73" in answer, answer
    assert elapsed < 8, elapsed
    # Back to normal at once, in the same conversation.
    assert "Trélon" in conversation.say_text("quand passe le bus à Trélon ?")


def test_a_web_client_cannot_write_in_an_sms_conversation(stack):
    import requests

    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    for body in (
        {"sender": "+33612345678", "message": "où en est mon rendez-vous"},
        {"sender": "test-spoof-0001", "message": "bonjour", "input_channel": "twilio"},
        {"sender": ["x"], "message": "bonjour"},
    ):
        answer = requests.post(url, json=body, timeout=30)
        assert answer.status_code == 400, answer.text
    answer = requests.post(url, data="{not json", timeout=30)
    assert answer.status_code == 400
    # A channel that does not exist: nothing answers there.
    unknown = f"{stack.rasa_url}/webhooks/nosuchchannel/webhook"
    body = {"sender": "test-spoof-0002", "message": "bonjour"}
    assert requests.post(unknown, json=body, timeout=30).status_code == 404


def test_a_flooding_conversation_gets_a_polite_answer(conversation):
    import requests

    from channels import texts

    url = f"{conversation.stack.rasa_url}/webhooks/rest/webhook"
    statuses = []
    for _ in range(21):  # the default: 20 messages a minute per conversation
        body = {"sender": conversation.sender, "message": "merci"}
        answer = requests.post(url, json=body, timeout=30)
        statuses.append(answer.status_code)
    assert statuses[:20] == [200] * 20
    assert statuses[20] == 429
    assert answer.json() == [
        {"recipient_id": conversation.sender, "text": texts.web_rate_limited()}
    ]


def test_no_user_text_in_the_logs(stack, conversation):
    """What people write stays in the tracker store, not in the servers' logs (INFO level)."""
    marker = "zq7marqueur"
    for text in (
        f"bonjour {marker}",
        f"quand passe le bus à Trélon {marker} ?",
        f"{marker} {marker} {marker}",  # not understood: the fallback path
        f"je veux parler à un conseiller {marker}",
    ):
        conversation.say(text)
    found = [
        path.name
        for path in stack.log_dir.glob("*.log")
        if marker in path.read_text(encoding="utf-8", errors="replace")
    ]
    assert found == [], f"user text found in {found}"
