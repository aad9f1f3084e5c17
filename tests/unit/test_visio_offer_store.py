"""The visio offer edited in the console: edits (franceservices/booking/offer_edits.py), saved
versions validated like the file, and the overlay get_offer serves (store/visio_offer.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import create_engine

from franceservices.booking import offer as offer_module
from franceservices.booking.offer import DEFAULT_OFFER_PATH, get_offer
from franceservices.booking.offer_edits import (
    EditError,
    add_absence,
    add_closure,
    add_extra_slot,
    add_organisation,
    plain,
    remove_entry,
    set_booths,
)
from franceservices.booking.offer_file import parse_offer, read_offer_tree
from franceservices.data_errors import DataErrors
from store.cli import upgrade
from store.db import make_engine
from store.visio_offer import OfferOverlay, VisioOfferVersions, install

T = dt.time
WEDNESDAY = dt.date(2026, 12, 9)
OPENING = ((T(9), T(12)), (T(14), T(17)))


@pytest.fixture
def engine(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def shipped() -> dict:
    return plain(read_offer_tree(DEFAULT_OFFER_PATH))


def test_edits_give_documents_the_file_validation_accepts():
    doc = add_organisation(shipped(), "desk:346", "caf", [2], [(T(9), T(12))])
    doc = add_organisation(doc, "bus:avesnois", "cpam", [0, 1])
    doc = set_booths(doc, "desk:346", 2)
    doc = add_closure(doc, "desk:346", dt.date(2026, 12, 24), dt.date(2026, 12, 31), "congés")
    doc = add_absence(doc, "desk:346", "caf", dt.date(2026, 12, 16), "conseillère absente")
    doc = add_extra_slot(doc, "desk:350", "msa", dt.date(2026, 12, 12), [(T(9), T(11))], "forum")
    offer = parse_offer(doc)
    assert offer.periods("desk:346", "caf", WEDNESDAY, OPENING) == ((T(9), T(12)),)
    assert offer.periods("desk:346", "caf", dt.date(2026, 12, 16), OPENING) == ()
    assert offer.place("desk:346").booths == 2
    assert offer.place("desk:346").closure_on(dt.date(2026, 12, 30)).reason == "congés"
    assert [p.key for p in offer.places_for("msa")] == ["desk:350"]
    assert shipped()["places"][0].get("organisations") == []  # edits copy, never change
    doc = remove_entry(doc, "organisations", 0, place="desk:346")
    assert parse_offer(doc).periods("desk:346", "caf", WEDNESDAY, OPENING) == ()
    with pytest.raises(EditError, match="'desk:2445' n'est pas un lieu de l'offre"):
        add_organisation(doc, "desk:2445", "caf", [2])  # Fourmies: not in the offer
    with pytest.raises(EditError, match="pas d'entrée n° 6 dans absences"):
        remove_entry(doc, "absences", 5)


def test_a_version_is_saved_only_if_valid_and_the_latest_is_in_use(engine):
    versions = VisioOfferVersions(engine)
    assert versions.latest() is None and versions.stamp() == 0
    bad = add_organisation(shipped(), "desk:346", "kaf", [2])
    with pytest.raises(DataErrors) as refused:
        versions.save(bad, who="julie", why="essai")
    assert "organisme 'kaf' inconnu" in str(refused.value)
    assert versions.stamp() == 0  # nothing saved
    good = add_organisation(shipped(), "desk:346", "caf", [2])
    saved = versions.save(good, who="julie", why="la CAF vient le mercredi")
    assert versions.latest() == saved and saved.document == good and saved.created_by == "julie"
    again = versions.save(shipped(), who="marc", why="retour à l'offre de départ")
    assert [v.id for v in versions.history()] == [again.id, saved.id]


def test_the_overlay_serves_the_latest_version_else_the_file(engine, monkeypatch):
    versions = VisioOfferVersions(engine)
    overlay = OfferOverlay(versions, every=0, background=False)
    install(overlay)
    try:
        assert get_offer().places_for("caf") == []  # the file: no organisation
        versions.save(add_organisation(shipped(), "desk:346", "caf", [2]), "julie", "x")
        assert [p.key for p in get_offer().places_for("caf")] == ["desk:346"]
        # the database goes away: the last offer is kept, no error for the citizen
        monkeypatch.setattr(overlay, "_versions", VisioOfferVersions(_broken_engine()))
        assert [p.key for p in get_offer().places_for("caf")] == ["desk:346"]
    finally:
        offer_module.set_offer_overlay(None)


def test_the_background_overlay_never_reads_the_database_after_the_first_build(engine):
    versions = VisioOfferVersions(engine)
    overlay = OfferOverlay(versions, every=3600, background=True)
    base = get_offer()
    assert overlay(DEFAULT_OFFER_PATH, base) is base
    versions.save(add_organisation(shipped(), "desk:346", "caf", [2]), "julie", "x")
    assert overlay(DEFAULT_OFFER_PATH, base) is base  # the poller's next tick picks it up
    assert overlay.refresh(DEFAULT_OFFER_PATH, base).places_for("caf")
    overlay.stop()


def _broken_engine():
    return create_engine("sqlite:////nonexistent/dir/store.db")
