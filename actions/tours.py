"""The itinerant buses' calendar: load and validate `reference/tours.yml`, answer date questions.

Staff maintain `reference/tours.yml` by hand (its header documents the format and the rules). This
module refuses a bad file with every problem found, each with its line number, and otherwise
builds a `TourCalendar` that answers "when does a bus come to my commune?", "where are the buses
on that day?" and "which stop is nearest?".

Calendar rules (given by the Département):
- a stop recurs on the N-th given weekday of each month, N in 1..4. A 5th weekday of a month
  (days 29 to 31) therefore never has a regular visit: that gap is deliberate, staff add an
  exceptional visit when they want one;
- a visit on a French public holiday is cancelled, not moved;
- on a market day the morning session runs until 13:00 (`market_day_morning_until`) and the
  afternoon starts at `market_day_afternoon_from` when the profile gives one.

Everything is computed in Europe/Paris: callers pass an aware `now` (the servers run on UTC) and
it is converted with `to_paris`, so 23:30 UTC on a winter evening is already tomorrow here.
No Rasa import: the Action layer calls this plain code.
"""

from __future__ import annotations

import datetime as dt
import heapq
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ruamel.yaml import YAML
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from actions.clock import PARIS, to_paris
from actions.communes import normalize
from actions.data_errors import DataErrors, DataFileError
from actions.french import WEEKDAYS_FR
from actions.holidays import holiday_name
from actions.paths import REFERENCE_DIR

DEFAULT_TOURS_PATH = REFERENCE_DIR / "tours.yml"

logger = logging.getLogger(__name__)

Period = tuple[dt.time, dt.time]

STATUS_SCHEDULED = "scheduled"
STATUS_CANCELLED_HOLIDAY = "cancelled_holiday"
STATUS_CANCELLED = "cancelled"
STATUS_ADDED = "added"

MAX_WEEK = 4
"""Stops recur on the 1st to 4th weekday of a month; every month has at least four of each."""

HORIZON_MONTHS = 24
"""How far `next_visits` looks ahead before giving up (a stop cancelled for two years is news)."""

_NOON = dt.time(12, 0)
_TIME_RE = re.compile(r"^(\d{2}):(\d{2})$")
_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_TOUR_ID_RE = re.compile(r"^[a-z][a-z0-9_-]*$")
_INSEE_RE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
_DAY_SOURCES = ("pilot", "public source", "official")
CONFIRMED_DAY_SOURCES = frozenset({"public source", "official"})
"""The `day_source` values of a day the bus will keep: published, or the Département's own plan.
Any other day ("pilot") is a planned day, told to citizens as "à confirmer"."""


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


class _CommuneLike(Protocol):
    insee: str
    name: str
    lat: float
    lon: float


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


def _overlap(a: tuple[Period, ...], b: tuple[Period, ...]) -> bool:
    return any(s1 < e2 and s2 < e1 for s1, e1 in a for s2, e2 in b)


_WEEKDAY_BY_NAME = {normalize(name): i for i, name in enumerate(WEEKDAYS_FR)}


def _fmt_time(moment: dt.time) -> str:
    return moment.strftime("%H:%M")


def _fmt_periods(periods: Iterable[Period]) -> str:
    return ", ".join(f"{_fmt_time(s)}-{_fmt_time(e)}" for s, e in periods)


# --------------------------------------------------------------------------------------------
# The calendar engine
# --------------------------------------------------------------------------------------------


