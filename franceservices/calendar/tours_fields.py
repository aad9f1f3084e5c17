"""Reading `reference/tours.yml`'s values: YAML with line numbers, one checker per kind of value.

`TourFieldReader` collects every problem as a `DataFileError(path, line, reason)` instead of
stopping at the first, so staff see all their mistakes at once; each checker returns None (or an
empty value) after recording its error. The sections of the file are read by
`franceservices/calendar/tours.py` (tours, stops) and `tours_exceptions.py` (cancelled, added
visits), both built on this reader. No Rasa import.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from franceservices import yaml_nodes
from franceservices.calendar.model import Period
from franceservices.data_errors import DataErrors, DataFileError
from franceservices.text.french import WEEKDAYS_FR
from franceservices.text.normalize import normalize
from franceservices.yaml_nodes import item_line, key_line

_TIME_RE = re.compile(r"^(\d{2}):(\d{2})$")
_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_INSEE_RE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
_WEEKDAY_BY_NAME = {normalize(name): i for i, name in enumerate(WEEKDAYS_FR)}


class CommuneLike(Protocol):
    insee: str
    name: str
    lat: float
    lon: float


def periods_overlap(a: tuple[Period, ...], b: tuple[Period, ...]) -> bool:
    return any(s1 < e2 and s2 < e1 for s1, e1 in a for s2, e2 in b)


def fmt_time(moment: dt.time) -> str:
    return moment.strftime("%H:%M")


def fmt_periods(periods: Iterable[Period]) -> str:
    return ", ".join(f"{fmt_time(s)}-{fmt_time(e)}" for s, e in periods)


def is_map(node: Any) -> bool:
    return isinstance(node, Mapping)


def is_seq(node: Any) -> bool:
    return isinstance(node, list)


def read_yaml(path: Path) -> Any:
    """The YAML tree of `path` (`yaml_nodes.read_yaml`), with dates kept as text.

    Raises:
        DataErrors: the file cannot be read or is not valid YAML (with the line when known).
    """
    try:
        return yaml_nodes.read_yaml(path, dates_as_text=True)
    except DataFileError as exc:
        raise DataErrors([exc]) from exc


class TourFieldReader:
    """Checkers of the values of one tours.yml, collecting every error in `errors`."""

    def __init__(self, path: Path, communes: Any) -> None:
        self.path = path
        self.communes = communes
        self.errors: list[DataFileError] = []

    def error(self, line: int | None, reason: str) -> None:
        self.errors.append(DataFileError(self.path, line, reason))

    def text(self, node: Any, key: str, required: bool = True) -> str | None:
        """A non-empty string field; records an error and returns None when missing or wrong."""
        if key not in node or node[key] is None or str(node[key]).strip() == "":
            if required:
                self.error(key_line(node, key), f"champ {key!r} manquant")
            return None
        value = node[key]
        if isinstance(value, (Mapping, list, bool)):
            self.error(key_line(node, key), f"{key!r} doit être un texte, pas {value!r}")
            return None
        return str(value).strip()

    def time(self, value: Any, line: int | None, what: str) -> dt.time | None:
        if isinstance(value, int) and not isinstance(value, bool):
            self.error(
                line,
                f'{what} : l\'heure {value!r} doit être écrite entre guillemets "HH:MM", par '
                'exemple "09:30"',
            )
            return None
        if not isinstance(value, str):
            self.error(line, f"{what} : l'heure {value!r} n'est pas un texte \"HH:MM\"")
            return None
        match = _TIME_RE.match(value.strip())
        if match is None:
            hint = ' (sur 24 heures, deux chiffres chacun, par exemple "09:30")'
            self.error(line, f'{what} : heure {value!r} mal écrite, il faut "HH:MM"{hint}')
            return None
        hours, minutes = int(match.group(1)), int(match.group(2))
        if hours > 23 or minutes > 59:
            self.error(line, f"{what} : l'heure {value!r} n'existe pas (de 00:00 à 23:59)")
            return None
        return dt.time(hours, minutes)

    def periods(self, node: Any, line: int | None, what: str) -> tuple[Period, ...] | None:
        """A list of ["HH:MM", "HH:MM"] periods, in order, each ending after it starts."""
        if not is_seq(node) or not node:
            self.error(line, f'{what} : il faut une liste de plages ["HH:MM", "HH:MM"]')
            return None
        result: list[Period] = []
        ok = True
        for i, item in enumerate(node):
            iline = item_line(node, i, line)
            if not is_seq(item) or len(item) != 2:
                self.error(iline, f'{what} : la plage {item!r} doit être ["HH:MM", "HH:MM"]')
                ok = False
                continue
            start = self.time(item[0], iline, what)
            end = self.time(item[1], iline, what)
            if start is None or end is None:
                ok = False
                continue
            if end <= start:
                self.error(
                    iline,
                    f"{what} : la plage {item[0]}-{item[1]} finit avant de commencer",
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
                    f"{what} : les plages {fmt_time(s1)}-{fmt_time(e1)} et "
                    f"{fmt_time(s2)}-{fmt_time(e2)} se chevauchent ou sont dans le désordre",
                )
                return None
        return tuple(result)

    def weekday(self, value: Any, line: int | None, what: str) -> int | None:
        index = _WEEKDAY_BY_NAME.get(normalize(value)) if isinstance(value, str) else None
        if index is None:
            self.error(
                line,
                f"{what} : jour {value!r} inconnu (jours possibles : {', '.join(WEEKDAYS_FR)})",
            )
        return index

    def date(self, node: Any, key: str, what: str, required: bool = True) -> dt.date | None:
        line = key_line(node, key)
        if key not in node or node[key] is None:
            if required:
                self.error(line, f"{what} : champ {key!r} manquant")
            return None
        value = str(node[key]).strip()
        match = _DATE_RE.match(value)
        if match is None:
            self.error(line, f"{what} : date {value!r} mal écrite, il faut AAAA-MM-JJ")
            return None
        try:
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            self.error(line, f"{what} : la date {value} n'existe pas")
            return None

    def unknown_keys(self, node: Any, allowed: set[str], what: str) -> None:
        for key in node:
            if key not in allowed:
                self.error(
                    key_line(node, key),
                    f"{what} : champ {key!r} inconnu (champs possibles : "
                    f"{', '.join(sorted(allowed))})",
                )

    def market_days(self, node: Any, key: str, own_weekday: int | None, what: str) -> set[int]:
        value = node.get(key)
        line = key_line(node, key)
        if value is None or value is False:
            return set()
        if value is True:
            return {own_weekday} if own_weekday is not None else set()
        values = value if is_seq(value) else [value]
        days: set[int] = set()
        for item in values:
            index = self.weekday(item, line, f"{what} : market_day")
            if index is not None:
                days.add(index)
        return days

    def commune(self, node: Any, what: str) -> CommuneLike | None:
        """Resolve `commune` (name) and/or `code_insee`; both must agree when both are given."""
        name = self.text(node, "commune", required=False)
        raw_code = node.get("code_insee")
        line = key_line(node, "code_insee" if "code_insee" in node else "commune")
        if raw_code is None or str(raw_code).strip() == "":
            if name is None:
                self.error(line, f"{what} : champ 'commune' / 'code_insee' manquant")
                return None
            matches = [c for c in self._all_communes() if normalize(c.name) == normalize(name)]
            hint = f" (le code de {matches[0].name} est {matches[0].insee})" if matches else ""
            self.error(line, f"{what} : champ 'code_insee' manquant{hint}")
            return None
        code = str(raw_code).strip()
        commune = self._get_commune(code) if _INSEE_RE.match(code) else None
        if commune is None:
            hint = ""
            if name is not None:
                matches = [c for c in self._all_communes() if normalize(c.name) == normalize(name)]
                if matches:
                    hint = f" ; le code de {matches[0].name} est {matches[0].insee}"
            self.error(
                line,
                f"{what} : code INSEE {code!r} inconnu (pas une commune de "
                f"communes_nord.csv){hint}",
            )
            return None
        if name is not None and normalize(name) != normalize(commune.name):
            self.error(
                line,
                f"{what} : le code_insee {code} est celui de {commune.name!r}, pas de {name!r} "
                "(corrigez le nom ou le code)",
            )
            return None
        return commune

    def _get_commune(self, code: str) -> CommuneLike | None:
        try:
            return self.communes.get(code)
        except KeyError:
            return None

    def _all_communes(self) -> list[CommuneLike]:
        return list(self.communes.all())
