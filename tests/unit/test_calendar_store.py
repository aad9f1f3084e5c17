"""The calendar changes in the database, and the overlay the assistant's calendar goes through."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import pytest
from sqlalchemy import text

from franceservices.calendar import tours
from franceservices.calendar.changes import (
    AddVisit,
    CancelDay,
    CancelVisit,
    ChangeRefused,
    read_base,
)
from franceservices.dates.clock import PARIS
from store.calendar_changes import CalendarChanges, UndoBlocked
from store.calendar_overlay import CalendarOverlay, install
from store.cli import upgrade
from store.db import make_engine
from store.repository import NotFound

TRELON = "59601"  # avesnois, week 1 Monday
ETROEUNGT = "59218"
MONDAY = dt.date(2026, 12, 7)
NOW = dt.datetime(2026, 11, 30, 8, 0, tzinfo=PARIS)
AT = dt.datetime(2026, 11, 30, 7, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def base():
    return read_base()


@pytest.fixture
def engine(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def changes(engine):
    return CalendarChanges(engine, clock=lambda: AT)


def test_record_list_undo(changes, base):
    assert changes.stamp() == (0, 0)
    cancel = CancelVisit("avesnois", TRELON, MONDAY, "panne du bus")
    stored = changes.record(cancel, who="julie", why="appel du chauffeur", base=base)
    assert (stored.created_by, stored.why, stored.created_at, stored.change) == (
        "julie",
        "appel du chauffeur",
        AT,
        cancel,
    )
    assert stored.payload == {
        "tour": "avesnois",
        "insee": TRELON,
        "date": "2026-12-07",
        "reason": "panne du bus",
    }
    assert changes.stamp() == (stored.id, 0)
    assert [s.change for s in changes.active()] == [cancel]
    undone = changes.undo(stored.id, who="marc", base=base)
    assert (undone.undone_by, undone.undone_at) == ("marc", AT)
    assert changes.active() == []
    assert [s.id for s in changes.all()] == [stored.id], "an undone change is kept"
    assert changes.stamp() == (stored.id, 1)
    with pytest.raises(NotFound):
        changes.undo(stored.id, who="marc", base=base)


def test_a_refused_change_is_not_stored(changes, base):
    changes.record(CancelVisit("avesnois", TRELON, MONDAY, "panne"), "julie", "x", base)
    with pytest.raises(ChangeRefused) as caught:
        changes.record(CancelDay("avesnois", dt.date(2026, 12, 5), "grève"), "julie", "x", base)
    assert caught.value.reasons == (
        "passage annulé : la tournée avesnois n'a pas de passage régulier le 2026-12-05 "
        "(un samedi)",
    )
    assert changes.stamp() == (1, 0)


def test_undo_refused_while_a_later_change_needs_it(changes, base):
    cancel = changes.record(CancelVisit("avesnois", TRELON, MONDAY, "échange"), "j", "x", base)
    added = changes.record(
        AddVisit("avesnois", ETROEUNGT, MONDAY, "mairie", "échange"), "j", "x", base
    )
    with pytest.raises(UndoBlocked) as caught:
        changes.undo(cancel.id, "j", base)
    assert caught.value.blocker_id == added.id
    assert "déjà à Trélon" in caught.value.reasons[0]
    changes.undo(added.id, "j", base)
    changes.undo(cancel.id, "j", base)
    assert changes.active() == []


def test_a_row_that_no_longer_parses_is_listed_not_applied(engine, changes, base):
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO calendar_changes (created_at, created_by, kind, payload, why) "
                "VALUES ('2026-11-30 07:00:00', 'x', 'teleport', :p, '')"
            ),
            {"p": json.dumps({"tour": "avesnois"})},
        )
    (row,) = changes.all()
    assert row.change is None and not row.active
    assert changes.active() == []


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_overlay_rereads_the_table_at_most_every_n_seconds(changes, base):
    clock = Clock()
    provider = CalendarOverlay(changes, every=10, background=False, monotonic=clock)
    file_calendar = tours.get_calendar()
    path = tours.DEFAULT_TOURS_PATH

    def status():
        calendar = provider(path, file_calendar)
        return next(v for v in calendar.visits_on(MONDAY) if v.insee == TRELON).status

    assert status() == "scheduled"
    stored = changes.record(CancelVisit("avesnois", TRELON, MONDAY, "panne"), "j", "x", base)
    clock.now = 9.9
    assert status() == "scheduled", "not looked at again before 10 s"
    clock.now = 10.0
    assert status() == "cancelled"
    changes.undo(stored.id, "j", base)
    clock.now = 15.0
    assert status() == "cancelled"
    clock.now = 20.0
    assert status() == "scheduled"


def test_overlay_in_the_background_never_waits_for_the_database(changes, base):
    provider = CalendarOverlay(changes, every=0.05, background=True)
    file_calendar = tours.get_calendar()
    path = tours.DEFAULT_TOURS_PATH
    first = provider(path, file_calendar)  # the first build is made on the spot (warm-up)
    gate = threading.Event()
    stamp = changes.stamp
    changes.stamp = lambda: (gate.wait(), stamp())[1]  # the database hangs for the poller
    try:
        changes.record(CancelVisit("avesnois", TRELON, MONDAY, "panne"), "j", "x", base)
        started = time.monotonic()
        assert provider(path, file_calendar) is first, "the caller gets the last calendar"
        assert time.monotonic() - started < 0.5
        gate.set()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            calendar = provider(path, file_calendar)
            if next(v for v in calendar.visits_on(MONDAY) if v.insee == TRELON).is_cancelled:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the poller never applied the change")
    finally:
        gate.set()
        provider.stop()


def test_a_database_that_is_down_keeps_the_last_calendar(tmp_path, base):
    broken = CalendarChanges(make_engine(f"sqlite:///{tmp_path / 'empty.db'}"))  # no tables
    provider = CalendarOverlay(broken, every=0, background=False)
    file_calendar = tours.get_calendar()
    assert provider(tours.DEFAULT_TOURS_PATH, file_calendar) is file_calendar


def test_get_calendar_answers_with_the_installed_overlay(changes, base):
    changes.record(CancelVisit("avesnois", TRELON, MONDAY, "panne du bus"), "j", "x", base)
    plain = tours.get_calendar()
    install(CalendarOverlay(changes, every=0, background=False))
    try:
        visits = tours.get_calendar().next_visits(TRELON, NOW, 1)
        assert (visits[0].status, visits[0].reason) == ("cancelled", "panne du bus")
    finally:
        tours.set_calendar_overlay(None)
    assert tours.get_calendar() is plain
