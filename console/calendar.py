"""Calendrier: the buses' visits for the coming weeks, and the staff's changes to them.

Agents and admins cancel a visit or a bus's whole day (with the reason citizens will read: on a
phone, "Annuler ce passage" then one tap on a reason), add a catch-up visit, change a stop's
place, hours or day, confirm a stop's day, and undo any change. Each change is validated by the
tour file's own validator and stored in `calendar_changes` (`store/calendar_changes.py`): the
assistant's action servers pick it up within seconds (`store/calendar_overlay.py`); a refusal
shows the validator's message. Every change and undo is audit-logged with who and why.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from console.security import audit, login_required
from franceservices.calendar import tours
from franceservices.calendar.changes import (
    AddVisit,
    Applied,
    CancelDay,
    CancelVisit,
    Change,
    ChangeError,
    ChangeRefused,
    ConfirmStopDay,
    SetStopDay,
    SetStopHours,
    SetStopPlace,
    parse_hours,
)
from franceservices.text.french import WEEKDAYS_FR, format_date_fr
from franceservices.text.normalize import normalize
from store.calendar_changes import CalendarChanges, UndoBlocked
from store.calendar_overlay import CalendarOverlay
from store.repository import NotFound

bp = Blueprint("calendar", __name__)

WEEKS_SHOWN = 4
"""How far ahead the page lists the visits."""

REASONS = ("panne du bus", "grève", "intempéries", "agent absent", "formation")
"""One-tap reasons for a cancellation (citizens read them: short, plain French)."""

MAX_TEXT = 300


@bp.app_template_filter("date_fr")
def _date_fr(day: dt.date) -> str:
    return format_date_fr(day, with_year=True)


@bp.app_template_filter("periods")
def _periods(periods: Any) -> str:
    return ", ".join(f"{s:%H:%M}–{e:%H:%M}" for s, e in periods or ())


def _overlay() -> CalendarOverlay:
    provider = current_app.extensions.get("calendar_overlay")
    if provider is None:
        changes = CalendarChanges(
            current_app.extensions["console_engine"], current_app.config["CLOCK"]
        )
        # The console shows what the database holds now: look at the table on every page.
        provider = CalendarOverlay(changes, every=0, background=False)
        current_app.extensions["calendar_overlay"] = provider
    return provider


def _path() -> Any:
    return current_app.config.get("TOURS_PATH") or tours.DEFAULT_TOURS_PATH


def _current() -> Applied:
    path = _path()
    return _overlay().current(path, tours.get_calendar(path))


def _today() -> dt.date:
    return current_app.config["CLOCK"]().astimezone(current_app.config["ZONE"]).date()


@bp.route("/calendar")
@login_required
def index() -> Any:
    applied = _current()
    calendar = applied.calendar
    tour_id = request.args.get("tour") or next(iter(calendar.tours))
    if tour_id not in calendar.tours:
        abort(404)
    today = _today()
    days = []
    for offset in range(WEEKS_SHOWN * 7):
        day = today + dt.timedelta(days=offset)
        visits = [v for v in calendar.visits_on(day) if v.tour_id == tour_id]
        if visits:
            days.append((day, visits))
    stored = _overlay().changes.all(newest_first=True)
    refused = {r.change: r.reasons for r in applied.refused}
    return render_template(
        "calendar.html",
        tours=calendar.tours.values(),
        tour=calendar.tour(tour_id),
        days=days,
        stops=calendar.tour_communes(tour_id),
        changes=stored,
        refused=refused,
        names={s.insee: s.commune for s in calendar.stops()},
        weekdays=WEEKDAYS_FR,
    )


@bp.route("/calendar/cancel")
@login_required
def cancel_form() -> Any:
    """The reasons to tap: one visit (`insee` given) or the bus's whole day."""
    calendar = _current().calendar
    tour_id = request.args.get("tour", "")
    insee = request.args.get("insee") or None
    day = _date(request.args.get("date"))
    if tour_id not in calendar.tours or day is None:
        abort(404)
    visits = [v for v in calendar.visits_on(day) if v.tour_id == tour_id and not v.is_cancelled]
    if insee is not None:
        visits = [v for v in visits if v.insee == insee]
    if not visits:
        abort(404)
    return render_template(
        "calendar_cancel.html",
        tour=calendar.tour(tour_id),
        day=day,
        insee=insee,
        visits=visits,
        reasons=REASONS,
    )


@bp.route("/calendar/stop")
@login_required
def stop_form() -> Any:
    calendar = _current().calendar
    tour_id = request.args.get("tour", "")
    insee = request.args.get("insee", "")
    if tour_id not in calendar.tours:
        abort(404)
    stop = next((s for s in calendar.tour_communes(tour_id) if s.insee == insee), None)
    if stop is None:
        abort(404)
    return render_template(
        "calendar_stop.html",
        tour=calendar.tour(tour_id),
        stop=stop,
        weekdays=WEEKDAYS_FR[:5],
        hours=", ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in stop.hours or ()),
    )


@bp.route("/calendar/add")
@login_required
def add_form() -> Any:
    calendar = _current().calendar
    tour_id = request.args.get("tour", "")
    if tour_id not in calendar.tours:
        abort(404)
    return render_template(
        "calendar_add.html",
        tour=calendar.tour(tour_id),
        stops=calendar.tour_communes(tour_id),
        today=_today(),
    )


