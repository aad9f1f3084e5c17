"""The visio offer: where, when and with which organisation a visio appointment exists.

Staff keep it in `reference/visio_offer.yml` (the file's header documents every field) and in
the console's "Visio" section (the store lays its versions over the file, like the calendar).
A booth of a fixed desk or a bus offers visio only on the days and hours staff set, with the
organisations whose advisors come then; nothing is offered that the offer does not say.

`franceservices/booking/offer_file.py` validates the file (or a version the console edits) with
every problem and its line (`DataErrors`); `get_offer` gives the offer in use. `VisioOffer.periods`
says when an organisation can be met at a place on a day; `franceservices/booking/visio_slots.py`
turns that into slots. No Rasa import.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from franceservices.calendar.model import Period
from franceservices.dates.holidays import is_holiday
from franceservices.live_file import LiveFile
from franceservices.paths import REFERENCE_DIR

DEFAULT_OFFER_PATH = REFERENCE_DIR / "visio_offer.yml"
KIND_BUS, KIND_DESK = "bus", "desk"
HOURS_OPENING = "opening"
"""`hours: opening`: visio whenever the place is open (the desk's hours, the bus's visit)."""


Periods = tuple[Period, ...]


@dataclass(frozen=True)
class Organisation:
    """An organisation's advisors at a place: on these weekdays, in these hours (None: all)."""

    operator: str
    weekdays: frozenset[int]
    hours: Periods | None = None


