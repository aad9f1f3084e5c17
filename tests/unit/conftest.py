"""Fixtures shared by the unit tests of several modules."""

from __future__ import annotations

import pytest

import actions.handoff as handoff_actions
from store import Repository
from store.cli import upgrade
from store.db import make_engine


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A migrated SQLite store, used by the booking and handoff actions (test_store.py has its
    own `repo`, on the bare store)."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    engine = make_engine(url)
    repository = Repository(engine)
    monkeypatch.setattr(handoff_actions, "_repository", repository)
    yield repository
    engine.dispose()
