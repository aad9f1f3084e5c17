"""The store's one API: bookings, handoff/callback requests and reminders.

Used by the action server (the citizen books, asks, cancels) and by the staff console (agents
confirm, move, refuse, take a handoff). Plain SQLAlchemy; every method is one short transaction.

Decisions:
- Taking a slot never checks then writes: `book` inserts the booking and its `slot_claims` row
  in one transaction; the claim's primary key refuses a second one and the `IntegrityError` is
  turned into `SlotTaken`. Two people racing: exactly one wins (tests/unit/test_store.py runs
  it with threads, processes and on PostgreSQL).
- Cancelling needs the code AND one proof of being the person who booked: the same conversation
  (same `sender_id` on the same channel), or the phone number, or the e-mail address given at
  booking (compared normalised). A wrong proof gets the same `BookingNotFound` as an unknown code,
  so nobody can learn which codes exist by trying.
- Status changes by agents follow `TRANSITIONS`; a refused or cancelled booking is final and
  frees its slot; "moved" needs the new slot, which can itself be `SlotTaken`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from franceservices.booking.codes import new_code, parse_code
from franceservices.booking.contact import normalize_email
from franceservices.dates.clock import utc_now
from franceservices.text.phones import normalize_phone
from store.db import get_engine, session_factory
from store.models import (
    ACTIVE_STATUSES,
    BOOKING_CANCELLED,
    BOOKING_CONFIRMED,
    BOOKING_MOVED,
    BOOKING_REFUSED,
    BOOKING_REQUESTED,
    BOOKING_STATUSES,
    HANDOFF_ABANDONED,
    HANDOFF_DONE,
    HANDOFF_KINDS,
    HANDOFF_TAKEN,
    HANDOFF_WAITING,
    REMINDER_CANCELLED,
    REMINDER_FAILED,
    REMINDER_PENDING,
    REMINDER_SENT,
    UTC,
    Booking,
    HandoffRequest,
    Reminder,
    SlotClaim,
)

TRANSITIONS: dict[str, frozenset[str]] = {
    BOOKING_REQUESTED: frozenset(
        {BOOKING_CONFIRMED, BOOKING_MOVED, BOOKING_REFUSED, BOOKING_CANCELLED}
    ),
    BOOKING_CONFIRMED: frozenset({BOOKING_MOVED, BOOKING_REFUSED, BOOKING_CANCELLED}),
    BOOKING_MOVED: frozenset(
        {BOOKING_CONFIRMED, BOOKING_MOVED, BOOKING_REFUSED, BOOKING_CANCELLED}
    ),
    BOOKING_REFUSED: frozenset(),
    BOOKING_CANCELLED: frozenset(),
}
"""Which status an agent may set from which; refused and cancelled are final."""

CODE_ATTEMPTS = 8
"""New codes tried when a generated code is already used (1 chance in ~28 million each)."""


_NO_SYNC = {"synchronize_session": False}
"""Bulk statements: the session holds no object they could make stale."""


class StoreError(Exception):
    """Base of the store's expected errors."""


class SlotTaken(StoreError):
    """Someone else holds that slot; offer the next ones."""

    def __init__(self, place_key: str, start: dt.datetime) -> None:
        self.place_key = place_key
        self.start = start
        super().__init__(f"slot {place_key} at {start.isoformat()} is already taken")


class BookingNotFound(StoreError):
    """No booking with that code, or the proof of identity does not match it."""


class InvalidTransition(StoreError):
    """That status change is not allowed (final status, slot already past, ...)."""


class NotFound(StoreError):
    """No handoff request or reminder with that id (or not in the expected status)."""


class SlotLike(Protocol):
    """What `book` needs from a slot (`franceservices.booking.visio_slots.Slot` fits)."""

    place_key: str
    start: dt.datetime
    end: dt.datetime


def _aware(moment: dt.datetime, what: str) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{what} must be an aware datetime")
    return moment.astimezone(UTC)


