"""Bookings by place and day: confirm, move, refuse, cancel; the citizen is notified.

Each change goes through `handoff.booking_changes.change_booking`, as the agents' API's do: the
new status, then the person's notice (and reminder the day before), queued for the handoff
process's reminder sender; the console sends nothing itself, so a platform that is down delays
the message instead of losing it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import groupby
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
from handoff.booking_changes import change_booking
from store.models import (
    BOOKING_CANCELLED,
    BOOKING_CONFIRMED,
    BOOKING_MOVED,
    BOOKING_REFUSED,
    BOOKING_STATUSES,
)
from store.repository import BookingNotFound, InvalidTransition, SlotTaken

bp = Blueprint("bookings", __name__)

SIMPLE_ACTIONS = (BOOKING_CONFIRMED, BOOKING_REFUSED, BOOKING_CANCELLED)


@dataclass(frozen=True)
class NewSlot:
    """A slot chosen by the agent (fits `store.repository.SlotLike`)."""

    place_key: str
    start: dt.datetime
    end: dt.datetime


def _repo() -> Any:
    return current_app.extensions["console_repo"]


def _now() -> dt.datetime:
    return current_app.config["CLOCK"]()


def _day(value: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return _now().astimezone(current_app.config["ZONE"]).date()


@bp.route("/bookings")
@login_required
def index() -> Any:
    zone = current_app.config["ZONE"]
    day = _day(request.args.get("day"))
    place = request.args.get("place", "")
    show_all = request.args.get("all") == "1"
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    statuses = BOOKING_STATUSES if show_all else ("requested", "confirmed", "moved")
    items = _repo().bookings_between(start, start + dt.timedelta(days=1), statuses)
    places = sorted({(b.place_key, b.place_label or b.place_key) for b in items})
    if place:
        items = [b for b in items if b.place_key == place]
    items.sort(key=lambda b: (b.place_key, b.slot_start))
    groups = [(key, list(group)) for key, group in groupby(items, key=lambda b: b.place_key)]
    audit("bookings_read", detail=f"{day.isoformat()} {place}".strip())
    return render_template(
        "bookings.html",
        day=day,
        previous=day - dt.timedelta(days=1),
        following=day + dt.timedelta(days=1),
        place=place,
        places=places,
        groups=groups,
        show_all=show_all,
    )


def _back() -> Any:
    return redirect(
        url_for(
            "bookings.index",
            day=request.form.get("day") or None,
            place=request.form.get("place") or None,
        )
    )


@bp.route("/bookings/<code>/status", methods=["POST"])
@login_required
def set_status(code: str) -> Any:
    status = request.form.get("status", "")
    if status not in SIMPLE_ACTIONS:
        abort(400)
    note = request.form.get("note", "").strip()[:500] or None
    try:
        booking = change_booking(_repo(), code, status, g.user["username"], _now(), note=note)
    except BookingNotFound:
        abort(404)
    except InvalidTransition:
        flash("booking_invalid_transition", "error")
        return _back()
    audit(f"booking_{status}", target=booking.code, detail=note or "")
    flash(f"booking_{status}", "ok")
    return _back()


@bp.route("/bookings/<code>/move", methods=["POST"])
@login_required
def move(code: str) -> Any:
    booking = _repo().by_code(code)
    if booking is None:
        abort(404)
    zone = current_app.config["ZONE"]
    try:
        day = dt.date.fromisoformat(request.form.get("new_day", ""))
        time = dt.time.fromisoformat(request.form.get("new_time", ""))
    except ValueError:
        flash("booking_bad_slot", "error")
        return _back()
    start = dt.datetime.combine(day, time, tzinfo=zone)
    if start <= _now():
        flash("booking_bad_slot", "error")
        return _back()
    slot = NewSlot(booking.place_key, start, start + (booking.slot_end - booking.slot_start))
    note = request.form.get("note", "").strip()[:500] or None
    try:
        booking = change_booking(
            _repo(), code, BOOKING_MOVED, g.user["username"], _now(), new_slot=slot, note=note
        )
    except SlotTaken:
        flash("booking_slot_taken", "error")
        return _back()
    except InvalidTransition:
        flash("booking_invalid_transition", "error")
        return _back()
    audit("booking_moved", target=booking.code, detail=start.isoformat())
    flash("booking_moved", "ok")
    return _back()
