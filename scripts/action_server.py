"""Start the action server, but only on valid reference data.

Validates every file under reference/ first (scripts/validate_data.py) and refuses to start,
printing file:line: reason for each problem, when one is invalid.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from rasa_sdk import endpoint

from scripts.validate_data import validate_all


def warm_up() -> None:
    """Build the caches now (the resolver's index takes about half a second) so that the first
    person to write does not wait for them."""
    from franceservices.booking.offer import get_offer
    from franceservices.calendar.tours import get_calendar
    from franceservices.documents.loader import load_catalogue
    from franceservices.places.commune_resolver import get_resolver
    from franceservices.places.desks import load_desks

    get_resolver().resolve("Trélon")
    load_desks()
    load_catalogue()
    get_calendar()
    get_offer()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=5055)
    args = parser.parse_args(argv)
    errors = validate_all()
    if errors:
        for error in errors:
            print(error, file=sys.stderr)
        print("The action server did not start: fix the reference data above.", file=sys.stderr)
        return 1
    # The calendar the assistant tells = tours.yml + the staff's changes in the database.
    from store.calendar_overlay import install
    from store.visio_offer import install as install_visio_offer

    install()
    # The visio offer the assistant proposes = visio_offer.yml or the staff's latest version.
    install_visio_offer()
    warm_up()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # Listen on the configured interface only (rasa-sdk defaults to every interface).
    os.environ.setdefault("SANIC_HOST", os.environ.get("BIND_HOST", "127.0.0.1"))
    # No CORS: only the Rasa server calls the action server, never a browser.
    endpoint.run("actions", port=args.port, cors_origins=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
