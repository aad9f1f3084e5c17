"""`rasa run` for the production profile: no silent fall back to memory, no stale connections.

    python -m deploy.rasa_prod run --model ... --port 5015 ...   (= python -m handoff.rasa_run)

Rasa 3.6 wraps every tracker store in `FailSafeTrackerStore` (rasa/core/agent.py,
`Agent._create_tracker_store`): when PostgreSQL is down it logs an error and carries on with an
in-memory store private to that one server. The conversation then forks: its history is missing,
what is said meanwhile is never written to PostgreSQL, and another server knows nothing of it.
Here, before Rasa starts, two things are changed in this process only (no file of Rasa edited):
- the wrapper re-raises (`TrackerStoreUnavailable`) after one clear ERROR line, so that the
  message fails and deploy/channels.py sends the person an apology;
- SQLAlchemy checks a pooled connection before using it (`pool_pre_ping`), so that the first
  message after a PostgreSQL restart does not fail on a dead connection;
- a ticket that expires while its message waits for the conversation's lock is renewed. In Rasa
  3.6 (`LockStore._acquire_lock`) such a message waits forever: when a server dies holding a
  lock, the message resent to another server queues behind the dead ticket, both tickets expire
  (same lifetime, issued within a second), the queue is empty, `now_serving` is 0 and the waiting
  ticket is never served (observed: the request hung until nginx cut it at 30 s).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import Any

logger = logging.getLogger("deploy.rasa_prod")


class TrackerStoreUnavailable(RuntimeError):
    """The tracker store (PostgreSQL) could not be read or written."""


def install() -> None:
    """Patch Rasa's agent and SQL tracker store in this process (idempotent)."""
    from rasa.core import agent, tracker_store
    from rasa.core.tracker_store import FailSafeTrackerStore

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
    _install_lock_renewal()

    original_kwargs = tracker_store.create_engine_kwargs
    if not getattr(original_kwargs, "pre_ping", False):

        def engine_kwargs(url: Any) -> dict:
            kwargs = original_kwargs(url)
            kwargs["pool_pre_ping"] = True
            return kwargs

        engine_kwargs.pre_ping = True  # type: ignore[attr-defined]
        tracker_store.create_engine_kwargs = engine_kwargs


def _install_lock_renewal() -> None:
    from rasa.core import lock_store
    from rasa.core.lock import Ticket
    from rasa.core.lock_store import LockError, LockStore

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


def main() -> None:
    install()
    from handoff.rasa_run import main as rasa_run_main

    rasa_run_main()


if __name__ == "__main__":
    main()
