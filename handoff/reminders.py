"""The reminder sender: every few seconds, the due reminders of the database are delivered.

Reminders are rows of the store (`reminders`), written by the action server ("prévenez-moi") and
by the agents' API (a booking confirmed, moved, refused). Nothing is kept in memory: a restart
of any process loses none, and a reminder due while the sender was down goes out at the next
round. `Repository.mark_sent` only changes a still pending row, so two senders never send one
reminder twice... once they have delivered it; delivery and marking are not one transaction, so
a crash between both sends it again (at least once, never lost).

A reminder of channel "email" (asked for on the website, where Rasa's REST and socket.io
channels cannot reach a closed page) is not said through Rasa: its text (the web variant of the
stored response) is sent by e-mail through a real SMTP client (`smtplib`), configured by the
environment (`SmtpSettings.from_env`: SMTP_HOST, SMTP_PORT, SMTP_FROM, optional SMTP_USER /
SMTP_PASSWORD, SMTP_STARTTLS=1). Without SMTP_HOST an e-mail reminder fails at once, recorded,
never reported as sent.

Cancellation notices: each round, the pending "prévenez-moi" reminders (kind "bus_visit") are
checked against the calendar the assistant tells (tours.yml with the staff's changes, when the
sender is given `calendar`); a reminder whose visit staff cancelled is closed (status failed,
"visit cancelled: <reason>", so it never says the bus comes) and a notice with the reason and the
next date is queued in the same channel, to the same person, due at once. Closing first makes
two senders send one notice at most (the second one's close finds the reminder no longer pending).

Also runs the CNIL purge once an hour: bookings the policy's `booking.retention_days` after their
appointment (`reference/policy.yml`, 31 days: the "1 mois" of the notice the person read), closed
handoff requests and finished reminders older than that.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import smtplib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from franceservices import wording
from franceservices.calendar.answers import hours_text
from franceservices.calendar.engine import TourCalendar
from franceservices.calendar.ics import MEDIA_TYPE as ICS_MEDIA_TYPE
from franceservices.calendar.ics import visit_filename, visit_ics, visit_on
from franceservices.dates.clock import PARIS, utc_now
from franceservices.policy import get_policy
from franceservices.text.french import format_date_fr
from store import Repository
from store.models import UTC
from store.repository import NotFound

logger = logging.getLogger(__name__)

RETRY_DELAY = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 3
PURGE_EVERY = dt.timedelta(hours=1)


EMAIL_CHANNEL = "email"


@dataclass(frozen=True)
class SmtpSettings:
    """Where e-mail goes: an SMTP server (the Département's relay) and the sender address."""

    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 20.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmtpSettings | None:
        """The settings from SMTP_HOST, SMTP_PORT (25), SMTP_FROM, SMTP_USER, SMTP_PASSWORD,
        SMTP_STARTTLS ("1"); None when SMTP_HOST is not set (no e-mail can be sent).

        Raises:
            ValueError: SMTP_HOST set without SMTP_FROM, or a port that is not a number.
        """
        env = os.environ if env is None else env
        host = env.get("SMTP_HOST", "").strip()
        if not host:
            return None
        sender = env.get("SMTP_FROM", "").strip()
        if not sender:
            raise ValueError("SMTP_HOST is set but SMTP_FROM (the sender address) is not")
        return cls(
            host=host,
            port=int(env.get("SMTP_PORT", "25") or 25),
            sender=sender,
            user=env.get("SMTP_USER") or None,
            password=env.get("SMTP_PASSWORD") or None,
            starttls=env.get("SMTP_STARTTLS", "") in ("1", "true", "yes"),
        )


def email_message(
    settings: SmtpSettings,
    to: str,
    subject: str,
    body: str,
    attachment: tuple[str, bytes, str] | None = None,
) -> EmailMessage:
    """A plain-text message; `attachment` is (file name, bytes, "type/subtype[; params]")."""
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    message.set_content(body)
    if attachment is not None:
        filename, data, media_type = attachment
        maintype, _, subtype = media_type.split(";")[0].strip().partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message


def send_email(settings: SmtpSettings, message: EmailMessage) -> None:
    """Hand `message` to the SMTP server (blocking: call it in a thread).

    Raises:
        OSError, smtplib.SMTPException: the server is unreachable or refuses the message.
    """
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as client:
        if settings.starttls:
            client.starttls()
        if settings.user:
            client.login(settings.user, settings.password or "")
        client.send_message(message)


def reminder_email(
    settings: SmtpSettings, reminder: Any, ics: tuple[str, bytes] | None = None
) -> EmailMessage:
    """The e-mail of a stored reminder: its response's web text, then why the person gets it;
    `ics` (file name, content) is attached: the visit for the person's agenda."""
    payload = json.loads(reminder.payload or "{}")
    response = payload.get("response")
    if not response:
        raise ValueError(f"reminder {reminder.id} has no response to send")
    params = payload.get("params") or {}
    body = "\n\n".join(
        (
            wording.text(response, "web", **params),
            wording.text("utter_email_reminder_footer", "web"),
        )
    )
    subject = wording.text("utter_email_reminder_subject", "web", **params)
    attachment = (ics[0], ics[1], ICS_MEDIA_TYPE) if ics is not None else None
    return email_message(settings, reminder.recipient, subject, body, attachment)


BUS_VISIT_KIND = "bus_visit"
NOTICE_KIND = "bus_cancelled"
NOTICE_RESPONSE = "utter_reminder_bus_cancelled"  # _unconfirmed: next day planned; _no_next
NOTICE_HORIZON = dt.timedelta(days=70)
"""How far ahead pending reminders are looked at (a visit is at most ~2 months away)."""


def reminder_visit(reminder: Any, calendar: TourCalendar) -> tuple[str, str, dt.date] | None:
    """The visit (tour, INSEE code, date) a "prévenez-moi" reminder is about.

    Read from the payload's "visit" ({"tour", "insee", "date"}) when the action stored it, else
    found from the commune and the French date it will say (the visit is the day after it is
    due, or a day or two later when it was asked late).
    """
    payload = json.loads(reminder.payload or "{}")
    visit = payload.get("visit")
    if isinstance(visit, dict):
        try:
            return str(visit["tour"]), str(visit["insee"]), dt.date.fromisoformat(visit["date"])
        except (KeyError, TypeError, ValueError):
            return None
    params = payload.get("params") or {}
    commune, said = params.get("commune"), params.get("date")
    if not commune or not said:
        return None
    due = reminder.due_at if reminder.due_at.tzinfo else reminder.due_at.replace(tzinfo=UTC)
    first = due.astimezone(PARIS).date()
    for stop in calendar.stops():
        if stop.commune != commune:
            continue
        for offset in range(4):
            day = first + dt.timedelta(days=offset)
            if format_date_fr(day) == said:
                return stop.tour_id, stop.insee, day
    return None


def notice_payload(
    calendar: TourCalendar, tour: str, insee: str, day: dt.date, reason: str
) -> dict[str, Any]:
    """The notice's response and fill: the reason, then the next visit that happens (if any)."""
    stop = next((s for s in calendar.stops_in(insee) if s.tour_id == tour), None)
    commune = stop.commune if stop is not None else insee
    after = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=PARIS)
    upcoming = calendar.next_visits(insee, after, 1, include_cancelled=False)
    params: dict[str, Any] = {
        "commune": commune,
        "date": format_date_fr(day),
        "reason": reason,
        "phone": calendar.tour(tour).phone,
    }
    if not upcoming:
        return {"response": f"{NOTICE_RESPONSE}_no_next", "params": params}
    visit = upcoming[0]
    params.update(
        next_opening=format_date_fr(visit.date), hours=hours_text(visit), place=visit.place
    )
    response = NOTICE_RESPONSE if visit.day_confirmed else f"{NOTICE_RESPONSE}_unconfirmed"
    return {"response": response, "params": params}


