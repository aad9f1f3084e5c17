"""Visio appointment slots: only those the visio offer gives, for the organisation asked.

A France Services booth lets a citizen talk by video to an advisor of the CAF, the CPAM ... A
slot exists only where and when the offer (`reference/visio_offer.yml` and the console's
"Visio" section, `franceservices/booking/offer.py`) says that organisation's advisor can be met:
- at a bus of the offer on the days it visits (the tour calendar, with the console's
  cancellations: a cancelled visit offers nothing), in the person's commune or at the nearest
  stop of such a bus within the policy's `max_bus_distance_km` of the town hall;
- at the nearest fixed desks of the offer, within the same distance.
Nothing else is ever proposed: when no place within reach offers the organisation, the list is
empty and the assistant says so (`nearest_help` gives the phone to call).

Rules, each one a test:
- slots on a grid of the place's appointment length from each period's start, ending within it;
- never on a public holiday, a closed day, the day the organisation's advisor is away, a
  cancelled visit; never sooner than the policy's lead time (`min_lead_minutes`);
- never a slot every booth of the place already holds (the store's taken slots; an
  appointment overlapping a held one counts as held);
- balanced: a few slots per place (at most `MAX_PER_DAY` on one day of one place), earliest first.

Times are aware Paris datetimes (DST by zoneinfo); the store keeps UTC, equal as aware datetimes.
No Rasa import: the Action layer calls these functions and utters the results.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from franceservices.booking.offer import (
    KIND_BUS,
    KIND_DESK,
    VisioOffer,
    VisioPlace,
    place_of_booth,
)
from franceservices.dates.clock import PARIS, to_paris
from franceservices.policy import get_policy

DESK_HORIZON_DAYS = 28
"""How far ahead a desk's slots are looked for."""
BUS_VISITS_AHEAD = 4
"""How many coming visits of the bus are looked at (one a month: four months)."""
TAKEN_HORIZON = dt.timedelta(days=150)
"""How far ahead the store's taken slots are read (covers both of the above)."""
MAX_PER_DAY = 2
DEFAULT_COUNT = 6
MAX_DESKS = 2
"""At most this many desks are proposed (the nearest ones offering the organisation)."""

KINDS = (KIND_BUS, KIND_DESK)

SlotKey = tuple[str, dt.datetime]
"""(booth key, start): what makes a slot unique; the store's `taken_slots` returns these."""

Position = tuple[float, float]
Taken = Iterable[SlotKey] | Callable[[list[str], dt.datetime, dt.datetime], Iterable[SlotKey]]
"""Taken slots, or a reader of them (`Repository.taken_slots(keys, start, end)`)."""


class UnknownCommune(ValueError):
    """The INSEE code given to `propose_slots` is not a commune of the Nord."""


# --------------------------------------------------------------------------------------------
# Places and slots
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where the visio takes place: a visit of a bus in a commune, or a fixed desk.

    Attributes:
        kind: "bus" or "desk".
        id: the tour id ("avesnois") or the desk's ANCT id ("346").
        name: what the citizen reads ("Bus France services de l'Avesnois").
        address: where to go (the bus's parking place that day, the desk's address).
        phone: the number to call about the appointment.
        commune: the commune of the address; insee its code.
        distance_km: from the person's town hall, straight line (None when unknown).
    """

    kind: str
    id: str
    name: str
    address: str
    phone: str
    commune: str = ""
    insee: str = ""
    distance_km: float | None = None

    @property
    def key(self) -> str:
        """The place's key, e.g. "bus:avesnois" or "desk:346"."""
        return place_key(self.kind, self.id)


def place_key(kind: str, id: str) -> str:
    """Build a place key: `place_key("desk", "346")` -> "desk:346"."""
    if kind not in KINDS:
        raise ValueError(f"place kind {kind!r} is not one of {', '.join(KINDS)}")
    return f"{kind}:{id}"


def split_place_key(key: str) -> tuple[str, str]:
    """Split "desk:346" (or a booth's key "desk:346/2") into ("desk", "346").

    Raises:
        ValueError: the key has no known kind.
    """
    place, _ = place_of_booth(key)
    kind, sep, id = place.partition(":")
    if not sep or kind not in KINDS or not id:
        raise ValueError(f"{key!r} is not a place key like 'bus:avesnois' or 'desk:346'")
    return kind, id


