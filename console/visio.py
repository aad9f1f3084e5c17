"""Visio: the offer staff keep (where, when, which organisation), and the day's appointments.

Agents and admins add an organisation's days and hours at a desk or bus, remove them, set the
number of booths, close days, mark an organisation's advisor absent for a day (the bookings to
tell and move are listed, with the Rendez-vous page to move them) and add exceptional slots.
Each edit makes a new version of the whole offer, validated exactly as `reference/visio_offer.yml`
is (`franceservices.booking.offer_file.parse_offer`: a refusal shows its messages), saved with
who, when and why (`store/visio_offer.py`) and audit-logged; the action servers serve it within
seconds (`OfferOverlay`). "Revenir à cette version" saves an older version again.
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
from franceservices.booking import offer_edits
from franceservices.booking.offer import DEFAULT_OFFER_PATH, VisioOffer, place_of_booth
from franceservices.booking.offer_file import parse_offer, read_offer_tree
from franceservices.booking.operators import load_operators
from franceservices.data_errors import DataErrors, DataFileError
from franceservices.text.french import WEEKDAYS_FR
from store.models import ACTIVE_STATUSES
from store.visio_offer import VisioOfferVersions

bp = Blueprint("visio", __name__)

MAX_TEXT = 300


def _validate(document: dict[str, Any]) -> VisioOffer:
    return parse_offer(document, _path())


def _versions() -> VisioOfferVersions:
    return VisioOfferVersions(current_app.extensions["console_engine"], current_app.config["CLOCK"])


def _path() -> Any:
    return current_app.config.get("VISIO_OFFER_PATH") or DEFAULT_OFFER_PATH


def _document() -> dict[str, Any]:
    """The offer in use as a document: the latest saved version, else the file."""
    latest = _versions().latest()
    return latest.document if latest is not None else offer_edits.plain(read_offer_tree(_path()))


def _today() -> dt.date:
    return current_app.config["CLOCK"]().astimezone(current_app.config["ZONE"]).date()


def _place_names() -> dict[str, str]:
    from franceservices.calendar.tours import get_calendar
    from franceservices.places.desks import load_desks

    names = {f"desk:{d.id}": d.name for d in load_desks().fixed()}
    names |= {f"bus:{t.id}": t.name for t in get_calendar().tours.values()}
    return names


def _day_bookings(offer: VisioOffer, day: dt.date) -> list[tuple[str, list[Any]]]:
    """The day's active visio appointments, per booth of the offer, by time."""
    zone = current_app.config["ZONE"]
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    bookings = current_app.extensions["console_repo"].bookings_between(
        start, start + dt.timedelta(days=1), ACTIVE_STATUSES
    )
    booths: dict[str, list[Any]] = {}
    for place in offer.places.values():
        for key in place.booth_keys():
            booths[key] = []
    for booking in bookings:
        booths.setdefault(booking.place_key, []).append(booking)
    return [(key, items) for key, items in booths.items() if items]


def _affected(place: str, operator: str, day: dt.date) -> list[Any]:
    """The active bookings with `operator` at any booth of `place` on `day`."""
    zone = current_app.config["ZONE"]
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    bookings = current_app.extensions["console_repo"].bookings_between(
        start, start + dt.timedelta(days=1), ACTIVE_STATUSES
    )
    return [
        b for b in bookings if place_of_booth(b.place_key)[0] == place and b.operator == operator
    ]


@bp.route("/visio")
@login_required
def index() -> Any:
    document = _document()
    offer = parse_offer(document, _path())
    try:
        day = dt.date.fromisoformat(request.args.get("day") or "")
    except ValueError:
        day = _today()
    operators = {op.id: op.name for op in load_operators().all()}
    # the choices' short names ("la CAF", "le ministère de l'Intérieur") fit a phone's width
    short = {op_id: name.split(" (")[0] for op_id, name in operators.items()}
    return render_template(
        "visio.html",
        short_operators=short,
        document=document,
        offer=offer,
        names=_place_names(),
        operators=operators,
        weekdays=WEEKDAYS_FR,
        day=day,
        booths=_day_bookings(offer, day),
        versions=_versions().history(10),
        today=_today(),
    )


