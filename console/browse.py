"""Conversations: the filtered list and one transcript (masked; unmasking is logged)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from sqlalchemy import select

from console import conversations
from console.security import audit, engine, login_required
from store.models import Booking, HandoffRequest

bp = Blueprint("browse", __name__)

# The audit log must say why personal data was shown: a word, not a blank.
MIN_REASON_LENGTH = 5


@bp.route("/conversations")
@login_required
def index() -> Any:
    filters = conversations.Filters.from_args(request.args)
    with engine().begin() as conn:
        conversations.refresh_index(conn)
    with engine().connect() as conn:
        items, total = conversations.list_conversations(conn, filters, current_app.config["ZONE"])
        menus = conversations.distinct_values(conn)
    if filters.q:
        audit("conversation_search", detail=filters.q)
    args = request.args.to_dict()
    args.pop("page", None)
    pages = max(1, -(-total // conversations.PAGE_SIZE))
    return render_template(
        "conversations.html",
        items=items,
        total=total,
        filters=filters,
        menus=menus,
        args=args,
        pages=pages,
    )


def _show(sender_id: str, unmasked: bool, reason_missing: bool = False) -> Any:
    with engine().connect() as conn:
        if not conversations.exists(conn, sender_id):
            abort(404)
        turns = conversations.transcript(conn, sender_id, unmasked=unmasked)
        handoffs = conn.execute(
            select(HandoffRequest.__table__).where(HandoffRequest.sender_id == sender_id)
        ).all()
        bookings = conn.execute(
            select(Booking.__table__).where(Booking.sender_id == sender_id)
        ).all()
    return render_template(
        "transcript.html",
        sender_id=sender_id,
        turns=turns,
        unmasked=unmasked,
        handoffs=handoffs,
        bookings=bookings,
        reason_missing=reason_missing,
    )


@bp.route("/conversation")
@login_required
def show() -> Any:
    sender_id = request.args.get("id", "")
    if not sender_id:
        abort(404)
    audit("conversation_read", target=sender_id)
    return _show(sender_id, unmasked=False)


@bp.route("/conversation/unmask", methods=["POST"])
@login_required
def unmask() -> Any:
    sender_id = request.form.get("id", "")
    reason = request.form.get("reason", "").strip()
    if not sender_id:
        abort(404)
    if len(reason) < MIN_REASON_LENGTH:
        # Checked here, not only by the form's `required`: nothing is shown unmasked.
        page = _show(sender_id, unmasked=False, reason_missing=True)
        audit("conversation_read", target=sender_id, detail="unmask refused: no reason")
        return page, 400
    audit("conversation_unmask", target=sender_id, detail=reason)
    return _show(sender_id, unmasked=True)
