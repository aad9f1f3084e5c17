"""A tour plan as a spreadsheet (CSV or XLSX), the planners' format: one row per stop.

Columns (the first row holds their names; order free, case and accents ignored):

    bus             the tour id of tours.yml ("avesnois") or its name          required
    commune         the commune's name as in communes_nord.csv                 required*
    code INSEE      its 5-digit code (both must agree; *one of the two)         optional*
    semaine         1 to 4: the N-th weekday of the month                      required
    jour            lundi to vendredi                                          required
    lieu            where the bus parks, read by citizens                      required
    jour de marché  the commune's market weekday(s): "mardi" or "mardi, vendredi" (may be empty)
    source du jour  "pilote" (empty: the default), "officiel" or "source publique" (tours.yml's
                    day_source: only the last two are told as sure dates)
    horaires        the stop's own hours "09:30-12:00, 13:30-16:00"; empty: its bus's hours

A file gives the whole list of stops of each bus it names: an import replaces those buses' stops
(a stop missing from the file is removed); buses the file does not name are left as they are.
Only "bus", "semaine", "jour", "lieu" and "commune" or "code INSEE" must be there: when the
optional columns are left out, each existing stop keeps its market day, day source and hours
(a column that is there with an empty cell clears the value).
The buses' names, phones and hour profiles, and the one-off exceptions, stay in tours.yml.

`plan_import` reads the rows, lays them over tours.yml's YAML tree and runs the file's own
validator (`tours.parse_tours`) BEFORE anything is applied: the result is either the errors
(row, column, reason) or the differences with the current calendar (stops added, removed,
changed) and the new tree. Rows get synthetic line numbers so every validator message comes back
with its row and column. No Rasa, web framework or database import.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from franceservices.calendar.changes import ChangeError, parse_hours
from franceservices.calendar.engine import TourCalendar
from franceservices.calendar.model import Stop
from franceservices.calendar.spreadsheet_files import (  # noqa: F401 - one import for callers
    SpreadsheetError,
    read_table,
    write_csv,
    write_xlsx,
)
from franceservices.calendar.tours import parse_tours
from franceservices.calendar.tours_fields import fmt_periods
from franceservices.data_errors import DataErrors
from franceservices.text.french import WEEKDAYS_FR
from franceservices.text.normalize import normalize


@dataclass(frozen=True)
class Column:
    """A column of the planners' format: its header, the tours.yml key it fills, if required."""

    header: str
    key: str
    required: bool = False
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column("bus", "tour", True, ("tournee", "tour", "camion")),
    Column("commune", "commune", False, ("nom de la commune",)),
    Column("code INSEE", "code_insee", False, ("insee", "code insee", "code commune")),
    Column("semaine", "week", True, ("n semaine", "numero de semaine", "week")),
    Column("jour", "weekday", True, ("jour de la semaine", "weekday")),
    Column("lieu", "place", True, ("adresse", "lieu de stationnement", "place")),
    Column("jour de marché", "market_day", False, ("marche", "jour du marche", "market day")),
    Column("source du jour", "day_source", False, ("source", "day source")),
    Column("horaires", "hours", False, ("heures",)),
)
_COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
_DAY_SOURCE_WORDS = {
    "pilote": "pilot",
    "pilot": "pilot",
    "prevu": "pilot",
    "officiel": "official",
    "officielle": "official",
    "official": "official",
    "source publique": "public source",
    "public source": "public source",
    "publie": "public source",
}
_DAY_SOURCE_LABELS = {"pilot": "pilote", "official": "officiel", "public source": "source publique"}

# Synthetic line numbers of the rows in the tree handed to the validator: row r, column c is
# line _OFFSET + r * _STRIDE + c (c = 0: the row itself). Far above any line of tours.yml.
_OFFSET = 10_000_000
_STRIDE = 32
_LINE_IN_REASON = re.compile(r"\(ligne (\d+)\)")