@dataclass(frozen=True)
class Closure:
    """Days a place offers no visio (from..to, both included), with the reason staff give."""

    start: dt.date
    end: dt.date
    reason: str

    def covers(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class Absence:
    """An organisation's advisor is away from a place for one day."""

    place: str
    operator: str
    date: dt.date
    reason: str


@dataclass(frozen=True)
class ExtraSlot:
    """Exceptional visio hours of an organisation at a place on one date."""

    place: str
    operator: str
    date: dt.date
    hours: Periods
    reason: str


@dataclass(frozen=True)
class VisioPlace:
    """A fixed desk ("desk:346") or a bus ("bus:avesnois") with visio booths.

    `hours` maps a weekday (0 = Monday) to the visio periods; None = whenever open.
    """

    key: str
    kind: str
    id: str
    booths: int
    appointment: dt.timedelta
    hours: dict[int, Periods] | None
    closures: tuple[Closure, ...] = ()
    organisations: tuple[Organisation, ...] = field(default=())

    def booth_keys(self) -> tuple[str, ...]:
        """The key of each booth: "desk:346" for the first, "desk:346/2" for the second ..."""
        return tuple(booth_key(self.key, n) for n in range(1, self.booths + 1))

    def closure_on(self, day: dt.date) -> Closure | None:
        return next((c for c in self.closures if c.covers(day)), None)


def booth_key(place: str, number: int) -> str:
    """ "desk:346" for booth 1, "desk:346/2" for booth 2 (the key the store claims)."""
    return place if number == 1 else f"{place}/{number}"


def place_of_booth(key: str) -> tuple[str, int]:
    """ "desk:346/2" -> ("desk:346", 2); "desk:346" -> ("desk:346", 1)."""
    place, sep, number = key.partition("/")
    if sep and number.isdigit() and int(number) >= 1:
        return place, int(number)
    return key, 1


class VisioOffer:
    """The validated offer: places, absences, exceptional slots."""

    def __init__(
        self,
        places: Iterable[VisioPlace],
        absences: Iterable[Absence] = (),
        extras: Iterable[ExtraSlot] = (),
    ) -> None:
        self.places = {place.key: place for place in places}
        self.absences = tuple(absences)
        self.extras = tuple(extras)

    def place(self, key: str) -> VisioPlace | None:
        return self.places.get(place_of_booth(key)[0])

    def operators(self) -> set[str]:
        """Every organisation met somewhere (regular days or exceptional slots)."""
        found = {org.operator for p in self.places.values() for org in p.organisations}
        return found | {extra.operator for extra in self.extras}

    def places_for(self, operator: str | None, kind: str | None = None) -> list[VisioPlace]:
        """The places where `operator` (None: any organisation) may be met, in file order."""
        found = []
        for place in self.places.values():
            if kind is not None and place.kind != kind:
                continue
            orgs = {org.operator for org in place.organisations}
            orgs |= {e.operator for e in self.extras if e.place == place.key}
            if orgs and (operator is None or operator in orgs):
                found.append(place)
        return found

    def absence(self, place: str, operator: str, day: dt.date) -> Absence | None:
        return next(
            (
                a
                for a in self.absences
                if a.place == place and a.operator == operator and a.date == day
            ),
            None,
        )

    def periods(
        self, place_key: str, operator: str | None, day: dt.date, opening: Periods
    ) -> Periods:
        """When `operator` (None: any) can be met at the place on `day`, within `opening`.

        `opening` is the place's own opening that day: the desk's hours, the bus visit's
        periods (none: the bus is not there, or its visit is cancelled: nothing, not even an
        exceptional slot). Nothing on a public holiday, a closed day, or the day the
        organisation's advisor is away; a desk's exceptional slot may be outside its hours.
        """
        place = self.places.get(place_key)
        if place is None or is_holiday(day) or place.closure_on(day):
            return ()
        if place.kind == KIND_BUS and not opening:
            return ()  # no visit of the bus that day (or a cancelled one)
        base = opening
        if place.hours is not None:
            base = intersect(place.hours.get(day.weekday(), ()), opening)
        found: list[Period] = []
        for org in place.organisations:
            if operator is not None and org.operator != operator:
                continue
            if day.weekday() not in org.weekdays or self.absence(place_key, org.operator, day):
                continue
            found += intersect(org.hours, base) if org.hours is not None else base
        for extra in self.extras:
            if extra.place == place_key and extra.date == day:
                if operator is None or extra.operator == operator:
                    # Exceptional hours may fall outside a desk's hours (staff open it for
                    # them), not outside a bus's visit (the bus is not there).
                    bus = place.kind == KIND_BUS
                    found += intersect(extra.hours, opening) if bus else extra.hours
        return merge(found)


# -- period arithmetic ---------------------------------------------------------------------------


def intersect(a: Iterable[Period], b: Iterable[Period]) -> Periods:
    """The parts of `a` inside `b`, in order."""
    out = [(max(s1, s2), min(e1, e2)) for s1, e1 in a for s2, e2 in b]
    return merge(p for p in out if p[0] < p[1])


def merge(periods: Iterable[Period]) -> Periods:
    """Sorted periods, overlapping or touching ones joined."""
    out: list[list[dt.time]] = []
    for start, end in sorted(periods):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return tuple((s, e) for s, e in out)


OfferOverlay = Callable[[Path, VisioOffer], VisioOffer]
_overlay: OfferOverlay | None = None


def _load(path: Path) -> VisioOffer:
    from franceservices.booking.offer_file import load_offer

    return load_offer(path)


_FILE: LiveFile[VisioOffer] = LiveFile(_load, "offer")


def set_offer_overlay(overlay: OfferOverlay | None) -> None:
    """Install (None: remove) what `get_offer` lays over the file: the console's versions,
    read from the store by an adapter (the core never reads the database)."""
    global _overlay
    _overlay = overlay


def get_offer(path: Path | str | None = None) -> VisioOffer:
    """The offer in use: the file (reloaded when saved; an invalid edit keeps the last valid
    one and is logged, `franceservices/live_file.py`), with the installed overlay on top.

    Raises:
        DataErrors: the file is invalid and no valid version was loaded before.
    """
    target = Path(path) if path is not None else DEFAULT_OFFER_PATH
    offer = _FILE.get(target)
    return _overlay(target, offer) if _overlay is not None else offer
