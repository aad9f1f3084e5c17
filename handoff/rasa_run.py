"""Start Rasa with its HTTP API protected by a JWT secret that never appears on a command line.

    python -m handoff.rasa_run run --model ... --port 5005 ...   (= `rasa run ...`)

Adds `--enable-api --jwt-secret <secret> --jwt-method HS256` inside the process, so the secret
is not visible in `ps` (a process's arguments are readable by every local user). The secret is
`RASA_JWT_SECRET`, else the file `RASA_JWT_SECRET_FILE` (default var/rasa_jwt_secret), created
with a random value (mode 600) when missing. The handoff process reads the same.

Before Rasa starts it also installs three speed fixes, in this process only (no file of Rasa
edited; `install_speedups`): `install_action_response_validator`, `install_stored_event_count`
and `install_project_sqlite_engine` (below). Figures in bench/README.md. And the security fixes
(`install_guards`): a "/intent" command typed by a person is honoured only when the assistant
offered it (`install_command_guard`); a JWT Rasa cannot verify gets 401, never a 500
(`install_jwt_guard`). deploy/rasa_prod.py starts through `main` too.
"""

from __future__ import annotations

import itertools
import os
import secrets
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

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


def install_action_response_validator() -> None:
    """Validate the action server's answers with one validator built at start-up.

    Rasa 3.6 (`RemoteAction._validate_action_result`) calls `jsonschema.validate()` on every
    custom action's answer. With jsonschema 4.17 that function first checks the schema itself
    against the JSON Schema meta-schema, every time: measured with py-spy here, 42 % of the Rasa
    server's busy time on calendar questions. The schema is a constant, so it is checked once,
    here, and each answer is validated by the same validator: the same errors, raised the same
    way (the best match, with Rasa's hint appended).
    """
    from jsonschema import ValidationError
    from jsonschema.exceptions import best_match
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    if getattr(RemoteAction, "_fs_validator", None) is not None:
        return
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema)

    def _validate_action_result(self: RemoteAction, result: dict) -> bool:
        error: ValidationError | None = best_match(validator.iter_errors(result))
        if error is None:
            return True
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error

    RemoteAction._fs_validator = validator
    RemoteAction._validate_action_result = _validate_action_result


STORED_EVENTS_ATTRIBUTE = "_fs_stored_events"


def install_stored_event_count() -> None:
    """Let the SQL tracker store skip one query per message when saving a conversation.

    Rasa 3.6 (`SQLTrackerStore.save` → `_additional_events`) counts, before every save, the
    conversation's events of the current session in the database (a COUNT over a sub-query on
    the session start: 6.7 % of the Rasa server's busy time here) to know which events are new.
    The same number is known when the conversation was read for this message: `retrieve` returns
    exactly those events. So `retrieve` notes it on the tracker object it returns, and the save of
    that same object slices from it, once; any other save (a tracker built elsewhere, a second save
    of the same object) counts in the database as before. A message holds the conversation's lock
    from its read to its save, so nothing else adds events to it meanwhile.
    """
    from rasa.core.tracker_store import SQLTrackerStore

    if getattr(SQLTrackerStore, "_fs_counts_events", False):
        return
    original_retrieve = SQLTrackerStore.retrieve
    original_additional_events = SQLTrackerStore._additional_events

    async def retrieve(self: SQLTrackerStore, sender_id: str) -> Any:
        tracker = await original_retrieve(self, sender_id)
        if tracker is not None:
            setattr(tracker, STORED_EVENTS_ATTRIBUTE, len(tracker.events))
        return tracker

    def _additional_events(self: SQLTrackerStore, session: Any, tracker: Any) -> Iterator:
        stored = tracker.__dict__.pop(STORED_EVENTS_ATTRIBUTE, None)
        if stored is None:
            return original_additional_events(self, session, tracker)
        return itertools.islice(tracker.events, stored, len(tracker.events))

    SQLTrackerStore.retrieve = retrieve
    SQLTrackerStore._additional_events = _additional_events
    SQLTrackerStore._fs_counts_events = True


