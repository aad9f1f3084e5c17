"""Manage the agents' tokens.

    python -m handoff.cli add-agent "Marie Dupont"          # prints the token once
    python -m handoff.cli add-agent console --service       # the staff console's token
    python -m handoff.cli list
    python -m handoff.cli remove-agent "Marie Dupont"

The file is `AGENT_TOKENS_FILE` (default var/agent_tokens.json); it holds only hashes. The
running API reads it at start: restart the handoff process after a change.
"""

from __future__ import annotations

import argparse
import json
import sys

from handoff.auth import ROLE_AGENT, ROLE_SERVICE, add_agent, remove_agent, tokens_file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m handoff.cli", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add-agent", help="create a token (printed once)")
    add.add_argument("name")
    add.add_argument("--service", action="store_true", help="a service acting for agents")
    remove = sub.add_parser("remove-agent", help="revoke a token")
    remove.add_argument("name")
    sub.add_parser("list", help="list the names and roles")
    args = parser.parse_args(argv)
    if args.command == "add-agent":
        token = add_agent(args.name, ROLE_SERVICE if args.service else ROLE_AGENT)
        print(token)
        print(f"Token of {args.name}: shown once, keep it safe.", file=sys.stderr)
    elif args.command == "remove-agent":
        if not remove_agent(args.name):
            print(f"no agent {args.name!r}", file=sys.stderr)
            return 1
    else:
        path = tokens_file()
        entries = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        for name, entry in sorted(entries.items()):
            print(f"{name}\t{entry.get('role', ROLE_AGENT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