def _new_slot(booking: Any, offer: VisioOffer) -> Any:
    """The first free slot of the same organisation at the same place in the offer in use (the
    absent day is no longer in it), or None: the agent then calls the person."""
    from franceservices.booking.visio_slots import propose_slots

    place = place_of_booth(booking.place_key)[0]
    where: Any = booking.commune_insee
    if not where:
        from franceservices.places.desks import load_desks

        desk = load_desks().get(place.partition(":")[2])
        if desk is None:
            return None
        where = (desk.lat, desk.lon)
    slots = propose_slots(
        where,
        booking.operator,
        current_app.config["CLOCK"](),
        current_app.extensions["console_repo"].taken_slots,
        n=40,
        per_day=40,
        offer=offer,
    )
    return next((s for s in slots if place_of_booth(s.place_key)[0] == place), None)


@bp.route("/visio/affected")
@login_required
def affected() -> Any:
    place = request.args.get("place", "")
    operator = request.args.get("operator", "")
    try:
        day = dt.date.fromisoformat(request.args.get("date") or "")
    except ValueError:
        abort(404)
    operators = {op.id: op.name for op in load_operators().all()}
    offer = _validate(_document())
    bookings = _affected(place, operator, day)
    return render_template(
        "visio_affected.html",
        place=place,
        name=_place_names().get(place, place),
        operator=operators.get(operator, operator),
        day=day,
        rows=[(b, _new_slot(b, offer)) for b in bookings],
    )


@bp.route("/visio/move/<code>", methods=["POST"])
@login_required
def move(code: str) -> Any:
    """Move a booking to the proposed slot of the offer; the person is told (as on Rendez-vous)."""
    from franceservices.booking.rules import slot_from_token
    from franceservices.booking.visio_slots import find_slot
    from handoff.booking_changes import change_booking
    from store.models import BOOKING_MOVED
    from store.repository import InvalidTransition, SlotTaken

    repo = current_app.extensions["console_repo"]
    booking = repo.by_code(code)
    key = slot_from_token(request.form.get("slot", ""))
    if booking is None or key is None:
        abort(404)
    now = current_app.config["CLOCK"]()
    held = repo.taken_slots(
        [key[0]], key[1] - dt.timedelta(hours=4), key[1] + dt.timedelta(hours=4)
    )
    slot = find_slot(key, now, held, operator=booking.operator, offer=_validate(_document()))
    back = request.form.get("back") or ""
    if not back.startswith("/visio/"):  # only back to this section's own pages
        back = url_for("visio.index")
    if slot is None or place_of_booth(slot.place_key)[0] != place_of_booth(booking.place_key)[0]:
        flash("booking_slot_taken", "error")
        return redirect(back)
    try:
        change_booking(repo, code, BOOKING_MOVED, g.user["username"], now, new_slot=slot)
    except (SlotTaken, InvalidTransition):
        flash("booking_slot_taken", "error")
        return redirect(back)
    audit("booking_moved", target=code, detail=slot.start.isoformat())
    flash("booking_moved", "ok")
    return redirect(back)


def _text(value: str | None) -> str:
    return " ".join((value or "").split())[:MAX_TEXT]


