"""Tour plan spreadsheets: export, and import checked by tours.yml's validator before applying.

Files are built as the planners' programs build them: .xlsx written by openpyxl and saved to
disk, CSV written by the csv module with `;` and a UTF-8 BOM (a French spreadsheet's "CSV UTF-8")
or with `,`.
"""

from __future__ import annotations

import copy
import csv
import io

import pytest
from openpyxl import Workbook

from franceservices.calendar.changes import read_base
from franceservices.calendar.spreadsheet import (
    COLUMNS,
    SpreadsheetError,
    export_rows,
    plan_import,
    read_table,
    write_csv,
    write_xlsx,
)
from franceservices.calendar.tours import parse_tours
from franceservices.places.communes import load_communes


@pytest.fixture(scope="module")
def communes():
    return load_communes()


@pytest.fixture(scope="module")
def base():
    return read_base()


@pytest.fixture(scope="module")
def rows(base, communes):
    return export_rows(parse_tours(copy.deepcopy(base), communes=communes))


def _xlsx_file(tmp_path, table, name="plan.xlsx"):
    book = Workbook()
    sheet = book.active
    for row in table:
        sheet.append(row)
    target = tmp_path / name
    book.save(target)
    return target.read_bytes()


def _csv_bytes(table, delimiter=";", bom=True):
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter).writerows(table)
    return out.getvalue().encode("utf-8-sig" if bom else "utf-8")


def _plan(table, base, communes):
    return plan_import(table, base, communes=communes)


def test_export_has_one_row_per_stop_with_the_documented_columns(rows, base):
    stops = sum(len(t["stops"]) for t in base["tours"])
    assert rows[0] == [c.header for c in COLUMNS]
    assert len(rows) == stops + 1
    first = base["tours"][0]["stops"][0]
    exported = next(r for r in rows[1:] if r[2] == str(first["code_insee"]))
    assert exported[0] == base["tours"][0]["id"]
    assert exported[3] == str(first["week"]) and exported[4] == first["weekday"]
    assert exported[5] == first["place"]


def test_a_real_xlsx_round_trip_changes_nothing(tmp_path, rows, base, communes):
    data = _xlsx_file(tmp_path, rows)
    plan = _plan(read_table(data, "plan.xlsx"), base, communes)
    assert plan.ok and plan.diff == ()
    # write_xlsx (the console's download) reads back the same
    (tmp_path / "export.xlsx").write_bytes(write_xlsx(rows))
    again = read_table((tmp_path / "export.xlsx").read_bytes(), "export.xlsx")
    assert again == rows


@pytest.mark.parametrize(("delimiter", "bom"), [(";", True), (",", False), (";", False)])
def test_csv_with_semicolon_or_comma_round_trips(rows, base, communes, delimiter, bom):
    table = read_table(_csv_bytes(rows, delimiter, bom), "plan.csv")
    assert table == rows
    plan = _plan(table, base, communes)
    assert plan.ok and plan.diff == ()


def test_write_csv_is_what_a_french_spreadsheet_writes(rows):
    data = write_csv(rows)
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").splitlines()[0] == ";".join(c.header for c in COLUMNS)


def test_headers_in_any_case_and_order_without_accents_and_name_only(tmp_path, base, communes):
    tour = base["tours"][0]
    stop = tour["stops"][0]
    header = ["Lieu", "JOUR", "Semaine", "Commune", "Bus", "Jour de marche"]
    table = [header]
    for s in tour["stops"]:
        table.append([s["place"], s["weekday"], s["week"], s["commune"], tour["id"], ""])
    table[1][0] = "parking de la salle des fêtes"
    plan = _plan(read_table(_xlsx_file(tmp_path, table), "p.xlsx"), base, communes)
    assert plan.ok, plan.errors
    changed = [d for d in plan.diff if d.kind == "changed"]
    assert [(d.insee, d.row) for d in changed] == [(str(stop["code_insee"]), 2)]
    assert changed[0].fields == (("lieu", stop["place"], "parking de la salle des fêtes"),)


def test_diff_names_added_removed_and_changed_stops(rows, base, communes):
    table = [list(r) for r in rows]
    tour = table[1][0]
    removed = table.pop(2)  # a stop of the first bus left out
    # its day goes to a commune not yet on that bus
    table.append(
        [tour, "Avesnes-sur-Helpe", "", removed[3], removed[4], "place du marché", "", "", ""]
    )
    table[1][7] = "officiel"
    plan = _plan(read_table(write_csv(table)), base, communes)
    assert plan.ok, plan.errors
    kinds = {(d.kind, d.insee) for d in plan.diff}
    assert ("removed", removed[2]) in kinds
    assert ("added", "59036") in kinds
    assert ("changed", table[1][2]) in kinds
    confirmed = next(d for d in plan.diff if d.kind == "changed")
    assert confirmed.fields == (("source du jour", "pilote", "officiel"),)
    assert [s["code_insee"] for s in plan.stops_by_tour[tour]][-1] == "59036"
    assert plan.calendar.stops_in("59036")[0].place == "place du marché"
    # the other buses are untouched: only the first is named in the diff
    assert {d.tour for d in plan.diff} == {tour}


def test_nothing_is_applied_to_the_base(rows, base, communes):
    before = copy.deepcopy(base)
    table = [list(r) for r in rows]
    table[1][5] = "ailleurs"
    assert _plan(table, base, communes).ok
    assert base == before