class TourCalendar:
    """Where and when the buses stop; built by `load_tours`, read-only afterwards.

    Args:
        tours: the buses, each with its stops.
        cancellations: exceptional cancellations from the file's `exceptions.cancelled`.
        additions: exceptional extra visits from `exceptions.added`.
    """

    def __init__(
        self,
        tours: Iterable[Tour],
        cancellations: Iterable[Cancellation] = (),
        additions: Iterable[AddedVisit] = (),
    ) -> None:
        self.tours: dict[str, Tour] = {t.id: t for t in tours}
        self._stops_by_insee: dict[str, list[Stop]] = {}
        self._stops_by_slot: dict[tuple[int, int], list[Stop]] = {}
        for tour in self.tours.values():
            for stop in tour.stops:
                self._stops_by_insee.setdefault(stop.insee, []).append(stop)
                self._stops_by_slot.setdefault((stop.week, stop.weekday), []).append(stop)
        self._cancellations: dict[tuple[str, dt.date], dict[str | None, Cancellation]] = {}
        for c in cancellations:
            self._cancellations.setdefault((c.tour_id, c.date), {})[c.insee] = c
        self._added_by_insee: dict[str, list[AddedVisit]] = {}
        self._added_by_date: dict[dt.date, list[AddedVisit]] = {}
        for a in sorted(additions, key=lambda a: (a.date, a.periods[:1], a.tour_id)):
            self._added_by_insee.setdefault(a.insee, []).append(a)
            self._added_by_date.setdefault(a.date, []).append(a)
        # Distinct communes with a position, for nearest_stops (first tour wins on a tie).
        seen: set[str] = set()
        self._located: list[Stop] = []
        for stop in self.stops():
            if stop.insee not in seen and stop.lat is not None and stop.lon is not None:
                seen.add(stop.insee)
                self._located.append(stop)

    # -- look-ups -----------------------------------------------------------------------------

    def tour(self, tour_id: str) -> Tour:
        """Return a tour by id (KeyError if unknown)."""
        return self.tours[tour_id]

    def stops(self) -> list[Stop]:
        """Every stop of every tour, tour by tour in file order, then by week and weekday."""
        return [s for t in self.tours.values() for s in sorted(t.stops, key=_slot_key)]

    def tour_communes(self, tour_id: str) -> list[Stop]:
        """The stops of one tour, by week then weekday (KeyError if the tour is unknown)."""
        return sorted(self.tours[tour_id].stops, key=_slot_key)

    def tours_serving(self, insee: str) -> list[Tour]:
        """The tours with a regular stop in commune `insee` (usually zero or one)."""
        ids = dict.fromkeys(s.tour_id for s in self._stops_by_insee.get(insee, ()))
        return [self.tours[i] for i in ids]

    def is_served(self, insee: str) -> bool:
        """Whether a bus stops in commune `insee` every month (exceptional visits do not count)."""
        return insee in self._stops_by_insee

    def cancellation(self, tour_id: str, insee: str, day: dt.date) -> Cancellation | None:
        """The exceptional cancellation hitting that stop on that day, if any."""
        by_insee = self._cancellations.get((tour_id, day))
        if not by_insee:
            return None
        return by_insee.get(insee) or by_insee.get(None)

    # -- visits -------------------------------------------------------------------------------

    def regular_visit(self, stop: Stop, day: dt.date) -> Visit:
        """Build the visit of `stop` on `day` (a date of its schedule) with its status."""
        tour = self.tours[stop.tour_id]
        market_day = day.weekday() in stop.market_weekdays
        if stop.hours is not None:
            periods = stop.hours
            if market_day:
                profile = tour.profile
                periods = apply_market_day(
                    periods, profile.market_day_morning_until, profile.market_day_afternoon_from
                )
        else:
            periods = tour.profile.periods(day.weekday(), market_day)
        status, reason = STATUS_SCHEDULED, None
        holiday = holiday_name(day)
        if holiday is not None:
            status, reason = STATUS_CANCELLED_HOLIDAY, holiday
        else:
            cancelled = self.cancellation(stop.tour_id, stop.insee, day)
            if cancelled is not None:
                status, reason = STATUS_CANCELLED, cancelled.reason
        return Visit(
            tour=tour,
            stop=stop,
            insee=stop.insee,
            commune=stop.commune,
            date=day,
            periods=periods,
            place=stop.place,
            status=status,
            reason=reason,
            market_day=market_day,
        )

    def _added_visit(self, added: AddedVisit) -> Visit:
        stop = next(
            (s for s in self._stops_by_insee.get(added.insee, ()) if s.tour_id == added.tour_id),
            None,
        )
        return Visit(
            tour=self.tours[added.tour_id],
            stop=stop,
            insee=added.insee,
            commune=added.commune,
            date=added.date,
            periods=added.periods,
            place=added.place,
            status=STATUS_ADDED,
            reason=added.reason,
            market_day=added.market_day,
        )

    def _stop_dates(self, stop: Stop, first_day: dt.date) -> Iterator[dt.date]:
        since = self.tours[stop.tour_id].since
        if since is not None and since > first_day:
            first_day = since
        for k in range(HORIZON_MONTHS + 1):
            year, month = add_months(first_day.year, first_day.month, k)
            day = stop.date_in(year, month)
            if day >= first_day:
                yield day

    def _stop_stream(
        self, stop: Stop, today: dt.date, index: int
    ) -> Iterator[tuple[dt.datetime, int, Visit]]:
        for day in self._stop_dates(stop, today):
            visit = self.regular_visit(stop, day)
            yield visit.opens_at, index, visit

    def next_visits(
        self, insee: str, now: dt.datetime, n: int = 1, include_cancelled: bool = True
    ) -> list[Visit]:
        """The next `n` visits of any bus to commune `insee`, in date order.

        A visit today counts until its closing time. Cancelled visits (public holiday or
        exception) met on the way are included when `include_cancelled` so the bot can say
        "pas de passage le 11 novembre (jour férié)", but do not count toward `n`.

        Args:
            insee: the commune's INSEE code.
            now: an aware datetime (converted to Paris time; a naive one is taken as Paris time).
            n: how many visits that will take place to return.
            include_cancelled: also return the cancelled visits before the last returned one.

        Returns:
            Up to `n` non-cancelled visits (fewer if none in the next 24 months), with the
            cancelled ones interleaved.
        """
        if n <= 0:
            return []
        moment = to_paris(now)
        today = moment.date()
        streams: list[Iterator[tuple[dt.datetime, int, Visit]]] = []
        for index, stop in enumerate(self._stops_by_insee.get(insee, ())):
            streams.append(self._stop_stream(stop, today, index))
        added = [
            self._added_visit(a) for a in self._added_by_insee.get(insee, ()) if a.date >= today
        ]
        if added:
            streams.append((v.opens_at, -1, v) for v in added)
        result: list[Visit] = []
        found = 0
        for _, _, visit in heapq.merge(*streams, key=lambda item: (item[0], item[1])):
            if visit.closes_at <= moment:
                continue  # today's visit already over
            if visit.is_cancelled:
                if include_cancelled:
                    result.append(visit)
                continue
            result.append(visit)
            found += 1
            if found >= n:
                break
        return result

    def visits_on(self, day: dt.date, include_cancelled: bool = True) -> list[Visit]:
        """Where the buses are on `day`: every visit of that date, by tour then opening time."""
        visits: list[Visit] = []
        week = week_of_month(day)
        if week <= MAX_WEEK:
            for stop in self._stops_by_slot.get((week, day.weekday()), ()):
                since = self.tours[stop.tour_id].since
                if since is None or day >= since:
                    visits.append(self.regular_visit(stop, day))
        visits.extend(self._added_visit(a) for a in self._added_by_date.get(day, ()))
        if not include_cancelled:
            visits = [v for v in visits if not v.is_cancelled]
        order = {tour_id: i for i, tour_id in enumerate(self.tours)}
        visits.sort(key=lambda v: (order[v.tour_id], v.opens_at, v.commune))
        return visits

    def visits_today(self, now: dt.datetime, include_cancelled: bool = True) -> list[Visit]:
        """`visits_on` the Paris date of `now` (23:30 UTC in winter is already tomorrow)."""
        return self.visits_on(to_paris(now).date(), include_cancelled)

    def nearest_stops(
        self,
        lat: float,
        lon: float,
        n: int = 2,
        exclude_insee: str | Iterable[str] | None = None,
    ) -> list[tuple[Stop, float]]:
        """The `n` stop communes nearest to a point, as (stop, km) by increasing distance.

        Distances run from the point to each stop commune's town hall (straight line). A commune
        served by two tours appears once. `exclude_insee` leaves out one commune (typically the
        citizen's own) or several.
        """
        from actions.communes import distance_km  # sibling module, imported when first needed

        if isinstance(exclude_insee, str):
            excluded = {exclude_insee}
        else:
            excluded = set(exclude_insee or ())
        scored = [
            (distance_km(lat, lon, stop.lat, stop.lon), i, stop)
            for i, stop in enumerate(self._located)
            if stop.insee not in excluded
        ]
        return [(stop, km) for km, _, stop in heapq.nsmallest(n, scored)]


