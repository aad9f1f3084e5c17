"""The store on a temporary SQLite file (and on PostgreSQL when TEST_POSTGRES_URL is set).

TEST_POSTGRES_URL must point to a throwaway database: the tests drop and recreate the store's
tables there (docs/postgres-local.md shows how to start one on loopback).
"""

import datetime as dt
import multiprocessing
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from franceservices.booking.codes import is_valid_code
from franceservices.booking.visio_slots import propose_slots
from franceservices.dates.clock import PARIS
from store import (
    BookingNotFound,
    InvalidTransition,
    NotFound,
    Repository,
    SlotTaken,
    database_url,
    make_engine,
)
from store.cli import downgrade, upgrade

UTC = dt.timezone.utc
NOW = dt.datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
PG_URL = os.environ.get("TEST_POSTGRES_URL")
TABLES = {"bookings", "slot_claims", "handoff_requests", "reminders", "store_alembic_version"}


@dataclass(frozen=True)
class S:
    place_key: str
    start: dt.datetime
    end: dt.datetime


def slot(key="desk:900", day=3, hour=9, minute=0):
    start = dt.datetime(2025, 3, day, hour, minute, tzinfo=PARIS)
    return S(key, start, start + dt.timedelta(minutes=30))


BOOKER = {
    "operator": "caf",
    "name": "Marie Martin",
    "reason": "prime d'activité",
    "contact_phone": "06 12 34 56 78",
    "channel": "rest",
    "sender_id": "web-123",
    "commune_insee": "59601",
}


def book(repo, s=None, **overrides):
    return repo.book(s or slot(), consent_at=NOW, **{**BOOKER, **overrides})


@pytest.fixture
def sqlite_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    return url


@pytest.fixture
def repo(sqlite_url):
    engine = make_engine(sqlite_url)
    yield Repository(engine, clock=lambda: NOW)
    engine.dispose()


# -- configuration -----------------------------------------------------------------------------


