"""The tables of the store: bookings and their slot claims, handoff/callback requests, reminders.

Every timestamp is stored in UTC without a zone (`UTCDateTime`), identically on SQLite (which has
no time zone type) and PostgreSQL, and comes back as an aware UTC datetime. Convert with
`franceservices.dates.clock.to_paris` to show it.

Why `slot_claims` and not a unique (place, slot_start) on `bookings`: a cancelled or refused
booking stays in `bookings` (the agent and the person can still look it up), yet its slot must be
bookable again. A claim row exists exactly while its booking holds the slot (requested,
confirmed, moved); cancelling or refusing deletes it in the same transaction, moving replaces
it. Its primary key (place_key, slot_start) is the database constraint that lets two people race
for a slot and only one win. A partial unique index (`WHERE status IN (...)`) would also work on
SQLite and PostgreSQL, but not on every database SQLAlchemy supports (MySQL), and ties the
constraint to the list of statuses; the claims table is portable and explicit.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import declarative_base
from sqlalchemy.types import TypeDecorator

UTC = dt.timezone.utc

# Named constraints: Alembic can then alter them on every database.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)
Base = declarative_base(metadata=metadata)

BOOKING_REQUESTED = "requested"
BOOKING_CONFIRMED = "confirmed"
BOOKING_MOVED = "moved"
BOOKING_REFUSED = "refused"
BOOKING_CANCELLED = "cancelled"
BOOKING_STATUSES = (
    BOOKING_REQUESTED,
    BOOKING_CONFIRMED,
    BOOKING_MOVED,
    BOOKING_REFUSED,
    BOOKING_CANCELLED,
)
ACTIVE_STATUSES = (BOOKING_REQUESTED, BOOKING_CONFIRMED, BOOKING_MOVED)

HANDOFF = "handoff"
CALLBACK = "callback"
HANDOFF_KINDS = (HANDOFF, CALLBACK)
HANDOFF_WAITING = "waiting"
HANDOFF_TAKEN = "taken"
HANDOFF_DONE = "done"
HANDOFF_ABANDONED = "abandoned"
HANDOFF_STATUSES = (HANDOFF_WAITING, HANDOFF_TAKEN, HANDOFF_DONE, HANDOFF_ABANDONED)

REMINDER_PENDING = "pending"
REMINDER_SENT = "sent"
REMINDER_FAILED = "failed"
REMINDER_CANCELLED = "cancelled"
REMINDER_STATUSES = (REMINDER_PENDING, REMINDER_SENT, REMINDER_FAILED, REMINDER_CANCELLED)


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


class UTCDateTime(TypeDecorator):
    """An aware datetime stored as naive UTC; a naive value is refused (ambiguous)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):  # noqa: ANN001, ANN201
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: give an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):  # noqa: ANN001, ANN201
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Booking(Base):
    """A visio appointment a person asked for; an agent confirms, moves or refuses it."""

    __tablename__ = "bookings"

    id = Column(Integer, primary_key=True)
    code = Column(String(6), nullable=False, unique=True)
    operator = Column(String(40), nullable=False)
    reason = Column(String(300), nullable=False, default="")
    commune_insee = Column(String(5))
    place_kind = Column(String(8), nullable=False)
    place_id = Column(String(40), nullable=False)
    place_label = Column(String(300), nullable=False, default="")
    slot_start = Column(UTCDateTime, nullable=False)
    slot_end = Column(UTCDateTime, nullable=False)
    status = Column(String(12), nullable=False, default=BOOKING_REQUESTED)
    name = Column(String(80), nullable=False)
    contact_phone = Column(String(16))
    contact_email = Column(String(254))
    channel = Column(String(40), nullable=False, default="")
    sender_id = Column(String(255), nullable=False, default="")
    consent_at = Column(UTCDateTime, nullable=False)
    agent = Column(String(80))
    note = Column(Text)
    created_at = Column(UTCDateTime, nullable=False)
    updated_at = Column(UTCDateTime, nullable=False)

    __table_args__ = (
        CheckConstraint(f"status IN ({_in(BOOKING_STATUSES)})", name="status"),
        CheckConstraint("place_kind IN ('bus', 'desk')", name="place_kind"),
        CheckConstraint("contact_phone IS NOT NULL OR contact_email IS NOT NULL", name="contact"),
        CheckConstraint("slot_end > slot_start", name="slot_order"),
        Index("ix_bookings_place_slot", "place_kind", "place_id", "slot_start"),
        Index("ix_bookings_sender", "sender_id"),
        Index("ix_bookings_status", "status"),
    )

    @property
    def place_key(self) -> str:
        return f"{self.place_kind}:{self.place_id}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def __repr__(self) -> str:
        return f"<Booking {self.code} {self.place_key} {self.slot_start} {self.status}>"


