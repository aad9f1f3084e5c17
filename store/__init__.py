"""The assistant's own database: visio bookings, handoff/callback requests, reminders.

Plain SQLAlchemy 1.4, shared by the action server and the staff console. The engine is created
on first use from `DATABASE_URL` (the Rasa tracker store's variable: SQLite `var/rasa.db` by
default, PostgreSQL by configuration). The schema is managed by Alembic
(`store/migrations/`); `python -m store.cli upgrade` brings a database to the latest revision
(the launcher runs it at start).

    from store import Repository, SlotTaken
    repo = Repository()
    try:
        booking = repo.book(slot, operator="caf", name="Marie Martin", ...)
    except SlotTaken:
        ...  # offer the next slots
"""

from store.db import database_url, dispose_engines, get_engine, make_engine
from store.models import (
    ACTIVE_STATUSES,
    BOOKING_STATUSES,
    Booking,
    HandoffRequest,
    Reminder,
    SlotClaim,
)
from store.repository import (
    TRANSITIONS,
    BookingNotFound,
    InvalidTransition,
    NotFound,
    Repository,
    SlotTaken,
    StoreError,
)

__all__ = [
    "ACTIVE_STATUSES",
    "BOOKING_STATUSES",
    "TRANSITIONS",
    "Booking",
    "BookingNotFound",
    "HandoffRequest",
    "InvalidTransition",
    "NotFound",
    "Reminder",
    "Repository",
    "SlotClaim",
    "SlotTaken",
    "StoreError",
    "database_url",
    "dispose_engines",
    "get_engine",
    "make_engine",
]
