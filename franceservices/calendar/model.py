"""The tour calendar's data: hour profiles, stops, tours, exceptions and visits, and the month
and hour arithmetic they rest on (the N-th weekday of a month, market-day hours).

Calendar rules (given by the Département):
- a stop recurs on the N-th given weekday of each month, N in 1..4. A 5th weekday of a month
  (days 29 to 31) therefore never has a regular visit: that gap is deliberate, staff add an
  exceptional visit when they want one;
- a visit on a French public holiday is cancelled, not moved;
- on a market day the morning session runs until 13:00 (`market_day_morning_until`) and the
  afternoon starts at `market_day_afternoon_from` when the profile gives one.

Built by `franceservices/calendar/tours.py` (the loader of `reference/tours.yml`), read by the
engine `franceservices/calendar/engine.py`. No Rasa import.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from franceservices.dates.clock import PARIS
from franceservices.text.french import WEEKDAYS_FR

Period = tuple[dt.time, dt.time]

STATUS_SCHEDULED = "scheduled"
STATUS_CANCELLED_HOLIDAY = "cancelled_holiday"
STATUS_CANCELLED = "cancelled"
STATUS_ADDED = "added"

MAX_WEEK = 4
"""Stops recur on the 1st to 4th weekday of a month; every month has at least four of each."""

CONFIRMED_DAY_SOURCES = frozenset({"public source", "official"})
"""The `day_source` values of a day the bus will keep: published, or the Département's own plan.
Any other day ("pilot") is a planned day, told to citizens as "à confirmer"."""

_NOON = dt.time(12, 0)


# --------------------------------------------------------------------------------------------
# Data model
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class HourProfile:
    """Opening periods of a bus by weekday (0 = Monday), plus its market-day rule."""

    name: str
    days: Mapping[int, tuple[Period, ...]]
    market_day_morning_until: dt.time | None = None
    market_day_afternoon_from: dt.time | None = None

    def periods(self, weekday: int, market_day: bool = False) -> tuple[Period, ...]:
        """Return the periods of `weekday`, shifted for a market day when asked."""
        periods = self.days.get(weekday, ())
        if market_day:
            return apply_market_day(
                periods, self.market_day_morning_until, self.market_day_afternoon_from
            )
        return periods

    @property
    def service_window(self) -> Period | None:
        """Earliest opening and latest closing over the week (None for an empty profile)."""
        periods = [p for day in self.days.values() for p in day]
        if not periods:
            return None
        return min(p[0] for p in periods), max(p[1] for p in periods)


@dataclass(frozen=True)
class Stop:
    """A commune a bus visits on the `week`-th `weekday` of every month."""

    tour_id: str
    insee: str
    commune: str
    week: int
    weekday: int
    place: str
    day_source: str = "pilot"
    market_weekdays: frozenset[int] = frozenset()
    hours: tuple[Period, ...] | None = None
    lat: float | None = None
    lon: float | None = None
    line: int | None = field(default=None, compare=False)

    @property
    def day_confirmed(self) -> bool:
        """Whether the stop's day was published (or given by the Département), not just planned.

        The one rule for it: the answers say a day that is not confirmed as planned, "à confirmer".
        """
        return self.day_source in CONFIRMED_DAY_SOURCES

    @property
    def weekday_name(self) -> str:
        """French name of the stop's weekday ("mardi")."""
        return WEEKDAYS_FR[self.weekday]

    def date_in(self, year: int, month: int) -> dt.date:
        """The date of this stop's visit in the given month."""
        return nth_weekday(year, month, self.weekday, self.week)


@dataclass(frozen=True, eq=False)
class Tour:
    """One bus: its contact details, hour profile and stops."""

    id: str
    name: str
    base: str
    phone: str
    email: str
    profile: HourProfile
    stops: tuple[Stop, ...]
    since: dt.date | None = None
    communes_status: str = ""
    line: int | None = None


