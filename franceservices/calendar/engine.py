"""The itinerant buses' calendar engine: when a bus comes to a commune, where the buses are on a
day, which stop is nearest.

`TourCalendar` is built by `franceservices/calendar/tours.py` (`load_tours`, `get_calendar`) from
`reference/tours.yml` and is read-only afterwards. Everything is computed in Europe/Paris:
callers pass an aware `now` (the servers run on UTC) and it is converted with `to_paris`, so
23:30 UTC on a winter evening is already tomorrow here. No Rasa import: the Action layer calls
this plain code.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterable, Iterator

from franceservices.calendar.model import (
    MAX_WEEK,
    STATUS_ADDED,
    STATUS_CANCELLED,
    STATUS_CANCELLED_HOLIDAY,
    STATUS_SCHEDULED,
    AddedVisit,
    Cancellation,
    Stop,
    Tour,
    Visit,
    add_months,
    apply_market_day,
    week_of_month,
)
from franceservices.dates.clock import to_paris
from franceservices.dates.holidays import holiday_name

HORIZON_MONTHS = 24
"""How far `next_visits` looks ahead before giving up (a stop cancelled for two years is news)."""


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

    def stops_in(self, insee: str) -> list[Stop]:
        """The regular stops of any tour in commune `insee` (usually zero or one)."""
        return list(self._stops_by_insee.get(insee, ()))

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
        from franceservices.places.communes import (
            distance_km,  # sibling module, imported when first needed
        )

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
