"""The France Services desks of the Nord: where they are, when they are open.

`DeskRepository` loads and validates `reference/france_services_nord.csv` (the ANCT list). Opening
hours are given per weekday as "09:00 - 12:00 / 14:00 - 17:00" (empty = closed; the file has no
Sunday column, so Sunday is closed unless an `h_dimanche` column is added). Every desk is closed
on French public holidays. Times are Paris local time whatever the server's zone.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from franceservices.dates.clock import PARIS, to_paris
from franceservices.dates.holidays import is_holiday
from franceservices.paths import REFERENCE_DIR
from franceservices.places.communes import (
    LAT_RANGE,
    LON_RANGE,
    distance_km,
)
from franceservices.places.reference_csv import load_records

DESKS_FILE = "france_services_nord.csv"

HOURS_COLUMNS = ("h_lundi", "h_mardi", "h_mercredi", "h_jeudi", "h_vendredi", "h_samedi")
"""Weekday columns in weekday order (0 = Monday); an optional `h_dimanche` is read too."""
SUNDAY_COLUMN = "h_dimanche"

_REQUIRED_COLUMNS = (
    "id_fs",
    "nom",
    "type",
    "porteur",
    "adresse",
    "complement_adresse",
    "code_postal",
    "commune",
    "insee_com",
    "latitude",
    "longitude",
    "telephone",
    "mail",
    *HOURS_COLUMNS,
    "prise_rdv",
)
_KINDS = {"fixe": "fixed", "itinérant (bus)": "itinerant"}
_YES_NO = {"oui": True, "non": False}
DEPARTEMENT_OPERATOR = "Département du Nord"
NEXT_OPENING_HORIZON_DAYS = 14

_PERIOD_RE = re.compile(r"^(\d{2}):(\d{2}) - (\d{2}):(\d{2})$")

Periods = tuple[tuple[dt.time, dt.time], ...]


@dataclass(frozen=True)
class Desk:
    """A France Services desk, fixed or itinerant (a bus; its address is its base)."""

    id: str
    name: str
    kind: str  # "fixed" | "itinerant"
    operator: str
    address: str
    postcode: str
    commune: str
    insee: str
    lat: float
    lon: float
    phone: str
    email: str
    hours: dict[int, Periods] = field(hash=False)  # weekday (0 = Monday) -> periods; closed: ()
    appointment: bool
    run_by_departement: bool


def parse_hours(text: str) -> Periods:
    """Parse "09:00 - 12:00 / 14:00 - 17:00" (empty = closed) into ordered periods.

    Raises:
        ValueError: the text is not in that exact format, a time does not exist, a period ends
            before it starts, or periods overlap or are out of order.
    """
    text = text.strip()
    if not text:
        return ()
    periods: list[tuple[dt.time, dt.time]] = []
    for part in text.split(" / "):
        match = _PERIOD_RE.match(part)
        if not match:
            raise ValueError(f"hours {text!r}: expected 'HH:MM - HH:MM' periods joined by ' / '")
        h1, m1, h2, m2 = (int(group) for group in match.groups())
        try:
            start, end = dt.time(h1, m1), dt.time(h2, m2)
        except ValueError:
            raise ValueError(f"hours {text!r}: {part!r} is not a valid time") from None
        if end <= start:
            raise ValueError(f"hours {text!r}: {part!r} ends before it starts")
        if periods and start < periods[-1][1]:
            raise ValueError(f"hours {text!r}: periods overlap or are out of order")
        periods.append((start, end))
    return tuple(periods)


def _parse_desk(row: dict[str, str]) -> Desk:
    desk_id = row["id_fs"]
    if not desk_id:
        raise ValueError("empty id_fs")
    if not row["nom"]:
        raise ValueError("empty name")
    kind = _KINDS.get(row["type"])
    if kind is None:
        raise ValueError(f"type {row['type']!r} is not one of {', '.join(_KINDS)}")
    if not re.match(r"^\d{5}$", row["code_postal"]):
        raise ValueError(f"postcode {row['code_postal']!r} is not 5 digits")
    if not re.match(r"^59\d{3}$", row["insee_com"]):
        raise ValueError(f"INSEE code {row['insee_com']!r} is not 5 characters starting with 59")
    try:
        lat, lon = float(row["latitude"]), float(row["longitude"])
    except ValueError:
        raise ValueError("latitude/longitude is not a number") from None
    if not (LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]):
        raise ValueError(f"position {lat}, {lon} is outside the Nord")
    appointment = _YES_NO.get(row["prise_rdv"].lower())
    if appointment is None:
        raise ValueError(f"prise_rdv {row['prise_rdv']!r} is not Oui or Non")
    hours: dict[int, Periods] = {}
    for weekday, column in enumerate((*HOURS_COLUMNS, SUNDAY_COLUMN)):
        try:
            hours[weekday] = parse_hours(row.get(column, ""))
        except ValueError as exc:
            raise ValueError(f"{column}: {exc}") from None
    address = row["adresse"]
    if row["complement_adresse"]:
        address = f"{row['complement_adresse']}, {address}"
    return Desk(
        id=desk_id,
        name=row["nom"],
        kind=kind,
        operator=row["porteur"],
        address=address,
        postcode=row["code_postal"],
        commune=row["commune"],
        insee=row["insee_com"],
        lat=lat,
        lon=lon,
        phone=row["telephone"],
        email=row["mail"],
        hours=hours,
        appointment=appointment,
        run_by_departement=row["porteur"] == DEPARTEMENT_OPERATOR,
    )


class DeskRepository:
    """The validated France Services desks of the Nord."""

    def __init__(self, desks: list[Desk]) -> None:
        self._desks = list(desks)
        self._by_id = {desk.id: desk for desk in self._desks}

    @classmethod
    def from_csv(cls, path: Path) -> DeskRepository:
        """Load and validate the desks file.

        Raises:
            DataFileError: one problem, with the file, the line and the reason.
            DataErrors: several problems (each a `DataFileError`), all reported in one pass.
        """
        desks = load_records(path, _REQUIRED_COLUMNS, _parse_desk, lambda d: d.id, "id_fs", "desk")
        return cls(desks)

    def all(self) -> list[Desk]:
        """Return every desk, in file order."""
        return list(self._desks)

    def get(self, id: str) -> Desk | None:
        """Return the desk with this ANCT id, or None."""
        return self._by_id.get(id)

    def fixed(self) -> list[Desk]:
        """Return the fixed desks (not the buses)."""
        return [desk for desk in self._desks if desk.kind == "fixed"]

    def nearest_fixed(self, lat: float, lon: float, n: int = 1) -> list[tuple[Desk, float]]:
        """Return the `n` fixed desks nearest to (lat, lon), with the distance in km."""
        ranked = sorted(
            ((desk, distance_km(lat, lon, desk.lat, desk.lon)) for desk in self.fixed()),
            key=lambda pair: (pair[1], pair[0].id),
        )
        return ranked[: max(n, 0)]


@lru_cache(maxsize=1)
def load_desks() -> DeskRepository:
    """Return the desks of `reference/france_services_nord.csv`, loaded and validated once."""
    return DeskRepository.from_csv(REFERENCE_DIR / DESKS_FILE)


def opening_periods(desk: Desk, day: dt.date) -> Periods:
    """Return the desk's opening periods on `day`: () on a public holiday or a closed day."""
    if is_holiday(day):
        return ()
    return desk.hours.get(day.weekday(), ())


def is_open(desk: Desk, now: dt.datetime) -> bool:
    """Tell whether the desk is open at `now` (converted to Paris time; naive = Paris)."""
    local = to_paris(now)
    moment = local.time().replace(tzinfo=None)
    return any(start <= moment < end for start, end in opening_periods(desk, local.date()))


def next_opening(desk: Desk, now: dt.datetime) -> dt.datetime | None:
    """Return when the desk next opens, as an aware Paris datetime.

    `now` itself (in Paris time) when the desk is open; None when it does not open within
    `NEXT_OPENING_HORIZON_DAYS` days (a desk with no hours, or a long holiday closure).
    """
    local = to_paris(now)
    if is_open(desk, local):
        return local
    moment = local.time().replace(tzinfo=None)
    for offset in range(NEXT_OPENING_HORIZON_DAYS + 1):
        day = local.date() + dt.timedelta(days=offset)
        for start, _end in opening_periods(desk, day):
            if offset == 0 and start <= moment:
                continue
            return dt.datetime.combine(day, start, tzinfo=PARIS)
    return None