@dataclass(frozen=True)
class Slot:
    """A visio slot in one booth. `place_key` is the booth's key ("desk:346", "desk:346/2").

    Equality and hashing use `place_key`, `start` and `end` only; `place` carries what the
    citizen reads. `start`/`end` are aware Paris datetimes.
    """

    place_key: str
    start: dt.datetime
    end: dt.datetime
    place: Place | None = field(default=None, compare=False, hash=False)

    @property
    def key(self) -> SlotKey:
        return self.place_key, self.start

    @property
    def token(self) -> str:
        """A compact id for a button payload: "desk:346@2025-03-03T09:00:00+01:00"."""
        return f"{self.place_key}@{self.start.isoformat()}"


def parse_slot_token(token: str) -> SlotKey:
    """Read back `Slot.token`; the start comes back as an aware Paris datetime.

    Raises:
        ValueError: malformed token (unknown kind, naive or invalid datetime).
    """
    key, sep, iso = (token or "").strip().partition("@")
    if not sep:
        raise ValueError(f"{token!r} is not a slot token")
    split_place_key(key)
    start = dt.datetime.fromisoformat(iso)
    if start.tzinfo is None:
        raise ValueError(f"{token!r}: the start time has no UTC offset")
    return key, start.astimezone(PARIS)


# --------------------------------------------------------------------------------------------
# One place, one day
# --------------------------------------------------------------------------------------------


def _grid(day: dt.date, periods: Iterable[tuple[dt.time, dt.time]], length: dt.timedelta):
    """Slot starts of one day: every `length` from each period's start, ending in it."""
    for opens, closes in periods:
        start = dt.datetime.combine(day, opens, tzinfo=PARIS)
        end_of_period = dt.datetime.combine(day, closes, tzinfo=PARIS)
        while start + length <= end_of_period:
            yield start
            start += length


class _Held:
    """The taken slots by booth, to tell whether a booth is free for [start, start + length)."""

    def __init__(self, taken: Iterable[SlotKey]) -> None:
        self._by_booth: dict[str, list[dt.datetime]] = {}
        for key, start in taken:
            self._by_booth.setdefault(key, []).append(start)

    def free_booth(self, place: VisioPlace, start: dt.datetime) -> str | None:
        """The first booth of `place` with no appointment overlapping this one, or None."""
        for key in place.booth_keys():
            if self.is_free(key, start, place.appointment):
                return key
        return None

    def is_free(self, key: str, start: dt.datetime, length: dt.timedelta) -> bool:
        return all(abs(held - start) >= length for held in self._by_booth.get(key, ()))


def _day_slots(
    vplace: VisioPlace,
    place: Place,
    day: dt.date,
    periods: Iterable[tuple[dt.time, dt.time]],
    earliest: dt.datetime,
    held: _Held,
    per_day: int,
) -> Iterator[Slot]:
    """The first `per_day` free slots of one place on one day, earliest first."""
    found = 0
    for start in _grid(day, periods, vplace.appointment):
        if found >= per_day:
            return
        if start < earliest:
            continue
        booth = held.free_booth(vplace, start)
        if booth is not None:
            found += 1
            yield Slot(booth, start, start + vplace.appointment, place)


# --------------------------------------------------------------------------------------------
# Candidate places
# --------------------------------------------------------------------------------------------


def _bus_place(visit: Any, distance_km: float | None) -> Place:
    tour = visit.tour
    return Place(KIND_BUS, tour.id, tour.name, visit.place, tour.phone, visit.commune,
                 visit.insee, distance_km)  # fmt: skip


def _desk_place(desk: Any, distance_km: float | None) -> Place:
    address = f"{desk.address}, {desk.postcode} {desk.commune}"
    return Place(KIND_DESK, desk.id, desk.name, address, desk.phone, desk.commune, desk.insee,
                 distance_km)  # fmt: skip