def _split_key(key: str) -> tuple[str, str]:
    kind, sep, id = key.partition(":")
    if not sep or kind not in ("bus", "desk") or not id:
        raise ValueError(f"{key!r} is not a place key like 'bus:avesnois' or 'desk:346'")
    return kind, id


class Repository:
    """Bookings, handoffs and reminders in one database.

    Args:
        engine: an SQLAlchemy engine; default: the shared engine of `DATABASE_URL` (created on
            first use, not at import).
        clock: returns the current aware time (tests inject one).
        code_factory: makes booking codes (tests inject colliding ones).
    """

    def __init__(
        self,
        engine: Engine | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
        code_factory: Callable[[], str] = new_code,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._code_factory = code_factory
        self._sessions = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = get_engine()
        return self._engine

    def _session(self) -> Session:
        if self._sessions is None:
            self._sessions = session_factory(self.engine)
        return self._sessions()

    def _now(self) -> dt.datetime:
        return _aware(self._clock(), "clock()")

    # -- bookings ---------------------------------------------------------------------------

    def book(
        self,
        slot: SlotLike,
        *,
        operator: str,
        name: str,
        consent_at: dt.datetime,
        reason: str = "",
        contact_phone: str | None = None,
        contact_email: str | None = None,
        commune_insee: str | None = None,
        place_label: str = "",
        channel: str = "",
        sender_id: str = "",
    ) -> Booking:
        """Store a booking with status "requested" and a new reference code.

        Contacts are stored normalised (E.164 phone, lowercased e-mail domain); at least one is
        required. The slot is claimed in the same transaction.

        Raises:
            SlotTaken: the slot is held by another active booking (nothing is stored).
            ValueError: no valid contact, naive datetimes, unknown place kind.
        """
        phone = normalize_phone(contact_phone) if contact_phone else None
        email = normalize_email(contact_email) if contact_email else None
        if contact_phone and phone is None:
            raise ValueError(f"invalid phone number {contact_phone!r}")
        if contact_email and email is None:
            raise ValueError(f"invalid e-mail address {contact_email!r}")
        if phone is None and email is None:
            raise ValueError("a phone number or an e-mail address is required")
        kind, place_id = _split_key(slot.place_key)
        start = _aware(slot.start, "slot start")
        end = _aware(slot.end, "slot end")
        consent = _aware(consent_at, "consent_at")
        for _ in range(CODE_ATTEMPTS):
            now = self._now()
            booking = Booking(
                code=self._code_factory(),
                operator=operator,
                reason=reason,
                commune_insee=commune_insee,
                place_kind=kind,
                place_id=place_id,
                place_label=place_label,
                slot_start=start,
                slot_end=end,
                status=BOOKING_REQUESTED,
                name=name,
                contact_phone=phone,
                contact_email=email,
                channel=channel,
                sender_id=sender_id,
                consent_at=consent,
                created_at=now,
                updated_at=now,
            )
            with self._session() as session:
                session.begin()
                session.add(booking)
                try:
                    session.flush()
                except IntegrityError:
                    session.rollback()
                    continue  # the code is already used: draw another one
                _claim(session, slot, start, booking.id)
                session.commit()
                return booking
        raise StoreError(f"no free booking code after {CODE_ATTEMPTS} attempts")

    def by_code(self, code: str) -> Booking | None:
        """The booking with this code (typed any way "ab3 k7p"), or None."""
        canonical = parse_code(code or "")
        if canonical is None:
            return None
        with self._session() as session:
            return session.execute(
                select(Booking).where(Booking.code == canonical)
            ).scalar_one_or_none()

    def bookings_of(self, sender_id: str, active_only: bool = True) -> list[Booking]:
        """The bookings made from one conversation, by slot (to answer "mon rendez-vous ?")."""
        query = select(Booking).where(Booking.sender_id == sender_id)
        if active_only:
            query = query.where(Booking.status.in_(ACTIVE_STATUSES))
        with self._session() as session:
            return list(session.execute(query.order_by(Booking.slot_start)).scalars())

    def bookings_between(
        self, start: dt.datetime, end: dt.datetime, statuses: Iterable[str] = ACTIVE_STATUSES
    ) -> list[Booking]:
        """Bookings whose slot starts in [start, end), by slot (the agents' agenda)."""
        query = (
            select(Booking)
            .where(Booking.slot_start >= _aware(start, "start"))
            .where(Booking.slot_start < _aware(end, "end"))
            .where(Booking.status.in_(tuple(statuses)))
            .order_by(Booking.slot_start, Booking.place_kind, Booking.place_id)
        )
        with self._session() as session:
            return list(session.execute(query).scalars())

    def taken_slots(
        self, place_keys: Iterable[str], start: dt.datetime, end: dt.datetime
    ) -> set[tuple[str, dt.datetime]]:
        """(place_key, start) of every held slot of these booths starting in [start, end).

        Starts are aware UTC datetimes; they compare equal to the same instant in Paris time, so
        the set can be given as is to `franceservices.booking.visio_slots.propose_slots(taken=...)`.
        """
        keys = list(dict.fromkeys(place_keys))
        if not keys:
            return set()
        query = select(SlotClaim.place_key, SlotClaim.slot_start).where(
            SlotClaim.place_key.in_(keys),
            SlotClaim.slot_start >= _aware(start, "start"),
            SlotClaim.slot_start < _aware(end, "end"),
        )
        with self._session() as session:
            return {(key, moment) for key, moment in session.execute(query)}

    def cancel(
        self,
        code: str,
        *,
        sender_id: str | None = None,
        channel: str | None = None,
        phone: str | None = None,
        email: str | None = None,
    ) -> Booking:
        """Cancel a booking at the person's request; frees the slot, drops pending reminders.

        Proof (one is enough): the same `sender_id` and `channel` as at booking, or the phone,
        or the e-mail given at booking.

        Raises:
            BookingNotFound: unknown code or no matching proof (deliberately the same error).
            InvalidTransition: already cancelled or refused, or the slot has already started.
        """
        canonical = parse_code(code or "")
        if canonical is None:
            raise BookingNotFound(code)
        with self._session() as session, session.begin():
            booking = session.execute(
                select(Booking).where(Booking.code == canonical)
            ).scalar_one_or_none()
            if booking is None or not _proves(booking, sender_id, channel, phone, email):
                raise BookingNotFound(code)
            now = self._now()
            if booking.status not in ACTIVE_STATUSES:
                raise InvalidTransition(f"booking {canonical} is already {booking.status}")
            if booking.slot_start <= now:
                raise InvalidTransition(f"booking {canonical} has already started")
            self._release(session, booking)
            booking.status = BOOKING_CANCELLED
            booking.updated_at = now
            return booking

    def set_status(
        self,
        code: str,
        status: str,
        agent: str,
        *,
        new_slot: SlotLike | None = None,
        note: str | None = None,
    ) -> Booking:
        """An agent confirms, moves, refuses or cancels a booking.

        Refusing, cancelling or moving frees the slot held and drops the booking's reminders
        not yet sent (notices and the day-before reminder of the old slot), in the same
        transaction.

        Args:
            code: the booking's code.
            status: the new status (see `TRANSITIONS`).
            agent: who did it (kept on the booking).
            new_slot: required for "moved" (same booth or another one), refused otherwise.
            note: a word for the person or colleagues ("déplacé à la demande de la CAF").

        Raises:
            BookingNotFound, InvalidTransition, SlotTaken (the new slot is held), ValueError.
        """
        if status not in BOOKING_STATUSES:
            raise ValueError(f"unknown status {status!r}")
        if (status == BOOKING_MOVED) != (new_slot is not None):
            raise ValueError("a new slot is given with status 'moved', and only then")
        canonical = parse_code(code or "")
        if canonical is None:
            raise BookingNotFound(code)
        with self._session() as session:
            session.begin()
            booking = session.execute(
                select(Booking).where(Booking.code == canonical)
            ).scalar_one_or_none()
            if booking is None:
                session.rollback()
                raise BookingNotFound(code)
            if status not in TRANSITIONS[booking.status]:
                session.rollback()
                raise InvalidTransition(f"{booking.status} -> {status} is not allowed")
            if status in (BOOKING_REFUSED, BOOKING_CANCELLED):
                self._release(session, booking)
            elif new_slot is not None:
                kind, place_id = _split_key(new_slot.place_key)
                start = _aware(new_slot.start, "slot start")
                self._release(session, booking)  # the old slot, and its reminders
                _claim(session, new_slot, start, booking.id)
                booking.place_kind, booking.place_id = kind, place_id
                booking.slot_start = start
                booking.slot_end = _aware(new_slot.end, "slot end")
                label = getattr(getattr(new_slot, "place", None), "name", None)
                if label:
                    booking.place_label = label
            booking.status = status
            booking.agent = agent
            if note is not None:
                booking.note = note
            booking.updated_at = self._now()
            session.commit()
            return booking

    def _release(self, session: Session, booking: Booking) -> None:
        """Free the booking's slot and drop its pending reminders (same transaction)."""
        session.execute(delete(SlotClaim).where(SlotClaim.booking_id == booking.id))
        session.execute(
            update(Reminder)
            .where(Reminder.booking_id == booking.id, Reminder.status == REMINDER_PENDING)
            .values(status=REMINDER_CANCELLED, updated_at=self._now())
        )

    # -- handoff queue and call-back requests ----------------------------------------------

    def add_handoff(
        self,
        *,
        sender_id: str,
        channel: str,
        summary: str = "",
        kind: str = "handoff",
        name: str | None = None,
        contact_phone: str | None = None,
        contact_email: str | None = None,
        preferred_time: str | None = None,
        consent_at: dt.datetime | None = None,
    ) -> HandoffRequest:
        """Queue a person for an agent (kind "handoff") or ask for a call-back ("callback").

        A call-back needs a phone number or an e-mail and the person's consent time.
        """
        if kind not in HANDOFF_KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        phone = normalize_phone(contact_phone) if contact_phone else None
        email = normalize_email(contact_email) if contact_email else None
        if contact_phone and phone is None:
            raise ValueError(f"invalid phone number {contact_phone!r}")
        if contact_email and email is None:
            raise ValueError(f"invalid e-mail address {contact_email!r}")
        if kind == "callback" and (phone is None and email is None or consent_at is None):
            raise ValueError("a call-back needs a contact and the person's consent")
        now = self._now()
        request = HandoffRequest(
            kind=kind,
            status=HANDOFF_WAITING,
            sender_id=sender_id,
            channel=channel,
            summary=summary,
            name=name,
            contact_phone=phone,
            contact_email=email,
            preferred_time=preferred_time,
            consent_at=_aware(consent_at, "consent_at") if consent_at else None,
            created_at=now,
            updated_at=now,
        )
        with self._session() as session, session.begin():
            session.add(request)
        return request

    def open_handoff(self, sender_id: str) -> HandoffRequest | None:
        """The conversation's open request (waiting or taken, either kind), newest first.

        One open request per conversation: asking again while one is open must not add
        another to the agents' queue.
        """
        query = (
            select(HandoffRequest)
            .where(
                HandoffRequest.sender_id == sender_id,
                HandoffRequest.status.in_((HANDOFF_WAITING, HANDOFF_TAKEN)),
            )
            .order_by(HandoffRequest.created_at.desc(), HandoffRequest.id.desc())
            .limit(1)
        )
        with self._session() as session:
            return session.execute(query).scalar_one_or_none()

    def waiting_handoffs(self, kind: str | None = None) -> list[HandoffRequest]:
        """The waiting requests, oldest first (the agents' queue)."""
        query = select(HandoffRequest).where(HandoffRequest.status == HANDOFF_WAITING)
        if kind is not None:
            query = query.where(HandoffRequest.kind == kind)
        with self._session() as session:
            return list(session.execute(query.order_by(HandoffRequest.created_at)).scalars())

    def get_handoff(self, request_id: int) -> HandoffRequest | None:
        with self._session() as session:
            return session.get(HandoffRequest, request_id)

    def take_handoff(self, request_id: int, agent: str) -> HandoffRequest:
        """An agent takes a waiting request; two agents clicking at once: only one gets it.

        Raises:
            NotFound: no such request, or it is no longer waiting.
        """
        now = self._now()
        with self._session() as session, session.begin():
            result = session.execute(
                update(HandoffRequest)
                .where(HandoffRequest.id == request_id, HandoffRequest.status == HANDOFF_WAITING)
                .values(status=HANDOFF_TAKEN, agent=agent, taken_at=now, updated_at=now)
            )
            if result.rowcount != 1:
                raise NotFound(f"handoff request {request_id} is not waiting")
            return session.get(HandoffRequest, request_id)

    def close_handoff(self, request_id: int, agent: str, done: bool = True) -> HandoffRequest:
        """Close a request: done (answered) or abandoned (the person left, no answer)."""
        now = self._now()
        status = HANDOFF_DONE if done else HANDOFF_ABANDONED
        with self._session() as session, session.begin():
            result = session.execute(
                update(HandoffRequest)
                .where(
                    HandoffRequest.id == request_id,
                    HandoffRequest.status.in_((HANDOFF_WAITING, HANDOFF_TAKEN)),
                )
                .values(status=status, agent=agent, closed_at=now, updated_at=now)
            )
            if result.rowcount != 1:
                raise NotFound(f"handoff request {request_id} is not open")
            return session.get(HandoffRequest, request_id)

    # -- reminders --------------------------------------------------------------------------

    def add_reminder(
        self,
        *,
        due_at: dt.datetime,
        channel: str,
        recipient: str,
        kind: str,
        payload: dict[str, Any] | None = None,
        sender_id: str | None = None,
        booking_id: int | None = None,
    ) -> Reminder:
        """Store a message to send at `due_at` (kept across restarts)."""
        now = self._now()
        reminder = Reminder(
            due_at=_aware(due_at, "due_at"),
            channel=channel,
            recipient=recipient,
            sender_id=sender_id,
            kind=kind,
            payload=json.dumps(payload or {}, ensure_ascii=False, sort_keys=True),
            status=REMINDER_PENDING,
            attempts=0,
            booking_id=booking_id,
            created_at=now,
            updated_at=now,
        )
        with self._session() as session, session.begin():
            session.add(reminder)
        return reminder

    def due_reminders(self, now: dt.datetime, limit: int = 100) -> list[Reminder]:
        """Pending reminders due at or before `now`, oldest first."""
        query = (
            select(Reminder)
            .where(Reminder.status == REMINDER_PENDING, Reminder.due_at <= _aware(now, "now"))
            .order_by(Reminder.due_at, Reminder.id)
            .limit(limit)
        )
        with self._session() as session:
            return list(session.execute(query).scalars())

    def get_reminder(self, reminder_id: int) -> Reminder | None:
        with self._session() as session:
            return session.get(Reminder, reminder_id)

    def mark_sent(self, reminder_id: int, now: dt.datetime | None = None) -> bool:
        """Mark a pending reminder sent; False when it was not pending (another sender won)."""
        moment = _aware(now, "now") if now is not None else self._now()
        with self._session() as session, session.begin():
            result = session.execute(
                update(Reminder)
                .where(Reminder.id == reminder_id, Reminder.status == REMINDER_PENDING)
                .values(
                    status=REMINDER_SENT,
                    sent_at=moment,
                    attempts=Reminder.attempts + 1,
                    updated_at=moment,
                )
            )
            return result.rowcount == 1

    def mark_failed(
        self,
        reminder_id: int,
        error: str,
        *,
        retry_at: dt.datetime | None = None,
        max_attempts: int = 3,
    ) -> Reminder:
        """Record a failed sending: retried at `retry_at` until `max_attempts`, then failed.

        Raises:
            NotFound: no pending reminder with that id.
        """
        now = self._now()
        with self._session() as session, session.begin():
            reminder = session.get(Reminder, reminder_id, with_for_update=True)
            if reminder is None or reminder.status != REMINDER_PENDING:
                raise NotFound(f"reminder {reminder_id} is not pending")
            reminder.attempts += 1
            reminder.last_error = error[:2000]
            reminder.updated_at = now
            if retry_at is None or reminder.attempts >= max_attempts:
                reminder.status = REMINDER_FAILED
            else:
                reminder.due_at = _aware(retry_at, "retry_at")
            return reminder

    # -- retention (CNIL) -------------------------------------------------------------------

    def purge(self, before: dt.datetime) -> dict[str, int]:
        """Delete what is no longer needed: bookings whose slot ended before `before`, closed
        handoff requests and finished reminders last changed before it, handoff and call-back
        requests still open that were made before it (with their contact). The caller chooses
        `before` from the retention period announced to people (e.g. now - 3 months).

        Returns:
            How many rows were deleted per table.
        """
        cutoff = _aware(before, "before")
        with self._session() as session, session.begin():
            reminders = session.execute(
                delete(Reminder).where(
                    Reminder.status != REMINDER_PENDING, Reminder.updated_at < cutoff
                )
            ).rowcount
            old = select(Booking.id).where(Booking.slot_end < cutoff)
            session.execute(
                delete(Reminder).where(Reminder.booking_id.in_(old)), execution_options=_NO_SYNC
            )
            session.execute(
                delete(SlotClaim).where(SlotClaim.booking_id.in_(old)), execution_options=_NO_SYNC
            )
            bookings = session.execute(delete(Booking).where(Booking.slot_end < cutoff)).rowcount
            # Open requests too, from when they were made: a call-back nobody answered must not
            # keep its phone or e-mail past the month the person was told (domain.yml).
            handoffs = session.execute(
                delete(HandoffRequest).where(
                    or_(
                        and_(
                            HandoffRequest.status.in_((HANDOFF_DONE, HANDOFF_ABANDONED)),
                            HandoffRequest.updated_at < cutoff,
                        ),
                        and_(
                            HandoffRequest.status.in_((HANDOFF_WAITING, HANDOFF_TAKEN)),
                            HandoffRequest.created_at < cutoff,
                        ),
                    )
                )
            ).rowcount
        return {"bookings": bookings, "handoff_requests": handoffs, "reminders": reminders}


def _proves(
    booking: Booking,
    sender_id: str | None,
    channel: str | None,
    phone: str | None,
    email: str | None,
) -> bool:
    if sender_id and booking.sender_id and sender_id == booking.sender_id:
        if channel is None or channel == booking.channel:
            return True
    if phone and booking.contact_phone and normalize_phone(phone) == booking.contact_phone:
        return True
    if email and booking.contact_email:
        given = normalize_email(email)
        if given is not None and given.casefold() == booking.contact_email.casefold():
            return True
    return False


def _claim(session: Session, slot: SlotLike, start: dt.datetime, booking_id: int) -> None:
    """Claim the slot for the booking; the primary key of slot_claims refuses a second claim.

    Raises:
        SlotTaken: the slot is already claimed (the session is rolled back).
    """
    session.add(SlotClaim(place_key=slot.place_key, slot_start=start, booking_id=booking_id))
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise SlotTaken(slot.place_key, slot.start) from None
