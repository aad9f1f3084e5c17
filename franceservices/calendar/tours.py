"""The tour calendar file: load and validate `reference/tours.yml` into a `TourCalendar`.

Staff maintain `reference/tours.yml` by hand (its header documents the format and the rules). This
module refuses a bad file with every problem found, each with its line number (`DataErrors`), and
otherwise builds the `TourCalendar` (`franceservices/calendar/engine.py`) that answers "when does
a bus come to my commune?". `get_calendar()` is the cached, reloaded-on-save calendar the Action
layer uses. The values are checked by `tours_fields.py`, the exceptions by `tours_exceptions.py`;
the data classes are in `model.py`. No Rasa import.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from franceservices.calendar.engine import TourCalendar
from franceservices.calendar.model import (
    MAX_WEEK,
    AddedVisit,
    Cancellation,
    HourProfile,
    Period,
    Stop,
    Tour,
)
from franceservices.calendar.tours_exceptions import ExceptionsReader
from franceservices.calendar.tours_fields import is_map, is_seq, item_line, key_line, read_yaml
from franceservices.data_errors import DataErrors, DataFileError
from franceservices.live_file import LiveFile
from franceservices.paths import REFERENCE_DIR
from franceservices.text.french import WEEKDAYS_FR

DEFAULT_TOURS_PATH = REFERENCE_DIR / "tours.yml"

logger = logging.getLogger(__name__)

_TOUR_ID_RE = re.compile(r"^[a-z][a-z0-9_-]*$")
_DAY_SOURCES = ("pilot", "public source", "official")
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


class _TourLoader(ExceptionsReader):
    """One validation pass over tours.yml, collecting every error before giving up."""

    def __init__(self, path: Path, communes: Any) -> None:
        super().__init__(path, communes)
        self.profiles: dict[str, HourProfile] = {}
        self.tours: dict[str, Tour] = {}
        self.broken_tours: set[str] = set()

    def load(self) -> TourCalendar:
        return self.load_root(read_yaml(self.path))

    def load_root(self, root: Any) -> TourCalendar:
        if not is_map(root):
            raise DataErrors(
                [
                    DataFileError(
                        self.path, 1, "le fichier doit être un dictionnaire avec 'hours' et 'tours'"
                    )
                ]
            )
        for key in root:
            if key not in _TOP_KEYS:
                self.error(key_line(root, key), f"champ de premier niveau {key!r} inconnu")
        for key in ("hours", "tours"):
            if key not in root:
                self.error(1, f"champ de premier niveau {key!r} manquant")
        if "hours" in root:
            self.load_profiles(root["hours"], key_line(root, "hours"))
        cancellations: list[Cancellation] = []
        additions: list[AddedVisit] = []
        if "tours" in root:
            self.load_tours(root["tours"], key_line(root, "tours"))
        calendar = TourCalendar(self.tours.values())
        if root.get("exceptions") is not None:
            cancellations, additions = self.load_exceptions(
                root["exceptions"], key_line(root, "exceptions"), calendar
            )
        if self.errors:
            self.errors.sort(key=lambda e: e.line or 0)
            raise DataErrors(self.errors)
        return TourCalendar(self.tours.values(), cancellations, additions)

    def load_profiles(self, node: Any, line: int | None) -> None:
        if not is_map(node) or not node:
            self.error(
                line, "'hours' doit associer à chaque nom de profil les horaires de chaque jour"
            )
            return
        for name, days in node.items():
            what = f"profil d'horaires {name!r}"
            pline = key_line(node, name)
            if not is_map(days):
                self.error(pline, f"{what} : il faut des entrées jour: [[début, fin], ...]")
                continue
            by_day: dict[int, tuple[Period, ...]] = {}
            extras: dict[str, dt.time | None] = {}
            for key, value in days.items():
                kline = key_line(days, key)
                if key in _PROFILE_EXTRA_KEYS:
                    extras[key] = self.time(value, kline, f"{what} : {key}")
                    continue
                index = self.weekday(key, kline, what)
                if index is None:
                    continue
                if index in by_day:
                    self.error(kline, f"{what} : {key} est donné deux fois")
                    continue
                periods = self.periods(value, kline, f"{what} : {key}")
                if periods is not None:
                    by_day[index] = periods
            until = extras.get("market_day_morning_until")
            after = extras.get("market_day_afternoon_from")
            if until is not None and after is not None and after < until:
                self.error(
                    key_line(days, "market_day_afternoon_from"),
                    f"{what} : market_day_afternoon_from ne peut pas être avant "
                    "market_day_morning_until",
                )
            self.profiles[str(name)] = HourProfile(str(name), by_day, until, after)

    def load_tours(self, node: Any, line: int | None) -> None:
        if not is_seq(node) or not node:
            self.error(line, "'tours' doit être une liste de tournées")
            return
        seen_ids: dict[str, int | None] = {}
        for i, tnode in enumerate(node):
            tline = item_line(node, i, line)
            if not is_map(tnode):
                self.error(tline, "chaque tournée doit être un dictionnaire (id, name, stops, ...)")
                continue
            tour_id = self.text(tnode, "id", required=False)
            what = f"tournée {tour_id!r}" if tour_id else f"tournée n° {i + 1}"
            self.unknown_keys(tnode, _TOUR_KEYS, what)
            for key in _TOUR_REQUIRED:
                if key not in tnode or tnode[key] is None:
                    self.error(key_line(tnode, key, tline), f"{what} : champ {key!r} manquant")
            if tour_id is not None:
                if not _TOUR_ID_RE.match(tour_id):
                    self.error(
                        key_line(tnode, "id"),
                        f"{what} : l'id ne peut contenir que des minuscules, des chiffres, '-' ou "
                        "'_'",
                    )
                if tour_id in seen_ids:
                    self.error(
                        key_line(tnode, "id"),
                        f"id de tournée {tour_id!r} en double (déjà utilisé ligne "
                        f"{seen_ids[tour_id]})",
                    )
                    tour_id = None
                else:
                    seen_ids[tour_id] = key_line(tnode, "id")
            profile_name = tnode.get("hours")
            profile = None
            if profile_name is not None:
                profile = self.profiles.get(str(profile_name))
                if profile is None:
                    self.error(
                        key_line(tnode, "hours"),
                        f"{what} : profil d'horaires {profile_name!r} inconnu "
                        f"(profils définis : {', '.join(self.profiles) or 'aucun'})",
                    )
            since = self.date(tnode, "since", what, required=False)
            texts = {k: self.text(tnode, k, required=False) for k in _TOUR_KEYS - {"stops"}}
            stops = self.load_stops(
                tnode.get("stops"), key_line(tnode, "stops", tline), tour_id, profile, what
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
        if not is_seq(node) or not node:
            self.error(line, f"{tour_what} : 'stops' doit être une liste non vide")
            return None
        stops: list[Stop] = []
        slots: dict[tuple[int, int], tuple[str, int | None]] = {}
        for i, snode in enumerate(node):
            sline = item_line(node, i, line)
            if not is_map(snode):
                self.error(sline, f"{tour_what} : chaque arrêt doit être un dictionnaire")
                continue
            label = snode.get("commune") or snode.get("code_insee") or f"n° {i + 1}"
            what = f"{tour_what}, arrêt {label}"
            self.unknown_keys(snode, _STOP_KEYS, what)
            # commune/code_insee are reported by self.commune(), with a hint.
            missing = [k for k in _STOP_REQUIRED if k not in snode or snode[k] is None]
            for key in missing:
                if key not in ("commune", "code_insee"):
                    self.error(key_line(snode, key, sline), f"{what} : champ {key!r} manquant")
            commune = self.commune(snode, what)
            week = snode.get("week")
            week_ok = isinstance(week, int) and not isinstance(week, bool) and 1 <= week <= MAX_WEEK
            if week is not None and not week_ok:
                self.error(
                    key_line(snode, "week"),
                    f"{what} : la semaine {week!r} n'est pas 1, 2, 3 ou 4 (le N-ième jour du mois "
                    "; "
                    "un 5e jour n'existe pas tous les mois)",
                )
            weekday = None
            if snode.get("weekday") is not None:
                weekday = self.weekday(snode["weekday"], key_line(snode, "weekday"), what)
            hours = None
            usable = True  # False when an error above makes the stop unusable
            if snode.get("hours") is not None:
                hours = self.periods(snode["hours"], key_line(snode, "hours"), f"{what} : horaires")
                usable = hours is not None
            elif weekday is not None and profile is not None and not profile.days.get(weekday):
                self.error(
                    key_line(snode, "weekday"),
                    f"{what} : le profil d'horaires {profile.name!r} n'a pas d'horaires le "
                    f"{WEEKDAYS_FR[weekday]}",
                )
                usable = False
            day_source = snode.get("day_source", "pilot")
            if day_source not in _DAY_SOURCES:
                self.error(
                    key_line(snode, "day_source"),
                    f"{what} : day_source doit être "
                    f"{', '.join(repr(v) for v in _DAY_SOURCES)}, pas {day_source!r}",
                )
            market = self.market_days(snode, "market_day", weekday, what)
            place = self.text(snode, "place", required=False)
            if weekday is not None and week_ok:
                slot = (week, weekday)
                if slot in slots:
                    other, other_line = slots[slot]
                    self.error(
                        sline,
                        f"{what} : le bus s'arrête déjà à {other} (ligne {other_line}) le "
                        f"{WEEKDAYS_FR[weekday]} de la semaine {week} ; un bus ne peut pas être "
                        "dans deux communes à la fois",
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
        from franceservices.places.communes import load_communes

        communes = load_communes()
    return _TourLoader(Path(path) if path is not None else DEFAULT_TOURS_PATH, communes).load()


def parse_tours(root: Any, path: Path | str | None = None, communes: Any = None) -> TourCalendar:
    """Validate an in-memory tours tree (as `read_yaml` returns it, possibly changed) with the
    same checks and messages as `load_tours`; `path` only names the file in the errors.

    Raises:
        DataErrors: every problem found.
    """
    if communes is None:
        from franceservices.places.communes import load_communes

        communes = load_communes()
    target = Path(path) if path is not None else DEFAULT_TOURS_PATH
    return _TourLoader(target, communes).load_root(root)


CalendarOverlay = Callable[[Path, TourCalendar], TourCalendar]
_overlay: CalendarOverlay | None = None


def set_calendar_overlay(overlay: CalendarOverlay | None) -> None:
    """Install (or remove, with None) what `get_calendar` lays over the file's calendar.

    The core never reads the database: an adapter (`store/calendar_overlay.py`, installed by the
    action server at start) gives the calendar with the staff's changes made in the console.
    It is called with the file's path and its validated calendar and returns the one to use.
    """
    global _overlay
    _overlay = overlay


_FILE: LiveFile[TourCalendar] = LiveFile(lambda path: load_tours(path), "calendar")


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
    calendar = _FILE.get(target)
    return _overlay(target, calendar) if _overlay is not None else calendar
