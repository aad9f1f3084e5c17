"""Cancellation notices: a "prévenez-moi" reminder of a visit staff cancel becomes a notice with
the reason and the next date, in the person's own channel (real SQLite store, the calendar core's
own change applied to tours.yml, e-mail through a local aiosmtpd server)."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller

from franceservices import wording
from franceservices.calendar.answers import hours_text
from franceservices.calendar.changes import CancelDay, CancelVisit, apply_changes, read_base
from franceservices.dates.clock import PARIS
from franceservices.text.french import format_date_fr
from handoff.reminders import ReminderSender, SmtpSettings, reminder_visit

NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=PARIS)


@pytest.fixture(scope="module")
def base():
    return read_base()


@pytest.fixture(scope="module")
def plain(base):
    return apply_changes(base, []).calendar


def _visit(calendar, confirmed=True, index=0):
    stops = [s for s in calendar.stops() if s.day_confirmed is confirmed]
    return calendar.next_visits(stops[index].insee, NOW + dt.timedelta(days=3), 1)[0]


def _remind(repo, visit, channel="twilio", recipient="+33611111111", with_visit=False):
    """Stored as actions/booking.py's ActionRemindBus stores it."""
    params = {
        "commune": visit.commune,
        "date": format_date_fr(visit.date),
        "hours": hours_text(visit),
        "place": visit.place,
        "phone": visit.tour.phone,
    }
    payload = {"response": "utter_reminder_bus", "params": params}
    if with_visit:
        payload["visit"] = {
            "tour": visit.tour_id,
            "insee": visit.insee,
            "date": visit.date.isoformat(),
        }
    due = dt.datetime.combine(visit.date - dt.timedelta(days=1), dt.time(10), tzinfo=PARIS)
    return repo.add_reminder(
        due_at=due,
        channel=channel,
        recipient=recipient,
        sender_id=recipient,
        kind="bus_visit",
        payload=payload,
    )


def _collector():
    delivered = []

    async def deliver(sender_id, channel, slots, action, **kwargs):
        delivered.append((sender_id, channel, slots, action))

    return delivered, deliver


def test_the_visit_of_a_reminder_is_found_from_what_it_will_say(repo, plain):
    visit = _visit(plain)
    for with_visit in (False, True):
        reminder = _remind(repo, visit, with_visit=with_visit)
        assert reminder_visit(reminder, plain) == (visit.tour_id, visit.insee, visit.date)


def test_a_cancelled_visit_sends_a_notice_with_the_reason_and_next_date(repo, base, plain):
    visit = _visit(plain)
    other = _visit(plain, index=1)
    reminder = _remind(repo, visit)
    untouched = _remind(repo, other, recipient="+33622222222")
    cancelled = apply_changes(
        base, [CancelVisit(visit.tour_id, visit.insee, visit.date, "panne du bus")]
    ).calendar
    delivered, deliver = _collector()
    sender = ReminderSender(repo, deliver, clock=lambda: NOW, smtp=None, calendar=lambda: cancelled)
    counts = asyncio.run(sender.run_once())
    assert counts == {"sent": 1, "failed": 0, "opted_out": 0}
    closed = repo.get_reminder(reminder.id)
    assert closed.status == "failed" and closed.last_error == "visit cancelled: panne du bus"
    assert repo.get_reminder(untouched.id).status == "pending"
    ((sender_id, channel, slots, action),) = delivered
    assert (sender_id, channel, action) == ("+33611111111", "twilio", "action_deliver_reminder")
    notice = repo.get_reminder(int(slots["reminder_id"]))
    assert notice.kind == "bus_cancelled" and notice.status == "sent"
    import json

    payload = json.loads(notice.payload)
    following = cancelled.next_visits(visit.insee, NOW + dt.timedelta(days=3), 1, False)[0]
    assert following.date > visit.date
    assert payload["params"]["reason"] == "panne du bus"
    assert payload["params"]["next_opening"] == format_date_fr(following.date)
    text = wording.text(payload["response"], "sms", **payload["params"])
    assert f"le {format_date_fr(visit.date)} (panne du bus)" in text
    assert f"Prochain passage : {format_date_fr(following.date)}" in text
    # the next round sends nothing again
    assert asyncio.run(sender.run_once())["sent"] == 0


def test_an_email_subscriber_of_a_planned_day_gets_the_notice_by_email(repo, base, plain):
    visit = _visit(plain, confirmed=False)
    _remind(repo, visit, channel="email", recipient="camille@example.org")
    cancelled = apply_changes(base, [CancelDay(visit.tour_id, visit.date, "grève")]).calendar

    class Inbox:
        envelopes: list = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            self.envelopes.append(envelope)
            return "250 OK"

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings = SmtpSettings("127.0.0.1", port, "ne-pas-repondre@franceservices.lenord.fr")
        sender = ReminderSender(
            repo, None, clock=lambda: NOW, smtp=settings, calendar=lambda: cancelled
        )
        assert asyncio.run(sender.run_once())["sent"] == 1
    finally:
        controller.stop()
    (envelope,) = inbox.envelopes
    assert envelope.rcpt_tos == ["camille@example.org"]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    body = message.get_body(("plain",)).get_content()
    assert "(grève)" in body and "Prochain passage" in body
    following = cancelled.next_visits(visit.insee, NOW + dt.timedelta(days=3), 1, False)[0]
    expected = "à confirmer" if not following.day_confirmed else "Prochain passage :"
    assert expected in body


def test_without_a_calendar_no_notice_and_the_reminder_stays(repo, plain):
    visit = _visit(plain)
    reminder = _remind(repo, visit)
    sender = ReminderSender(repo, None, clock=lambda: NOW, smtp=None)
    assert asyncio.run(sender.run_once())["sent"] == 0
    assert repo.get_reminder(reminder.id).status == "pending"
