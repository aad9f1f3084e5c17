"""The console's commands.

python -m console.cli create-admin NAME        # asks for the password (or reads stdin)
python -m console.cli create-agent NAME
python -m console.cli purge [--months 6] [--booking-months 1]   # schedule daily (cron)
python -m console.cli erase (--conversation ID | --phone NUMBER)
python -m console.cli teach-export FILE
python -m console.cli serve [--host H] [--port P]
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import logging
import os
import sys

from sqlalchemy.exc import IntegrityError

from console.security import MIN_PASSWORD_LENGTH, create_account
from store.db import get_engine

UTC = dt.timezone.utc


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != first:
            raise SystemExit("passwords differ")
        return first
    return sys.stdin.readline().rstrip("\n")


def _create(name: str, role: str, url: str | None) -> int:
    password = _read_password()
    if len(password) < MIN_PASSWORD_LENGTH:
        print(f"password too short (at least {MIN_PASSWORD_LENGTH} characters)", file=sys.stderr)
        return 2
    try:
        with get_engine(url).begin() as conn:
            create_account(conn, name, password, role)
    except IntegrityError:
        print(f"account {name!r} already exists", file=sys.stderr)
        return 1
    _audit(url, "cli", "account_create", name, role)
    print(f"{role} {name!r} created")
    return 0


def _audit(url: str | None, actor: str, action: str, target: str = "", detail: str = "") -> None:
    from console import models

    with get_engine(url).begin() as conn:
        conn.execute(
            models.audit_log.insert().values(
                at=dt.datetime.now(tz=UTC), actor=actor, action=action, target=target,
                detail=detail,
            )
        )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(
        prog="python -m console.cli", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--url", help="database URL (default: DATABASE_URL or var/rasa.db)")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("create-admin", "create-agent"):
        sub.add_parser(name, help=f"create an {name[7:]} account").add_argument("name")
    purge = sub.add_parser("purge", help="delete data older than the retention periods")
    purge.add_argument(
        "--months", type=int, default=int(os.environ.get("CONSOLE_RETENTION_MONTHS", "6"))
    )
    purge.add_argument(
        "--booking-months",
        type=int,
        default=int(os.environ.get("CONSOLE_BOOKING_RETENTION_MONTHS", "1")),
    )
    erase = sub.add_parser("erase", help="erase one citizen's data")
    group = erase.add_mutually_exclusive_group(required=True)
    group.add_argument("--conversation")
    group.add_argument("--phone")
    export = sub.add_parser("teach-export", help="write the labelled messages as Rasa NLU YAML")
    export.add_argument("file")
    serve = sub.add_parser("serve", help="run the console (waitress-free: Werkzeug, threaded)")
    serve.add_argument("--host", default=os.environ.get("BIND_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("CONSOLE_PORT", "8090")))
    args = parser.parse_args(argv)

    if args.command in ("create-admin", "create-agent"):
        return _create(args.name, args.command[7:], args.url)
    if args.command == "purge":
        from console.retention import purge as run_purge

        counts = run_purge(
            get_engine(args.url), dt.datetime.now(tz=UTC), args.months, args.booking_months
        )
        _audit(args.url, "cli", "purge", detail=json.dumps(counts, sort_keys=True))
        print(json.dumps(counts, sort_keys=True))
        return 0
    if args.command == "erase":
        from console.retention import erase as run_erase

        try:
            counts = run_erase(get_engine(args.url), sender_id=args.conversation, phone=args.phone)
        except ValueError as error:
            print(error, file=sys.stderr)
            return 2
        _audit(args.url, "cli", "erase", args.conversation or "phone", json.dumps(counts))
        print(json.dumps(counts, sort_keys=True))
        return 0
    if args.command == "teach-export":
        from console.teach import export_yaml

        with get_engine(args.url).begin() as conn:
            text, count, skipped = export_yaml(conn, dt.datetime.now(tz=UTC))
        with open(args.file, "w", encoding="utf-8") as out:
            out.write(text)
        print(f"{count} examples written to {args.file} ({skipped} skipped: personal data)")
        return 0
    from console import create_app

    app = create_app({"DATABASE_URL": args.url} if args.url else None)
    app.run(
        host=args.host,
        port=args.port,
        threaded=True,
        debug=False,
        request_handler=path_only_request_handler(),
    )
    return 0


def path_only_request_handler() -> type:
    """Werkzeug's request handler, logging each request without its query string: a search
    ("?q=06 12 34 56 78") may hold a citizen's personal data, which stays out of the logs."""
    from werkzeug.serving import WSGIRequestHandler

    class PathOnlyRequestHandler(WSGIRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            path = self.path.split("?", 1)[0]
            self.log("info", '"%s %s" %s %s', self.command, path, code, size)

    return PathOnlyRequestHandler


if __name__ == "__main__":
    sys.exit(main())
