"""Fixtures shared by the unit tests of several modules."""

from __future__ import annotations

import datetime as dt

import pytest

import actions.services as action_services
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
    monkeypatch.setattr(action_services, "_repository", repository)
    yield repository
    engine.dispose()


@pytest.fixture
def caf_on_the_avesnois_bus():
    """A visio offer where the CAF's advisors join every visit of the Avesnois bus (Trélon is
    one of its stops). The shipped offer names no organisation (no source says which comes
    when), so the booking tests install this one the way the console's versions are: through
    `franceservices.booking.offer.set_offer_overlay`."""
    from franceservices.booking import offer as offer_module

    place = offer_module.VisioPlace(
        "bus:avesnois",
        offer_module.KIND_BUS,
        "avesnois",
        1,
        dt.timedelta(minutes=30),
        None,
        (),
        (offer_module.Organisation("caf", frozenset(range(7))),),
    )
    offer = offer_module.VisioOffer([place])
    offer_module.set_offer_overlay(lambda path, base: offer)
    yield offer
    offer_module.set_offer_overlay(None)
