"""The staff's calendar changes in the database: record (validated), list, undo.

A change is recorded only if the calendar stays valid with it: the changes not undone, then the
new one, are applied to `reference/tours.yml`'s tree and validated by the file's own validator
(`franceservices.calendar.changes.overlay`); a refusal carries the validator's message. Undoing a
change is refused the same way when a later change needs it (a catch-up visit in the slot of the
visit it replaced), naming that change. Reading, validating and writing happen in one
transaction (SQLite takes the write lock at its start), so two agents cannot both add changes
that are valid alone and invalid together.

    changes = CalendarChanges(engine)
    stored = changes.record(CancelVisit(...), who="julie", why="panne", base=read_base())
    changes.undo(stored.id, who="julie", base=read_base())
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from franceservices.calendar.changes import (
    Applied,
    Change,
    ChangeError,
    ChangeRefused,
    change_from_payload,
    overlay,
)
from store.db import get_engine, session_factory
from store.models import UTC, CalendarChangeRow
from store.repository import NotFound, StoreError


class UndoBlocked(StoreError):
    """A later change (`blocker_id`) needs the one to undo; `reasons` say why (the validator's)."""

    def __init__(self, blocker_id: int, reasons: tuple[str, ...]) -> None:
        self.blocker_id = blocker_id
        self.reasons = reasons
        super().__init__(f"change {blocker_id} needs it: {'; '.join(reasons)}")


@dataclass(frozen=True)
class StoredChange:
    """One row of `calendar_changes`, with its change rebuilt (None if it no longer parses)."""

    id: int
    created_at: dt.datetime
    created_by: str
    why: str
    kind: str
    payload: dict[str, Any]
    change: Change | None
    undone_at: dt.datetime | None
    undone_by: str | None

    @property
    def active(self) -> bool:
        return self.undone_at is None and self.change is not None


def _stored(row: CalendarChangeRow) -> StoredChange:
    payload = json.loads(row.payload)
    try:
        change: Change | None = change_from_payload(row.kind, payload)
    except ChangeError:
        change = None  # shown to staff as is; never applied
    return StoredChange(
        id=row.id,
        created_at=row.created_at,
        created_by=row.created_by,
        why=row.why,
        kind=row.kind,
        payload=payload,
        change=change,
        undone_at=row.undone_at,
        undone_by=row.undone_by,
    )


class CalendarChanges:
    """The `calendar_changes` table (one short transaction per call)."""

    def __init__(
        self, engine: Engine | None = None, clock: Callable[[], dt.datetime] | None = None
    ) -> None:
        self.engine = engine if engine is not None else get_engine()
        self.clock = clock or (lambda: dt.datetime.now(tz=UTC))
        self._sessions = session_factory(self.engine)

    def stamp(self) -> tuple[int, int]:
        """(latest id, number undone): changes whenever a change is recorded or undone."""
        table = CalendarChangeRow.__table__
        with self.engine.connect() as conn:
            latest, undone = conn.execute(
                select(func.max(table.c.id), func.count(table.c.undone_at))
            ).one()
        return latest or 0, undone or 0

    def all(self, newest_first: bool = False) -> list[StoredChange]:
        """Every change, undone ones included."""
        order = CalendarChangeRow.id.desc() if newest_first else CalendarChangeRow.id
        with self._sessions() as session:
            rows = session.execute(select(CalendarChangeRow).order_by(order)).scalars().all()
        return [_stored(row) for row in rows]

    def active(self) -> list[StoredChange]:
        """The changes that apply, oldest first (their order matters)."""
        return [stored for stored in self.all() if stored.active]

    def get(self, change_id: int) -> StoredChange:
        with self._sessions() as session:
            row = session.get(CalendarChangeRow, change_id)
        if row is None:
            raise NotFound(f"no calendar change {change_id}")
        return _stored(row)

    def record(
        self, change: Change, who: str, why: str, base: Any, communes: Any = None
    ) -> StoredChange:
        """Validate `change` on top of the active ones and store it.

        Raises:
            ChangeRefused: the calendar's validator refuses it (its messages in `reasons`), or
                it names a tour or stop that does not exist.
        """
        with self._sessions() as session, session.begin():
            active = _active_in(session)
            result = overlay(base, [s.change for s in active] + [change], communes)
            _refuse_if_refused(result, change)
            row = CalendarChangeRow(
                created_at=self.clock(),
                created_by=who,
                kind=change.kind,
                payload=json.dumps(change.payload(), ensure_ascii=False),
                why=why,
            )
            session.add(row)
            session.flush()
            return _stored(row)

    def undo(self, change_id: int, who: str, base: Any, communes: Any = None) -> StoredChange:
        """Mark a change undone, unless a later active change depends on it.

        Raises:
            NotFound: no such change, or already undone.
            UndoBlocked: a later change would be refused without it.
        """
        with self._sessions() as session, session.begin():
            row = session.get(CalendarChangeRow, change_id)
            if row is None or row.undone_at is not None:
                raise NotFound(f"no active calendar change {change_id}")
            active = _active_in(session)
            before = overlay(base, [s.change for s in active], communes)
            remaining = [s for s in active if s.id != change_id]
            after = overlay(base, [s.change for s in remaining], communes)
            already = {refused.change for refused in before.refused}
            newly = [r for r in after.refused if r.change not in already]
            if newly:
                raise UndoBlocked(remaining[newly[0].index].id, newly[0].reasons)
            row.undone_at = self.clock()
            row.undone_by = who
            session.flush()
            return _stored(row)


def _active_in(session: Any) -> list[StoredChange]:
    rows = (
        session.execute(
            select(CalendarChangeRow)
            .where(CalendarChangeRow.undone_at.is_(None))
            .order_by(CalendarChangeRow.id)
        )
        .scalars()
        .all()
    )
    return [s for s in (_stored(row) for row in rows) if s.change is not None]


def _refuse_if_refused(result: Applied, change: Change) -> None:
    for refused in result.refused:
        if refused.change is change:
            raise ChangeRefused(change, refused.reasons)
