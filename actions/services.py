"""The services the actions share, built on first use: the store's repository.

rasa-sdk imports every module of `actions/` at start and builds each Action once, shared by all
conversations, so nothing here connects at import: the repository (and its database engine) is
made by the first action that needs it. Tests replace it (`tests/unit/conftest.py`).

The action server runs every conversation on one event loop: a call to the repository is
blocking database I/O, so an async handler runs it in a worker thread (`asyncio.to_thread`, as
`handoff/app.py` and the channels do), never directly, or one slow query would hold up every
other conversation (tests/unit/test_actions_off_loop.py).
"""

from __future__ import annotations

from store import Repository

_repository: Repository | None = None


def get_repository() -> Repository:
    """The store, created on first use (no database connection at import)."""
    global _repository
    if _repository is None:
        _repository = Repository()
    return _repository
