"""E-mail reminders: the sender's SMTP client talks to a real local SMTP server (aiosmtpd).

The reminders are rows of a real migrated SQLite store (the `repo` fixture of conftest.py).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller

from franceservices import wording
from handoff.reminders import (
    ReminderSender,
    SmtpSettings,
    email_message,
    send_email,
)
from store.models import UTC


class _Inbox:
    def __init__(self) -> None:
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def settings(smtp_server):
    controller, _ = smtp_server
    return SmtpSettings.from_env(
        {
            "SMTP_HOST": controller.hostname,
            "SMTP_PORT": str(controller.port),
            "SMTP_FROM": "ne-pas-repondre@franceservices.lenord.fr",
        }
    )


PARAMS = {
    "commune": "Trélon",
    "date": "lundi 7 décembre",
    "hours": "de 9 h 30 à 12 h 30 et de 13 h 30 à 16 h",
    "place": "devant la mairie, 1 place Jean-Jaurès, 59132 Trélon",
    "phone": "03 59 73 18 20",
}


def _received(inbox, index=0):
    envelope = inbox.envelopes[index]
    return envelope, email.message_from_bytes(envelope.content, policy=email.policy.default)


def test_settings_from_the_environment():
    assert SmtpSettings.from_env({}) is None
    with pytest.raises(ValueError, match="SMTP_FROM"):
        SmtpSettings.from_env({"SMTP_HOST": "relay"})
    full = SmtpSettings.from_env(
        {
            "SMTP_HOST": "relay.lenord.fr",
            "SMTP_PORT": "587",
            "SMTP_FROM": "a@b.fr",
            "SMTP_USER": "u",
            "SMTP_PASSWORD": "p",
            "SMTP_STARTTLS": "1",
        }
    )
    assert (full.host, full.port, full.user, full.password, full.starttls) == (
        "relay.lenord.fr",
        587,
        "u",
        "p",
        True,
    )


def test_send_email_reaches_the_server_with_its_attachment(smtp_server, settings):
    _, inbox = smtp_server
    ics = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    message = email_message(
        settings,
        "camille@example.org",
        "Rappel France Services",
        "Bonjour, voici le passage du bus.",
        ("bus.ics", ics, "text/calendar; charset=utf-8"),
    )
    send_email(settings, message)
    envelope, received = _received(inbox)
    assert envelope.mail_from == "ne-pas-repondre@franceservices.lenord.fr"
    assert envelope.rcpt_tos == ["camille@example.org"]
    assert received["Subject"] == "Rappel France Services"
    body = received.get_body(("plain",)).get_content()
    assert body.strip() == "Bonjour, voici le passage du bus."
    (part,) = list(received.iter_attachments())
    assert part.get_filename() == "bus.ics" and part.get_content_type() == "text/calendar"
    assert part.get_payload(decode=True) == ics


def _email_reminder(repo, now, response="utter_reminder_bus"):
    return repo.add_reminder(
        due_at=now,
        channel="email",
        recipient="camille@example.org",
        sender_id="web-visitor-1",
        kind="bus_visit",
        payload={"response": response, "params": PARAMS},
    )


def test_a_due_email_reminder_is_sent_by_the_reminder_loop(repo, smtp_server, settings):
    _, inbox = smtp_server
    now = dt.datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
    reminder = _email_reminder(repo, now)
    later = _email_reminder(repo, now + dt.timedelta(days=1))

    async def never(*args, **kwargs):  # e-mail never goes through Rasa
        raise AssertionError("Rasa delivery called for an e-mail reminder")

    sender = ReminderSender(repo, never, clock=lambda: now, smtp=settings)
    assert asyncio.run(sender.run_once()) == {"sent": 1, "failed": 0, "opted_out": 0}
    assert repo.get_reminder(reminder.id).status == "sent"
    assert repo.get_reminder(later.id).status == "pending"
    envelope, received = _received(inbox)
    assert envelope.rcpt_tos == ["camille@example.org"]
    assert received["Subject"] == wording.text("utter_email_reminder_subject", "web")
    body = received.get_body(("plain",)).get_content()
    assert wording.text("utter_reminder_bus", "web", **PARAMS) in body
    assert "Trélon demain, lundi 7 décembre" in body
    # a second round sends nothing more
    assert asyncio.run(sender.run_once())["sent"] == 0
    assert len(inbox.envelopes) == 1


def test_a_planned_day_is_reminded_as_to_be_confirmed(repo, smtp_server, settings):
    _, inbox = smtp_server
    now = dt.datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
    _email_reminder(repo, now, "utter_reminder_bus_unconfirmed")
    sender = ReminderSender(repo, None, clock=lambda: now, smtp=settings)
    assert asyncio.run(sender.run_once())["sent"] == 1
    body = _received(inbox)[1].get_body(("plain",)).get_content()
    assert "à confirmer au 03 59 73 18 20" in body


def test_without_smtp_or_with_the_server_down_it_fails_and_is_retried(repo, smtp_server):
    now = dt.datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
    reminder = _email_reminder(repo, now)
    sender = ReminderSender(repo, None, clock=lambda: now, smtp=None)
    assert asyncio.run(sender.run_once()) == {"sent": 0, "failed": 1, "opted_out": 0}
    stored = repo.get_reminder(reminder.id)
    assert stored.status == "pending" and stored.attempts == 1
    assert "SMTP_HOST" in stored.last_error
    closed = SmtpSettings("127.0.0.1", _free_port(), "a@b.fr", timeout=2)
    later = ReminderSender(repo, None, clock=lambda: stored.due_at, smtp=closed)
    assert asyncio.run(later.run_once())["failed"] == 1
    assert repo.get_reminder(reminder.id).attempts == 2


def test_the_day_before_email_carries_the_visit_for_the_agenda(repo, smtp_server, settings):
    from icalendar import Calendar

    from franceservices.calendar.answers import hours_text
    from franceservices.calendar.tours import load_tours
    from franceservices.dates.clock import PARIS
    from franceservices.text.french import format_date_fr

    _, inbox = smtp_server
    calendar = load_tours()
    now = dt.datetime(2026, 12, 2, 9, 0, tzinfo=PARIS)
    visit = calendar.next_visits(calendar.stops()[0].insee, now + dt.timedelta(days=2), 1)[0]
    params = {
        "commune": visit.commune,
        "date": format_date_fr(visit.date),
        "hours": hours_text(visit),
        "place": visit.place,
        "phone": visit.tour.phone,
    }
    due = dt.datetime.combine(visit.date - dt.timedelta(days=1), dt.time(10), tzinfo=PARIS)
    repo.add_reminder(
        due_at=due,
        channel="email",
        recipient="camille@example.org",
        kind="bus_visit",
        payload={"response": "utter_reminder_bus", "params": params},
    )
    sender = ReminderSender(repo, None, clock=lambda: due, smtp=settings, calendar=lambda: calendar)
    assert asyncio.run(sender.run_once())["sent"] == 1
    _, received = _received(inbox)
    (part,) = list(received.iter_attachments())
    assert part.get_content_type() == "text/calendar"
    assert part.get_filename() == f"bus-france-services-{visit.insee}-{visit.date}.ics"
    (event,) = Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")
    assert event.decoded("DTSTART") == visit.opens_at
    assert str(event["LOCATION"]) == visit.place