class SlotClaim(Base):
    """A booth's slot held by an active booking; the primary key makes it takeable once."""

    __tablename__ = "slot_claims"

    place_key = Column(String(60), primary_key=True)
    slot_start = Column(UTCDateTime, primary_key=True)
    booking_id = Column(
        Integer, ForeignKey("bookings.id", ondelete="CASCADE"), nullable=False, unique=True
    )


class HandoffRequest(Base):
    """A person waiting for a human: live handoff queue entry or a call-back request."""

    __tablename__ = "handoff_requests"

    id = Column(Integer, primary_key=True)
    kind = Column(String(10), nullable=False, default=HANDOFF)
    status = Column(String(10), nullable=False, default=HANDOFF_WAITING)
    sender_id = Column(String(255), nullable=False)
    channel = Column(String(40), nullable=False, default="")
    summary = Column(Text, nullable=False, default="")
    name = Column(String(80))
    contact_phone = Column(String(16))
    contact_email = Column(String(254))
    preferred_time = Column(String(120))
    consent_at = Column(UTCDateTime)
    agent = Column(String(80))
    created_at = Column(UTCDateTime, nullable=False)
    updated_at = Column(UTCDateTime, nullable=False)
    taken_at = Column(UTCDateTime)
    closed_at = Column(UTCDateTime)

    __table_args__ = (
        CheckConstraint(f"kind IN ({_in(HANDOFF_KINDS)})", name="kind"),
        CheckConstraint(f"status IN ({_in(HANDOFF_STATUSES)})", name="status"),
        Index("ix_handoff_requests_status_created", "status", "created_at"),
    )


class Reminder(Base):
    """A message to send later (a booking reminder ...), kept so a restart loses none."""

    __tablename__ = "reminders"

    id = Column(Integer, primary_key=True)
    due_at = Column(UTCDateTime, nullable=False)
    channel = Column(String(40), nullable=False)
    recipient = Column(String(255), nullable=False)
    sender_id = Column(String(255))
    kind = Column(String(40), nullable=False)
    payload = Column(Text, nullable=False, default="{}")
    status = Column(String(10), nullable=False, default=REMINDER_PENDING)
    attempts = Column(Integer, nullable=False, default=0)
    last_error = Column(Text)
    sent_at = Column(UTCDateTime)
    booking_id = Column(Integer, ForeignKey("bookings.id", ondelete="CASCADE"))
    created_at = Column(UTCDateTime, nullable=False)
    updated_at = Column(UTCDateTime, nullable=False)

    __table_args__ = (
        CheckConstraint(f"status IN ({_in(REMINDER_STATUSES)})", name="status"),
        CheckConstraint("attempts >= 0", name="attempts"),
        Index("ix_reminders_status_due", "status", "due_at"),
        Index("ix_reminders_booking", "booking_id"),
    )


class CalendarChangeRow(Base):
    """A change staff made to the tour calendar in the console (see calendar/changes.py).

    The calendar the assistant tells is `reference/tours.yml` with every change not undone applied
    in `id` order. `kind` and `payload` (JSON) are `Change.kind` and `Change.payload()`; `why` is
    the agent's own words for the audit. An undone change stays, with who undid it and when.
    """

    __tablename__ = "calendar_changes"

    id = Column(Integer, primary_key=True)
    created_at = Column(UTCDateTime, nullable=False)
    created_by = Column(String(80), nullable=False)
    kind = Column(String(20), nullable=False)
    payload = Column(Text, nullable=False)
    why = Column(Text, nullable=False, default="")
    undone_at = Column(UTCDateTime)
    undone_by = Column(String(80))

    __table_args__ = (CheckConstraint("(undone_at IS NULL) = (undone_by IS NULL)", name="undone"),)


class VisioOfferVersion(Base):
    """A version of the visio offer saved in the console (issue 18).

    The offer in use is the latest version's `document` (JSON: the shape of
    `reference/visio_offer.yml`), validated like the file before it is saved; with no version,
    the file's offer. `why` is the agent's own words for the audit; a revert saves an older
    document again as a new version, so the history is never rewritten.
    """

    __tablename__ = "visio_offer_versions"

    id = Column(Integer, primary_key=True)
    created_at = Column(UTCDateTime, nullable=False)
    created_by = Column(String(80), nullable=False)
    why = Column(Text, nullable=False, default="")
    document = Column(Text, nullable=False)