@dataclass(frozen=True)
class RowError:
    """A problem of the file: `row` as the spreadsheet numbers it (1 = the header) and the
    column's header, both None when the problem is not one cell's (then `reason` says where)."""

    row: int | None
    column: str | None
    reason: str


@dataclass(frozen=True)
class StopDiff:
    """One stop added, removed or changed (`fields`: (column header, before, after))."""

    kind: str  # "added" | "removed" | "changed"
    tour: str
    insee: str
    commune: str
    row: int | None
    fields: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class ImportPlan:
    """What an import would do: `errors` (then nothing may be applied), else `diff`, the new
    YAML tree (`data`), its validated `calendar`, and the stops of each bus the file names."""

    errors: tuple[RowError, ...]
    diff: tuple[StopDiff, ...] = ()
    data: Any = None
    calendar: TourCalendar | None = None
    stops_by_tour: dict[str, list[dict[str, Any]]] | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


# -- export ----------------------------------------------------------------------------------


def export_rows(calendar: TourCalendar, tours: Iterable[str] | None = None) -> list[list[str]]:
    """The header row then one row per stop, bus by bus, by week then weekday."""
    wanted = set(tours) if tours is not None else None
    rows = [[c.header for c in COLUMNS]]
    for stop in calendar.stops():
        if wanted is not None and stop.tour_id not in wanted:
            continue
        rows.append(
            [
                stop.tour_id,
                stop.commune,
                stop.insee,
                str(stop.week),
                WEEKDAYS_FR[stop.weekday],
                stop.place,
                _market_text(stop),
                _DAY_SOURCE_LABELS.get(stop.day_source, stop.day_source),
                fmt_periods(stop.hours) if stop.hours else "",
            ]
        )
    return rows


# -- import ----------------------------------------------------------------------------------


def plan_import(
    table: Sequence[Sequence[str]],
    base: Any,
    communes: Any = None,
    path: Path | str | None = None,
) -> ImportPlan:
    """Check an uploaded plan against tours.yml's tree `base` (`changes.read_base()`, or the
    tree with the staff's changes applied) and say what it would change.

    Nothing is applied: the caller stores the result (`stops_by_tour`) only when `ok`.
    """
    if communes is None:
        from franceservices.places.communes import load_communes

        communes = load_communes()
    errors: list[RowError] = []
    rows = [list(r) for r in table]
    while rows and not any(c.strip() for c in rows[0]):
        rows.pop(0)
    if not rows:
        return ImportPlan((RowError(None, None, "le fichier est vide"),))
    columns = _read_header(rows[0], errors)
    if errors:
        return ImportPlan(tuple(errors))
    tours = _tour_ids(base)
    current = {
        (str(t.get("id")), str(stop.get("code_insee", "")).strip()): stop
        for t in base.get("tours") or ()
        for stop in t.get("stops") or ()
    }
    stops_by_tour: dict[str, CommentedSeq] = {}
    plain: dict[str, list[dict[str, Any]]] = {}
    seen: dict[tuple[str, str], int] = {}
    for index, cells in enumerate(rows[1:], start=2):
        values = {key: (cells[i].strip() if i < len(cells) else "") for key, i in columns.items()}
        if not any(values.values()):
            continue
        tour = _find_tour(values.get("tour", ""), tours)
        if tour is None:
            given = values.get("tour", "")
            reason = (
                f"bus « {given} » inconnu (bus de tours.yml : {', '.join(tours)})"
                if given
                else "bus manquant"
            )
            errors.append(RowError(index, "bus", reason))
            continue
        node = _stop_node(values, index, communes, errors)
        code = str(node.get("code_insee", ""))
        if code and (tour, code) in seen:
            errors.append(
                RowError(
                    index,
                    "code INSEE" if "code_insee" in columns else "commune",
                    f"la commune {code} figure déjà pour le bus {tour} (ligne {seen[tour, code]})",
                )
            )
            continue
        seen[tour, code] = index
        _keep_absent_columns(node, columns, current.get((tour, code)), index)
        seq = stops_by_tour.setdefault(tour, CommentedSeq())
        seq.append(node)
        seq.lc.add_kv_line_col(len(seq) - 1, [_line(index, 0) - 1, 0])
        plain.setdefault(tour, []).append({k: _plain(v) for k, v in node.items()})
    if not stops_by_tour and not errors:
        errors.append(RowError(None, None, "aucun arrêt dans le fichier (seulement l'en-tête)"))
    root = copy.deepcopy(base)
    for tour_node in root.get("tours") or ():
        tour_id = str(tour_node.get("id"))
        if tour_id in stops_by_tour:
            tour_node["stops"] = stops_by_tour[tour_id]
    try:
        calendar = parse_tours(root, path, communes)
    except DataErrors as exc:
        errors.extend(_row_error(e.line, e.reason) for e in exc.errors)
        calendar = None
    if errors:
        return ImportPlan(tuple(_sorted(errors)))
    assert calendar is not None
    before = parse_tours(copy.deepcopy(base), path, communes)
    rows_of = {(t, c): r for (t, c), r in seen.items()}
    diff = _diff(before, calendar, list(stops_by_tour), rows_of)
    return ImportPlan((), tuple(diff), root, calendar, plain)


