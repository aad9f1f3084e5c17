"""What the channels must remember between two messages, in the SQL database of the tracker store.

Why SQL and not memory: the Rasa server may run several workers or restart at any time, and two
things here must survive both. An SMS opt-out (STOP) is a legal obligation, and the reminders
feature reads it from another process (`is_opted_out`). The numbered choices offered by SMS and the
"SUITE" remainder are smaller stakes, but a citizen who answers "2" after a restart should still
get what "2" meant. So everything lives in a few `channel_*` tables of the database named by
`DATABASE_URL` (the tracker store's: SQLite file by default, PostgreSQL in production): one more
thing to back up, none to deploy. Rasa's tracker store only owns the `events` table.

The API is synchronous (SQLAlchemy 1.4 Core, short statements); the channels call it through
`asyncio.to_thread` so that a slow database never blocks the server's event loop. Times are stored
as naive UTC datetimes (SQLite keeps no time zone).

Personal data: phone numbers and Messenger ids are stored, as in the tracker store itself; the
retention policy of the tracker store applies to these tables too.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_DIR / 'var' / 'rasa.db'}"

# Numbered choices and the SUITE remainder are forgotten after this delay: a "2" sent days later
# should go to the dialogue as a plain "2", not pick an answer to a forgotten question.
SMS_STATE_TTL = timedelta(hours=24)

metadata = sa.MetaData()

sms_optout = sa.Table(
    "channel_sms_optout",
    metadata,
    sa.Column("phone", sa.String(32), primary_key=True),
    sa.Column("opted_out_at", sa.DateTime, nullable=False),
)

sms_state = sa.Table(
    "channel_sms_state",
    metadata,
    sa.Column("phone", sa.String(32), primary_key=True),
    # JSON list of {"title": ..., "payload": ...}, in the order they were numbered.
    sa.Column("choices", sa.Text, nullable=True),
    sa.Column("choices_at", sa.DateTime, nullable=True),
    # The part of the last answer that did not fit in the SMS, sent on "SUITE".
    sa.Column("pending", sa.Text, nullable=True),
    sa.Column("pending_at", sa.DateTime, nullable=True),
)

messenger_contact = sa.Table(
    "channel_messenger_contact",
    metadata,
    sa.Column("psid", sa.String(64), primary_key=True),
    sa.Column("last_user_message_at", sa.DateTime, nullable=False),
)

messenger_unsent = sa.Table(
    "channel_messenger_unsent",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("psid", sa.String(64), nullable=False, index=True),
    sa.Column("reason", sa.String(64), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)


def utcnow() -> datetime:
    """Now, as a naive UTC datetime (the form stored in the tables)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def database_url(explicit: str | None = None) -> str:
    """The SQLAlchemy URL: the argument, else CHANNELS_DATABASE_URL, else DATABASE_URL, else
    the tracker store's default SQLite file (var/rasa.db)."""
    return (
        explicit
        or os.environ.get("CHANNELS_DATABASE_URL")
        or os.environ.get("DATABASE_URL")
        or DEFAULT_DATABASE_URL
    )


@dataclass(frozen=True)
class UnsentMessage:
    """A Messenger message that was not sent (outside the 24-hour window, or a failure)."""

    id: int
    psid: str
    reason: str
    payload: dict[str, Any]
    created_at: datetime