def _slot_key(stop: Stop) -> tuple[int, int]:
    return stop.week, stop.weekday


# --------------------------------------------------------------------------------------------
# Loading and validation
# --------------------------------------------------------------------------------------------


class _StringDatesConstructor(RoundTripConstructor):
    """Keep YAML timestamps as text so an impossible date is reported with its line, not a crash."""


_StringDatesConstructor.add_constructor(
    "tag:yaml.org,2002:timestamp", RoundTripConstructor.construct_yaml_str
)

_TOP_KEYS = {"hours", "tours", "exceptions"}
_PROFILE_EXTRA_KEYS = {"market_day_morning_until", "market_day_afternoon_from"}
_TOUR_KEYS = {"id", "name", "base", "phone", "email", "since", "hours", "communes_status", "stops"}
_TOUR_REQUIRED = ("id", "name", "base", "phone", "email", "hours", "stops")
_STOP_KEYS = {
    "commune",
    "code_insee",
    "week",
    "weekday",
    "place",
    "day_source",
    "market_day",
    "hours",
}
_STOP_REQUIRED = ("commune", "code_insee", "week", "weekday", "place")
_CANCEL_KEYS = {"tour", "commune", "code_insee", "date", "reason"}
_ADDED_KEYS = {"tour", "commune", "code_insee", "date", "hours", "place", "reason", "market_day"}


def _is_map(node: Any) -> bool:
    return isinstance(node, Mapping)


def _is_seq(node: Any) -> bool:
    return isinstance(node, list)


def _map_line(node: Any, default: int | None) -> int | None:
    lc = getattr(node, "lc", None)
    return lc.line + 1 if lc is not None and lc.line is not None else default


def _key_line(node: Any, key: str, default: int | None = None) -> int | None:
    """Line of `key` in a mapping (the mapping's own line when the key is absent)."""
    lc = getattr(node, "lc", None)
    if lc is None:
        return default
    if key in node:
        try:
            return lc.key(key)[0] + 1
        except (KeyError, TypeError):
            pass
    return _map_line(node, default)


def _item_line(seq: Any, index: int, default: int | None) -> int | None:
    lc = getattr(seq, "lc", None)
    if lc is None:
        return default
    try:
        return lc.item(index)[0] + 1
    except (KeyError, TypeError, IndexError):
        return default


