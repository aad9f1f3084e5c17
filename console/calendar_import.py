"""Calendrier, import and export of a tour plan as a spreadsheet (CSV or XLSX).

Export: the stops of one bus or of all, as the calendar stands (tours.yml with the staff's
changes), in the planners' format (`franceservices/calendar/spreadsheet.py`). Import: upload,
then a preview of the differences and the errors (row, column, reason) found by the tour file's
own validator; nothing is applied until an agent presses "Appliquer". The file is checked again
at that moment against the calendar as it is then, turned into calendar changes
(`spreadsheet_changes.py`) and stored through `store/calendar_changes.py`, each one audit-logged
and undoable on the Calendrier page: stop by stop where it can be, and a bus whose stops are
added or removed (or whose market days or day sources change) as one "Arrêts remplacés" change
with the file's stops. A plan the calendar refuses at that moment is refused whole.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for

from console import calendar as calendar_page
from console.security import audit, login_required
from franceservices.calendar import tours
from franceservices.calendar.changes import ChangeError, ChangeRefused
from franceservices.calendar.spreadsheet import (
    COLUMNS,
    SpreadsheetError,
    export_rows,
    plan_import,
    read_table,
    write_csv,
    write_xlsx,
)
from franceservices.calendar.spreadsheet_changes import plan_changes
from store.calendar_changes import UndoBlocked
from store.repository import NotFound

bp = Blueprint("calendar_import", __name__)

MAX_UPLOAD = 2 * 1024 * 1024
"""A plan of a few hundred stops is a few dozen kB: anything bigger is not one."""
MAX_TEXT = 300


@bp.route("/calendar/export")
@login_required
def export() -> Any:
    calendar = calendar_page._current().calendar
    tour = request.args.get("tour") or None
    if tour is not None and tour not in calendar.tours:
        tour = None
    rows = export_rows(calendar, [tour] if tour else None)
    name = f"tournees-{tour or 'toutes'}"
    if request.args.get("format") == "xlsx":
        data = write_xlsx(rows)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        name += ".xlsx"
    else:
        data, mimetype = write_csv(rows), "text/csv; charset=utf-8"
        name += ".csv"
    audit("calendar_export", target=tour or "all", detail=name)
    return Response(
        data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.route("/calendar/import")
@login_required
def import_form() -> Any:
    return render_template("calendar_import.html", columns=COLUMNS, plan=None)


@bp.route("/calendar/import", methods=["POST"])
@login_required
def preview() -> Any:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("Choisissez un fichier CSV ou XLSX.", "error")
        return redirect(url_for("calendar_import.import_form"))
    data = upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        flash("Fichier trop gros pour un plan de tournées (2 Mo au plus).", "error")
        return redirect(url_for("calendar_import.import_form"))
    try:
        table = read_table(data, upload.filename)
    except SpreadsheetError as exc:
        flash(f"Fichier refusé : {exc}", "error")
        return redirect(url_for("calendar_import.import_form"))
    return _preview(table, upload.filename)


def _preview(table: list[list[str]], filename: str) -> Any:
    current = calendar_page._current()
    plan = plan_import(table, current.data, path=calendar_page._path())
    stored = plan_changes(plan, current.data) if plan.ok else None
    return render_template(
        "calendar_import.html",
        columns=COLUMNS,
        plan=plan,
        stored=stored,
        filename=filename,
        table_json=json.dumps(table, ensure_ascii=False),
    )


@bp.route("/calendar/import/apply", methods=["POST"])
@login_required
def apply() -> Any:
    try:
        table = json.loads(request.form.get("table", ""))
        if not isinstance(table, list) or not all(isinstance(r, list) for r in table):
            raise ValueError("not a table")
        table = [[str(c) for c in row] for row in table]
    except ValueError:
        flash("Import refusé : le contenu du fichier manque, recommencez l'envoi.", "error")
        return redirect(url_for("calendar_import.import_form"))
    why = " ".join((request.form.get("why") or "").split())[:MAX_TEXT]
    filename = (request.form.get("filename") or "")[:MAX_TEXT]
    current = calendar_page._current()
    plan = plan_import(table, current.data, path=calendar_page._path())
    stored = plan_changes(plan, current.data) if plan.ok else None
    if stored is None or not stored.ok:
        flash("Import refusé : le calendrier a changé ou le fichier a des erreurs.", "error")
        return _preview(table, filename)
    if not stored.changes:
        flash("Aucune différence avec le calendrier : rien à appliquer.", "ok")
        return redirect(url_for("calendar.index"))
    overlay = calendar_page._overlay()
    path = calendar_page._path()
    base = overlay.base_tree(path, tours.get_calendar(path))
    who = g.user["username"]
    reason = why or f"import {filename}".strip()
    done = []
    try:
        for change in stored.changes:
            done.append(overlay.changes.record(change, who, reason, base))
    except (ChangeRefused, ChangeError) as exc:
        for row in reversed(done):  # all or nothing: take back what this import stored
            try:
                overlay.changes.undo(row.id, who, base)
            except (NotFound, UndoBlocked):
                pass
        flash(f"Import refusé par le contrôle du calendrier : {exc}", "error")
        return _preview(table, filename)
    for row in done:
        audit(
            f"calendar_{row.kind}",
            target=f"{row.payload.get('tour', '')} #{row.id}",
            detail=f"import {filename}: {reason}",
        )
    audit("calendar_import", target=filename, detail=f"{len(done)} changes: {reason}")
    flash(
        f"Import appliqué : {len(done)} modification(s), "
        "chacune annulable sur la page Calendrier ; l'assistant les applique dans la minute.",
        "ok",
    )
    return redirect(url_for("calendar.index"))
