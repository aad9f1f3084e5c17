"""Start Rasa with its HTTP API protected by a JWT secret that never appears on a command line.

    python -m handoff.rasa_run run --model ... --port 5005 ...   (= `rasa run ...`)

Adds `--enable-api --jwt-secret <secret> --jwt-method HS256` inside the process, so the secret
is not visible in `ps` (a process's arguments are readable by every local user). The secret is
`RASA_JWT_SECRET`, else the file `RASA_JWT_SECRET_FILE` (default var/rasa_jwt_secret), created
with a random value (mode 600) when missing. The handoff process reads the same.

Before Rasa starts it also installs three speed fixes, in this process only (no file of Rasa
edited; `install_speedups`): `install_action_response_validator`, `install_stored_event_count`
and `install_project_sqlite_engine`. Figures in bench/README.md. And the security fixes
(`install_guards`): a "/intent" command typed by a person is honoured only when the assistant
offered it (`install_command_guard` with `screen_command`, below); a JWT Rasa cannot verify gets
401, never a 500 (`install_jwt_guard`). The fixes live in rasa_patches/internals.py, which
refuses any Rasa but the pinned one: `main` then exits with that message, Rasa not started.
deploy/rasa_prod.py starts through `main` too.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rasa_patches import internals

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_SECRET_FILE = PROJECT_DIR / "var" / "rasa_jwt_secret"


def jwt_secret(env: dict[str, str] | None = None, create: bool = True) -> str:
    """The JWT secret shared by Rasa and the handoff process."""
    env = os.environ if env is None else env
    if env.get("RASA_JWT_SECRET"):
        return env["RASA_JWT_SECRET"]
    path = Path(env.get("RASA_JWT_SECRET_FILE") or DEFAULT_SECRET_FILE)
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    if not create:
        raise FileNotFoundError(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_urlsafe(48))
    return path.read_text(encoding="utf-8").strip()


GUARD_COMMANDS = frozenset({"/message_too_long", "/empty_message", "/no_words", "/greet"})
"""Commands the clients make themselves, always honoured: the guard intents of the channels
(channels/limits.py `screen_length`) and the greeting the web widget sends when it opens
(webchat/static/widget.js `data-greeting`; also the usual Messenger "Get started" payload). Each
only makes the assistant say something; none restarts, resumes or fills a slot."""


def offered_payloads(events: Iterable[Any]) -> set[str]:
    """The button (and quick reply) payloads of the assistant's latest utterances.

    The latest bot turn: the `bot` events before which no `user` event comes, starting from the
    newest `bot` event (a person may send two messages in a row).
    """
    payloads: set[str] = set()
    in_turn = False
    for event in reversed(list(events)):
        kind = getattr(event, "type_name", None)
        if kind == "user" and in_turn:
            break
        if kind != "bot":
            continue
        in_turn = True
        data = getattr(event, "data", None) or {}
        for choice in [*(data.get("buttons") or []), *(data.get("quick_replies") or [])]:
            if isinstance(choice, dict) and choice.get("payload"):
                payloads.add(str(choice["payload"]).strip())
    return payloads


def screen_command(text: str, events: Iterable[Any]) -> str:
    """The text to parse for a person's message: a "/intent{...}" command only if offered.

    Rasa 3.6 takes any text starting with "/" as an intent with its entities (the
    RegexMessageHandler, no NLU): a person typing "/restart", "/session_start" or
    `/affirm{"slot_token": ...}` would restart the conversation, un-pause a handed-over one, or
    set what the form never offered. Such a text is honoured only when it is exactly the payload
    of a button of the assistant's latest utterance, or a command the channels make
    (`GUARD_COMMANDS`); otherwise the leading slashes are removed and NLU reads it as text.
    """
    stripped = text.strip()
    if not stripped.startswith("/"):
        return text
    if stripped in GUARD_COMMANDS or stripped in offered_payloads(events):
        return text
    return stripped.lstrip("/").strip()


def install_speedups() -> None:
    """Every speed fix, in this process (idempotent)."""
    internals.install_action_response_validator()
    internals.install_stored_event_count()
    internals.install_project_sqlite_engine()


def install_guards() -> None:
    """Every security fix, in this process (idempotent)."""
    internals.install_command_guard(screen_command)
    internals.install_jwt_guard()


def refuse_other_rasa() -> None:
    """Exit with the version guard's message (status 1) unless the pinned Rasa is installed."""
    try:
        internals.require_pinned_rasa()
    except internals.UnsupportedRasaVersion as error:
        raise SystemExit(f"error: {error}") from None


def main() -> None:
    refuse_other_rasa()
    install_speedups()
    install_guards()
    secret = jwt_secret()
    sys.argv = [
        "rasa",
        *sys.argv[1:],
        "--enable-api",
        "--jwt-secret",
        secret,
        "--jwt-method",
        "HS256",
    ]
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
