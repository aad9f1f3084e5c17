"""The store's PostgreSQL tests of tests/unit/test_store.py, on the production profile's server.

`pytest tests/unit` skips them unless TEST_POSTGRES_URL names a PostgreSQL database (the reason
is printed, `-rs`); here they always run, in `make test-prod`, on a database of their own in the
profile's PostgreSQL: concurrent bookings of one slot (threads and processes), exactly one wins.
"""

from __future__ import annotations

import pytest

from store.cli import downgrade, upgrade
from tests.unit.test_store import (  # noqa: F401 - collected here, with the pg_url below
    test_postgres_book_cancel_rebook,
    test_postgres_concurrent_processes,
    test_postgres_concurrent_threads,
)

DATABASE = "store_race_test"


@pytest.fixture(scope="module")
def race_database(prod):
    """A fresh database owned by the `rasa` role, beside (not inside) the profile's own."""
    conn = prod._pg_connect()
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        cur.execute(f"CREATE DATABASE {DATABASE} OWNER rasa ENCODING 'UTF8'")
    conn.close()
    base, _, name = prod.env["DATABASE_URL"].rpartition("/")
    assert name == "rasa" and base.startswith("postgresql://")
    return f"{base}/{DATABASE}"


@pytest.fixture
def pg_url(race_database):
    """Overrides tests/unit/test_store.py's fixture (which needs TEST_POSTGRES_URL)."""
    downgrade(race_database, "base")
    upgrade(race_database)
    yield race_database
    downgrade(race_database, "base")