class _TourLoader:
    """One validation pass over tours.yml, collecting every error before giving up."""

    def __init__(self, path: Path, communes: Any) -> None:
        self.path = path
        self.communes = communes
        self.errors: list[DataFileError] = []
        self.profiles: dict[str, HourProfile] = {}
        self.tours: dict[str, Tour] = {}
        self.broken_tours: set[str] = set()

    def error(self, line: int | None, reason: str) -> None:
        self.errors.append(DataFileError(self.path, line, reason))

    # -- entry point --------------------------------------------------------------------------

    def load(self) -> TourCalendar:
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DataErrors(
                [DataFileError(self.path, None, f"cannot read the file: {exc}")]
            ) from exc
        yaml = YAML(typ="rt")
        yaml.Constructor = _StringDatesConstructor
        try:
            root = yaml.load(text)
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else None
            problem = exc.problem or exc.context or str(exc)
            raise DataErrors(
                [DataFileError(self.path, line, f"YAML syntax error: {problem}")]
            ) from exc
        except YAMLError as exc:
            raise DataErrors([DataFileError(self.path, None, f"YAML error: {exc}")]) from exc
        if not _is_map(root):
            raise DataErrors(
                [DataFileError(self.path, 1, "the file must be a mapping with 'hours' and 'tours'")]
            )
        for key in root:
            if key not in _TOP_KEYS:
                self.error(_key_line(root, key), f"unknown top-level field {key!r}")
        for key in ("hours", "tours"):
            if key not in root:
                self.error(1, f"missing top-level field {key!r}")
        if "hours" in root:
            self.load_profiles(root["hours"], _key_line(root, "hours"))
        cancellations: list[Cancellation] = []
        additions: list[AddedVisit] = []
        if "tours" in root:
            self.load_tours(root["tours"], _key_line(root, "tours"))
        calendar = TourCalendar(self.tours.values())
        if root.get("exceptions") is not None:
            cancellations, additions = self.load_exceptions(
                root["exceptions"], _key_line(root, "exceptions"), calendar
            )
        if self.errors:
            self.errors.sort(key=lambda e: e.line or 0)
            raise DataErrors(self.errors)
        return TourCalendar(self.tours.values(), cancellations, additions)

    # -- scalars ------------------------------------------------------------------------------

    def text(self, node: Any, key: str, required: bool = True) -> str | None:
        """A non-empty string field; records an error and returns None when missing or wrong."""
        if key not in node or node[key] is None or str(node[key]).strip() == "":
            if required:
                self.error(_key_line(node, key), f"missing field {key!r}")
            return None
        value = node[key]
        if isinstance(value, (Mapping, list, bool)):
            self.error(_key_line(node, key), f"{key!r} must be a text, got {value!r}")
            return None
        return str(value).strip()

    def time(self, value: Any, line: int | None, what: str) -> dt.time | None:
        if isinstance(value, int) and not isinstance(value, bool):
            self.error(line, f'{what}: time {value!r} must be quoted text "HH:MM", e.g. "09:30"')
            return None
        if not isinstance(value, str):
            self.error(line, f'{what}: time {value!r} is not a text "HH:MM"')
            return None
        match = _TIME_RE.match(value.strip())
        if match is None:
            hint = ' (24-hour clock, two digits each, e.g. "09:30")'
            self.error(line, f'{what}: malformed time {value!r}, expected "HH:MM"{hint}')
            return None
        hours, minutes = int(match.group(1)), int(match.group(2))
        if hours > 23 or minutes > 59:
            self.error(line, f"{what}: time {value!r} does not exist (00:00 to 23:59)")
            return None
        return dt.time(hours, minutes)

    def periods(self, node: Any, line: int | None, what: str) -> tuple[Period, ...] | None:
        """A list of ["HH:MM", "HH:MM"] periods, in order, each ending after it starts."""
        if not _is_seq(node) or not node:
            self.error(line, f'{what}: expected a list of ["HH:MM", "HH:MM"] periods')
            return None
        result: list[Period] = []
        ok = True
        for i, item in enumerate(node):
            item_line = _item_line(node, i, line)
            if not _is_seq(item) or len(item) != 2:
                self.error(item_line, f'{what}: period {item!r} must be ["HH:MM", "HH:MM"]')
                ok = False
                continue
            start = self.time(item[0], item_line, what)
            end = self.time(item[1], item_line, what)
            if start is None or end is None:
                ok = False
                continue
            if end <= start:
                self.error(
                    item_line,
                    f"{what}: period {item[0]}-{item[1]} ends before it starts",
                )
                ok = False
                continue
            result.append((start, end))
        if not ok:
            return None
        for (s1, e1), (s2, e2) in zip(result, result[1:], strict=False):
            if s2 < e1:
                self.error(
                    line,
                    f"{what}: periods {_fmt_time(s1)}-{_fmt_time(e1)} and "
                    f"{_fmt_time(s2)}-{_fmt_time(e2)} overlap or are out of order",
                )
                return None
        return tuple(result)

    def weekday(self, value: Any, line: int | None, what: str) -> int | None:
        index = _WEEKDAY_BY_NAME.get(normalize(value)) if isinstance(value, str) else None
        if index is None:
            self.error(
                line,
                f"{what}: unknown weekday {value!r} (expected one of {', '.join(WEEKDAYS_FR)})",
            )
        return index

    def date(self, node: Any, key: str, what: str, required: bool = True) -> dt.date | None:
        line = _key_line(node, key)
        if key not in node or node[key] is None:
            if required:
                self.error(line, f"{what}: missing field {key!r}")
            return None
        value = str(node[key]).strip()
        match = _DATE_RE.match(value)
        if match is None:
            self.error(line, f"{what}: malformed date {value!r}, expected YYYY-MM-DD")
            return None
        try:
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            self.error(line, f"{what}: date {value} does not exist")
            return None

    def unknown_keys(self, node: Any, allowed: set[str], what: str) -> None:
        for key in node:
            if key not in allowed:
                self.error(
                    _key_line(node, key),
                    f"{what}: unknown field {key!r} (allowed: {', '.join(sorted(allowed))})",
                )

    def market_days(self, node: Any, key: str, own_weekday: int | None, what: str) -> set[int]:
        value = node.get(key)
        line = _key_line(node, key)
        if value is None or value is False:
            return set()
        if value is True:
            return {own_weekday} if own_weekday is not None else set()
        values = value if _is_seq(value) else [value]
        days: set[int] = set()
        for item in values:
            index = self.weekday(item, line, f"{what}: market_day")
            if index is not None:
                days.add(index)
        return days

    def commune(self, node: Any, what: str) -> _CommuneLike | None:
        """Resolve `commune` (name) and/or `code_insee`; both must agree when both are given."""
        name = self.text(node, "commune", required=False)
        raw_code = node.get("code_insee")
        line = _key_line(node, "code_insee" if "code_insee" in node else "commune")
        if raw_code is None or str(raw_code).strip() == "":
            if name is None:
                self.error(line, f"{what}: missing field 'commune' / 'code_insee'")
                return None
            matches = [c for c in self._all_communes() if normalize(c.name) == normalize(name)]
            hint = f" (the code of {matches[0].name} is {matches[0].insee})" if matches else ""
            self.error(line, f"{what}: missing field 'code_insee'{hint}")
            return None
        code = str(raw_code).strip()
        commune = self._get_commune(code) if _INSEE_RE.match(code) else None
        if commune is None:
            hint = ""
            if name is not None:
                matches = [c for c in self._all_communes() if normalize(c.name) == normalize(name)]
                if matches:
                    hint = f"; the code of {matches[0].name} is {matches[0].insee}"
            self.error(
                line,
                f"{what}: unknown INSEE code {code!r} (not a commune of communes_nord.csv){hint}",
            )
            return None
        if name is not None and normalize(name) != normalize(commune.name):
            self.error(
                line,
                f"{what}: code_insee {code} is {commune.name!r}, not {name!r} "
                "(fix the name or the code)",
            )
            return None
        return commune

    def _get_commune(self, code: str) -> _CommuneLike | None:
        try:
            return self.communes.get(code)
        except KeyError:
            return None

    def _all_communes(self) -> list[_CommuneLike]:
        return list(self.communes.all())

    # -- sections -----------------------------------------------------------------------------

    def load_profiles(self, node: Any, line: int | None) -> None:
        if not _is_map(node) or not node:
            self.error(line, "'hours' must map profile names to weekday hours")
            return
        for name, days in node.items():
            what = f"hours profile {name!r}"
            pline = _key_line(node, name)
            if not _is_map(days):
                self.error(pline, f"{what}: expected weekday: [[start, end], ...] entries")
                continue
            by_day: dict[int, tuple[Period, ...]] = {}
            extras: dict[str, dt.time | None] = {}
            for key, value in days.items():
                kline = _key_line(days, key)
                if key in _PROFILE_EXTRA_KEYS:
                    extras[key] = self.time(value, kline, f"{what}: {key}")
                    continue
                index = self.weekday(key, kline, what)
                if index is None:
                    continue
                if index in by_day:
                    self.error(kline, f"{what}: {key} is given twice")
                    continue
                periods = self.periods(value, kline, f"{what}: {key}")
                if periods is not None:
                    by_day[index] = periods
            until = extras.get("market_day_morning_until")
            after = extras.get("market_day_afternoon_from")
            if until is not None and after is not None and after < until:
                self.error(
                    _key_line(days, "market_day_afternoon_from"),
                    f"{what}: market_day_afternoon_from must not be before "
                    "market_day_morning_until",
                )
            self.profiles[str(name)] = HourProfile(str(name), by_day, until, after)

    def load_tours(self, node: Any, line: int | None) -> None:
        if not _is_seq(node) or not node:
            self.error(line, "'tours' must be a list of tours")
            return
        seen_ids: dict[str, int | None] = {}
        for i, tnode in enumerate(node):
            tline = _item_line(node, i, line)
            if not _is_map(tnode):
                self.error(tline, "each tour must be a mapping (id, name, stops, ...)")
                continue
            tour_id = self.text(tnode, "id", required=False)
            what = f"tour {tour_id!r}" if tour_id else f"tour #{i + 1}"
            self.unknown_keys(tnode, _TOUR_KEYS, what)
            for key in _TOUR_REQUIRED:
                if key not in tnode or tnode[key] is None:
                    self.error(_key_line(tnode, key, tline), f"{what}: missing field {key!r}")
            if tour_id is not None:
                if not _TOUR_ID_RE.match(tour_id):
                    self.error(
                        _key_line(tnode, "id"),
                        f"{what}: id must be lowercase letters, digits, '-' or '_'",
                    )
                if tour_id in seen_ids:
                    self.error(
                        _key_line(tnode, "id"),
                        f"duplicate tour id {tour_id!r} (already used line {seen_ids[tour_id]})",
                    )
                    tour_id = None
                else:
                    seen_ids[tour_id] = _key_line(tnode, "id")
            profile_name = tnode.get("hours")
            profile = None
            if profile_name is not None:
                profile = self.profiles.get(str(profile_name))
                if profile is None:
                    self.error(
                        _key_line(tnode, "hours"),
                        f"{what}: unknown hours profile {profile_name!r} "
                        f"(defined: {', '.join(self.profiles) or 'none'})",
                    )
            since = self.date(tnode, "since", what, required=False)
            texts = {k: self.text(tnode, k, required=False) for k in _TOUR_KEYS - {"stops"}}
            stops = self.load_stops(
                tnode.get("stops"), _key_line(tnode, "stops", tline), tour_id, profile, what
            )
            if tour_id is None:
                continue
            if profile is None or stops is None:
                # Its exceptions cannot be checked: skip them rather than report "unknown tour".
                self.broken_tours.add(tour_id)
                continue
            self.tours[tour_id] = Tour(
                id=tour_id,
                name=texts["name"] or "",
                base=texts["base"] or "",
                phone=texts["phone"] or "",
                email=texts["email"] or "",
                profile=profile,
                stops=tuple(stops),
                since=since,
                communes_status=texts["communes_status"] or "",
                line=tline,
            )

    def load_stops(
        self,
        node: Any,
        line: int | None,
        tour_id: str | None,
        profile: HourProfile | None,
        tour_what: str,
    ) -> list[Stop] | None:
        if node is None:
            return None
        if not _is_seq(node) or not node:
            self.error(line, f"{tour_what}: 'stops' must be a non-empty list")
            return None
        stops: list[Stop] = []
        slots: dict[tuple[int, int], tuple[str, int | None]] = {}
        for i, snode in enumerate(node):
            sline = _item_line(node, i, line)
            if not _is_map(snode):
                self.error(sline, f"{tour_what}: each stop must be a mapping")
                continue
            label = snode.get("commune") or snode.get("code_insee") or f"#{i + 1}"
            what = f"{tour_what}, stop {label}"
            self.unknown_keys(snode, _STOP_KEYS, what)
            # commune/code_insee are reported by self.commune(), with a hint.
            missing = [k for k in _STOP_REQUIRED if k not in snode or snode[k] is None]
            for key in missing:
                if key not in ("commune", "code_insee"):
                    self.error(_key_line(snode, key, sline), f"{what}: missing field {key!r}")
            commune = self.commune(snode, what)
            week = snode.get("week")
            week_ok = isinstance(week, int) and not isinstance(week, bool) and 1 <= week <= MAX_WEEK
            if week is not None and not week_ok:
                self.error(
                    _key_line(snode, "week"),
                    f"{what}: week {week!r} is not 1, 2, 3 or 4 (the N-th weekday of the month; "
                    "a 5th weekday does not exist in every month)",
                )
            weekday = None
            if snode.get("weekday") is not None:
                weekday = self.weekday(snode["weekday"], _key_line(snode, "weekday"), what)
            hours = None
            usable = True  # False when an error above makes the stop unusable
            if snode.get("hours") is not None:
                hours = self.periods(snode["hours"], _key_line(snode, "hours"), f"{what}: hours")
                usable = hours is not None
            elif weekday is not None and profile is not None and not profile.days.get(weekday):
                self.error(
                    _key_line(snode, "weekday"),
                    f"{what}: hours profile {profile.name!r} has no hours on "
                    f"{WEEKDAYS_FR[weekday]}",
                )
                usable = False
            day_source = snode.get("day_source", "pilot")
            if day_source not in _DAY_SOURCES:
                self.error(
                    _key_line(snode, "day_source"),
                    f"{what}: day_source must be one of "
                    f"{', '.join(repr(v) for v in _DAY_SOURCES)}, got {day_source!r}",
                )
            market = self.market_days(snode, "market_day", weekday, what)
            place = self.text(snode, "place", required=False)
            if weekday is not None and week_ok:
                slot = (week, weekday)
                if slot in slots:
                    other, other_line = slots[slot]
                    self.error(
                        sline,
                        f"{what}: the bus already stops at {other} (line {other_line}) on week "
                        f"{week} {WEEKDAYS_FR[weekday]}; one bus cannot be in two communes at once",
                    )
                    usable = False
                else:
                    slots[slot] = (str(label), sline)
            if not usable or commune is None or weekday is None or not week_ok or not place:
                continue  # reported above; the valid stops still make the tour
            stops.append(
                Stop(
                    tour_id=tour_id or "",
                    insee=commune.insee,
                    commune=commune.name,
                    week=week,
                    weekday=weekday,
                    place=place,
                    day_source=str(day_source),
                    market_weekdays=frozenset(market),
                    hours=hours,
                    lat=getattr(commune, "lat", None),
                    lon=getattr(commune, "lon", None),
                    line=sline,
                )
            )
        return stops

    def load_exceptions(
        self, node: Any, line: int | None, calendar: TourCalendar
    ) -> tuple[list[Cancellation], list[AddedVisit]]:
        cancellations: list[Cancellation] = []
        additions: list[AddedVisit] = []
        if not _is_map(node):
            self.error(line, "'exceptions' must have 'cancelled' and/or 'added' lists")
            return cancellations, additions
        self.unknown_keys(node, {"cancelled", "added"}, "exceptions")
        for key in ("cancelled", "added"):
            entries = node.get(key)
            if entries is None:
                continue
            if not _is_seq(entries):
                self.error(_key_line(node, key), f"exceptions.{key} must be a list")
                continue
            for i, entry in enumerate(entries):
                eline = _item_line(entries, i, _key_line(node, key))
                if not _is_map(entry):
                    self.error(eline, f"exceptions.{key}: each entry must be a mapping")
                    continue
                if key == "cancelled":
                    result = self.cancellation(entry, eline, calendar, cancellations)
                    if result is not None:
                        cancellations.append(result)
                else:
                    added = self.addition(entry, eline, calendar, additions, cancellations)
                    if added is not None:
                        additions.append(added)
        # An added visit on a day its whole tour is cancelled contradicts itself.
        whole = {(c.tour_id, c.date): c for c in cancellations if c.insee is None}
        for a in additions:
            if (a.tour_id, a.date) in whole:
                self.error(
                    a.line,
                    f"added visit of {a.tour_id} to {a.commune} on {a.date}: the whole tour is "
                    f"cancelled that day (line {whole[(a.tour_id, a.date)].line})",
                )
        return cancellations, additions

    def exception_tour(self, entry: Any, what: str) -> Tour | None:
        tour_id = self.text(entry, "tour")
        if tour_id is None:
            return None
        tour = self.tours.get(tour_id)
        if tour is None and tour_id not in self.broken_tours:
            self.error(
                _key_line(entry, "tour"),
                f"{what}: unknown tour {tour_id!r} (known: {', '.join(self.tours) or 'none'})",
            )
        return tour

    def cancellation(
        self, entry: Any, line: int | None, calendar: TourCalendar, done: list[Cancellation]
    ) -> Cancellation | None:
        what = "cancelled visit"
        self.unknown_keys(entry, _CANCEL_KEYS, what)
        tour = self.exception_tour(entry, what)
        day = self.date(entry, "date", what)
        reason = self.text(entry, "reason")
        whole_tour = entry.get("commune") is None and entry.get("code_insee") is None
        commune = None if whole_tour else self.commune(entry, what)
        if tour is None or day is None or reason is None or (commune is None and not whole_tour):
            return None
        dline = _key_line(entry, "date")
        if commune is not None:
            stop = next((s for s in tour.stops if s.insee == commune.insee), None)
            if stop is None:
                self.error(
                    _key_line(entry, "code_insee" if "code_insee" in entry else "commune"),
                    f"{what}: {commune.name} is not a stop of tour {tour.id}",
                )
                return None
            if (week_of_month(day), day.weekday()) != (stop.week, stop.weekday):
                example = stop.date_in(day.year, day.month)
                self.error(
                    dline,
                    f"{what}: {commune.name} ({tour.id}) has no regular visit on {day} "
                    f"(a {WEEKDAYS_FR[day.weekday()]}); its visits are on the week-{stop.week} "
                    f"{stop.weekday_name} of each month, e.g. {example}",
                )
                return None
        elif not [v for v in calendar.visits_on(day) if v.tour_id == tour.id]:
            self.error(
                dline,
                f"{what}: tour {tour.id} has no regular visit on {day} "
                f"(a {WEEKDAYS_FR[day.weekday()]})",
            )
            return None
        insee = commune.insee if commune is not None else None
        if any(c.tour_id == tour.id and c.date == day and c.insee == insee for c in done):
            self.error(line, f"{what}: the same cancellation is written twice")
            return None
        return Cancellation(tour.id, insee, day, reason, line)

    def addition(
        self,
        entry: Any,
        line: int | None,
        calendar: TourCalendar,
        done: list[AddedVisit],
        cancellations: list[Cancellation],
    ) -> AddedVisit | None:
        what = "added visit"
        self.unknown_keys(entry, _ADDED_KEYS, what)
        tour = self.exception_tour(entry, what)
        day = self.date(entry, "date", what)
        reason = self.text(entry, "reason")
        commune = self.commune(entry, what)
        hours = None
        if entry.get("hours") is not None:
            hours = self.periods(entry["hours"], _key_line(entry, "hours"), f"{what}: hours")
            if hours is None:
                return None
        if tour is None or day is None or reason is None or commune is None:
            return None
        stop = next((s for s in tour.stops if s.insee == commune.insee), None)
        place = self.text(entry, "place", required=False)
        if place is None:
            if stop is None:
                self.error(
                    _key_line(entry, "place", line),
                    f"{what}: missing field 'place' ({commune.name} is not a stop of {tour.id})",
                )
                return None
            place = stop.place
        dline = _key_line(entry, "date")
        holiday = holiday_name(day)
        if holiday is not None:
            self.error(dline, f"{what}: {day} is a public holiday ({holiday}); buses do not run")
            return None
        profile = tour.profile
        if not profile.days.get(day.weekday()):
            self.error(
                dline,
                f"{what}: {day} is a {WEEKDAYS_FR[day.weekday()]}, outside the hours of "
                f"{tour.id} (no service that weekday)",
            )
            return None
        market_days = {
            d for s in calendar._stops_by_insee.get(commune.insee, ()) for d in s.market_weekdays
        }
        market_days |= self.market_days(entry, "market_day", day.weekday(), what)
        market_day = day.weekday() in market_days
        if hours is None:
            periods = profile.periods(day.weekday(), market_day)
        else:
            periods = hours
            window = profile.service_window
            if window is not None and market_day and profile.market_day_morning_until:
                window = (window[0], max(window[1], profile.market_day_morning_until))
            if window is not None and (periods[0][0] < window[0] or periods[-1][1] > window[1]):
                self.error(
                    _key_line(entry, "hours"),
                    f"{what}: hours {_fmt_periods(periods)} are outside the service hours of "
                    f"{tour.id} ({_fmt_periods([window])})",
                )
                return None
        for visit in calendar.visits_on(day):
            if visit.tour_id != tour.id or visit.is_cancelled:
                continue
            if any(
                c.tour_id == tour.id and c.date == day and c.insee in (None, visit.insee)
                for c in cancellations
            ):
                continue  # replaced: that regular visit is cancelled by an exception
            if _overlap(visit.periods, periods):
                self.error(
                    dline,
                    f"{what}: {tour.id} is already at {visit.commune} on {day} "
                    f"({_fmt_periods(visit.periods)}); cancel that visit first or change the hours",
                )
                return None
        for other in done:
            if other.tour_id == tour.id and other.date == day and _overlap(other.periods, periods):
                self.error(
                    dline,
                    f"{what}: overlaps the added visit of {tour.id} to {other.commune} "
                    f"(line {other.line})",
                )
                return None
        return AddedVisit(
            tour_id=tour.id,
            insee=commune.insee,
            commune=commune.name,
            date=day,
            periods=periods,
            place=place,
            reason=reason,
            market_day=market_day,
            line=line,
        )


