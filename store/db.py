"""The database connection: one lazily created SQLAlchemy engine per URL.

The URL comes from `DATABASE_URL`, the variable the Rasa tracker store reads too (see
`endpoints.yml`), so bookings live next to the conversations: an SQLite file,
`<project>/var/rasa.db`, by default; PostgreSQL by configuration
(`postgresql://user:password@host:5432/rasa`). A relative SQLite path is taken from the project
directory (the launcher runs Rasa there), never from the current directory.

Nothing connects at import: the action server imports every module at start, and a database
that is down must not stop it from answering bus questions. `get_engine()` builds the engine on
first use.

SQLite specifics, set on every new connection (connections are pooled: `QueuePool`):
- WAL journal: readers (the staff console) do not block the writer (the action server), with
  `synchronous=NORMAL`, SQLite's advice for WAL: no fsync at each commit; a power cut can lose
  the last transactions, never corrupt the file (production runs on PostgreSQL);
- `busy_timeout` 10 s: a writer waits for the lock instead of failing at once;
- `foreign_keys=ON` (SQLite's default is off) so ON DELETE CASCADE works;
- every transaction starts with `BEGIN IMMEDIATE`: the write lock is taken at the start, so a
  transaction that reads then writes can never fail with SQLITE_BUSY half way (in WAL mode a
  deferred transaction that read an old snapshot cannot upgrade to a writer, and the busy timeout
  does not help). Transactions are short; waiting for the lock is cheap at our volumes. This is
  SQLAlchemy's documented pysqlite recipe (the driver's own BEGIN handling is switched off).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_DIR / "var" / "rasa.db"
SQLITE_BUSY_TIMEOUT_MS = 10_000

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def database_url(url: str | None = None) -> str:
    """The URL to use: `url`, else `DATABASE_URL`, else the project's SQLite file.

    "postgres://" (the Heroku spelling, refused by SQLAlchemy 1.4) is read as "postgresql://";
    a relative SQLite path is made absolute from the project directory.
    """
    url = url or os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            path = Path(database)
            if not path.is_absolute():
                path = PROJECT_DIR / path
            url = f"sqlite:///{path}"
    return url


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # noqa: ANN001 (DBAPI objects)
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # noqa: ANN001
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str | None = None) -> Engine:
    """Build a new engine (callers normally want the shared one: `get_engine`)."""
    url = database_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            future=True,
            # Keep connections open between transactions (SQLAlchemy 1.4 reopens the file for
            # each one by default, and our pragmas run again): 2 ms a message saved in Rasa.
            poolclass=QueuePool if parsed.database not in (None, "", ":memory:") else None,
            connect_args={"check_same_thread": False, "timeout": 10},
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, future=True, pool_pre_ping=True)


def get_engine(url: str | None = None) -> Engine:
    """The shared engine for `url` (default: `database_url()`), created on first use."""
    key = database_url(url)
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _engines[key] = make_engine(key)
        return engine


def dispose_engines() -> None:
    """Close every shared engine (tests, and after a fork)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def session_factory(engine: Engine) -> sessionmaker:
    """Sessions that keep loaded objects readable after commit (they are returned to callers)."""
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One session in one transaction: committed on success, rolled back on any exception."""
    with session_factory(engine)() as session, session.begin():
        yield session
