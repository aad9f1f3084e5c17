"""Retention and erasure: what the Département promised to keep, and for how long.

- Conversations (Rasa's `events`), the console's index and teach candidates: deleted when older
  than the retention period (default 6 months). Events are deleted one by one by timestamp, so a
  conversation that goes on for months loses its old part only.
- Bookings: 1 month after the appointment (`Repository.purge`, which also removes closed
  handoff requests and finished reminders last changed before that date).
- Login failures older than a day; the audit log is kept 12 months (it holds no citizen text).
- Messages waiting for a web page (`agent_messages`) and the channels' own rows (numbered SMS
  choices and the rest of a long SMS, Messenger contact times and messages Messenger refused):
  deleted with the conversation, and when older than the retention period.
- Erasure of one citizen: every event, index row, teach item, handoff request, booking, waiting
  message and channel row of the conversation, or of every conversation linked to a phone number
  (as SMS sender, or as the contact of a booking or call-back, or typed in a message). An SMS
  opt-out ("STOP") is kept: it is what stops the messages, and holds nothing but the number.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import delete, inspect, or_, select
from sqlalchemy.engine import Connection, Engine

from channels.store import messenger_contact, messenger_unsent, sms_state
from console import conversations, models
from franceservices.text.phones import format_phone_fr, normalize_phone
from handoff.messages import agent_messages
from store.models import Booking, HandoffRequest, Reminder, SlotClaim
from store.repository import Repository

AUDIT_MONTHS = 12


def _existing(conn: Connection, *tables: Any) -> list[Any]:
    """The tables present in the database (the channels create theirs on first use)."""
    inspector = inspect(conn)
    return [table for table in tables if inspector.has_table(table.name)]


def _purge_messages(conn: Connection, cutoff: dt.datetime) -> dict[str, int]:
    naive = cutoff.astimezone(dt.timezone.utc).replace(tzinfo=None)  # channels store naive UTC
    counts = {}
    for table in _existing(conn, agent_messages):
        counts["agent_messages"] = conn.execute(
            delete(table).where(table.c.created_at < cutoff)
        ).rowcount
    for table in _existing(conn, messenger_unsent):
        counts["channel_messenger_unsent"] = conn.execute(
            delete(table).where(table.c.created_at < naive)
        ).rowcount
    for table in _existing(conn, messenger_contact):
        counts["channel_messenger_contact"] = conn.execute(
            delete(table).where(table.c.last_user_message_at < naive)
        ).rowcount
    for table in _existing(conn, sms_state):
        c = table.c
        counts["channel_sms_state"] = conn.execute(
            delete(table).where(
                or_(c.choices_at.is_(None), c.choices_at < naive),
                or_(c.pending_at.is_(None), c.pending_at < naive),
            )
        ).rowcount
    return counts


def _erase_messages(conn: Connection, senders: list[str]) -> dict[str, int]:
    counts = {}
    for table in _existing(conn, agent_messages):
        counts["agent_messages"] = conn.execute(
            delete(table).where(table.c.sender_id.in_(senders))
        ).rowcount
    keys = {messenger_unsent: "psid", messenger_contact: "psid", sms_state: "phone"}
    for table in _existing(conn, *keys):
        counts[table.name] = conn.execute(
            delete(table).where(table.c[keys[table]].in_(senders))
        ).rowcount
    return counts


def purge(
    engine: Engine,
    now: dt.datetime,
    months: int = 6,
    booking_months: int = 1,
) -> dict[str, int]:
    """Delete what is older than the retention periods; return counts per table."""
    cutoff = now - relativedelta(months=months)
    stamp = cutoff.timestamp()
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        conversations.refresh_index(conn)
        ev = conversations.events.c
        touched = set(
            conn.execute(select(ev.sender_id).where(ev.timestamp < stamp).distinct()).scalars()
        )
        counts["events"] = conn.execute(
            delete(conversations.events).where(ev.timestamp < stamp)
        ).rowcount
        c = models.conversations.c
        conn.execute(delete(models.conversations).where(c.last_at < stamp))
        partial = conn.execute(
            select(c.sender_id).where(c.started_at < stamp, c.sender_id.in_(touched))
        ).scalars()
        conversations.rebuild_senders(conn, list(partial))
        counts["conversations"] = len(touched)
        counts["teach_items"] = conn.execute(
            delete(models.teach_items).where(models.teach_items.c.at < stamp)
        ).rowcount
        counts["login_failures"] = conn.execute(
            delete(models.login_failures).where(
                models.login_failures.c.at < now - dt.timedelta(days=1)
            )
        ).rowcount
        counts["audit_log"] = conn.execute(
            delete(models.audit_log).where(
                models.audit_log.c.at < now - relativedelta(months=AUDIT_MONTHS)
            )
        ).rowcount
        counts.update(_purge_messages(conn, cutoff))
    store_counts = Repository(engine, clock=lambda: now).purge(
        now - relativedelta(months=booking_months)
    )
    counts.update(store_counts)
    return counts


def senders_of_phone(engine: Engine, phone: str) -> set[str]:
    """Every conversation linked to this phone number."""
    e164 = normalize_phone(phone)
    if e164 is None:
        raise ValueError(f"invalid phone number {phone!r}")
    national = format_phone_fr(e164).replace(" ", "")
    with engine.connect() as conn:
        senders = set(
            conn.execute(select(Booking.sender_id).where(Booking.contact_phone == e164)).scalars()
        )
        senders |= set(
            conn.execute(
                select(HandoffRequest.sender_id).where(HandoffRequest.contact_phone == e164)
            ).scalars()
        )
        c = models.conversations.c
        conversations.refresh_index(conn)
        senders |= set(
            conn.execute(
                select(c.sender_id).where(
                    or_(
                        c.sender_id.in_((e164, national, e164.lstrip("+"))),
                        c.search_text.like(f"%{national}%"),
                        c.search_text.like(f"%{e164}%"),
                    )
                )
            ).scalars()
        )
        conn.commit()
    return {s for s in senders if s}


def erase(
    engine: Engine, *, sender_id: str | None = None, phone: str | None = None
) -> dict[str, Any]:
    """Erase one citizen's data (by conversation id, or by phone number); return counts."""
    senders = set()
    if sender_id:
        senders.add(sender_id)
    e164 = None
    if phone:
        e164 = normalize_phone(phone)
        senders |= senders_of_phone(engine, phone)
    counts = {"conversations": len(senders)}
    with engine.begin() as conn:
        ids = list(senders)
        booking_ids = select(Booking.id).where(
            or_(Booking.sender_id.in_(ids), Booking.contact_phone == e164)
            if e164
            else Booking.sender_id.in_(ids)
        )
        conn.execute(delete(Reminder).where(Reminder.booking_id.in_(booking_ids)))
        conn.execute(delete(SlotClaim).where(SlotClaim.booking_id.in_(booking_ids)))
        if e164:
            conn.execute(delete(Reminder).where(Reminder.recipient == e164))
        counts["bookings"] = conn.execute(
            delete(Booking).where(Booking.id.in_(booking_ids))
        ).rowcount
        hand = HandoffRequest.sender_id.in_(ids)
        if e164:
            hand = or_(hand, HandoffRequest.contact_phone == e164)
        counts["handoff_requests"] = conn.execute(delete(HandoffRequest).where(hand)).rowcount
        counts["reminders"] = conn.execute(
            delete(Reminder).where(Reminder.sender_id.in_(ids))
        ).rowcount
        counts["events"] = conn.execute(
            delete(conversations.events).where(conversations.events.c.sender_id.in_(ids))
        ).rowcount
        conn.execute(delete(models.conversations).where(models.conversations.c.sender_id.in_(ids)))
        counts["teach_items"] = conn.execute(
            delete(models.teach_items).where(models.teach_items.c.sender_id.in_(ids))
        ).rowcount
        counts.update(_erase_messages(conn, ids + ([e164] if e164 else [])))
    return counts
