"""The one place that knows what time it is, in Europe/Paris.

Every date and time the assistant computes or shows is Paris local time, whatever zone the server
clock uses (the machines run on UTC). Logic functions take `now`/`today` as parameters so tests can
inject them; only the thin Action layer calls `paris_now()`.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def paris_now() -> dt.datetime:
    """Return the current aware datetime in Europe/Paris."""
    return dt.datetime.now(tz=PARIS)


def utc_now() -> dt.datetime:
    """Return the current aware datetime in UTC (what the store records; shown in Paris time)."""
    return dt.datetime.now(tz=dt.timezone.utc)


def paris_today() -> dt.date:
    """Return today's date in Europe/Paris (which may differ from the UTC date around midnight)."""
    return paris_now().date()


def to_paris(moment: dt.datetime) -> dt.datetime:
    """Convert an aware datetime to Paris time; a naive one is taken as already Paris time."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=PARIS)
    return moment.astimezone(PARIS)