def _sms_opted_out(phone: str) -> bool:
    from channels.sms import is_opted_out

    return is_opted_out(phone)


class ReminderSender:
    """Send the due reminders.

    Args:
        repo: the store.
        deliver: `handoff.delivery.RasaDelivery` (tests inject a fake).
        clock: the current aware time (tests inject one).
        is_up: async check that Rasa answers; a round is skipped while it does not, so a
            reminder never burns its attempts while Rasa starts.
        opted_out: whether an SMS number sent STOP (`channels.sms.is_opted_out`).
        smtp: where e-mail reminders go (default: `SmtpSettings.from_env()`, read at start).
        calendar: the calendar the assistant tells (`tours.get_calendar` with the overlay
            installed); None: no cancellation notices.
    """

    def __init__(
        self,
        repo: Repository,
        deliver: Any,
        clock: Callable[[], dt.datetime] = utc_now,
        is_up: Callable[[], Any] | None = None,
        opted_out: Callable[[str], bool] = _sms_opted_out,
        smtp: SmtpSettings | None | str = "env",
        calendar: Callable[[], TourCalendar] | None = None,
    ) -> None:
        self.repo = repo
        self.deliver = deliver
        self.clock = clock
        self.is_up = is_up
        self.opted_out = opted_out
        self.smtp = SmtpSettings.from_env() if smtp == "env" else smtp
        self.calendar = calendar
        self._last_purge: dt.datetime | None = None

    async def run_once(self) -> dict[str, int]:
        """One round; returns how many reminders were sent, failed or skipped."""
        counts = {"sent": 0, "failed": 0, "opted_out": 0}
        if self.is_up is not None and not await self.is_up():
            return counts
        now = self.clock()
        if self.calendar is not None:
            try:
                await asyncio.to_thread(self.send_cancellation_notices, now)
            except Exception:  # noqa: BLE001 - the reminders still go; retried next round
                logger.exception("cancellation notices failed")
        for reminder in await asyncio.to_thread(self.repo.due_reminders, now):
            if reminder.channel == "twilio" and self.opted_out(reminder.recipient):
                await asyncio.to_thread(
                    self.repo.mark_failed, reminder.id, "opted out (STOP)", retry_at=None
                )
                counts["opted_out"] += 1
                continue
            try:
                if reminder.channel == EMAIL_CHANNEL:
                    await self._send_email(reminder)
                else:
                    await self.deliver(
                        reminder.sender_id or reminder.recipient,
                        reminder.channel,
                        {"reminder_id": float(reminder.id)},
                        "action_deliver_reminder",
                        source="reminder",
                    )
            except Exception as error:  # noqa: BLE001 - any failure is recorded and retried
                logger.warning("reminder %s not delivered: %r", reminder.id, error)
                await asyncio.to_thread(
                    self.repo.mark_failed,
                    reminder.id,
                    repr(error),
                    retry_at=now + RETRY_DELAY,
                    max_attempts=MAX_ATTEMPTS,
                )
                counts["failed"] += 1
                continue
            await asyncio.to_thread(self.repo.mark_sent, reminder.id, now)
            counts["sent"] += 1
        await self._purge(now)
        return counts

    def _visit_ics(self, reminder: Any) -> tuple[str, bytes] | None:
        """The .ics of a day-before reminder's visit (not of a notice: that visit is off)."""
        if self.calendar is None or reminder.kind != BUS_VISIT_KIND:
            return None
        calendar = self.calendar()
        found = reminder_visit(reminder, calendar)
        visit = visit_on(calendar, *found) if found is not None else None
        if visit is None or visit.is_cancelled:
            return None
        return visit_filename(visit), visit_ics(visit, self.clock())

    def send_cancellation_notices(self, now: dt.datetime) -> int:
        """Close the reminders of cancelled visits and queue their notices; returns how many."""
        assert self.calendar is not None
        calendar = self.calendar()
        queued = 0
        for reminder in self.repo.due_reminders(now + NOTICE_HORIZON, limit=100_000):
            if reminder.kind != BUS_VISIT_KIND:
                continue
            visit = reminder_visit(reminder, calendar)
            if visit is None:
                continue
            tour, insee, day = visit
            cancellation = calendar.cancellation(tour, insee, day)
            if cancellation is None:
                continue
            try:
                self.repo.mark_failed(
                    reminder.id, f"visit cancelled: {cancellation.reason}", retry_at=None
                )
            except NotFound:
                continue  # another sender closed it (and queued the notice)
            self.repo.add_reminder(
                due_at=now,
                channel=reminder.channel,
                recipient=reminder.recipient,
                sender_id=reminder.sender_id,
                kind=NOTICE_KIND,
                payload=notice_payload(calendar, tour, insee, day, cancellation.reason),
            )
            queued += 1
        return queued

    async def _send_email(self, reminder: Any) -> None:
        if self.smtp is None:
            raise RuntimeError("no SMTP server configured (SMTP_HOST): e-mail cannot be sent")
        ics = await asyncio.to_thread(self._visit_ics, reminder)
        message = reminder_email(self.smtp, reminder, ics)
        await asyncio.to_thread(send_email, self.smtp, message)

    async def _purge(self, now: dt.datetime) -> None:
        if self._last_purge is not None and now - self._last_purge < PURGE_EVERY:
            return
        self._last_purge = now
        cutoff = now - dt.timedelta(days=get_policy().booking.retention_days)
        try:
            deleted = await asyncio.to_thread(self.repo.purge, cutoff)
            logger.info("purge before %s: %s", cutoff.isoformat(), deleted)
        except Exception:  # noqa: BLE001 - the purge is retried next hour
            logger.exception("purge failed")

    async def loop(self, interval: float, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:  # noqa: BLE001 - a database hiccup must not end the loop
                logger.exception("reminder round failed")
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval)
            except asyncio.TimeoutError:
                pass
