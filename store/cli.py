"""Database migrations from the command line, without an alembic.ini.

    python -m store.cli upgrade            # to the latest revision (the launcher runs this)
    python -m store.cli current            # show the database's revision
    python -m store.cli downgrade base     # drop the store's tables (never in production)
    python -m store.cli revision -m "add x" --autogenerate   # for developers

The database is `--url`, else `DATABASE_URL`, else the project's SQLite file (see `store.db`).
Alembic's own bookkeeping table is `store_alembic_version`, so it cannot clash with another
tool's Alembic history in the same database (Rasa's tracker tables are not touched).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

from store.db import database_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "store_alembic_version"


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Autogenerate looks at the store's tables only (Rasa's tracker tables share the database)."""
    from store.models import metadata

    if type_ == "table":
        return name in metadata.tables
    return True


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration for this store's migrations and database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation: a "%" in a password must be doubled.
    config.set_main_option("sqlalchemy.url", database_url(url).replace("%", "%%"))
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Bring the database to `revision` (default: the latest)."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    """Go back to `revision` (`base` drops every table of the store)."""
    command.downgrade(alembic_config(url), revision)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(prog="python -m store.cli", description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="database URL (default: DATABASE_URL or var/rasa.db)")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("upgrade", help="migrate to a revision (default: head)")
    up.add_argument("revision", nargs="?", default="head")
    down = sub.add_parser("downgrade", help="migrate back to a revision (e.g. base)")
    down.add_argument("revision")
    sub.add_parser("current", help="show the current revision")
    sub.add_parser("history", help="list the revisions")
    rev = sub.add_parser("revision", help="create a new revision file")
    rev.add_argument("-m", "--message", required=True)
    rev.add_argument("--autogenerate", action="store_true")
    args = parser.parse_args(argv)

    config = alembic_config(args.url)
    if args.command == "upgrade":
        command.upgrade(config, args.revision)
    elif args.command == "downgrade":
        command.downgrade(config, args.revision)
    elif args.command == "current":
        command.current(config, verbose=True)
    elif args.command == "history":
        command.history(config)
    else:
        command.revision(config, message=args.message, autogenerate=args.autogenerate)
    return 0


if __name__ == "__main__":
    sys.exit(main())