@bp.route("/calendar/changes", methods=["POST"])
@login_required
def record() -> Any:
    form = request.form
    tour_id = form.get("tour", "")
    try:
        change = _change_from_form(form)
    except ChangeError as exc:
        flash(f"Modification refusée : {exc}", "error")
        return _back(tour_id)
    day = getattr(change, "date", None)
    if day is not None and day < _today():
        flash("Modification refusée : cette date est passée.", "error")
        return _back(tour_id)
    why = _text(form.get("why")) or getattr(change, "reason", "") or ""
    path = _path()
    base = _overlay().base_tree(path, tours.get_calendar(path))
    try:
        stored = _overlay().changes.record(change, g.user["username"], why, base)
    except ChangeRefused as exc:
        flash(
            "Modification refusée par le contrôle du calendrier : " + "; ".join(exc.reasons),
            "error",
        )
        return _back(tour_id)
    audit(
        f"calendar_{change.kind}", target=f"{change.tour} #{stored.id}", detail=_detail(why, change)
    )
    flash("Modification enregistrée ; l'assistant l'applique dans la minute.", "ok")
    return redirect(url_for("calendar.index", tour=change.tour))


@bp.route("/calendar/changes/<int:change_id>/undo", methods=["POST"])
@login_required
def undo(change_id: int) -> Any:
    changes = _overlay().changes
    path = _path()
    base = _overlay().base_tree(path, tours.get_calendar(path))
    why = _text(request.form.get("why"))
    try:
        stored = changes.undo(change_id, g.user["username"], base)
    except NotFound:
        abort(404)
    except UndoBlocked as exc:
        flash(
            f"Impossible d'annuler : la modification n° {exc.blocker_id} en dépend "
            f"({'; '.join(exc.reasons)}). Annulez-la d'abord.",
            "error",
        )
        return redirect(url_for("calendar.index", tour=request.form.get("tour") or None))
    tour_id = stored.payload.get("tour")
    audit("calendar_undo", target=f"{tour_id} #{stored.id}", detail=why or stored.kind)
    flash(
        "Modification annulée ; l'assistant revient au calendrier précédent dans la minute.", "ok"
    )
    return redirect(url_for("calendar.index", tour=tour_id))


def _change_from_form(form: Any) -> Change:
    kind = form.get("kind", "")
    tour_id = _required(form, "tour")
    if kind == "cancel_visit":
        return CancelVisit(tour_id, _required(form, "insee"), _form_date(form), _reason(form))
    if kind == "cancel_day":
        return CancelDay(tour_id, _form_date(form), _reason(form))
    if kind == "add_visit":
        hours = _text(form.get("hours"))
        return AddVisit(
            tour_id,
            _commune(form.get("commune", "")),
            _form_date(form),
            _text(form.get("place")),
            _required(form, "reason"),
            parse_hours(hours, "horaires") if hours else None,
        )
    if kind == "stop_place":
        return SetStopPlace(tour_id, _required(form, "insee"), _required(form, "place"))
    if kind == "stop_hours":
        hours = _text(form.get("hours"))
        return SetStopHours(
            tour_id, _required(form, "insee"), parse_hours(hours, "horaires") if hours else None
        )
    if kind == "stop_day":
        try:
            week, weekday = int(form.get("week", "")), int(form.get("weekday", ""))
        except ValueError:
            raise ChangeError("choisissez la semaine et le jour") from None
        if not (1 <= week <= 4 and 0 <= weekday <= 4):
            raise ChangeError("semaine 1 à 4, jour du lundi au vendredi")
        return SetStopDay(tour_id, _required(form, "insee"), week, weekday, form.get("swap") == "1")
    if kind == "confirm_day":
        return ConfirmStopDay(tour_id, _required(form, "insee"))
    abort(400)


def _text(value: str | None) -> str:
    return " ".join((value or "").split())[:MAX_TEXT]


def _required(form: Any, name: str) -> str:
    value = _text(form.get(name))
    if not value:
        raise ChangeError(f"champ « {name} » manquant")
    return value


def _reason(form: Any) -> str:
    """A tapped reason button, or the typed one (the typed one wins when both are given)."""
    value = _text(form.get("other_reason")) or _text(form.get("reason"))
    if not value:
        raise ChangeError("indiquez le motif (les personnes le liront)")
    return value


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return None


def _form_date(form: Any) -> dt.date:
    day = _date(form.get("date"))
    if day is None:
        raise ChangeError("date manquante ou invalide")
    return day


def _commune(value: str) -> str:
    """An INSEE code, or a commune of the Nord by its name (accents and case ignored)."""
    from franceservices.places.communes import load_communes

    value = _text(value)
    communes = load_communes()
    if value.isdigit() and len(value) == 5:
        return value
    matches = [c for c in communes.all() if normalize(c.name) == normalize(value)]
    if len(matches) != 1:
        raise ChangeError(f"commune {value!r} inconnue dans le Nord (ou donnez son code INSEE)")
    return matches[0].insee


def _detail(why: str, change: Change) -> str:
    fields = ", ".join(f"{k}={v}" for k, v in change.payload().items() if k != "tour")
    return f"{why} ({fields})" if why else fields


def _back(tour_id: str) -> Any:
    target = request.form.get("back", "")
    if target.startswith("/calendar") and "//" not in target:
        return redirect(target)
    return redirect(url_for("calendar.index", tour=tour_id or None))