def _read_header(header: Sequence[str], errors: list[RowError]) -> dict[str, int]:
    names: dict[str, Column] = {}
    for column in COLUMNS:
        for name in (column.header, *column.aliases):
            names[normalize(name)] = column
    columns: dict[str, int] = {}
    for i, cell in enumerate(header):
        if not cell.strip():
            continue
        column = names.get(normalize(cell))
        if column is None:
            known = ", ".join(f"« {c.header} »" for c in COLUMNS)
            errors.append(RowError(1, cell, f"colonne « {cell} » inconnue (colonnes : {known})"))
        elif column.key in columns:
            errors.append(RowError(1, cell, f"colonne « {column.header} » en double"))
        else:
            columns[column.key] = i
    for column in COLUMNS:
        if column.required and column.key not in columns:
            errors.append(RowError(1, column.header, f"colonne « {column.header} » absente"))
    if "commune" not in columns and "code_insee" not in columns:
        errors.append(RowError(1, "commune", "il faut une colonne « commune » ou « code INSEE »"))
    return columns


def _tour_ids(base: Any) -> list[str]:
    tours = base.get("tours") if isinstance(base, dict) else None
    return [str(t.get("id")) for t in tours or () if isinstance(t, dict)]


def _find_tour(given: str, tours: list[str]) -> str | None:
    key = normalize(given)
    for tour in tours:
        if normalize(tour) == key:
            return tour
    return None


def _stop_node(values: dict[str, str], row: int, communes: Any, errors: list[RowError]) -> Any:
    """The row as tours.yml writes a stop, every key at its synthetic line."""
    node = CommentedMap()
    node._yaml_set_line_col(_line(row, 0) - 1, 0)

    def put(key: str, value: Any) -> None:
        node[key] = value
        line = _line(row, _column_number(key)) - 1
        node.lc.add_kv_line_col(key, [line, 0, line, 0])

    name, code = values.get("commune", ""), values.get("code_insee", "")
    if name:
        put("commune", name)
    if not code and name:
        matches = [c for c in communes.all() if normalize(c.name) == normalize(name)]
        if len(matches) == 1:
            code = matches[0].insee
    if code:
        put("code_insee", code)
    week = values.get("week", "")
    put("week", int(week) if week.isdigit() else (week or None))
    put("weekday", values.get("weekday") or None)
    put("place", values.get("place") or None)
    market = values.get("market_day", "")
    if market:
        days = [d for d in re.split(r"\s*(?:[,;/+]|\bet\b)\s*", market) if d]
        put("market_day", days[0] if len(days) == 1 else days)
    source = values.get("day_source", "")
    if source:
        put("day_source", _DAY_SOURCE_WORDS.get(normalize(source), source))
    hours = values.get("hours", "")
    if hours:
        try:
            put("hours", [list(p) for p in parse_hours(hours)])
        except ChangeError:
            errors.append(
                RowError(
                    row,
                    _COLUMN_BY_KEY["hours"].header,
                    f"horaires « {hours} » illisibles : écrire 09:30-12:00, 13:30-16:00",
                )
            )
    return node


