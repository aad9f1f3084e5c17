"""Every change this project makes to Rasa 3.6's internals, in one place, for one version only.

Rasa is not edited on disk: each `install_*` function below replaces a method of a Rasa (or
sanic-jwt) class in the running process, before Rasa starts. They are written against the code of
the pinned Rasa (requirements.txt), so each refuses to run on any other version
(`require_pinned_rasa`): a new Rasa may have renamed, moved or fixed what is replaced, and a
patch applied blindly would silently change something else. To upgrade Rasa, re-read each
replaced method in the new version, adapt it here, then change the pin.

Used by handoff/rasa_run.py (speed fixes and security guards, both profiles) and
deploy/rasa_prod.py (no fall back to memory, lock ticket renewal). Figures in bench/README.md,
faults in docs/production.md.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
REQUIREMENTS = PROJECT_DIR / "requirements.txt"

logger = logging.getLogger(__name__)


class UnsupportedRasaVersion(RuntimeError):
    """The installed Rasa is not the version these patches were written for."""


class TrackerStoreUnavailable(RuntimeError):
    """The tracker store (PostgreSQL) could not be read or written."""


def pinned_rasa_version(requirements: Path = REQUIREMENTS) -> str:
    """The Rasa version pinned in requirements.txt (`rasa==X.Y.Z`)."""
    text = requirements.read_text(encoding="utf-8")
    match = re.search(r"^rasa==([^\s#;]+)", text, flags=re.MULTILINE)
    if match is None:
        raise UnsupportedRasaVersion(f"no 'rasa==' pin in {requirements}")
    return match.group(1)


def installed_rasa_version() -> str:
    """The version of the Rasa this process imports."""
    import rasa.version

    return rasa.version.__version__


def require_pinned_rasa() -> None:
    """Raise `UnsupportedRasaVersion`, with what to do, unless the pinned Rasa is installed."""
    installed, pinned = installed_rasa_version(), pinned_rasa_version()
    if installed != pinned:
        raise UnsupportedRasaVersion(
            f"Rasa {installed} is installed, but this project's patches of Rasa's internals "
            f"(rasa_patches/internals.py) are written for Rasa {pinned} only (requirements.txt): "
            f"refusing to start. Install rasa=={pinned}, or check each patch against Rasa "
            f"{installed} and then change the pin."
        )


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

    require_pinned_rasa()
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

    require_pinned_rasa()
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

    require_pinned_rasa()
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


def install_command_guard(screen: Callable[[str, Iterable[Any]], str]) -> None:
    """Screen "/" commands typed by people; a paused conversation stays so.

    `screen(text, events)` gives the text to parse (`handoff.rasa_run.screen_command`).

    Rasa 3.6's `MessageProcessor._should_handle_message` lets the `restart` intent through a
    paused (handed-over) tracker; only the agent's hand-back (`ConversationResumed`) resumes it
    here.
    """
    from rasa.core.processor import MessageProcessor

    require_pinned_rasa()
    if getattr(MessageProcessor, "_fs_command_guard", False):
        return
    original = MessageProcessor._handle_message_with_tracker

    async def _handle_message_with_tracker(
        self: MessageProcessor, message: Any, tracker: Any
    ) -> None:
        if not message.parse_data and isinstance(message.text, str):
            message.text = screen(message.text, tracker.events)
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

    require_pinned_rasa()
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


def install_strict_tracker_store() -> None:
    """No fall back to memory, and pooled connections checked before use (idempotent).

    Rasa 3.6 wraps every tracker store in `FailSafeTrackerStore` (rasa/core/agent.py,
    `Agent._create_tracker_store`): when PostgreSQL is down it logs an error and carries on with
    an in-memory store private to that one server, and the conversation forks. Here the wrapper
    re-raises (`TrackerStoreUnavailable`) after one clear ERROR line, so that the message fails
    and deploy/channels.py sends the person an apology; and SQLAlchemy checks a pooled
    connection before using it (`pool_pre_ping`), so that the first message after a PostgreSQL
    restart does not fail on a dead connection.
    """
    from rasa.core import agent, tracker_store
    from rasa.core.tracker_store import FailSafeTrackerStore

    require_pinned_rasa()

    class StrictTrackerStore(FailSafeTrackerStore):
        """FailSafeTrackerStore's interface, without the fall back to memory."""

        def _fail(self, operation: str, error: Exception) -> TrackerStoreUnavailable:
            logger.error(
                "tracker store %s failed on %s: %s: %s (no fall back to memory: the message "
                "is not handled)",
                self._tracker_store.__class__.__name__, operation, type(error).__name__,
                str(error).splitlines()[0][:300] if str(error) else "",
            )  # fmt: skip
            return TrackerStoreUnavailable(f"tracker store {operation} failed")

        async def retrieve(self, sender_id: str) -> Any:
            try:
                return await self._tracker_store.retrieve(sender_id)
            except Exception as error:
                raise self._fail("retrieve", error) from error

        async def retrieve_full_tracker(self, sender_id: str) -> Any:
            try:
                return await self._tracker_store.retrieve_full_tracker(sender_id)
            except Exception as error:
                raise self._fail("retrieve", error) from error

        async def keys(self) -> Any:
            try:
                return await self._tracker_store.keys()
            except Exception as error:
                raise self._fail("keys", error) from error

        async def save(self, tracker: Any) -> None:
            try:
                await self._tracker_store.save(tracker)
            except Exception as error:
                raise self._fail("save", error) from error

    def create_tracker_store(store: Any, domain: Any) -> Any:
        if store is None:
            raise TrackerStoreUnavailable("no tracker store configured")
        store.domain = domain
        return StrictTrackerStore(store)

    agent.Agent._create_tracker_store = staticmethod(create_tracker_store)

    original_kwargs = tracker_store.create_engine_kwargs
    if not getattr(original_kwargs, "pre_ping", False):

        def engine_kwargs(url: Any) -> dict:
            kwargs = original_kwargs(url)
            kwargs["pool_pre_ping"] = True
            return kwargs

        engine_kwargs.pre_ping = True  # type: ignore[attr-defined]
        tracker_store.create_engine_kwargs = engine_kwargs