def _date(value: str | None, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        raise offer_edits.EditError(f"{what} : date invalide") from None


def _number(value: str | None, what: str) -> int:
    try:
        return int(value or "")
    except ValueError:
        raise offer_edits.EditError(f"{what} « {value or ''} » : écrivez un nombre") from None


def _hours(value: str | None) -> list[tuple[dt.time, dt.time]] | None:
    """ "09:00-12:00, 14:00-16:00" -> periods; empty -> None (the place's hours)."""
    text = (value or "").replace(" ", "").replace("–", "-")
    if not text:
        return None
    periods = []
    for part in text.split(","):
        start, sep, end = part.partition("-")
        try:
            periods.append((dt.time.fromisoformat(start), dt.time.fromisoformat(end)))
        except ValueError:
            raise offer_edits.EditError(f"horaires « {value} » : écrivez 09:00-12:00") from None
        if not sep:
            raise offer_edits.EditError(f"horaires « {value} » : écrivez 09:00-12:00")
    return periods


def _edit(document: dict[str, Any], form: Any) -> tuple[dict[str, Any], str]:
    """The new document for the posted edit, and the audit's words for it."""
    kind = form.get("edit", "")
    place = form.get("place", "")
    operator = form.get("operator", "")
    reason = _text(form.get("reason"))
    if kind == "add_organisation":
        days = [int(d) for d in form.getlist("weekday") if d.isdigit() and int(d) < 7]
        new = offer_edits.add_organisation(
            document, place, operator, days, _hours(form.get("hours"))
        )
        return new, f"{operator} à {place}"
    if kind == "remove_organisation":
        new = offer_edits.remove_entry(
            document, "organisations", _number(form.get("index"), "entrée"), place
        )
        return new, f"organisation retirée à {place}"
    if kind == "booths":
        new = offer_edits.set_booths(
            document, place, _number(form.get("booths"), "nombre de cabines")
        )
        return new, place
    if kind == "closed":
        start = _date(form.get("from"), "fermeture")
        end = _date(form.get("to"), "fermeture") if form.get("to") else start
        return offer_edits.add_closure(document, place, start, end, reason), f"{place} {start}"
    if kind == "absence":
        day = _date(form.get("date"), "absence")
        new = offer_edits.add_absence(document, place, operator, day, reason)
        return new, f"{operator} absent à {place} le {day}"
    if kind == "extra":
        day = _date(form.get("date"), "créneau exceptionnel")
        hours = _hours(form.get("hours"))
        if hours is None:
            raise offer_edits.EditError("créneau exceptionnel : indiquez les horaires")
        new = offer_edits.add_extra_slot(document, place, operator, day, hours, reason)
        return new, f"{operator} à {place} le {day}"
    if kind in ("remove_absence", "remove_extra"):
        section = "absences" if kind == "remove_absence" else "extra_slots"
        new = offer_edits.remove_entry(document, section, _number(form.get("index"), "entrée"))
        return new, section
    raise offer_edits.EditError("modification inconnue")


@bp.route("/visio/edit", methods=["POST"])
@login_required
def edit() -> Any:
    form = request.form
    why = _text(form.get("why")) or _text(form.get("reason"))
    try:
        document, detail = _edit(_document(), form)
        saved = _versions().save(
            document, g.user["username"], why, lambda d: parse_offer(d, _path())
        )
    except (offer_edits.EditError, ValueError) as exc:
        reasons = [e.reason for e in exc.errors] if isinstance(exc, DataErrors) else []
        if isinstance(exc, DataFileError):
            reasons = [exc.reason]
        flash("Modification refusée : " + ("; ".join(reasons) or str(exc)), "error")
        return redirect(url_for("visio.index"))
    audit("visio_offer_changed", target=form.get("edit", ""), detail=f"v{saved.id} {detail}")
    flash("Offre visio enregistrée : l'assistant l'utilise dans quelques secondes.", "ok")
    if form.get("edit") == "absence":
        return redirect(
            url_for(
                "visio.affected",
                place=form.get("place"),
                operator=form.get("operator"),
                date=form.get("date"),
            )
        )
    return redirect(url_for("visio.index"))


@bp.route("/visio/versions/<int:version_id>/restore", methods=["POST"])
@login_required
def restore(version_id: int) -> Any:
    old = _versions().get(version_id)
    if old is None:
        abort(404)
    why = _text(request.form.get("why")) or f"retour à la version {version_id}"
    try:
        saved = _versions().save(
            old.document, g.user["username"], why, lambda d: parse_offer(d, _path())
        )
    except DataErrors as exc:
        flash("Modification refusée : " + "; ".join(e.reason for e in exc.errors), "error")
        return redirect(url_for("visio.index"))
    audit("visio_offer_restored", target=str(version_id), detail=f"v{saved.id}")
    flash("Offre visio enregistrée : l'assistant l'utilise dans quelques secondes.", "ok")
    return redirect(url_for("visio.index"))
