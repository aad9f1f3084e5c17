"""`rasa run` for the production profile: no silent fall back to memory, no stale connections.

    python -m deploy.rasa_prod run --model ... --port 5015 ...   (= python -m handoff.rasa_run)

Rasa 3.6 wraps every tracker store in `FailSafeTrackerStore` (rasa/core/agent.py,
`Agent._create_tracker_store`): when PostgreSQL is down it logs an error and carries on with an
in-memory store private to that one server. The conversation then forks: its history is missing,
what is said meanwhile is never written to PostgreSQL, and another server knows nothing of it.
Here, before Rasa starts, this process is changed (no file of Rasa edited): the wrapper re-raises
after one clear ERROR line (the message fails, deploy/channels.py sends the apology), pooled
connections are checked before use (`pool_pre_ping`), and a lock ticket that expires while its
message waits is renewed. The patches and why: rasa_patches/internals.py
(`install_strict_tracker_store`, `install_lock_renewal`), for the pinned Rasa only.
"""

from __future__ import annotations

from rasa_patches import internals


def install() -> None:
    """Patch Rasa's agent, SQL tracker store and lock store in this process (idempotent).

    The patches are `install_strict_tracker_store` and `install_lock_renewal` of
    rasa_patches/internals.py, which refuse any Rasa but the pinned one."""
    internals.install_strict_tracker_store()
    internals.install_lock_renewal()


def main() -> None:
    from handoff.rasa_run import main as rasa_run_main
    from handoff.rasa_run import refuse_other_rasa

    refuse_other_rasa()
    install()
    rasa_run_main()


if __name__ == "__main__":
    main()