def load_tours(path: Path | str | None = None, communes: Any = None) -> TourCalendar:
    """Load and validate the tour calendar.

    Args:
        path: the YAML file (default `reference/tours.yml`).
        communes: a `CommuneRepository` (default: `load_communes()`), used to check every INSEE
            code and name and to place each stop on the map.

    Raises:
        DataErrors: every problem found, each a `DataFileError(path, line, reason)`.
    """
    if communes is None:
        from actions.communes import load_communes

        communes = load_communes()
    return _TourLoader(Path(path) if path is not None else DEFAULT_TOURS_PATH, communes).load()


_LOADED: dict[Path, tuple[int, TourCalendar]] = {}


def get_calendar(path: Path | str | None = None) -> TourCalendar:
    """The calendar for the Action layer: loaded once, reloaded when staff save the file.

    The file's modification time is checked on each call (a `stat`, a few microseconds), so an
    edit is live without restarting the action server. An invalid edit is logged and the last
    valid calendar kept: citizens never get an error because of a typo (`make validate-data`
    shows the problems; a restart would refuse to start until they are fixed).

    Raises:
        DataErrors: the file is invalid and no valid version was loaded before.
    """
    target = Path(path) if path is not None else DEFAULT_TOURS_PATH
    try:
        stamp = target.stat().st_mtime_ns
    except OSError:
        stamp = -1
    cached = _LOADED.get(target)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        calendar = load_tours(target)
    except DataErrors as exc:
        if cached is None:
            raise
        logger.error("%s is invalid, keeping the previous calendar:\n%s", target, exc)
        _LOADED[target] = (stamp, cached[1])
        return cached[1]
    _LOADED[target] = (stamp, calendar)
    return calendar
