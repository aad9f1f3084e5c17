"""Visio appointment slots: where and when a person can meet an organisation by video.

A France Services booth (one per bus, one per fixed desk) lets a citizen talk by video to an
agent of the CAF, the CPAM, the impôts ... with a France Services adviser at their side. This
module proposes concrete 30-minute slots for such an appointment, from the tour calendar and
the desks file:

- the next visits of the bus in the person's commune, or, when no bus stops there, at the
  nearest stop commune (within `MAX_BUS_DISTANCE_KM` of the town hall);
- the nearest fixed desk (town hall to desk, straight line).

Rules, each one a test:
- 30-minute slots on a grid starting at each opening period's start, ending within the period
  (a bus open 09:30-12:30 gives 09:30, 10:00 ... 12:00);
- never on a public holiday, never on a cancelled visit (both from `actions/tours.py` and
  `actions/desks.py`), never a slot already taken (the `taken` set the store gives);
- never within `MIN_LEAD_TIME` (2 hours) of now: the adviser must see the booking, prepare the
  booth and, for a bus, the person must be able to get there; a slot that starts too soon is
  not offered even when it is free;
- balanced: a few slots per place (at most `MAX_PER_DAY` on one day of one place, so the person
  sees more than one date), earliest first.

Times are aware Paris datetimes (DST handled by zoneinfo: 09:30 is 08:30 UTC in winter and 07:30
UTC in summer). The store keeps them in UTC; both compare equal as aware datetimes.

The operators a person can meet are a validated data file, `reference/operators.yml`, read by
`load_operators()`; `OperatorCatalogue.match` finds one in free text ("la caf", "les impôts",
"pôle emploi", "la sécu").

No Rasa import: the Action layer calls these functions and utters the results.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from actions.clock import PARIS, to_paris
from actions.communes import normalize
from actions.data_errors import DataErrors, DataFileError
from actions.paths import REFERENCE_DIR

SLOT_LENGTH = dt.timedelta(minutes=30)
MIN_LEAD_TIME = dt.timedelta(hours=2)
"""No slot starts sooner than this after `now` (preparation and travel; see the module doc)."""
DESK_HORIZON_DAYS = 28
"""How far ahead a desk's slots are looked for."""
BUS_VISITS_AHEAD = 4
"""How many coming visits of the bus are looked at (one a month: four months)."""
MAX_BUS_DISTANCE_KM = 20.0
"""A bus stop farther than this from the person's town hall is not offered (the desk is)."""
MAX_PER_DAY = 2
DEFAULT_COUNT = 6

KIND_BUS = "bus"
KIND_DESK = "desk"
KINDS = (KIND_BUS, KIND_DESK)

SlotKey = tuple[str, dt.datetime]
"""(place_key, start): what makes a slot unique; the store's `taken_slots` returns these."""