_KEPT_WHEN_ABSENT = ("market_day", "day_source", "hours")


def _keep_absent_columns(node: Any, columns: dict[str, int], old: Any, row: int) -> None:
    """A column left out of the file keeps each existing stop's value (an empty cell clears it)."""
    if old is None:
        return
    for key in _KEPT_WHEN_ABSENT:
        if key not in columns and key in old:
            node[key] = copy.deepcopy(old[key])
            line = _line(row, _column_number(key)) - 1
            node.lc.add_kv_line_col(key, [line, 0, line, 0])


def _column_number(key: str) -> int:
    return 1 + [c.key for c in COLUMNS].index(key)


def _line(row: int, column: int) -> int:
    return _OFFSET + row * _STRIDE + column


def _row_error(line: int | None, reason: str) -> RowError:
    """A validator message, with the row and column its synthetic line stands for."""

    def local(match: re.Match[str]) -> str:
        number = int(match.group(1))
        return f"(ligne {(number - _OFFSET) // _STRIDE})" if number >= _OFFSET else match.group(0)

    reason = _LINE_IN_REASON.sub(local, reason)
    if line is None or line < _OFFSET:
        where = f"tours.yml, ligne {line}" if line is not None else "tours.yml"
        return RowError(None, None, f"refusé par le contrôle du calendrier ({where}) : {reason}")
    row, column = divmod(line - _OFFSET, _STRIDE)
    header = COLUMNS[column - 1].header if 1 <= column <= len(COLUMNS) else None
    return RowError(row, header, f"refusé par le contrôle du calendrier : {reason}")


def _sorted(errors: list[RowError]) -> list[RowError]:
    order = {c.header: i for i, c in enumerate(COLUMNS)}
    return sorted(
        errors,
        key=lambda e: (e.row is None, e.row or 0, order.get(e.column or "", len(order))),
    )


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# -- differences -----------------------------------------------------------------------------


def _diff(
    before: TourCalendar,
    after: TourCalendar,
    tours: list[str],
    rows: dict[tuple[str, str], int],
) -> list[StopDiff]:
    diff: list[StopDiff] = []
    for tour in tours:
        old = {s.insee: s for s in before.tour_communes(tour)}
        new = {s.insee: s for s in after.tour_communes(tour)}
        for insee, stop in new.items():
            row = rows.get((tour, insee))
            if insee not in old:
                diff.append(StopDiff("added", tour, insee, stop.commune, row, _describe(stop)))
                continue
            changed = tuple(
                (header, a, b)
                for (header, a), (_, b) in zip(
                    _describe_pairs(old[insee]), _describe_pairs(stop), strict=True
                )
                if a != b
            )
            if changed:
                diff.append(StopDiff("changed", tour, insee, stop.commune, row, changed))
        for insee, stop in old.items():
            if insee not in new:
                before_fields = tuple((h, v, "") for h, _, v in _describe(stop))
                diff.append(StopDiff("removed", tour, insee, stop.commune, None, before_fields))
    return diff


def _describe_pairs(stop: Stop) -> list[tuple[str, str]]:
    return [
        ("semaine", str(stop.week)),
        ("jour", WEEKDAYS_FR[stop.weekday]),
        ("lieu", stop.place),
        ("jour de marché", _market_text(stop)),
        ("source du jour", _DAY_SOURCE_LABELS.get(stop.day_source, stop.day_source)),
        ("horaires", fmt_periods(stop.hours) if stop.hours else "horaires du bus"),
    ]


def _describe(stop: Stop) -> tuple[tuple[str, str, str], ...]:
    return tuple((header, "", value) for header, value in _describe_pairs(stop))


def _market_text(stop: Stop) -> str:
    return ", ".join(WEEKDAYS_FR[d] for d in sorted(stop.market_weekdays))
