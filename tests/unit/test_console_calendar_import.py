"""The console's tour plan import and export: download, upload, preview, apply, audit, undo."""

from __future__ import annotations

import io
import re

from openpyxl import Workbook, load_workbook

from franceservices.calendar.spreadsheet import COLUMNS, read_table, write_csv
from tests.unit import test_console
from tests.unit.test_console import csrf, login, post
from tests.unit.test_console_calendar import audit_rows, page, stored_rows

env = test_console.env  # the console on a fresh database, agent and admin accounts (a fixture)


def _export(client, fmt="csv", tour="avesnois"):
    response = client.get(f"/calendar/export?tour={tour}&format={fmt}")
    assert response.status_code == 200
    return response


def _upload(client, data: bytes, name: str):
    token = csrf(client, "/calendar/import")
    return client.post(
        "/calendar/import",
        data={"csrf_token": token, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _xlsx(table) -> bytes:
    book = Workbook()
    for row in table:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_logged_out_cannot_export_or_import(env):
    app, engine, _ = env
    client = app.test_client()
    for path in ("/calendar/export", "/calendar/import"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_export_downloads_csv_and_xlsx(env):
    app, engine, _ = env
    client = app.test_client()
    login(client)
    csv_response = _export(client, "csv")
    assert csv_response.headers["Content-Disposition"] == (
        'attachment; filename="tournees-avesnois.csv"'
    )
    rows = read_table(csv_response.data, "x.csv")
    assert rows[0] == [c.header for c in COLUMNS]
    assert {r[0] for r in rows[1:]} == {"avesnois"} and len(rows) == 21
    book = load_workbook(io.BytesIO(_export(client, "xlsx").data))
    assert [c.value for c in book.active[1]] == [c.header for c in COLUMNS]
    assert book.active.max_row == 21
    assert audit_rows(engine, "calendar_export")


def test_an_upload_with_errors_shows_them_and_stores_nothing(env):
    app, engine, _ = env
    client = app.test_client()
    login(client)
    rows = read_table(_export(client).data, "x.csv")
    rows[3][3] = "5"
    html = _upload(client, _xlsx(rows), "plan.xlsx").get_data(as_text=True)
    assert "1 erreur(s) : rien n'est appliqué" in html
    assert re.search(r"<td>4</td><td>semaine</td><td>refusé par le contrôle", html)
    assert "Appliquer" not in html
    assert stored_rows(engine) == []


def test_preview_then_apply_stores_audited_undoable_changes(env):
    app, engine, _ = env
    client = app.test_client()
    login(client)
    rows = read_table(_export(client).data, "x.csv")
    commune = rows[1][1]
    rows[1][5] = "parking de la salle des fêtes"
    html = _upload(client, write_csv(rows), "plan.csv").get_data(as_text=True)
    assert f"Arrêt modifié : {commune}" in html
    assert "parking de la salle des fêtes" in html
    assert "Appliquer ces 1 modification(s)" in html
    assert stored_rows(engine) == []  # the preview applies nothing
    table = re.search(r'name="table" value="([^"]*)"', html).group(1)
    import html as html_lib

    token = csrf(client, "/calendar/import")
    response = client.post(
        "/calendar/import/apply",
        data={
            "csrf_token": token,
            "table": html_lib.unescape(table),
            "filename": "plan.csv",
            "why": "nouveau parking",
        },
    )
    assert response.status_code == 302
    (row,) = stored_rows(engine)
    assert row.kind == "stop_place" and row.created_by == "agent" and row.why == "nouveau parking"
    assert audit_rows(engine, "calendar_import")
    assert audit_rows(engine, "calendar_stop_place")
    assert "parking de la salle des fêtes" in page(
        client, "/calendar/stop?tour=avesnois&insee=" + rows[1][2]
    )
    # the same file again: nothing left to apply
    again = _upload(client, write_csv(rows), "plan.csv").get_data(as_text=True)
    assert "Aucune différence avec le calendrier actuel" in again


def _apply(client, html, why="nouveau plan"):
    import html as html_lib

    table = re.search(r'name="table" value="([^"]*)"', html).group(1)
    token = csrf(client, "/calendar/import")
    return client.post(
        "/calendar/import/apply",
        data={
            "csrf_token": token,
            "table": html_lib.unescape(table),
            "filename": "plan.csv",
            "why": why,
        },
    )


def test_a_plan_that_adds_and_removes_stops_is_applied_audited_and_undoable(env):
    app, engine, _ = env
    client = app.test_client()
    login(client)
    rows = read_table(_export(client).data, "x.csv")
    removed = rows.pop(2)
    rows.append(
        ["avesnois", "Avesnes-sur-Helpe", "", removed[3], removed[4], "place du marché", "", "", ""]
    )
    rows[1][5] = "ailleurs"
    html = _upload(client, write_csv(rows), "plan.csv").get_data(as_text=True)
    assert f"Arrêt retiré : {removed[1]}" in html
    assert "Arrêt ajouté : Avesnes-sur-Helpe" in html
    assert f"Arrêt modifié : {rows[1][1]}" in html
    assert "ne peut pas être appliqué" not in html
    assert "la liste des arrêts de avesnois est remplacée par celle du fichier" in html
    assert "Appliquer ces 1 modification(s)" in html
    assert stored_rows(engine) == []  # the preview applies nothing

    assert _apply(client, html).status_code == 302
    (row,) = stored_rows(engine)
    assert (row.kind, row.created_by, row.why) == ("replace_stops", "agent", "nouveau plan")
    assert audit_rows(engine, "calendar_replace_stops") and audit_rows(engine, "calendar_import")
    calendar = page(client)
    assert "Arrêts remplacés" in calendar and "Avesnes-sur-Helpe" in calendar
    assert client.get(f"/calendar/stop?tour=avesnois&insee={removed[2]}").status_code == 404
    assert "place du marché" in page(client, "/calendar/stop?tour=avesnois&insee=59036")
    assert "Aucune différence" in _upload(client, write_csv(rows), "p.csv").get_data(as_text=True)

    response = post(client, f"/calendar/changes/{row.id}/undo", {"tour": "avesnois"})
    assert response.status_code == 302
    assert client.get("/calendar/stop?tour=avesnois&insee=59036").status_code == 404
    assert removed[5] in page(client, f"/calendar/stop?tour=avesnois&insee={removed[2]}")
    assert audit_rows(engine, "calendar_undo")
