"""Staff's changes to the tour calendar, laid over `reference/tours.yml` and validated like it.

`tours.yml` stays the base the Département ships; the staff console stores each change (cancel a
visit or a bus's whole day, add a catch-up visit, change a stop's place, hours or day, confirm a
stop's day, replace a bus's whole list of stops) and the calendar the assistant tells is the base
with every change applied in order. A change is applied to the file's YAML tree, as a person would
have edited the file, and the result goes through the file's own validator (`tours.parse_tours`): a
change that would make the file invalid is refused with the validator's message, so the console, the
spreadsheet import and a hand edit obey one set of rules.

    base = read_base()                        # the YAML tree of tours.yml
    result = apply_changes(base, [CancelVisit("avesnois", "59601", day, "panne du bus")])
    result.calendar.next_visits(...)          # a TourCalendar

`overlay` is the lenient form for a calendar that must always answer (the assistant): a stored
change that no longer fits the base (the Département shipped a new plan) is left out and
reported, the others still apply. No Rasa, web framework or database import.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

from franceservices.calendar.engine import TourCalendar
from franceservices.calendar.model import MAX_WEEK
from franceservices.calendar.tours import DEFAULT_TOURS_PATH, parse_tours
from franceservices.calendar.tours_fields import read_yaml
from franceservices.data_errors import DataErrors
from franceservices.text.french import WEEKDAYS_FR

CONFIRMED_SOURCE = "official"
"""The `day_source` a stop gets when staff confirm its day (the Département's own calendar)."""

_TIME_RE = re.compile(r"^\d{2}:\d{2}$")
Hours = tuple[tuple[str, str], ...]


class ChangeError(ValueError):
    """A change that cannot even be applied (malformed, or naming a stop that does not exist)."""


class ChangeRefused(ValueError):
    """A change the calendar's validator refuses; `reasons` are its messages."""

    def __init__(self, change: Change, reasons: Sequence[str], index: int | None = None) -> None:
        self.change = change
        self.reasons = tuple(reasons)
        self.index = index
        super().__init__("; ".join(self.reasons))


# -- the changes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """Base of the changes: `kind` names it in the store, `payload()` is its JSON form."""

    kind: ClassVar[str] = ""
    tour: str

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for spec in fields(self):
            name, value = spec.name, getattr(self, spec.name)
            if isinstance(value, dt.date):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = [list(item) for item in value]
            data[name] = value
        return data

    def apply(self, root: Any) -> None:  # pragma: no cover - every subclass defines it
        raise NotImplementedError


@dataclass(frozen=True)
class CancelVisit(Change):
    """One regular visit of a bus (its stop in commune `insee` on `date`) will not happen."""

    kind: ClassVar[str] = "cancel_visit"
    insee: str
    date: dt.date
    reason: str

    def apply(self, root: Any) -> None:
        _exceptions(root, "cancelled").append(
            {
                "tour": self.tour,
                "code_insee": self.insee,
                "date": self.date.isoformat(),
                "reason": self.reason,
            }
        )


@dataclass(frozen=True)
class CancelDay(Change):
    """Every visit of a bus on `date` (the bus broke down, a strike)."""

    kind: ClassVar[str] = "cancel_day"
    date: dt.date
    reason: str

    def apply(self, root: Any) -> None:
        _exceptions(root, "cancelled").append(
            {"tour": self.tour, "date": self.date.isoformat(), "reason": self.reason}
        )


@dataclass(frozen=True)
class AddVisit(Change):
    """An extra visit (a catch-up day): `hours` None means the bus's hours of that weekday."""

    kind: ClassVar[str] = "add_visit"
    insee: str
    date: dt.date
    place: str
    reason: str
    hours: Hours | None = None

    def apply(self, root: Any) -> None:
        entry: dict[str, Any] = {
            "tour": self.tour,
            "code_insee": self.insee,
            "date": self.date.isoformat(),
            "reason": self.reason,
        }
        if self.place:
            entry["place"] = self.place
        if self.hours is not None:
            entry["hours"] = [list(period) for period in self.hours]
        _exceptions(root, "added").append(entry)


@dataclass(frozen=True)
class SetStopPlace(Change):
    """Where the bus parks in a commune, from now on."""

    kind: ClassVar[str] = "stop_place"
    insee: str
    place: str

    def apply(self, root: Any) -> None:
        _stop(root, self.tour, self.insee)["place"] = self.place


@dataclass(frozen=True)
class SetStopHours(Change):
    """A stop's own hours, or back to its bus's hours profile when `hours` is None."""

    kind: ClassVar[str] = "stop_hours"
    insee: str
    hours: Hours | None = None

    def apply(self, root: Any) -> None:
        stop = _stop(root, self.tour, self.insee)
        if self.hours is None:
            stop.pop("hours", None)
        else:
            stop["hours"] = [list(period) for period in self.hours]


@dataclass(frozen=True)
class SetStopDay(Change):
    """A stop's day: the `week`-th `weekday` (0 = Monday) of each month.

    With `swap`, the stop of the same bus on that day takes this stop's old day (a bus fills
    every day of its month, so a new day is usually another stop's).
    """

    kind: ClassVar[str] = "stop_day"
    insee: str
    week: int
    weekday: int
    swap: bool = False

    def apply(self, root: Any) -> None:
        stop = _stop(root, self.tour, self.insee)
        new_day = WEEKDAYS_FR[self.weekday]
        if self.swap:
            for other in _tour(root, self.tour).get("stops") or ():
                same = other.get("week") == self.week and other.get("weekday") == new_day
                if same and other is not stop:
                    other["week"], other["weekday"] = stop.get("week"), stop.get("weekday")
        stop["week"], stop["weekday"] = self.week, new_day
        # A day staff move is a day they set: as sure as the one it replaces is not.
        stop["day_source"] = CONFIRMED_SOURCE


@dataclass(frozen=True)
class ConfirmStopDay(Change):
    """The stop's day is sure: citizens are told it as a date, not "à confirmer"."""

    kind: ClassVar[str] = "confirm_day"
    insee: str

    def apply(self, root: Any) -> None:
        _stop(root, self.tour, self.insee)["day_source"] = CONFIRMED_SOURCE


StopEntry = tuple[tuple[str, Any], ...]
"""One stop as tours.yml writes it (`commune`, `code_insee`, `week`, ...), frozen: lists are
tuples, so a change stays hashable like the others."""


@dataclass(frozen=True)
class ReplaceStops(Change):
    """The whole list of a bus's stops, as tours.yml writes them (a stop added, removed, moved,
    its market day or day source changed): what a spreadsheet import gives for one bus.

    Only the shape is checked here; the stops themselves go through the file's validator.
    """

    kind: ClassVar[str] = "replace_stops"
    stops: tuple[StopEntry, ...]

    @classmethod
    def of(cls, tour: str, stops: Iterable[Mapping[str, Any]]) -> ReplaceStops:
        return cls(tour, tuple(_freeze_stop(stop, cls.kind) for stop in stops))

    def stop_list(self) -> list[dict[str, Any]]:
        return [{key: _thaw(value) for key, value in stop} for stop in self.stops]

    def payload(self) -> dict[str, Any]:
        return {"tour": self.tour, "stops": self.stop_list()}

    def apply(self, root: Any) -> None:
        _tour(root, self.tour)["stops"] = self.stop_list()


def _freeze_stop(stop: Any, what: str) -> StopEntry:
    if not isinstance(stop, Mapping) or not all(isinstance(k, str) for k in stop):
        raise ChangeError(
            f"{what} : chaque arrêt doit être un dictionnaire de champs de tours.yml, pas {stop!r}"
        )
    return tuple((key, _freeze(value, what)) for key, value in stop.items())


def _freeze(value: Any, what: str) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(item, what) for item in value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise ChangeError(f"{what} : {value!r} n'est pas une valeur de tours.yml")


def _thaw(value: Any) -> Any:
    return [_thaw(item) for item in value] if isinstance(value, tuple) else value


KINDS: dict[str, type[Change]] = {
    cls.kind: cls
    for cls in (
        CancelVisit,
        CancelDay,
        AddVisit,
        SetStopPlace,
        SetStopHours,
        SetStopDay,
        ConfirmStopDay,
        ReplaceStops,
    )
}


def change_from_payload(kind: str, payload: Mapping[str, Any]) -> Change:
    """Rebuild a change from its stored form (`kind`, `Change.payload()`).

    Raises:
        ChangeError: unknown kind, missing or malformed field.
    """
    cls = KINDS.get(kind)
    if cls is None:
        raise ChangeError(f"type de modification {kind!r} inconnu (types : {', '.join(KINDS)})")
    values: dict[str, Any] = {}
    names = [spec.name for spec in fields(cls)]
    for spec in fields(cls):
        name = spec.name
        if name not in payload:
            if spec.default is MISSING:
                raise ChangeError(f"{kind} : champ {name!r} manquant")
            continue
        values[name] = _field_value(kind, name, payload[name])
    extra = set(payload) - set(names)
    if extra:
        raise ChangeError(f"{kind} : champ(s) inconnu(s) {', '.join(sorted(extra))}")
    return cls(**values)


def _field_value(kind: str, name: str, value: Any) -> Any:
    what = f"{kind} : {name}"
    if name == "date":
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError as exc:
            raise ChangeError(f"{what} : date {value!r} mal écrite, il faut AAAA-MM-JJ") from exc
    if name == "hours":
        return None if value is None else parse_hours(value, what)
    if name == "week":
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_WEEK:
            raise ChangeError(f"{what} : la semaine {value!r} n'est pas 1, 2, 3 ou 4")
        return value
    if name == "weekday":
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 4:
            raise ChangeError(f"{what} : le jour {value!r} n'est pas de 0 (lundi) à 4 (vendredi)")
        return value
    if name == "swap":
        return bool(value)
    if name == "stops":
        if not isinstance(value, list) or not value:
            raise ChangeError(f"{what} : il faut une liste d'arrêts non vide")
        return tuple(_freeze_stop(stop, what) for stop in value)
    if name == "place" and kind == AddVisit.kind and isinstance(value, str):
        return value.strip()  # empty: the stop's own place (the validator requires one otherwise)
    if not isinstance(value, str) or not value.strip():
        raise ChangeError(f"{what} : il faut un texte non vide")
    return value.strip()


def parse_hours(value: Any, what: str = "horaires") -> Hours:
    """Periods as [["HH:MM", "HH:MM"], ...] (or "09:00-12:00, 14:00-16:00" typed in a form).

    Only the shape is checked here; the calendar's validator checks the times themselves.
    """
    if isinstance(value, str):
        parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
        value = [[t.strip() for t in re.split(r"\s*[-–à]\s*", p, maxsplit=1)] for p in parts]
    periods: list[tuple[str, str]] = []
    if isinstance(value, (list, tuple)):
        for item in value:
            if (
                isinstance(item, (list, tuple))
                and len(item) == 2
                and all(isinstance(t, str) and _TIME_RE.match(t) for t in item)
            ):
                periods.append((item[0], item[1]))
                continue
            raise ChangeError(
                f'{what} : {item!r} n\'est pas une plage "HH:MM-HH:MM", par exemple 09:30-12:00'
            )
    if not periods:
        raise ChangeError(f'{what} : donnez au moins une plage "HH:MM-HH:MM"')
    return tuple(periods)


# -- applying them -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Applied:
    """The base with the changes applied: the YAML tree (`data`), its validated calendar, and
    the changes left out (`refused`, by `overlay` only) with the validator's reasons."""

    data: Any
    calendar: TourCalendar
    applied: tuple[Change, ...]
    refused: tuple[ChangeRefused, ...] = field(default=())


def read_base(path: Path | str | None = None) -> Any:
    """The YAML tree of the tour file (default `reference/tours.yml`), with its line numbers.

    Raises:
        DataErrors: the file cannot be read or is not YAML.
    """
    return read_yaml(Path(path) if path is not None else DEFAULT_TOURS_PATH)


def apply_changes(
    base: Any,
    changes: Iterable[Change],
    communes: Any = None,
    path: Path | str | None = None,
) -> Applied:
    """Apply `changes` in order to a copy of `base` and validate the result as `tours.yml` is.

    Args:
        base: the tour file's YAML tree (`read_base()`); left unchanged.
        changes: applied in this order (a later change sees the earlier ones).
        communes: the `CommuneRepository` the validator checks codes against (default: the Nord's).
        path: the file named in the validator's messages (default `reference/tours.yml`).

    Raises:
        ChangeRefused: the first change that makes the calendar invalid, with the messages.
        ChangeError: a change that names a tour or stop the calendar does not have.
        DataErrors: the base itself is invalid.
    """
    changes = list(changes)
    result = _try(base, changes, communes, path)
    if isinstance(result, Applied):
        return result
    # Find which change broke it: the longest valid prefix, then the next change is refused.
    parse_tours(copy.deepcopy(base), path, communes)  # DataErrors when the base is invalid
    for index in range(len(changes)):
        prefix = _try(base, changes[: index + 1], communes, path)
        if not isinstance(prefix, Applied):
            raise ChangeRefused(changes[index], prefix, index)
    raise AssertionError("unreachable: the whole list failed but every prefix passed")


def overlay(
    base: Any,
    changes: Iterable[Change],
    communes: Any = None,
    path: Path | str | None = None,
) -> Applied:
    """Apply every change that the calendar accepts, in order, and leave out the others.

    The assistant's calendar must always answer: a stored change the base no longer allows
    (a new plan shipped in tours.yml) is reported in `refused`, the rest still applies.

    Raises:
        DataErrors: the base itself is invalid.
    """
    changes = list(changes)
    result = _try(base, changes, communes, path)
    if isinstance(result, Applied):
        return result
    kept: list[Change] = []
    refused: list[ChangeRefused] = []
    current = _try(base, [], communes, path)  # DataErrors when the base is invalid
    assert isinstance(current, Applied)
    for index, change in enumerate(changes):
        trial = _try(base, [*kept, change], communes, path)
        if isinstance(trial, Applied):
            kept.append(change)
            current = trial
        else:
            refused.append(ChangeRefused(change, trial, index))
    return Applied(current.data, current.calendar, tuple(kept), tuple(refused))


def _try(base: Any, changes: list[Change], communes: Any, path: Any) -> Applied | list[str]:
    """The result, or the reasons it is refused (a change that cannot apply gives its error)."""
    root = copy.deepcopy(base)
    try:
        for change in changes:
            change.apply(root)
    except ChangeError as exc:
        if not changes:
            raise
        return [str(exc)]
    try:
        calendar = parse_tours(root, path, communes)
    except DataErrors as exc:
        if not changes:
            raise
        return [e.reason for e in exc.errors]
    return Applied(root, calendar, tuple(changes))


def _exceptions(root: Any, key: str) -> list[Any]:
    if not isinstance(root, dict):
        raise ChangeError("le fichier des tournées n'est pas un dictionnaire")
    section = root.get("exceptions")
    if section is None:
        section = root["exceptions"] = {}
    if not isinstance(section, dict):
        raise ChangeError("'exceptions' doit contenir des listes 'cancelled' et/ou 'added'")
    entries = section.get(key)
    if entries is None:
        entries = section[key] = []
    if not isinstance(entries, list):
        raise ChangeError(f"exceptions.{key} doit être une liste")
    return entries


def _tour(root: Any, tour_id: str) -> Any:
    for tour in (root.get("tours") if isinstance(root, dict) else None) or ():
        if isinstance(tour, dict) and str(tour.get("id")) == tour_id:
            return tour
    raise ChangeError(f"tournée {tour_id!r} inconnue")


def _stop(root: Any, tour_id: str, insee: str) -> Any:
    for stop in _tour(root, tour_id).get("stops") or ():
        if isinstance(stop, dict) and str(stop.get("code_insee", "")).strip() == insee:
            return stop
    raise ChangeError(f"la commune {insee} n'est pas un arrêt de la tournée {tour_id}")