Position = tuple[float, float]


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
        name: what the citizen reads ("Bus France services de l'Avesnois", "France services
            Hondschoote").
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
        """The booth's key, e.g. "bus:avesnois" or "desk:346" (one visio booth per bus/desk)."""
        return place_key(self.kind, self.id)


def place_key(kind: str, id: str) -> str:
    """Build a booth key: `place_key("desk", "346")` -> "desk:346"."""
    if kind not in KINDS:
        raise ValueError(f"place kind {kind!r} is not one of {', '.join(KINDS)}")
    return f"{kind}:{id}"


def split_place_key(key: str) -> tuple[str, str]:
    """Split "desk:346" into ("desk", "346").

    Raises:
        ValueError: the key has no known kind.
    """
    kind, sep, id = key.partition(":")
    if not sep or kind not in KINDS or not id:
        raise ValueError(f"{key!r} is not a place key like 'bus:avesnois' or 'desk:346'")
    return kind, id


@dataclass(frozen=True)
class Slot:
    """A 30-minute visio slot in one booth.

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


def _grid(day: dt.date, periods: Iterable[tuple[dt.time, dt.time]]) -> Iterator[dt.datetime]:
    """Slot starts of one day: every 30 minutes from each period's start, ending in it."""
    for opens, closes in periods:
        start = dt.datetime.combine(day, opens, tzinfo=PARIS)
        end_of_period = dt.datetime.combine(day, closes, tzinfo=PARIS)
        while start + SLOT_LENGTH <= end_of_period:
            yield start
            start += SLOT_LENGTH


def _free(start: dt.datetime, key: str, earliest: dt.datetime, taken: Mapping | set) -> bool:
    return start >= earliest and (key, start) not in taken


def _day_slots(
    day: dt.date,
    periods: Iterable[tuple[dt.time, dt.time]],
    place: Place,
    earliest: dt.datetime,
    taken: Mapping | set,
    per_day: int,
) -> Iterator[Slot]:
    """The first `per_day` free slots of one place on one day, earliest first."""
    free = (start for start in _grid(day, periods) if _free(start, place.key, earliest, taken))
    for start in itertools.islice(free, per_day):
        yield Slot(place.key, start, start + SLOT_LENGTH, place)


# --------------------------------------------------------------------------------------------
# Candidate places
# --------------------------------------------------------------------------------------------


def _bus_place(visit: Any, distance_km: float | None) -> Place:
    tour = visit.tour
    return Place(
        kind=KIND_BUS,
        id=tour.id,
        name=tour.name,
        address=visit.place,
        phone=tour.phone,
        commune=visit.commune,
        insee=visit.insee,
        distance_km=distance_km,
    )


def _desk_place(desk: Any, distance_km: float | None) -> Place:
    return Place(
        kind=KIND_DESK,
        id=desk.id,
        name=desk.name,
        address=f"{desk.address}, {desk.postcode} {desk.commune}",
        phone=desk.phone,
        commune=desk.commune,
        insee=desk.insee,
        distance_km=distance_km,
    )


def _bus_slots(
    calendar: Any,
    insee: str,
    distance_km: float | None,
    now: dt.datetime,
    earliest: dt.datetime,
    taken: set,
    limit: int,
    per_day: int,
) -> list[Slot]:
    from actions.holidays import is_holiday

    slots: list[Slot] = []
    for visit in calendar.next_visits(insee, now, n=BUS_VISITS_AHEAD, include_cancelled=False):
        if visit.is_cancelled or is_holiday(visit.date):
            continue  # next_visits already leaves them out; belt and braces for a holiday
        place = _bus_place(visit, distance_km)
        for slot in _day_slots(visit.date, visit.periods, place, earliest, taken, per_day):
            slots.append(slot)
            if len(slots) >= limit:
                return slots
    return slots


def _desk_slots(
    desk: Any,
    distance_km: float | None,
    now: dt.datetime,
    earliest: dt.datetime,
    taken: set,
    limit: int,
    per_day: int,
) -> list[Slot]:
    from actions.desks import opening_periods  # holidays: no periods

    place = _desk_place(desk, distance_km)
    slots: list[Slot] = []
    today = to_paris(now).date()
    for offset in range(DESK_HORIZON_DAYS + 1):
        day = today + dt.timedelta(days=offset)
        for slot in _day_slots(day, opening_periods(desk, day), place, earliest, taken, per_day):
            slots.append(slot)
            if len(slots) >= limit:
                return slots
    return slots


def propose_slots(
    insee_or_position: str | Position,
    now: dt.datetime,
    taken: Iterable[SlotKey] = (),
    n: int = DEFAULT_COUNT,
    *,
    per_day: int = MAX_PER_DAY,
    min_lead: dt.timedelta = MIN_LEAD_TIME,
    calendar: Any = None,
    desks: Any = None,
    communes: Any = None,
) -> list[Slot]:
    """Propose up to `n` visio slots for a person, earliest first, shared between the places.

    Args:
        insee_or_position: the person's commune (INSEE code: its bus visits, else the nearest
            stop; distances from its town hall) or a (lat, lon) position (nearest stop).
        now: an aware datetime (naive = Paris time); injected by tests.
        taken: (place_key, start) pairs already booked (`store.Repository.taken_slots`).
        n: how many slots at most; each place gets at most ceil(n / places) of them.
        per_day: at most this many slots of one place on one day (spread the dates).
        min_lead: no slot starts before now + min_lead.
        calendar, desks, communes: the tour calendar, desk and commune repositories (default:
            the loaded reference files).

    Returns:
        Slots sorted by start (then place), each with its `place`; [] when nothing is free.

    Raises:
        UnknownCommune: the INSEE code is not a commune of the Nord.
    """
    if n <= 0:
        return []
    if calendar is None:
        from actions.tours import get_calendar

        calendar = get_calendar()
    if desks is None:
        from actions.desks import load_desks

        desks = load_desks()

    moment = to_paris(now)
    earliest = moment + min_lead
    taken_set = set(taken)

    if isinstance(insee_or_position, str):
        if communes is None:
            from actions.communes import load_communes

            communes = load_communes()
        commune = communes.get(insee_or_position)
        if commune is None:
            raise UnknownCommune(f"{insee_or_position!r} is not the INSEE code of a Nord commune")
        lat, lon = commune.lat, commune.lon
        served = calendar.is_served(commune.insee)
    else:
        lat, lon = insee_or_position
        commune, served = None, False

    bus_insee: str | None = None
    bus_km: float | None = None
    if served and commune is not None:
        bus_insee, bus_km = commune.insee, 0.0
    else:
        nearest = calendar.nearest_stops(lat, lon, n=1)
        if nearest and nearest[0][1] <= MAX_BUS_DISTANCE_KM:
            bus_insee, bus_km = nearest[0][0].insee, nearest[0][1]
    nearest_desks = desks.nearest_fixed(lat, lon, 1)

    places = int(bus_insee is not None) + int(bool(nearest_desks))
    if places == 0:
        return []
    share = math.ceil(n / places)
    slots: list[Slot] = []
    if bus_insee is not None:
        slots += _bus_slots(
            calendar, bus_insee, bus_km, moment, earliest, taken_set, share, per_day
        )
    if nearest_desks:
        desk, km = nearest_desks[0]
        slots += _desk_slots(desk, round(km, 1), moment, earliest, taken_set, share, per_day)
    slots.sort(key=lambda slot: (slot.start, slot.place_key))
    return slots[:n]


def find_slot(
    key: SlotKey,
    now: dt.datetime,
    taken: Iterable[SlotKey] = (),
    *,
    min_lead: dt.timedelta = MIN_LEAD_TIME,
    calendar: Any = None,
    desks: Any = None,
) -> Slot | None:
    """Check a slot chosen earlier (a button payload) is still bookable; return it or None.

    None when the place is unknown, the time is not on the place's grid that day (hours
    changed, visit cancelled since, public holiday), too soon, or taken.
    """
    place_key_, start = key
    kind, id = split_place_key(place_key_)
    start = to_paris(start)
    earliest = to_paris(now) + min_lead
    taken_set = set(taken)
    if not _free(start, place_key_, earliest, taken_set):
        return None
    day = start.date()
    if kind == KIND_BUS:
        if calendar is None:
            from actions.tours import get_calendar

            calendar = get_calendar()
        for visit in calendar.visits_on(day, include_cancelled=False):
            if visit.tour_id == id and start in set(_grid(day, visit.periods)):
                return Slot(place_key_, start, start + SLOT_LENGTH, _bus_place(visit, None))
        return None
    if desks is None:
        from actions.desks import load_desks

        desks = load_desks()
    desk = desks.get(id)
    if desk is None or desk.kind != "fixed":
        return None
    from actions.desks import opening_periods

    if start in set(_grid(day, opening_periods(desk, day))):
        return Slot(place_key_, start, start + SLOT_LENGTH, _desk_place(desk, None))
    return None


# --------------------------------------------------------------------------------------------
# Operators
# --------------------------------------------------------------------------------------------

DEFAULT_OPERATORS_PATH = REFERENCE_DIR / "operators.yml"
_OPERATOR_KEYS = {"id", "name", "aliases", "source"}
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
MIN_ALIAS_LENGTH = 3


@dataclass(frozen=True)
class Operator:
    """An organisation a citizen can meet by visio (CAF, CPAM, ...).

    Attributes:
        id: stored with the booking ("caf").
        name: the French name the citizen reads.
        aliases: normalised words that name it (`actions.communes.normalize`), id and name
            included.
        source: where the partnership comes from.
    """

    id: str
    name: str
    aliases: tuple[str, ...]
    source: str


class OperatorCatalogue:
    """The operators of `reference/operators.yml`, with free-text matching."""

    def __init__(self, operators: Iterable[Operator]) -> None:
        self._operators = list(operators)
        self._by_id = {op.id: op for op in self._operators}
        # Longest aliases first, so "retraite complementaire" wins over "retraite".
        self._aliases = sorted(
            ((alias, op) for op in self._operators for alias in op.aliases),
            key=lambda pair: (-len(pair[0]), pair[0]),
        )

    def all(self) -> list[Operator]:
        """Every operator, in file order."""
        return list(self._operators)

    def get(self, id: str) -> Operator | None:
        """The operator with this id, or None."""
        return self._by_id.get(id)

    def matches(self, text: str) -> list[Operator]:
        """Every operator named in `text`, in order of appearance.

        Aliases match as whole words, without case or accents. A match inside a longer match
        of another alias is ignored ("retraite complémentaire" is Agirc-Arrco, not CARSAT).
        """
        query = f" {normalize(text or '')} "
        spans: list[tuple[int, int, Operator]] = []
        for alias, op in self._aliases:
            needle = f" {alias} "
            start = query.find(needle)
            while start != -1:
                end = start + len(needle)
                if not any(s <= start and end <= e for s, e, _ in spans):
                    spans.append((start, end, op))
                start = query.find(needle, start + 1)
        spans.sort(key=lambda span: span[0])
        return list(dict.fromkeys(op for _, _, op in spans))

    def match(self, text: str) -> Operator | None:
        """The one operator named in `text`; None when none or several are (ask with buttons)."""
        found = self.matches(text)
        return found[0] if len(found) == 1 else None


def _line_of(seq: Any, index: int) -> int | None:
    lc = getattr(seq, "lc", None)
    try:
        return lc.item(index)[0] + 1 if lc is not None else None
    except (KeyError, TypeError, IndexError):
        return None


def parse_operators(path: Path) -> OperatorCatalogue:
    """Load and validate an operators file (see the header of `reference/operators.yml`).

    Raises:
        DataErrors: every problem found, each a `DataFileError(path, line, reason)`.
    """
    path = Path(path)
    try:
        data = YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    except MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else None
        raise DataErrors([DataFileError(path, line, f"invalid YAML: {exc.problem}")]) from None
    except (YAMLError, OSError) as exc:
        raise DataErrors([DataFileError(path, None, f"cannot be read: {exc}")]) from None
    entries = data.get("operators") if isinstance(data, Mapping) else None
    if not isinstance(entries, list) or not entries:
        raise DataErrors([DataFileError(path, None, "expected a non-empty 'operators:' list")])
    errors: list[DataFileError] = []
    operators: list[Operator] = []
    alias_owner: dict[str, tuple[str, int | None]] = {}
    seen_ids: dict[str, int | None] = {}
    for i, entry in enumerate(entries):
        line = _line_of(entries, i)
        if not isinstance(entry, Mapping):
            errors.append(DataFileError(path, line, "each operator must be a mapping"))
            continue
        unknown = sorted(set(entry) - _OPERATOR_KEYS)
        if unknown:
            errors.append(DataFileError(path, line, f"unknown field(s): {', '.join(unknown)}"))
        missing = [k for k in ("id", "name", "aliases", "source") if not entry.get(k)]
        if missing:
            errors.append(DataFileError(path, line, f"missing field(s): {', '.join(missing)}"))
            continue
        op_id, name, source = str(entry["id"]), str(entry["name"]), str(entry["source"])
        if not _ID_RE.match(op_id):
            errors.append(DataFileError(path, line, f"id {op_id!r}: lowercase letters, _ only"))
            continue
        if op_id in seen_ids:
            reason = f"duplicate id {op_id!r} (first on line {seen_ids[op_id]})"
            errors.append(DataFileError(path, line, reason))
            continue
        seen_ids[op_id] = line
        raw_aliases = entry["aliases"]
        if not isinstance(raw_aliases, list):
            errors.append(DataFileError(path, line, "aliases must be a list"))
            continue
        aliases: list[str] = []
        for raw in [op_id.replace("_", " "), name, *raw_aliases]:
            alias = normalize(str(raw))
            if len(alias.replace(" ", "")) < MIN_ALIAS_LENGTH:
                errors.append(
                    DataFileError(path, line, f"{op_id}: alias {raw!r} is shorter than 3 letters")
                )
                continue
            owner = alias_owner.get(alias)
            if owner is not None and owner[0] != op_id:
                errors.append(
                    DataFileError(
                        path,
                        line,
                        f"{op_id}: alias {raw!r} already names {owner[0]} (line {owner[1]})",
                    )
                )
                continue
            alias_owner[alias] = (op_id, line)
            if alias not in aliases:
                aliases.append(alias)
        operators.append(Operator(op_id, name, tuple(aliases), source))
    if errors:
        raise DataErrors(errors)
    return OperatorCatalogue(operators)


@lru_cache(maxsize=1)
def load_operators() -> OperatorCatalogue:
    """The operators of `reference/operators.yml`, loaded and validated once."""
    return parse_operators(DEFAULT_OPERATORS_PATH)
