"""The reminder sender: every few seconds, the due reminders of the database are delivered.

Reminders are rows of the store (`reminders`), written by the action server ("prévenez-moi") and
by the agents' API (a booking confirmed, moved, refused). Nothing is kept in memory: a restart
of any process loses none, and a reminder due while the sender was down goes out at the next
round. `Repository.mark_sent` only changes a still pending row, so two senders never send one
reminder twice... once they have delivered it; delivery and marking are not one transaction, so
a crash between both sends it again (at least once, never lost).

Also runs the CNIL purge once an hour: bookings 1 month after their appointment (the notice the
person read), closed handoff requests and finished reminders older than that.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from actions.booking_logic import BOOKING_RETENTION_DAYS
from store import Repository
from store.models import UTC

logger = logging.getLogger(__name__)

RETRY_DELAY = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 3
PURGE_EVERY = dt.timedelta(hours=1)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(tz=UTC)


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
    """

    def __init__(
        self,
        repo: Repository,
        deliver: Any,
        clock: Callable[[], dt.datetime] = _utc_now,
        is_up: Callable[[], Any] | None = None,
        opted_out: Callable[[str], bool] = _sms_opted_out,
    ) -> None:
        self.repo = repo
        self.deliver = deliver
        self.clock = clock
        self.is_up = is_up
        self.opted_out = opted_out
        self._last_purge: dt.datetime | None = None

    async def run_once(self) -> dict[str, int]:
        """One round; returns how many reminders were sent, failed or skipped."""
        counts = {"sent": 0, "failed": 0, "opted_out": 0}
        if self.is_up is not None and not await self.is_up():
            return counts
        now = self.clock()
        for reminder in await asyncio.to_thread(self.repo.due_reminders, now):
            if reminder.channel == "twilio" and self.opted_out(reminder.recipient):
                await asyncio.to_thread(
                    self.repo.mark_failed, reminder.id, "opted out (STOP)", retry_at=None
                )
                counts["opted_out"] += 1
                continue
            try:
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

    async def _purge(self, now: dt.datetime) -> None:
        if self._last_purge is not None and now - self._last_purge < PURGE_EVERY:
            return
        self._last_purge = now
        cutoff = now - dt.timedelta(days=BOOKING_RETENTION_DAYS)
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