def _bus_stop(calendar: Any, tours: set[str], commune: Any, lat: float, lon: float, radius: float):
    """(insee, km) of the stop where a bus of `tours` is met: the person's own commune when
    such a bus stops there, else the nearest such stop within `radius`; None if none."""
    if not tours:
        return None
    if commune is not None and any(s.tour_id in tours for s in calendar.stops_in(commune.insee)):
        return commune.insee, 0.0
    for stop, km in calendar.nearest_stops(lat, lon, n=len(calendar.stops())):
        if km > radius:
            return None
        if stop.tour_id in tours:
            return stop.insee, km
    return None


def _bus_slots(offer, operator, calendar, insee, km, now, earliest, held, limit, per_day):
    slots: list[Slot] = []
    for visit in calendar.next_visits(insee, now, n=BUS_VISITS_AHEAD, include_cancelled=False):
        vplace = offer.place(place_key(KIND_BUS, visit.tour_id))
        if vplace is None or visit.is_cancelled:
            continue
        periods = offer.periods(vplace.key, operator, visit.date, visit.periods)
        place = _bus_place(visit, km)
        for slot in _day_slots(vplace, place, visit.date, periods, earliest, held, per_day):
            slots.append(slot)
            if len(slots) >= limit:
                return slots
    return slots


def _desk_slots(offer, operator, vplace, desk, km, now, earliest, held, limit, per_day):
    from franceservices.places.desks import opening_periods  # holidays: no periods

    place = _desk_place(desk, km)
    slots: list[Slot] = []
    today = to_paris(now).date()
    for offset in range(DESK_HORIZON_DAYS + 1):
        day = today + dt.timedelta(days=offset)
        periods = offer.periods(vplace.key, operator, day, opening_periods(desk, day))
        for slot in _day_slots(vplace, place, day, periods, earliest, held, per_day):
            slots.append(slot)
            if len(slots) >= limit:
                return slots
    return slots


def _defaults(calendar: Any, desks: Any, offer: Any) -> tuple[Any, Any, VisioOffer]:
    if calendar is None:
        from franceservices.calendar.tours import get_calendar

        calendar = get_calendar()
    if desks is None:
        from franceservices.places.desks import load_desks

        desks = load_desks()
    if offer is None:
        from franceservices.booking.offer import get_offer

        offer = get_offer()
    return calendar, desks, offer


def _locate(insee_or_position: str | Position, communes: Any) -> tuple[Any, float, float]:
    if not isinstance(insee_or_position, str):
        lat, lon = insee_or_position
        return None, lat, lon
    if communes is None:
        from franceservices.places.communes import load_communes

        communes = load_communes()
    commune = communes.get(insee_or_position)
    if commune is None:
        raise UnknownCommune(f"{insee_or_position!r} is not the INSEE code of a Nord commune")
    return commune, commune.lat, commune.lon