@dataclass(frozen=True)
class Cancellation:
    """An exceptional cancellation of one stop (`insee`) or of the whole tour (`insee` None)."""

    tour_id: str
    insee: str | None
    date: dt.date
    reason: str
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class AddedVisit:
    """An exceptional extra visit, with its periods already resolved."""

    tour_id: str
    insee: str
    commune: str
    date: dt.date
    periods: tuple[Period, ...]
    place: str
    reason: str
    market_day: bool = False
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Visit:
    """One bus in one commune on one date, as the bot reports it.

    `status` is "scheduled", "added", "cancelled_holiday" (reason = the holiday's French name) or
    "cancelled" (reason = the staff's words, e.g. "panne du bus"). A cancelled visit keeps the
    periods it would have had, so the bot can say what was planned.
    """

    tour: Tour
    stop: Stop | None
    insee: str
    commune: str
    date: dt.date
    periods: tuple[Period, ...]
    place: str
    status: str
    reason: str | None = None
    market_day: bool = False

    @property
    def tour_id(self) -> str:
        return self.tour.id

    @property
    def is_cancelled(self) -> bool:
        return self.status in (STATUS_CANCELLED, STATUS_CANCELLED_HOLIDAY)

    @property
    def day_confirmed(self) -> bool:
        """Whether this date is sure: an added visit is a date staff set; a regular visit is as
        sure as its stop's day (`Stop.day_confirmed`)."""
        if self.status == STATUS_ADDED:
            return True
        return self.stop is not None and self.stop.day_confirmed

    @property
    def opens_at(self) -> dt.datetime:
        """Aware Paris datetime of the first opening (midnight if no periods)."""
        start = self.periods[0][0] if self.periods else dt.time(0, 0)
        return dt.datetime.combine(self.date, start, tzinfo=PARIS)

    @property
    def closes_at(self) -> dt.datetime:
        """Aware Paris datetime when the last period ends (end of day if no periods)."""
        if not self.periods:
            return dt.datetime.combine(self.date + dt.timedelta(days=1), dt.time(0), tzinfo=PARIS)
        return dt.datetime.combine(self.date, self.periods[-1][1], tzinfo=PARIS)


# --------------------------------------------------------------------------------------------
# Month and hour arithmetic
# --------------------------------------------------------------------------------------------


def nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """Return the `n`-th `weekday` (0 = Monday) of a month; n in 1..5 (5 may not exist).

    Raises:
        ValueError: when the month has no such day (only possible for n = 5).
    """
    first = dt.date(year, month, 1)
    offset = (weekday - first.weekday()) % 7
    day = 1 + offset + 7 * (n - 1)
    return dt.date(year, month, day)  # ValueError past the month's end


def week_of_month(day: dt.date) -> int:
    """Which occurrence of its weekday `day` is in its month: 1 for days 1-7, ..., 5 for 29-31."""
    return (day.day - 1) // 7 + 1


def add_months(year: int, month: int, count: int) -> tuple[int, int]:
    """Return (year, month) `count` months after the given one (crossing years as needed)."""
    index = year * 12 + (month - 1) + count
    return index // 12, index % 12 + 1


def apply_market_day(
    periods: tuple[Period, ...], until: dt.time | None, afternoon_from: dt.time | None = None
) -> tuple[Period, ...]:
    """Shift a day's periods for a market day: the morning runs until `until`.

    The afternoon starts at `afternoon_from` at the earliest (and never before the new end of the
    morning); a day without a morning session (first period from noon) is left unchanged.
    """
    if not periods or until is None or periods[0][0] >= _NOON:
        return periods
    shifted: list[Period] = [(periods[0][0], until)]
    for start, end in periods[1:]:
        if afternoon_from is not None and start < afternoon_from:
            start = afternoon_from
        if start < until:
            start = until
        if end > start:
            shifted.append((start, end))
    return tuple(shifted)
