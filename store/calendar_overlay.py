"""The calendar the assistant tells: `reference/tours.yml` with the staff's stored changes.

The core's `get_calendar()` loads the file (reloaded when it is saved) and, once an overlay is
installed (`install()`, done by the action server at start), hands it to `CalendarOverlay`,
which returns the file's calendar with every active change of `calendar_changes` applied
(`franceservices.calendar.changes.overlay`). Every process reads the same table, so two Rasa
servers and any number of action servers tell the same calendar.

Freshness without load: the table's stamp (latest id, number undone) is read every `every`
seconds (10 by default: a change is live well within a minute), and the calendar is rebuilt only
when the stamp or the file changed. With `background=True` (the action server, one event loop
for every conversation) a poller thread does it: a call never waits for the database, it
returns the last calendar built. Without (the console), a call reads the stamp when `every`
has passed. A database that
is down is logged and the last calendar kept; a stored change that the file no longer allows is
left out and logged (the console shows it too).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from franceservices.calendar.changes import Applied, overlay, read_base
from franceservices.calendar.engine import TourCalendar
from franceservices.data_errors import DataErrors
from store.calendar_changes import CalendarChanges
from store.poller import Poller

logger = logging.getLogger(__name__)

DEFAULT_EVERY = 10.0
"""Seconds between two looks at the changes table."""


@dataclass(frozen=True)
class _Built:
    base: TourCalendar
    stamp: tuple[int, int]
    result: Applied


class CalendarOverlay:
    """Lays the stored changes over the file's calendar; callable as `set_calendar_overlay` wants.

    Args:
        changes: the table (default: `CalendarChanges()` on the shared engine, made on first use).
        every: seconds between two reads of the table's stamp.
        background: a poller thread reads the stamp every `every` seconds and rebuilds; a call
            never touches the database, except the very first build, which the action server's
            `warm_up` makes before it listens.
        monotonic: the clock of `every` without `background` (tests advance it).
        communes: the communes the validator checks codes against (default: the Nord's).
    """

    def __init__(
        self,
        changes: CalendarChanges | None = None,
        every: float = DEFAULT_EVERY,
        background: bool = True,
        monotonic: Callable[[], float] = time.monotonic,
        communes: Any = None,
    ) -> None:
        self._changes = changes
        self.every = every
        self.background = background
        self.monotonic = monotonic
        self.communes = communes
        self._built: dict[Path, _Built] = {}
        self._checked: dict[Path, float] = {}
        self._lock = threading.Lock()
        self._running: set[Path] = set()
        self._trees: dict[Path, tuple[TourCalendar, Any]] = {}
        self._bases: dict[Path, TourCalendar] = {}
        self._poller = Poller("calendar-poller", self._poll, lambda: self.every)

    @property
    def changes(self) -> CalendarChanges:
        if self._changes is None:
            self._changes = CalendarChanges()
        return self._changes

    def __call__(self, path: Path, base: TourCalendar) -> TourCalendar:
        self._bases[path] = base
        built = self._built.get(path)
        if built is None:
            result = self.refresh(path, base)
        elif not self.background:
            due = self.monotonic() - self._checked.get(path, float("-inf")) >= self.every
            result = self.refresh(path, base) if due or built.base is not base else built.result
        else:
            if built.base is not base:  # the file was saved: rebuild now, not at the next tick
                self._start(path, base)
            result = built.result
        if self.background:
            self._poller.ensure()
        return result.calendar

    def current(self, path: Path, base: TourCalendar) -> Applied:
        """The latest result with its refused changes, refreshed now (the console's view)."""
        return self.refresh(path, base)

    def refresh(self, path: Path, base: TourCalendar) -> Applied:
        """Read the stamp now and rebuild if it or the file changed; keep the last on failure."""
        built = self._built.get(path)
        self._checked[path] = self.monotonic()
        try:
            stamp = self.changes.stamp()
            if built is not None and built.stamp == stamp and built.base is base:
                return built.result
            active = self.changes.active()
            result = overlay(
                self.base_tree(path, base), [s.change for s in active], self.communes, path
            )
        except (SQLAlchemyError, DataErrors) as exc:
            logger.error("calendar changes not applied, keeping the last calendar: %s", exc)
            return built.result if built is not None else Applied(None, base, ())
        for refused in result.refused:
            logger.error(
                "calendar change %s (%s) no longer applies to %s and is left out: %s",
                active[refused.index].id,
                refused.change.kind,
                path,
                "; ".join(refused.reasons),
            )
        self._built[path] = _Built(base, stamp, result)
        return result

    def base_tree(self, path: Path, base: TourCalendar) -> Any:
        """The YAML tree of the file `base` was loaded from (what changes are applied to)."""
        # get_calendar gives the same calendar object until the file is saved again: parse the
        # file (half a second) once per version, not at every change.
        cached = self._trees.get(path)
        if cached is None or cached[0] is not base:
            cached = self._trees[path] = (base, read_base(path))
        return cached[1]

    def stop(self) -> None:
        """End the poller (tests; the action server's runs as long as the process)."""
        self._poller.stop()

    def _poll(self) -> None:
        for path, base in list(self._bases.items()):
            try:
                self.refresh(path, base)
            except Exception:  # noqa: BLE001 - one calendar's failure must not skip the others
                logger.exception("rebuilding the calendar with the staff's changes failed")

    def _start(self, path: Path, base: TourCalendar) -> None:
        with self._lock:
            if path in self._running:
                return
            self._running.add(path)
            self._checked[path] = self.monotonic()

        def run() -> None:
            try:
                self.refresh(path, base)
            except Exception:  # noqa: BLE001 - a failed rebuild must not kill the server
                logger.exception("rebuilding the calendar with the staff's changes failed")
            finally:
                with self._lock:
                    self._running.discard(path)

        threading.Thread(target=run, name="calendar-overlay", daemon=True).start()


def install(overlay_: CalendarOverlay | None = None) -> CalendarOverlay:
    """Make `get_calendar()` answer with the staff's changes (the action server calls this)."""
    from franceservices.calendar.tours import set_calendar_overlay

    provider = overlay_ or CalendarOverlay()
    set_calendar_overlay(provider)
    return provider