def _errors(table, base, communes):
    plan = _plan(table, base, communes)
    assert not plan.ok and plan.diff == () and plan.data is None
    return [(e.row, e.column, e.reason) for e in plan.errors]


def test_each_kind_of_cell_error_has_its_row_and_column(rows, base, communes):
    table = [list(r) for r in rows]
    table[2][3] = "5"  # week
    table[3][4] = "samedi"  # weekday without hours
    table[4][8] = "9h-12h"  # hours
    table[5][0] = "lune"  # bus
    table[6][2] = "99999"  # unknown code
    table[7][1] = "Lille"  # name and code disagree
    table[8][5] = ""  # place
    errors = _errors(table, base, communes)
    by_cell = {(row, column): reason for row, column, reason in errors}
    assert "la semaine 5 n'est pas 1, 2, 3 ou 4" in by_cell[3, "semaine"]
    assert "n'a pas d'horaires le samedi" in by_cell[4, "jour"]
    assert "illisibles" in by_cell[5, "horaires"]
    assert by_cell[6, "bus"].startswith("bus « lune » inconnu")
    assert "code INSEE '99999' inconnu" in by_cell[7, "code INSEE"]
    assert "pas de 'Lille'" in by_cell[8, "code INSEE"]
    assert "champ 'place' manquant" in by_cell[9, "lieu"]
    assert len(errors) == 7


def test_two_stops_on_one_day_and_a_commune_twice_are_refused(rows, base, communes):
    table = [list(r) for r in rows]
    table[3][3], table[3][4] = table[2][3], table[2][4]
    table.append(list(table[5]))
    errors = _errors(table, base, communes)
    assert any(row == 4 and "(ligne 3)" in reason for row, _, reason in errors)
    dup = len(table)
    assert (
        dup,
        "code INSEE",
        f"la commune {table[5][2]} figure déjà pour le bus {table[5][0]} (ligne 6)",
    ) in errors


def test_header_errors(base, communes):
    errors = _errors(
        [["bus", "commune", "semaine", "lieu", "remarques"], ["avesnois"]], base, communes
    )
    assert (1, "remarques", errors[0][2]) == errors[0] and "inconnue" in errors[0][2]
    assert (1, "jour", "colonne « jour » absente") in errors
    assert _errors([], base, communes) == [(None, None, "le fichier est vide")]
    only_header = [[c.header for c in COLUMNS]]
    assert _errors(only_header, base, communes)[0][2].startswith("aucun arrêt")


def test_a_file_that_is_no_spreadsheet():
    with pytest.raises(SpreadsheetError):
        read_table(b"PK\x03\x04 not really a zip", "plan.xlsx")


def test_a_plan_becomes_calendar_changes_or_says_what_it_cannot_store(rows, base, communes):
    from franceservices.calendar.changes import apply_changes
    from franceservices.calendar.spreadsheet_changes import plan_changes

    table = [list(r) for r in rows]
    a, b = table[1], table[2]
    (a[3], a[4]), (b[3], b[4]) = (b[3], b[4]), (a[3], a[4])  # two stops trade days
    a[7] = b[7] = "officiel"  # a day staff set is a confirmed day
    a[5] = "parking de la salle des fêtes"
    plan = _plan(table, base, communes)
    assert plan.ok, plan.errors
    result = plan_changes(plan, base, communes)
    assert result.ok, result.unsupported
    kinds = sorted(c.kind for c in result.changes)
    assert kinds == ["stop_day", "stop_day", "stop_place"]
    after = apply_changes(base, result.changes, communes).calendar
    moved = {s.insee: s for s in after.tour_communes(a[0])}
    assert (moved[a[2]].week, moved[a[2]].place) == (int(a[3]), "parking de la salle des fêtes")
    assert moved[b[2]].week == int(b[3])

    # a stop removed, one added and a market day: the bus's whole list of stops is replaced
    # (one change, the plan's stops), the other buses keep their fine-grained changes
    table = [list(r) for r in rows]
    table[1][6] = "mardi"
    removed = table.pop(3)
    table.append(
        [a[0], "Avesnes-sur-Helpe", "", removed[3], removed[4], "place du marché", "", "", ""]
    )
    other = next(r for r in table[1:] if r[0] != a[0])
    other[5] = "parking de la gare"
    plan = _plan(table, base, communes)
    assert plan.ok, plan.errors
    result = plan_changes(plan, base, communes)
    assert result.ok, result.unsupported
    by_kind = {c.kind: c for c in result.changes}
    assert sorted(by_kind) == ["replace_stops", "stop_place"]
    assert by_kind["replace_stops"].tour == a[0] and by_kind["stop_place"].tour == other[0]
    after = apply_changes(base, result.changes, communes).calendar
    for tour in (a[0], other[0]):
        assert after.tour_communes(tour) == plan.calendar.tour_communes(tour)
    assert removed[2] not in {s.insee for s in after.tour_communes(a[0])}
    assert after.stops_in("59036")[0].place == "place du marché"


def test_excel_plain_csv_in_windows_1252_is_read(rows, base, communes):
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=";").writerows(rows)
    data = out.getvalue().encode("cp1252")  # Excel's "CSV (séparateur : point-virgule)"
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    table = read_table(data, "plan.csv")
    assert table == rows
    assert _plan(table, base, communes).diff == ()