def install_lock_renewal() -> None:
    """Renew a ticket that expires while its message waits for the conversation's lock.

    In Rasa 3.6 (`LockStore._acquire_lock`) such a message waits forever: when a server dies
    holding a lock, the message resent to another server queues behind the dead ticket, both
    tickets expire (same lifetime, issued within a second), the queue is empty, `now_serving`
    is 0 and the waiting ticket is never served (observed: the request hung until nginx cut it
    at 30 s).
    """
    from rasa.core import lock_store
    from rasa.core.lock import Ticket
    from rasa.core.lock_store import LockError, LockStore

    require_pinned_rasa()

    async def _acquire_lock(
        self: LockStore, conversation_id: str, ticket: int, wait_time_in_seconds: float
    ) -> Any:
        # Rasa 3.6's loop, plus the renewal of our own expired ticket.
        while True:
            lock = self.get_lock(conversation_id)
            if not lock:
                break
            if not lock.is_locked(ticket):
                return lock
            if lock._ticket_for_ticket_number(ticket) is None:
                logger.warning(
                    "lock ticket of conversation %s expired while waiting: renewed",
                    conversation_id,
                )
                lock.tickets.append(Ticket(ticket, time.time() + lock_store.LOCK_LIFETIME))
                lock.tickets = deque(sorted(lock.tickets, key=lambda t: t.number))
                self.save_lock(lock)
                continue
            await asyncio.sleep(wait_time_in_seconds)
            self.update_lock(conversation_id)
        raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")

    LockStore._acquire_lock = _acquire_lock
