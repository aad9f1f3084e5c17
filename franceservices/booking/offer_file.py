"""Reading and validating `reference/visio_offer.yml` (or a version edited in the console).

`parse_offer` checks a tree, `load_offer` a file: every problem of one pass is reported with its
line (`DataErrors`), like the other reference files (the value checkers are tours.yml's). Places
must be the Département's own fixed desks or buses of the tour calendar, organisations ids of
operators.yml. No Rasa import.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from franceservices.booking.offer import (
    DEFAULT_OFFER_PATH,
    HOURS_OPENING,
    KIND_BUS,
    KIND_DESK,
    Absence,
    Closure,
    ExtraSlot,
    Organisation,
    Periods,
    VisioOffer,
    VisioPlace,
)
from franceservices.calendar.tours_fields import (
    TourFieldReader,
    is_map,
    is_seq,
    item_line,
    key_line,
    read_yaml,
)
from franceservices.data_errors import DataErrors, DataFileError
from franceservices.dates.holidays import is_holiday

MAX_BOOTHS = 10
_ROOT_KEYS = {"places", "absences", "extra_slots"}
_PLACE_KEYS = {"place", "booths", "appointment_minutes", "hours", "closed", "organisations"}
_ORG_KEYS = {"operator", "weekdays", "hours"}
_CLOSED_KEYS = {"from", "to", "reason"}
_ABSENCE_KEYS = {"place", "operator", "date", "reason"}
_EXTRA_KEYS = {"place", "operator", "date", "hours", "reason"}


class _OfferReader(TourFieldReader):
    """One pass over the offer's tree, every problem with its line."""

    def __init__(self, path: Path, desks: Any, tour_ids: set[str], operator_ids: set[str]):
        super().__init__(path, communes=None)
        self.desks, self.tour_ids, self.operator_ids = desks, tour_ids, operator_ids

    def read(self, root: Any) -> VisioOffer:
        if root is None:
            root = {}
        if not is_map(root):
            raise DataErrors(
                [DataFileError(self.path, 1, "il faut un dictionnaire avec 'places:'")]
            )
        self.unknown_keys(root, _ROOT_KEYS, "offre visio")
        places = self.seq(root, "places", self.place_entry)
        keys: dict[str, int | None] = {}
        kept = []
        for place, line in places:
            if place.key in keys:
                first = f" (déjà listé ligne {keys[place.key]})" if keys[place.key] else ""
                self.error(line, f"{place.key} est listé deux fois{first}")
                continue
            keys[place.key] = line
            kept.append(place)
        absences = [a for a, _ in self.seq(root, "absences", self.absence_entry, keys)]
        extras = [e for e, _ in self.seq(root, "extra_slots", self.extra_entry, keys)]
        if self.errors:
            self.errors.sort(key=lambda e: e.line or 0)
            raise DataErrors(self.errors)
        return VisioOffer(kept, absences, extras)

    def seq(self, node: Any, key: str, read: Callable, *args: Any) -> list[tuple[Any, int | None]]:
        value = node.get(key)
        if value is None:
            return []
        if not is_seq(value):
            self.error(
                key_line(node, key), f"{key!r} doit être une liste (lignes commençant par '-')"
            )
            return []
        out = []
        for i, item in enumerate(value):
            line = item_line(value, i, key_line(node, key))
            if not is_map(item):
                self.error(
                    line, f"{key} : chaque entrée doit être un dictionnaire (lignes clé: valeur)"
                )
                continue
            built = read(item, line, *args)
            if built is not None:
                out.append((built, line))
        return out

    def place_key(self, node: Any, what: str) -> tuple[str, str, str] | None:
        raw = self.text(node, "place")
        if raw is None:
            return None
        kind, _, ident = raw.partition(":")
        line = key_line(node, "place")
        if kind == KIND_DESK:
            desk = self.desks.get(ident)
            if desk is None or desk.kind != "fixed":
                self.error(
                    line,
                    f"{what} : {raw!r} n'est pas une France services fixe de "
                    "france_services_nord.csv",
                )
                return None
            if not desk.run_by_departement:
                self.error(
                    line,
                    f"{what} : {raw!r} ({desk.name}) n'est pas gérée par le Département : ses "
                    "cabines visio ne sont pas les nôtres",
                )
                return None
        elif kind == KIND_BUS:
            if ident not in self.tour_ids:
                tours = ", ".join(sorted(self.tour_ids))
                self.error(line, f"{what} : {raw!r} n'est pas un bus de tours.yml ({tours})")
                return None
        else:
            self.error(line, f"{what} : {raw!r} doit être 'desk:<id_fs>' ou 'bus:<id de tournée>'")
            return None
        return raw, kind, ident

    def whole(self, node: Any, key: str, low: int, high: int, default: int, what: str) -> int:
        value = node.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.error(
                key_line(node, key), f"{what} : {key} {value!r} doit être entre {low} et {high}"
            )
            return default
        return value

    def operator(self, node: Any, what: str) -> str | None:
        op = self.text(node, "operator")
        if op is not None and op not in self.operator_ids:
            known = ", ".join(sorted(self.operator_ids))
            self.error(key_line(node, "operator"), f"{what} : organisme {op!r} inconnu ({known})")
            return None
        return op

    def place_entry(self, node: Any, line: int | None) -> VisioPlace | None:
        self.unknown_keys(node, _PLACE_KEYS, "lieu")
        found = self.place_key(node, "lieu")
        what = found[0] if found else "lieu"
        booths = self.whole(node, "booths", 1, MAX_BOOTHS, 1, what)
        from franceservices.policy import get_policy

        default = int(get_policy().visio.slot_length.total_seconds() // 60)
        minutes = self.whole(node, "appointment_minutes", 5, 240, default, what)
        hours = self.week_hours(node, what)
        closures = [c for c, _ in self.seq(node, "closed", self.closure_entry, what)]
        orgs = [o for o, _ in self.seq(node, "organisations", self.org_entry, what)]
        if found is None:
            return None
        if found[1] == KIND_BUS and hours is not None:
            self.error(
                key_line(node, "hours"),
                f"{what} : les horaires visio d'un bus sont ceux de ses passages (écrivez "
                "'hours: opening')",
            )
        return VisioPlace(
            found[0],
            found[1],
            found[2],
            booths,
            dt.timedelta(minutes=minutes),
            hours,
            tuple(closures),
            tuple(orgs),
        )

    def week_hours(self, node: Any, what: str) -> dict[int, Periods] | None:
        value = node.get("hours", HOURS_OPENING)
        line = key_line(node, "hours")
        if value == HOURS_OPENING:
            return None
        if not is_map(value):
            periods = '[["HH:MM", "HH:MM"]]'
            self.error(line, f"{what} : hours doit être 'opening' ou jour: {periods}")
            return None
        week: dict[int, Periods] = {}
        for name, periods in value.items():
            day_line = key_line(value, name, line)
            index = self.weekday(name, day_line, f"{what} : horaires")
            parsed = self.periods(periods, day_line, f"{what} : horaires du {name}")
            if index is not None and parsed is not None:
                week[index] = parsed
        return week

    def closure_entry(self, node: Any, line: int | None, what: str) -> Closure | None:
        self.unknown_keys(node, _CLOSED_KEYS, f"{what} : fermeture")
        start = self.date(node, "from", f"{what} : fermeture")
        end = self.date(node, "to", f"{what} : fermeture", required=False) or start
        reason = self.text(node, "reason")
        if start is None or end is None or reason is None:
            return None
        if end < start:
            self.error(
                key_line(node, "to", line), f"{what} : fermeture : 'to' {end} est avant {start}"
            )
            return None
        return Closure(start, end, reason)

    def org_entry(self, node: Any, line: int | None, what: str) -> Organisation | None:
        self.unknown_keys(node, _ORG_KEYS, f"{what} : organisme")
        op = self.operator(node, what)
        who = op or "organisme"
        days = node.get("weekdays")
        weekdays: set[int] = set()
        if not is_seq(days) or not days:
            self.error(
                key_line(node, "weekdays", line),
                f"{what} : {who} : weekdays doit être une liste non vide, par exemple "
                "[mardi, jeudi]",
            )
        else:
            for i, day in enumerate(days):
                index = self.weekday(day, item_line(days, i, line), f"{what} : {who}")
                if index is not None:
                    weekdays.add(index)
        hours = None
        if node.get("hours") is not None:
            hours = self.periods(
                node["hours"], key_line(node, "hours"), f"{what} : {who} : horaires"
            )
            if hours is None:
                return None
        if op is None or not weekdays:
            return None
        return Organisation(op, frozenset(weekdays), hours)

    def dated(self, node: Any, line: int | None, keys: dict, allowed: set[str], what: str):
        self.unknown_keys(node, allowed, what)
        place = self.text(node, "place")
        if place is not None and place not in keys:
            self.error(
                key_line(node, "place", line),
                f"{what} : {place!r} n'est pas un lieu de 'places:' (ajoutez-le d'abord)",
            )
            place = None
        op = self.operator(node, what)
        day = self.date(node, "date", what)
        reason = self.text(node, "reason")
        return place, op, day, reason

    def absence_entry(self, node: Any, line: int | None, keys: dict) -> Absence | None:
        place, op, day, reason = self.dated(node, line, keys, _ABSENCE_KEYS, "absence")
        if None in (place, op, day, reason):
            return None
        return Absence(place, op, day, reason)

    def extra_entry(self, node: Any, line: int | None, keys: dict) -> ExtraSlot | None:
        place, op, day, reason = self.dated(node, line, keys, _EXTRA_KEYS, "créneau exceptionnel")
        hours = self.periods(
            node.get("hours"), key_line(node, "hours", line), "créneau exceptionnel : horaires"
        )
        if None in (place, op, day, reason, hours):
            return None
        if is_holiday(day):
            self.error(
                key_line(node, "date", line), f"créneau exceptionnel : le {day} est un jour férié"
            )
            return None
        return ExtraSlot(place, op, day, hours, reason)


def parse_offer(
    root: Any,
    path: Path | str | None = None,
    *,
    desks: Any = None,
    tour_ids: Iterable[str] | None = None,
    operator_ids: Iterable[str] | None = None,
) -> VisioOffer:
    """Validate an offer tree (the file as read, or a version edited in the console).

    `desks`, `tour_ids`, `operator_ids` default to the reference files'.

    Raises:
        DataErrors: every problem found, each with its line (`path` names the file).
    """
    if desks is None:
        from franceservices.places.desks import load_desks

        desks = load_desks()
    if tour_ids is None:
        from franceservices.calendar.tours import load_tours

        tour_ids = set(load_tours().tours)
    if operator_ids is None:
        from franceservices.booking.operators import load_operators

        operator_ids = {op.id for op in load_operators().all()}
    target = Path(path) if path is not None else DEFAULT_OFFER_PATH
    reader = _OfferReader(target, desks, set(tour_ids), set(operator_ids))
    return reader.read(root)


def read_offer_tree(path: Path | str | None = None) -> Any:
    """The offer file's tree (with lines), to validate or to edit."""
    target = Path(path) if path is not None else DEFAULT_OFFER_PATH
    return read_yaml(target)


def load_offer(path: Path | str | None = None, **known: Any) -> VisioOffer:
    """Read and validate an offer file (default `reference/visio_offer.yml`).

    Raises:
        DataErrors: every problem, each `file:line: reason`.
    """
    target = Path(path) if path is not None else DEFAULT_OFFER_PATH
    return parse_offer(read_yaml(target), target, **known)
