"""A reference file kept loaded and reloaded when staff save it (the calendar, the visio offer).

`LiveFile(load, what).get(path)` loads the file once and again whenever its modification time
changes (a `stat` per call, a few microseconds), so an edit is live without a restart. An invalid
edit is logged and the last valid value kept: citizens never get an error because of a typo
(`make validate-data` shows the problems; a restart refuses to start until they are fixed).
No Rasa import.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from franceservices.data_errors import DataErrors

logger = logging.getLogger(__name__)

T = TypeVar("T")


class LiveFile(Generic[T]):
    """One loaded value per path, reloaded when the file changes.

    Args:
        load: reads and validates the file (raises `DataErrors` when it is invalid).
        what: what the file holds, for the log ("calendar", "visio offer").
    """

    def __init__(self, load: Callable[[Path], T], what: str) -> None:
        self.load = load
        self.what = what
        self._loaded: dict[Path, tuple[int, T]] = {}

    def get(self, path: Path) -> T:
        """The file's value, reloaded if it changed since the last call.

        Raises:
            DataErrors: the file is invalid and no valid version was loaded before.
        """
        try:
            stamp = path.stat().st_mtime_ns
        except OSError:
            stamp = -1
        cached = self._loaded.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        try:
            value = self.load(path)
        except DataErrors as exc:
            if cached is None:
                raise
            logger.error("%s is invalid, keeping the previous %s:\n%s", path, self.what, exc)
            value = cached[1]
        self._loaded[path] = (stamp, value)
        return value

    def clear(self) -> None:
        """Forget every loaded value (the next `get` reads the file again)."""
        self._loaded.clear()
