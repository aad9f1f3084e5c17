""" "Prévenez-moi" on the website (issue 15), with the real servers: the REST channel, the action
server, the chat page server, the store, and a real SMTP server (aiosmtpd, tests/e2e/conftest.py).

By e-mail: the person chooses "Par e-mail", gives an address and consents; the day before the
visit (the reminder sender's clock injected, as tests/unit/test_email_reminders.py does) the
mail reaches the SMTP server with the visit's .ics. By agenda: the link the assistant gives is
served by the chat page server and parses back as the visit.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy

import pytest
import requests
from icalendar import Calendar

from franceservices.booking.rules import day_before
from franceservices.calendar.tours import get_calendar
from franceservices.dates.clock import paris_now
from franceservices.text.french import format_date_fr
from handoff.reminders import ReminderSender, SmtpSettings
from store import Repository
from store.db import make_engine


def a_stop_to_remind():
    """A stop whose next visit is far enough for a day-before reminder (Trélon if it is)."""
    calendar, now = get_calendar(), paris_now()
    stops = sorted(calendar.stops(), key=lambda s: s.commune != "Trélon")
    for stop in stops:
        visits = calendar.next_visits(stop.insee, now, 1, include_cancelled=False)
        if visits and visits[0].tour_id == stop.tour_id and day_before(visits[0].opens_at, now):
            if len(calendar.stops_in(stop.insee)) == 1:
                return stop, visits[0]
    pytest.skip("no visit far enough for a reminder")


def _payloads(messages):
    return [b["payload"] for m in messages for b in m.get("buttons", [])]


def _never(*args, **kwargs):
    raise AssertionError("an e-mail reminder is not said through Rasa")


def test_prevenez_moi_by_email_reaches_the_smtp_server_the_day_before(
    conversation, stack, mail_server
):
    _, inbox = mail_server
    stop, visit = a_stop_to_remind()
    answer = conversation.say(f"prévenez-moi quand le bus passe à {stop.commune}")
    text = "\n".join(m.get("text", "") for m in answer)
    assert format_date_fr(visit.date) in text
    assert "Je vous préviendrai" not in text  # no promise the web cannot keep
    assert '/affirm{"reminder_way":"email"}' in _payloads(answer)

    asked = conversation.say_text('/affirm{"reminder_way":"email"}')
    assert "adresse e-mail" in asked
    consent = conversation.say_text("jean.dupont@orange.fr")
    assert "Je garde votre adresse seulement pour ce rappel" in consent
    done = conversation.say_text("oui")
    assert "Vous recevrez un e-mail la veille" in done

    repo = Repository(make_engine(stack.env["DATABASE_URL"]))
    far = paris_now() + dt.timedelta(days=400)
    (reminder,) = [r for r in repo.due_reminders(far) if r.sender_id == conversation.sender]
    assert (reminder.channel, reminder.recipient) == ("email", "jean.dupont@orange.fr")
    due = reminder.due_at

    def sender_at(moment):
        sender = ReminderSender(
            repo,
            _never,
            clock=lambda: moment,
            smtp=SmtpSettings.from_env(stack.env),
            calendar=get_calendar,
        )
        # The hourly CNIL purge is not what this tests: at a clock weeks ahead it would delete
        # the bookings of the other tests of this stack.
        sender._last_purge = moment
        return sender

    before = asyncio.run(sender_at(due - dt.timedelta(hours=1)).run_once())
    assert before["sent"] == 0 and inbox.envelopes == []
    assert repo.get_reminder(reminder.id).status == "pending"

    after = asyncio.run(sender_at(due + dt.timedelta(minutes=1)).run_once())
    assert after["sent"] == 1
    assert repo.get_reminder(reminder.id).status == "sent"
    (envelope,) = inbox.envelopes
    assert envelope.rcpt_tos == ["jean.dupont@orange.fr"]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    body = message.get_body(("plain",)).get_content()
    assert f"à {stop.commune}" in body and format_date_fr(visit.date) in body
    (attachment,) = list(message.iter_attachments())
    (event,) = Calendar.from_ical(attachment.get_content()).walk("VEVENT")
    assert event.decoded("dtstart") == visit.opens_at


def test_ajouter_a_mon_agenda_links_to_the_visit_ics(conversation, stack):
    stop, visit = a_stop_to_remind()
    conversation.say(f"prévenez-moi quand le bus passe à {stop.commune}")
    answer = conversation.say_text('/affirm{"reminder_way":"agenda"}')
    link = f"{stack.web_url}/agenda/{visit.tour_id}/{visit.insee}/{visit.date}.ics"
    assert link in answer
    got = requests.get(link, timeout=10)
    assert got.status_code == 200 and got.headers["Content-Type"].startswith("text/calendar")
    (event,) = Calendar.from_ical(got.content).walk("VEVENT")
    assert event.decoded("dtstart") == visit.opens_at
    assert str(event["location"]) == visit.place


def test_non_laissez_tomber_leaves_with_a_short_answer(conversation):
    stop, _ = a_stop_to_remind()
    conversation.say(f"prévenez-moi quand le bus passe à {stop.commune}")
    answer = conversation.say_text("non laissez tomber")
    assert answer.startswith("D'accord, je ne garde rien.")
