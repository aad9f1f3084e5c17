"""The communes of the Nord and the rest of France: load and validate the reference files.

`CommuneRepository` loads and validates `reference/communes_nord.csv` (one row a commune, with its
postcodes, town hall position and population); `OutsideFrance` loads `departements.csv` and
`communes_france_hors_nord.csv`, known only to say where a place is. Both refuse a bad file with
every problem and its line. Turning what a person types into a commune is
`places.commune_resolver`'s job.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from franceservices.data_errors import DataFileError
from franceservices.paths import REFERENCE_DIR
from franceservices.places.reference_csv import (
    check_header,
    load_records,
    raise_collected,
    read_reference_csv,
)

COMMUNES_FILE = "communes_nord.csv"
OUTSIDE_FILE = "communes_france_hors_nord.csv"
DEPARTMENTS_FILE = "departements.csv"

NORD_CODE = "59"
# Departments bordering the Nord: homonyms there are preferred, and their names are typo-matched.
NEIGHBOUR_DEPARTMENTS = ("62", "02", "80", "60")

# Generous bounding box of the Nord (its town halls lie in 49.99..51.08 N, 2.10..4.21 E).
LAT_RANGE = (49.90, 51.15)
LON_RANGE = (2.00, 4.30)

_COMMUNE_COLUMNS = (
    "code_insee",
    "nom",
    "codes_postaux",
    "latitude",
    "longitude",
    "population",
    "epci",
    "mairie_adresse",
)

_INSEE_RE = re.compile(r"^59\d{3}$")
_POSTCODE_FORMAT_RE = re.compile(r"^\d{5}$")


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in km, used town hall to town hall."""
    radius = 6371.0088
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * radius * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class Commune:
    """A commune of the Nord, from `reference/communes_nord.csv`."""

    insee: str
    name: str  # official name with its article, e.g. "Le Cateau-Cambrésis"
    postcodes: tuple[str, ...]
    lat: float
    lon: float
    population: int
    epci: str
    townhall_address: str


class CommuneRepository:
    """The validated communes of the Nord, by INSEE code and by postcode."""

    def __init__(self, communes: Iterable[Commune]) -> None:
        self._by_insee = {commune.insee: commune for commune in communes}
        self._by_postcode: dict[str, list[Commune]] = {}
        for commune in self._by_insee.values():
            for postcode in commune.postcodes:
                self._by_postcode.setdefault(postcode, []).append(commune)

    @classmethod
    def from_csv(cls, path: Path) -> CommuneRepository:
        """Load and validate the communes file.

        Raises:
            DataFileError: one problem, with the file, the line and the reason.
            DataErrors: several problems (each a `DataFileError`), all reported in one pass.
        """
        communes = load_records(
            path, _COMMUNE_COLUMNS, _parse_commune, lambda c: c.insee, "INSEE code", "commune"
        )
        return cls(communes)

    def get(self, insee: str) -> Commune | None:
        """Return the commune with this INSEE code, or None."""
        return self._by_insee.get(insee)

    def all(self) -> list[Commune]:
        """Return every commune, in INSEE code order."""
        return sorted(self._by_insee.values(), key=lambda commune: commune.insee)

    def by_postcode(self, postcode: str) -> list[Commune]:
        """Return the communes served by this postcode, most populous first."""
        found = self._by_postcode.get(postcode.strip(), [])
        return sorted(found, key=lambda commune: (-commune.population, commune.insee))

    def nearest(
        self, lat: float, lon: float, candidates: Iterable[Commune], n: int
    ) -> list[tuple[Commune, float]]:
        """Return the `n` candidates closest to (lat, lon), with their distance in km."""
        ranked = sorted(
            ((commune, distance_km(lat, lon, commune.lat, commune.lon)) for commune in candidates),
            key=lambda pair: (pair[1], pair[0].insee),
        )
        return ranked[: max(n, 0)]


