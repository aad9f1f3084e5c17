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
    from actions.communes import get_resolver
    from actions.desks import load_desks
    from actions.procedures_catalogue import load_catalogue
    from actions.tours import get_calendar

    get_resolver().resolve("Trélon")
    load_desks()
    load_catalogue()
    get_calendar()


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
    warm_up()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # Listen on the configured interface only (rasa-sdk defaults to every interface).
    os.environ.setdefault("SANIC_HOST", os.environ.get("BIND_HOST", "127.0.0.1"))
    # No CORS: only the Rasa server calls the action server, never a browser.
    endpoint.run("actions", port=args.port, cors_origins=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