def propose_slots(
    insee_or_position: str | Position,
    operator: str,
    now: dt.datetime,
    taken: Taken = (),
    n: int = DEFAULT_COUNT,
    *,
    per_day: int = MAX_PER_DAY,
    min_lead: dt.timedelta | None = None,
    calendar: Any = None,
    desks: Any = None,
    communes: Any = None,
    offer: VisioOffer | None = None,
) -> list[Slot]:
    """Propose up to `n` visio slots with `operator`'s advisors, earliest first, shared
    between the nearest places that offer it.

    Args:
        insee_or_position: the person's commune (INSEE code: distances from its town hall) or a
            (lat, lon) position.
        operator: the organisation's id (operators.yml); only its slots are proposed.
        now: an aware datetime (naive = Paris time); injected by tests.
        taken: (booth key, start) pairs already held, or a function `(keys, start, end)`
            reading them (`store.Repository.taken_slots`), called once with the booths of the
            places proposed.
        n: how many slots at most; each place gets at most ceil(n / places) of them.
        per_day: at most this many slots of one place on one day (spread the dates).
        min_lead: no slot starts before now + min_lead (default: the policy's lead time).
        calendar, desks, communes, offer: the repositories (default: those in use).

    Returns:
        Slots sorted by start (then booth), each with its `place`; [] when nothing is offered
        or free within reach.

    Raises:
        UnknownCommune: the INSEE code is not a commune of the Nord.
    """
    if n <= 0:
        return []
    calendar, desks, offer = _defaults(calendar, desks, offer)
    commune, lat, lon = _locate(insee_or_position, communes)
    visio = get_policy().visio
    moment = to_paris(now)
    earliest = moment + (visio.min_lead_time if min_lead is None else min_lead)
    radius = visio.max_bus_distance_km

    tours = {p.id for p in offer.places_for(operator, KIND_BUS)}
    stop = _bus_stop(calendar, tours, commune, lat, lon, radius)
    from franceservices.places.communes import distance_km

    near_desks = []
    for vplace in offer.places_for(operator, KIND_DESK):
        desk = desks.get(vplace.id)
        if desk is not None and desk.kind == "fixed":
            km = distance_km(lat, lon, desk.lat, desk.lon)
            if km <= radius:
                near_desks.append((km, desk.id, vplace, desk))
    near_desks = sorted(near_desks, key=lambda item: item[:2])[:MAX_DESKS]

    places = int(stop is not None) + len(near_desks)
    if places == 0:
        return []
    if callable(taken):
        keys = [k for item in near_desks for k in item[2].booth_keys()]
        keys += [k for tour in sorted(tours) for k in offer.place(f"bus:{tour}").booth_keys()]
        taken = taken(keys, moment, moment + TAKEN_HORIZON)
    held = _Held(taken)
    share = math.ceil(n / places)
    slots: list[Slot] = []
    if stop is not None:
        slots += _bus_slots(
            offer, operator, calendar, stop[0], stop[1], moment, earliest, held, share, per_day
        )
    for km, _, vplace, desk in near_desks:
        slots += _desk_slots(
            offer, operator, vplace, desk, round(km, 1), moment, earliest, held, share, per_day
        )
    slots.sort(key=lambda slot: (slot.start, slot.place_key))
    return slots[:n]


def find_slot(
    key: SlotKey,
    now: dt.datetime,
    taken: Iterable[SlotKey] = (),
    *,
    operator: str | None = None,
    min_lead: dt.timedelta | None = None,
    calendar: Any = None,
    desks: Any = None,
    offer: VisioOffer | None = None,
) -> Slot | None:
    """Check a slot chosen earlier (a button payload) is still bookable; return it or None.

    `operator`: the organisation it is with (None: any organisation the offer has there, for
    an agent moving a booking). None when the place or booth is not in the offer, the time is
    not on that day's grid for the organisation (offer changed, advisor away, closed day, visit
    cancelled, holiday), too soon, or the booth is held then.
    """
    booth, start = key
    kind, id = split_place_key(booth)
    calendar, desks, offer = _defaults(calendar, desks, offer)
    vplace = offer.place(booth)
    start = to_paris(start)
    lead = get_policy().visio.min_lead_time if min_lead is None else min_lead
    if vplace is None or booth not in vplace.booth_keys() or start < to_paris(now) + lead:
        return None
    if not _Held(taken).is_free(booth, start, vplace.appointment):
        return None
    day = start.date()
    if kind == KIND_BUS:
        for visit in calendar.visits_on(day, include_cancelled=False):
            if visit.tour_id == id:
                periods = offer.periods(vplace.key, operator, day, visit.periods)
                if start in set(_grid(day, periods, vplace.appointment)):
                    return Slot(booth, start, start + vplace.appointment, _bus_place(visit, None))
        return None
    desk = desks.get(id)
    if desk is None or desk.kind != "fixed":
        return None
    from franceservices.places.desks import opening_periods

    periods = offer.periods(vplace.key, operator, day, opening_periods(desk, day))
    if start in set(_grid(day, periods, vplace.appointment)):
        return Slot(booth, start, start + vplace.appointment, _desk_place(desk, None))
    return None


def nearest_help(insee_or_position: str | Position, desks: Any = None, communes: Any = None):
    """The nearest fixed France Services (any of the Nord's), with its km: whom to call when
    no visio slot is offered. None without a desk.

    Raises:
        UnknownCommune: the INSEE code is not a commune of the Nord.
    """
    if desks is None:
        from franceservices.places.desks import load_desks

        desks = load_desks()
    _, lat, lon = _locate(insee_or_position, communes)
    nearest = desks.nearest_fixed(lat, lon, 1)
    return nearest[0] if nearest else None
