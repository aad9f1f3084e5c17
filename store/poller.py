"""A daemon thread that repeats a job every few seconds, for the store's live overlays.

The calendar changes (store/calendar_overlay.py) and the visio offer versions
(store/visio_offer.py) are re-read in the background so that answering never waits for the
database. `ensure()` is cheap and called at every use: a process forked after the first call has
no thread, and gets one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)


class Poller:
    """Call `job` every `interval()` seconds in a daemon thread named `name`, until `stop()`."""

    def __init__(self, name: str, job: Callable[[], None], interval: Callable[[], float]) -> None:
        self.name = name
        self.job = job
        self.interval = interval
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()

    def ensure(self) -> None:
        """Start the thread unless it runs."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """End the thread (tests; the servers' threads run as long as the process)."""
        self._stopped.set()

    def _run(self) -> None:
        while not self._stopped.wait(self.interval()):
            try:
                self.job()
            except Exception:  # noqa: BLE001 - a failed round must not end the poller
                logger.exception("%s: a background refresh failed", self.name)