def install_project_sqlite_engine() -> None:
    """Give Rasa's SQL tracker store on SQLite the project's engine (`store.db.make_engine`).

    Rasa builds a plain SQLAlchemy 1.4 engine: a new connection to the file for every read and
    every save, a commit synced to disk, and deferred transactions, which in WAL mode (set on the
    file by the store) can fail at once with "database is locked" when a save that read first
    meets a write of the action server. The project's engine pools its connections, waits for
    the lock (busy timeout) and takes it at the start of each transaction (store/db.py). Measured
    in-process: reading and saving one conversation turn 4.1 → 1.9 ms (with the count above).
    PostgreSQL is left as Rasa configures it.
    """
    from rasa.core.tracker_store import SQLTrackerStore
    from sqlalchemy.orm import sessionmaker

    from store.db import make_engine

    if getattr(SQLTrackerStore, "_fs_project_engine", False):
        return
    original_init = SQLTrackerStore.__init__

    def __init__(self: SQLTrackerStore, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        url = self.engine.url
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            self.engine.dispose()
            self.engine = make_engine(str(url))
            self.sessionmaker = sessionmaker(bind=self.engine)

    SQLTrackerStore.__init__ = __init__
    SQLTrackerStore._fs_project_engine = True


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


def install_command_guard() -> None:
    """Screen "/" commands typed by people (`screen_command`); a paused conversation stays so.

    Rasa 3.6's `MessageProcessor._should_handle_message` lets the `restart` intent through a
    paused (handed-over) tracker; only the agent's hand-back (`ConversationResumed`) resumes it
    here.
    """
    from rasa.core.processor import MessageProcessor

    if getattr(MessageProcessor, "_fs_command_guard", False):
        return
    original = MessageProcessor._handle_message_with_tracker

    async def _handle_message_with_tracker(
        self: MessageProcessor, message: Any, tracker: Any
    ) -> None:
        if not message.parse_data and isinstance(message.text, str):
            message.text = screen_command(message.text, tracker.events)
        await original(self, message, tracker)

    def _should_handle_message(tracker: Any) -> bool:
        return not tracker.is_paused()

    MessageProcessor._handle_message_with_tracker = _handle_message_with_tracker
    MessageProcessor._should_handle_message = staticmethod(_should_handle_message)
    MessageProcessor._fs_command_guard = True


def install_jwt_guard() -> None:
    """A JWT that cannot be verified gets 401, never a 500 with a traceback in the log.

    Rasa 3.6 checks its API's tokens with sanic-jwt 1.x, whose `Authentication._verify` turns
    only some of PyJWT's errors into "not authenticated" (an expired token, a bad signature,
    ...). Others escape: a token whose header says `"alg": "none"` (or any algorithm but the
    configured one) raises `InvalidAlgorithmError`, and the request ends in a 500 with a
    traceback logged. Here every PyJWT error of decoding is such a refusal.
    """
    import jwt
    from sanic_jwt import exceptions
    from sanic_jwt.authentication import Authentication

    if getattr(Authentication, "_fs_jwt_guard", False):
        return
    original = Authentication._decode
    handled = (
        jwt.exceptions.DecodeError,
        jwt.exceptions.ExpiredSignatureError,
        jwt.exceptions.InvalidIssuerError,
        jwt.exceptions.ImmatureSignatureError,
        jwt.exceptions.InvalidIssuedAtError,
        jwt.exceptions.InvalidAudienceError,
    )

    async def _decode(self: Authentication, token: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return await original(self, token, *args, **kwargs)
        except handled:
            raise
        except jwt.exceptions.PyJWTError:
            raise exceptions.InvalidVerificationError("Auth required.") from None

    Authentication._decode = _decode
    Authentication._fs_jwt_guard = True


def install_speedups() -> None:
    """Every speed fix of this module, in this process (idempotent)."""
    install_action_response_validator()
    install_stored_event_count()
    install_project_sqlite_engine()


def install_guards() -> None:
    """Every security fix of this module, in this process (idempotent)."""
    install_command_guard()
    install_jwt_guard()


def main() -> None:
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
