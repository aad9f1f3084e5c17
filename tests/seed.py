"""What the test stacks (tests/e2e, tests/browser) store before they start."""

from __future__ import annotations


def seed_visio_offer(url: str) -> None:
    """The CAF's advisors on every visit of the Avesnois bus (Trélon is a stop), saved as staff
    do in the console's Visio section: the shipped offer names no organisation (issue 18), so
    without this the form honestly proposes nothing. The action server serves the latest
    version (store/visio_offer.py)."""
    from franceservices.booking.offer_edits import add_organisation, plain
    from franceservices.booking.offer_file import read_offer_tree
    from store.cli import upgrade
    from store.db import make_engine
    from store.visio_offer import VisioOfferVersions

    upgrade(url)
    document = add_organisation(plain(read_offer_tree()), "bus:avesnois", "caf", range(7))
    VisioOfferVersions(make_engine(url)).save(document, who="e2e", why="la CAF sur le bus")