def test_database_url(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert database_url().endswith("/var/rasa.db") and database_url().startswith("sqlite:////")
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@h:5432/db")
    assert database_url() == "postgresql://u:p@h:5432/db"
    monkeypatch.setenv("DATABASE_URL", "sqlite:///var/x.db")
    assert database_url() == f"sqlite:///{Path(__file__).resolve().parents[2] / 'var' / 'x.db'}"
    assert database_url("sqlite:////tmp/a.db") == "sqlite:////tmp/a.db"


def test_no_engine_at_import():
    code = (
        "import store, store.repository, franceservices.booking.visio_slots, store.db as d;"
        "assert not d._engines; store.Repository(); assert not d._engines; print('ok')"
    )
    env = {**os.environ, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "ok"


# -- migrations --------------------------------------------------------------------------------


def test_migrations_from_empty_and_back(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    engine = make_engine(url)
    assert TABLES <= set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        # The latest revision (one head: revisions of other packages chain after 0001).
        from alembic.script import ScriptDirectory

        from store.cli import alembic_config

        head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
        assert conn.execute(text("SELECT version_num FROM store_alembic_version")).scalar() == head
    upgrade(url)  # idempotent
    downgrade(url, "base")
    assert not (TABLES - {"store_alembic_version"}) & set(inspect(engine).get_table_names())
    engine.dispose()


def test_models_match_migrations(sqlite_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from store.cli import VERSION_TABLE, include_name
    from store.models import metadata

    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        conn.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY)"))  # like Rasa's tracker
        opts = {"include_name": include_name, "version_table": VERSION_TABLE, "compare_type": True}
        diff = compare_metadata(MigrationContext.configure(conn, opts=opts), metadata)
    engine.dispose()
    assert diff == []


def test_cli_upgrade(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    subprocess.run(
        [sys.executable, "-m", "store.cli", "--url", url, "upgrade"],
        cwd=Path(__file__).resolve().parents[2],
        check=True,
        capture_output=True,
    )
    engine = make_engine(url)
    assert TABLES <= set(inspect(engine).get_table_names())
    engine.dispose()


# -- bookings ----------------------------------------------------------------------------------


def test_book_stores_a_requested_booking(repo):
    booking = book(repo)
    assert is_valid_code(booking.code)
    assert booking.status == "requested"
    assert booking.contact_phone == "+33612345678"
    assert booking.slot_start == dt.datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
    again = repo.by_code(booking.code.lower()[:3] + " " + booking.code.lower()[3:])
    assert again.id == booking.id and again.place_key == "desk:900"
    assert again.slot_start.tzinfo is not None and again.consent_at == NOW
    assert repo.by_code("nope") is None


def test_book_needs_a_valid_contact(repo):
    with pytest.raises(ValueError):
        book(repo, contact_phone=None)
    with pytest.raises(ValueError):
        book(repo, contact_phone="123")
    with pytest.raises(ValueError):
        book(repo, contact_phone=None, contact_email="pas un mail")
    assert (
        book(repo, contact_phone=None, contact_email="M@Orange.FR").contact_email == "M@orange.fr"
    )


def test_same_slot_twice_is_refused(repo):
    first = book(repo)
    with pytest.raises(SlotTaken) as info:
        book(repo, sender_id="other")
    assert info.value.place_key == "desk:900"
    book(repo, slot("bus:avesnois"))  # another booth, same time
    book(repo, slot(minute=30))  # same booth, next slot
    assert repo.by_code(first.code).status == "requested"


def test_code_collision_draws_another_code(repo):
    from franceservices.booking.codes import new_code

    fixed = [new_code(lambda n: 0), new_code(lambda n: 0), new_code(lambda n: 1)]
    codes = iter(fixed)
    repo._code_factory = lambda: next(codes)
    first = book(repo)
    second = book(repo, slot(minute=30))
    assert first.code == fixed[0] and second.code == fixed[2]


def test_cancel_needs_code_and_proof(repo):
    booking = book(repo, contact_email="marie@orange.fr")
    with pytest.raises(BookingNotFound):
        repo.cancel(booking.code)  # no proof
    with pytest.raises(BookingNotFound):
        repo.cancel(booking.code, phone="07 00 00 00 00")
    with pytest.raises(BookingNotFound):
        repo.cancel(booking.code, sender_id="someone-else")
    with pytest.raises(BookingNotFound):
        repo.cancel(booking.code, sender_id="web-123", channel="twilio")
    with pytest.raises(BookingNotFound):
        repo.cancel("ZZZZZZ", phone="06 12 34 56 78")
    assert repo.cancel(booking.code, phone="+33 6 12 34 56 78").status == "cancelled"


@pytest.mark.parametrize(
    "proof",
    [
        {"sender_id": "web-123"},
        {"sender_id": "web-123", "channel": "rest"},
        {"phone": "0612345678"},
        {"email": "MARIE@orange.fr"},
    ],
)
def test_each_proof_is_enough(repo, proof):
    booking = book(repo, contact_email="marie@orange.fr")
    assert repo.cancel(booking.code, **proof).status == "cancelled"


def test_cancel_frees_the_slot_for_rebooking(repo):
    booking = book(repo)
    repo.cancel(booking.code, sender_id="web-123")
    with pytest.raises(InvalidTransition):
        repo.cancel(booking.code, sender_id="web-123")
    again = book(repo, sender_id="web-456")
    assert again.code != booking.code
    assert repo.by_code(booking.code).status == "cancelled"  # kept for the record
    with pytest.raises(SlotTaken):
        book(repo, sender_id="web-789")


def test_cannot_cancel_a_started_booking(sqlite_url):
    engine = make_engine(sqlite_url)
    now = [NOW]
    repo = Repository(engine, clock=lambda: now[0])
    booking = book(repo)
    now[0] = slot().start + dt.timedelta(minutes=1)
    with pytest.raises(InvalidTransition):
        repo.cancel(booking.code, sender_id="web-123")
    engine.dispose()


def test_status_changes_by_agents(repo):
    booking = book(repo)
    confirmed = repo.set_status(booking.code, "confirmed", "agent.dupont", note="OK CAF")
    assert confirmed.status == "confirmed" and confirmed.agent == "agent.dupont"
    other = book(repo, slot(minute=30))
    with pytest.raises(SlotTaken):
        repo.set_status(booking.code, "moved", "agent.dupont", new_slot=slot(minute=30))
    assert repo.by_code(booking.code).slot_start == slot().start  # unchanged
    moved = repo.set_status(booking.code, "moved", "agent.dupont", new_slot=slot("bus:t1", day=4))
    assert moved.status == "moved" and moved.place_key == "bus:t1"
    assert moved.slot_start == slot(day=4).start
    book(repo)  # the old slot is free again
    with pytest.raises(SlotTaken):
        book(repo, slot("bus:t1", day=4))
    refused = repo.set_status(other.code, "refused", "agent.martin")
    assert refused.status == "refused"
    book(repo, slot(minute=30))  # freed by the refusal
    with pytest.raises(InvalidTransition):
        repo.set_status(other.code, "confirmed", "agent.martin")
    with pytest.raises(ValueError):
        repo.set_status(booking.code, "moved", "agent")  # no new slot
    with pytest.raises(ValueError):
        repo.set_status(booking.code, "confirmed", "agent", new_slot=slot(day=5))
    with pytest.raises(ValueError):
        repo.set_status(booking.code, "lost", "agent")
    with pytest.raises(BookingNotFound):
        repo.set_status("ZZZZZZ", "confirmed", "agent")


def test_taken_slots_feed_propose_slots(repo):
    book(repo, slot(day=3, hour=10))
    book(repo, slot(day=3, hour=10, minute=30))
    book(repo, slot("bus:avesnois", day=3, hour=10))
    cancelled = book(repo, slot(day=3, hour=11))
    repo.cancel(cancelled.code, sender_id="web-123")
    start = dt.datetime(2025, 3, 3, tzinfo=PARIS)
    taken = repo.taken_slots(["desk:900"], start, start + dt.timedelta(days=1))
    assert taken == {
        ("desk:900", slot(day=3, hour=10).start),
        ("desk:900", slot(day=3, hour=10, minute=30).start),
    }
    assert repo.taken_slots([], start, start) == set()

    from tests.unit.test_visio_slots import (
        DeskRepository,
        FakeCommunes,
        make_calendar,
        make_desk,
        make_offer,
    )

    def propose(held):
        return propose_slots(
            "59001",
            "caf",
            dt.datetime(2025, 3, 3, 7, 0, tzinfo=PARIS),
            held,
            calendar=make_calendar(),
            desks=DeskRepository([make_desk()]),
            communes=FakeCommunes(),
            offer=make_offer(),  # the CAF at the test bus and desk
            per_day=10,
        )

    slots = propose(taken)
    desk_starts = [s.start.time() for s in slots if s.place_key == "desk:900"]
    assert desk_starts[:2] == [dt.time(9, 0), dt.time(9, 30)]
    assert dt.time(10, 0) not in desk_starts and dt.time(10, 30) not in desk_starts
    # the store's reader itself, called by propose_slots with the booths it proposes
    assert propose(repo.taken_slots) == slots


def test_bookings_of_sender_and_agenda(repo):
    a = book(repo, slot(day=4))
    b = book(repo, slot(day=3))
    book(repo, slot(day=5), sender_id="other")
    repo.cancel(a.code, sender_id="web-123")
    assert [x.code for x in repo.bookings_of("web-123")] == [b.code]
    assert len(repo.bookings_of("web-123", active_only=False)) == 2
    agenda = repo.bookings_between(slot(day=3).start, slot(day=6).start)
    assert [x.slot_start.day for x in agenda] == [3, 5]


# -- concurrency -------------------------------------------------------------------------------


def _race_threads(url, count):
    engine = make_engine(url)
    barrier = threading.Barrier(count)
    results = []
    lock = threading.Lock()

    def worker(i):
        repo = Repository(engine)
        barrier.wait()
        try:
            booking = book(repo, sender_id=f"t{i}")
            outcome = ("ok", booking.code)
        except SlotTaken:
            outcome = ("taken", None)
        except Exception as exc:  # anything else is a bug the test must show
            outcome = ("error", repr(exc))
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    engine.dispose()
    return results


def _process_worker(url, barrier, queue, i):
    engine = make_engine(url)
    repo = Repository(engine)
    barrier.wait()
    try:
        booking = book(repo, sender_id=f"p{i}")
        queue.put(("ok", booking.code))
    except SlotTaken:
        queue.put(("taken", None))
    except Exception as exc:
        queue.put(("error", repr(exc)))
    finally:
        engine.dispose()


def _race_processes(url, count):
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(count)
    queue = ctx.Queue()
    procs = [
        ctx.Process(target=_process_worker, args=(url, barrier, queue, i)) for i in range(count)
    ]
    for p in procs:
        p.start()
    results = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
    return results


def _assert_exactly_one(results, count, url):
    assert len(results) == count
    assert [r for r in results if r[0] == "error"] == []
    winners = [r for r in results if r[0] == "ok"]
    assert len(winners) == 1, results
    engine = make_engine(url)
    with engine.connect() as conn:
        claims = conn.execute(text("SELECT COUNT(*) FROM slot_claims")).scalar()
        bookings = conn.execute(text("SELECT COUNT(*) FROM bookings")).scalar()
    engine.dispose()
    assert claims == 1 and bookings == 1  # the losers left nothing behind


def test_concurrent_threads_exactly_one_wins(sqlite_url):
    results = _race_threads(sqlite_url, 16)
    _assert_exactly_one(results, 16, sqlite_url)


def test_concurrent_processes_exactly_one_wins(sqlite_url):
    results = _race_processes(sqlite_url, 6)
    _assert_exactly_one(results, 6, sqlite_url)


@pytest.fixture
def pg_url():
    if not PG_URL:
        pytest.skip("TEST_POSTGRES_URL is not set (make test-prod runs these on PostgreSQL)")
    downgrade(PG_URL, "base")
    upgrade(PG_URL)
    yield PG_URL
    downgrade(PG_URL, "base")


def test_postgres_concurrent_threads(pg_url):
    results = _race_threads(pg_url, 24)
    _assert_exactly_one(results, 24, pg_url)


def test_postgres_concurrent_processes(pg_url):
    results = _race_processes(pg_url, 8)
    _assert_exactly_one(results, 8, pg_url)


def test_postgres_book_cancel_rebook(pg_url):
    engine = make_engine(pg_url)
    repo = Repository(engine, clock=lambda: NOW)
    booking = book(repo)
    with pytest.raises(SlotTaken):
        book(repo)
    repo.cancel(booking.code, phone="06 12 34 56 78")
    again = book(repo)
    assert again.slot_start == booking.slot_start
    moved = repo.set_status(again.code, "moved", "agent", new_slot=slot(day=4))
    assert moved.slot_start == slot(day=4).start
    engine.dispose()


# -- handoff queue and call-backs --------------------------------------------------------------


def test_handoff_queue(repo):
    first = repo.add_handoff(sender_id="web-1", channel="rest", summary="question CAF")
    repo.add_handoff(
        sender_id="sms-2",
        channel="twilio",
        kind="callback",
        contact_phone="06 12 34 56 78",
        consent_at=NOW,
        preferred_time="mardi matin",
    )
    with pytest.raises(ValueError):
        repo.add_handoff(sender_id="x", channel="rest", kind="callback")
    with pytest.raises(ValueError):
        repo.add_handoff(sender_id="x", channel="rest", kind="other")
    assert [r.sender_id for r in repo.waiting_handoffs()] == ["web-1", "sms-2"]
    assert [r.contact_phone for r in repo.waiting_handoffs("callback")] == ["+33612345678"]
    taken = repo.take_handoff(first.id, "agent.a")
    assert taken.status == "taken" and taken.agent == "agent.a"
    with pytest.raises(NotFound):
        repo.take_handoff(first.id, "agent.b")  # two agents clicking: one gets it
    assert repo.close_handoff(first.id, "agent.a").status == "done"
    with pytest.raises(NotFound):
        repo.close_handoff(first.id, "agent.a")
    assert [r.sender_id for r in repo.waiting_handoffs()] == ["sms-2"]


# -- reminders ---------------------------------------------------------------------------------


def test_reminders_due_and_sent(repo):
    booking = book(repo)
    h = dt.timedelta(hours=1)
    r1 = repo.add_reminder(
        due_at=NOW + h,
        channel="twilio",
        recipient="+33612345678",
        kind="booking_reminder",
        payload={"code": booking.code},
        booking_id=booking.id,
    )
    r2 = repo.add_reminder(due_at=NOW - h, channel="rest", recipient="web-1", kind="x")
    repo.add_reminder(due_at=NOW + 5 * h, channel="rest", recipient="web-2", kind="x")
    assert [r.id for r in repo.due_reminders(NOW)] == [r2.id]
    due = repo.due_reminders(NOW + 2 * h)
    assert [r.id for r in due] == [r2.id, r1.id]
    assert '"code"' in due[1].payload
    assert repo.mark_sent(r2.id, NOW) is True
    assert repo.mark_sent(r2.id, NOW) is False  # already sent: never twice
    assert repo.get_reminder(r2.id).status == "sent"
    assert [r.id for r in repo.due_reminders(NOW + 2 * h)] == [r1.id]


def test_reminder_retries_then_fails(repo):
    r = repo.add_reminder(due_at=NOW, channel="twilio", recipient="+33612345678", kind="x")
    retry = NOW + dt.timedelta(minutes=10)
    assert repo.mark_failed(r.id, "timeout", retry_at=retry, max_attempts=2).status == "pending"
    assert repo.due_reminders(NOW) == []
    assert [x.id for x in repo.due_reminders(retry)] == [r.id]
    failed = repo.mark_failed(r.id, "timeout again", retry_at=retry, max_attempts=2)
    assert failed.status == "failed" and failed.attempts == 2
    with pytest.raises(NotFound):
        repo.mark_failed(r.id, "x")


def test_cancelling_a_booking_cancels_its_reminders(repo):
    booking = book(repo)
    r = repo.add_reminder(
        due_at=NOW, channel="rest", recipient="web-123", kind="x", booking_id=booking.id
    )
    repo.cancel(booking.code, sender_id="web-123")
    assert repo.get_reminder(r.id).status == "cancelled"
    assert repo.due_reminders(NOW + dt.timedelta(days=1)) == []


def test_reminders_survive_a_restart(sqlite_url):
    engine = make_engine(sqlite_url)
    Repository(engine, clock=lambda: NOW).add_reminder(
        due_at=NOW, channel="rest", recipient="web-1", kind="x"
    )
    engine.dispose()
    engine = make_engine(sqlite_url)
    assert len(Repository(engine).due_reminders(NOW)) == 1
    engine.dispose()


# -- retention ---------------------------------------------------------------------------------


def test_purge_old_data(repo):
    old = book(repo, slot(day=3))
    recent = book(repo, slot(day=20))
    repo.add_reminder(due_at=NOW, channel="rest", recipient="w", kind="x", booking_id=old.id)
    h = repo.add_handoff(sender_id="w", channel="rest")
    repo.close_handoff(h.id, "agent")
    counts = repo.purge(dt.datetime(2025, 3, 10, tzinfo=UTC))
    assert counts["bookings"] == 1 and counts["handoff_requests"] == 1
    assert repo.by_code(old.code) is None and repo.by_code(recent.code) is not None
    book(repo, slot(day=3))  # its claim went with it


def test_purge_erases_call_backs_still_open_after_the_retention(sqlite_url):
    """An open call-back request kept its phone or e-mail forever (only closed ones were
    purged), while the person was told it is erased within a month."""
    engine = make_engine(sqlite_url)
    clock_now = [NOW]
    repo = Repository(engine, clock=lambda: clock_now[0])
    old_callback = repo.add_handoff(
        sender_id="+33611111111",
        channel="twilio",
        kind="callback",
        contact_phone="06 11 11 11 11",
        consent_at=NOW,
    )
    old_taken = repo.add_handoff(
        sender_id="w", channel="rest", kind="callback", contact_email="a@b.fr", consent_at=NOW
    )
    repo.take_handoff(old_taken.id, "Marie")
    old_live = repo.add_handoff(sender_id="w2", channel="rest")
    clock_now[0] = NOW + dt.timedelta(days=20)
    recent = repo.add_handoff(
        sender_id="w3", channel="rest", kind="callback", contact_phone="0622222222", consent_at=NOW
    )
    counts = repo.purge(NOW + dt.timedelta(days=10))
    assert counts["handoff_requests"] == 3
    for gone in (old_callback, old_taken, old_live):
        assert repo.get_handoff(gone.id) is None
    assert repo.get_handoff(recent.id).contact_phone == "+33622222222"
    engine.dispose()


def test_moving_a_booking_drops_its_reminders_not_yet_sent(repo):
    booking = book(repo)
    kept = book(repo, slot(minute=30))
    for target in (booking, kept):
        repo.add_reminder(
            due_at=slot().start - dt.timedelta(days=1),
            channel="rest",
            recipient="web-123",
            sender_id="web-123",
            kind="booking_reminder",
            payload={"response": "utter_reminder_booking"},
            booking_id=target.id,
        )
    with pytest.raises(SlotTaken):  # a failed move changes nothing
        repo.set_status(booking.code, "moved", "agent", new_slot=slot(minute=30))
    assert len(repo.due_reminders(slot().start)) == 2
    repo.set_status(booking.code, "moved", "agent", new_slot=slot(day=4))
    assert [r.booking_id for r in repo.due_reminders(slot().start)] == [kept.id]