class ChannelStore:
    """The channels' tables in one SQL database; the engine is opened on first use."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: sa.engine.Engine | None = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> sa.engine.Engine:
        with self._lock:
            if self._engine is None:
                if self.url.startswith("sqlite:///"):
                    path = Path(self.url.removeprefix("sqlite:///"))
                    if str(path) not in ("", ":memory:"):
                        path.parent.mkdir(parents=True, exist_ok=True)
                engine = sa.create_engine(self.url, future=True)
                metadata.create_all(engine, checkfirst=True)
                self._engine = engine
            return self._engine

    def _upsert(self, table: sa.Table, key: str, key_value: str, values: dict[str, Any]) -> None:
        """Update the row, or insert it; portable across SQLite and PostgreSQL."""
        column = table.c[key]
        for _ in range(2):
            try:
                with self.engine.begin() as conn:
                    updated = conn.execute(
                        table.update().where(column == key_value).values(**values)
                    ).rowcount
                    if not updated:
                        conn.execute(table.insert().values(**{key: key_value, **values}))
                return
            except IntegrityError:
                # Another worker inserted the same key between our update and insert: update it.
                continue

    # --- SMS opt-out -------------------------------------------------------------------------

    def set_opted_out(self, phone: str, opted_out: bool, now: datetime | None = None) -> None:
        """Record STOP (`opted_out=True`) or START for a phone number."""
        if opted_out:
            self._upsert(sms_optout, "phone", phone, {"opted_out_at": now or utcnow()})
        else:
            with self.engine.begin() as conn:
                conn.execute(sms_optout.delete().where(sms_optout.c.phone == phone))

    def is_opted_out(self, phone: str) -> bool:
        """True when the number sent STOP and not START since."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(sms_optout.c.phone).where(sms_optout.c.phone == phone)
            ).first()
        return row is not None

    # --- SMS numbered choices and SUITE ---------------------------------------------------------

    def save_sms_turn(
        self,
        phone: str,
        choices: list[dict[str, str]],
        pending: str | None,
        now: datetime | None = None,
    ) -> None:
        """Remember the choices offered by the last answer and what is left to send (or nothing)."""
        now = now or utcnow()
        self._upsert(
            sms_state,
            "phone",
            phone,
            {
                "choices": json.dumps(choices, ensure_ascii=False) if choices else None,
                "choices_at": now if choices else None,
                "pending": pending or None,
                "pending_at": now if pending else None,
            },
        )

    def save_sms_pending(
        self, phone: str, pending: str | None, now: datetime | None = None
    ) -> None:
        """Replace only what is left to send (after a SUITE), keeping the offered choices."""
        now = now or utcnow()
        values = {"pending": pending or None, "pending_at": now if pending else None}
        self._upsert(sms_state, "phone", phone, values)

    def _sms_state(self, phone: str) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sms_state).where(sms_state.c.phone == phone)).first()

    def sms_choices(self, phone: str, now: datetime | None = None) -> list[dict[str, str]]:
        """The choices offered by the last answer, if recent enough; else an empty list."""
        row = self._sms_state(phone)
        if row is None or not row.choices or row.choices_at is None:
            return []
        if (now or utcnow()) - row.choices_at > SMS_STATE_TTL:
            return []
        return json.loads(row.choices)

    def sms_pending(self, phone: str, now: datetime | None = None) -> str | None:
        """The rest of the last answer, waiting for SUITE, if recent enough."""
        row = self._sms_state(phone)
        if row is None or not row.pending or row.pending_at is None:
            return None
        if (now or utcnow()) - row.pending_at > SMS_STATE_TTL:
            return None
        return row.pending

    # --- Messenger ------------------------------------------------------------------------------

    def touch_messenger_user(self, psid: str, at: datetime | None = None) -> None:
        """Record that the user wrote to the page (opens the 24-hour window)."""
        self._upsert(messenger_contact, "psid", psid, {"last_user_message_at": at or utcnow()})

    def messenger_last_user_message(self, psid: str) -> datetime | None:
        """When the user last wrote to the page, or None if never."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(messenger_contact.c.last_user_message_at).where(
                    messenger_contact.c.psid == psid
                )
            ).first()
        return row[0] if row else None

    def record_unsent(
        self, psid: str, reason: str, payload: dict[str, Any], now: datetime | None = None
    ) -> None:
        """Keep a message that could not be sent, for staff to follow up."""
        with self.engine.begin() as conn:
            conn.execute(
                messenger_unsent.insert().values(
                    psid=psid,
                    reason=reason,
                    payload=json.dumps(payload, ensure_ascii=False),
                    created_at=now or utcnow(),
                )
            )

    def unsent_messages(self, psid: str | None = None) -> list[UnsentMessage]:
        """The unsent Messenger messages, oldest first (all users, or one)."""
        query = sa.select(messenger_unsent).order_by(messenger_unsent.c.id)
        if psid is not None:
            query = query.where(messenger_unsent.c.psid == psid)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            UnsentMessage(r.id, r.psid, r.reason, json.loads(r.payload), r.created_at) for r in rows
        ]


_stores: dict[str, ChannelStore] = {}
_stores_lock = threading.Lock()


def get_store(url: str | None = None) -> ChannelStore:
    """The shared store for this database URL (see `database_url` for the default)."""
    resolved = database_url(url)
    with _stores_lock:
        if resolved not in _stores:
            _stores[resolved] = ChannelStore(resolved)
        return _stores[resolved]