def _parse_commune(row: dict[str, str]) -> Commune:
    insee = row["code_insee"]
    if not _INSEE_RE.match(insee):
        raise ValueError(f"INSEE code {insee!r} is not 5 characters starting with 59")
    name = row["nom"]
    if not name:
        raise ValueError("empty commune name")
    postcodes = tuple(code.strip() for code in row["codes_postaux"].split(";") if code.strip())
    if not postcodes:
        raise ValueError("no postcode")
    for code in postcodes:
        if not _POSTCODE_FORMAT_RE.match(code):
            raise ValueError(f"postcode {code!r} is not 5 digits")
    lat = _parse_float(row["latitude"], "latitude")
    lon = _parse_float(row["longitude"], "longitude")
    if not LAT_RANGE[0] <= lat <= LAT_RANGE[1]:
        raise ValueError(f"latitude {lat} is outside the Nord ({LAT_RANGE[0]}..{LAT_RANGE[1]})")
    if not LON_RANGE[0] <= lon <= LON_RANGE[1]:
        raise ValueError(f"longitude {lon} is outside the Nord ({LON_RANGE[0]}..{LON_RANGE[1]})")
    try:
        population = int(row["population"] or "0")
    except ValueError:
        raise ValueError(f"population {row['population']!r} is not a whole number") from None
    if population < 0:
        raise ValueError(f"negative population {population}")
    return Commune(
        insee=insee,
        name=name,
        postcodes=postcodes,
        lat=lat,
        lon=lon,
        population=population,
        epci=row["epci"],
        townhall_address=row["mairie_adresse"],
    )


def _parse_float(value: str, what: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{what} {value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{what} {value!r} is not a number")
    return number


@lru_cache(maxsize=1)
def load_communes() -> CommuneRepository:
    """Return the communes of `reference/communes_nord.csv`, loaded and validated once."""
    return CommuneRepository.from_csv(REFERENCE_DIR / COMMUNES_FILE)


@dataclass(frozen=True)
class OutsidePlace:
    """A commune outside the Nord, known only to say where it is."""

    insee: str
    name: str
    department: str  # department code, e.g. "62"
    population: int


class OutsideFrance:
    """The communes of France outside the Nord, and the department names.

    Either part may be empty (tests, or a deployment without the national file): postcodes
    outside the Nord still name their department as long as `departments` is given.
    """

    def __init__(self, places: Iterable[OutsidePlace], departments: dict[str, str]) -> None:
        self.places = tuple(places)
        self.departments = dict(departments)

    @classmethod
    def from_csv(cls, places_path: Path | None, departments_path: Path) -> OutsideFrance:
        """Load `departements.csv` and, when given, `communes_france_hors_nord.csv`."""
        departments_path = Path(departments_path)
        header, rows = read_reference_csv(departments_path)
        check_header(departments_path, header, ("code", "name"))
        errors: list[DataFileError] = []
        departments: dict[str, str] = {}
        for line, row in rows:
            if "__width__" in row:
                errors.append(DataFileError(departments_path, line, row["__width__"]))
            elif not re.match(r"^(\d{2}|2[AB]|97\d)$", row["code"]) or not row["name"]:
                reason = "bad department code or empty name"
                errors.append(DataFileError(departments_path, line, reason))
            else:
                departments[row["code"]] = row["name"]
        places: list[OutsidePlace] = []
        if places_path is not None:
            places_path = Path(places_path)
            header, rows = read_reference_csv(places_path)
            check_header(places_path, header, ("insee", "name", "departement", "population"))
            for line, row in rows:
                if "__width__" in row:
                    errors.append(DataFileError(places_path, line, row["__width__"]))
                elif row["departement"] not in departments or not row["name"]:
                    reason = "unknown department or empty name"
                    errors.append(DataFileError(places_path, line, reason))
                elif not row["population"].isdigit():
                    errors.append(DataFileError(places_path, line, "population is not a number"))
                else:
                    population = int(row["population"])
                    places.append(
                        OutsidePlace(row["insee"], row["name"], row["departement"], population)
                    )
        raise_collected(errors)
        return cls(places, departments)

    def department_of_postcode(self, postcode: str) -> str | None:
        """Return the department code of a French postcode, or None when it is not French."""
        if postcode.startswith("97"):
            code = postcode[:3]
        elif postcode.startswith("20"):  # Corsica: 200xx-201xx Corse-du-Sud, the rest Haute-Corse
            code = "2A" if postcode[:3] in ("200", "201") else "2B"
        else:
            code = postcode[:2]
        return code if code in self.departments else None


@lru_cache(maxsize=1)
def load_outside() -> OutsideFrance:
    """Return the communes outside the Nord and the department names, loaded once."""
    return OutsideFrance.from_csv(REFERENCE_DIR / OUTSIDE_FILE, REFERENCE_DIR / DEPARTMENTS_FILE)


@lru_cache(maxsize=1)
def load_departments() -> dict[str, str]:
    """Return the department names alone (code -> name), for a resolver without the national
    file of communes."""
    return OutsideFrance.from_csv(None, REFERENCE_DIR / DEPARTMENTS_FILE).departments
