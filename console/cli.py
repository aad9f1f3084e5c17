"""The console's commands.

python -m console.cli create-admin NAME        # asks for the password (or reads stdin)
python -m console.cli create-agent NAME
python -m console.cli purge [--months 6] [--booking-months 1]   # schedule daily (cron)
python -m console.cli erase (--conversation ID | --phone NUMBER)
python -m console.cli teach-export FILE
python -m console.cli serve [--host H] [--port P] [--threads N] [--trusted-proxy ADDR]

`serve` runs the console on waitress (a production WSGI server), with one access-log line per
request that leaves the query string out (`AccessLog`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

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
    serve = sub.add_parser("serve", help="run the console on waitress")
    serve.add_argument("--host", default=os.environ.get("BIND_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("CONSOLE_PORT", "8090")))
    serve.add_argument("--threads", type=int, default=int(os.environ.get("CONSOLE_THREADS", "8")))
    serve.add_argument(
        "--trusted-proxy",
        help="the reverse proxy's address (nginx on 127.0.0.1): the client's address is then "
        "read from the X-Forwarded-For it appends (the lock-out counts per address)",
    )
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
    return _serve(args)


def _serve(args: argparse.Namespace) -> int:
    import waitress

    from console import create_app

    app = create_app({"DATABASE_URL": args.url} if args.url else None)
    proxy: dict[str, Any] = {}
    if args.trusted_proxy:
        # Only the last X-Forwarded-For entry (the one nginx appended) is believed.
        proxy = {
            "trusted_proxy": args.trusted_proxy,
            "trusted_proxy_count": 1,
            "trusted_proxy_headers": {"x-forwarded-for"},
            "clear_untrusted_proxy_headers": True,
        }
    waitress.serve(AccessLog(app), host=args.host, port=args.port, threads=args.threads, **proxy)
    return 0


class AccessLog:
    """WSGI middleware: one log line per request, with the path but never the query string.

    A search ("?q=06 12 34 56 78") may hold a citizen's personal data, which stays out of the
    logs. waitress writes no access log of its own.
    """

    def __init__(self, app: Callable, logger: logging.Logger | None = None) -> None:
        self.app = app
        self.log = logger or logging.getLogger("console.access")

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        seen: dict[str, str] = {}

        def recording_start_response(status: str, headers: list, exc_info: Any = None) -> Any:
            seen["status"] = status.split(" ", 1)[0]
            seen["size"] = next((v for k, v in headers if k.lower() == "content-length"), "-")
            return start_response(status, headers, exc_info)

        result = self.app(environ, recording_start_response)
        self.log.info(
            '%s - - [%s] "%s %s" %s %s',
            environ.get("REMOTE_ADDR", "-"),
            time.strftime("%d/%b/%Y %H:%M:%S"),
            environ.get("REQUEST_METHOD", "-"),
            environ.get("PATH_INFO", "") or "/",
            seen.get("status", "-"),
            seen.get("size", "-"),
        )
        return result


if __name__ == "__main__":
    sys.exit(main())
