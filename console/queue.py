"""The queue: people waiting for a human, oldest first; take one, answer, hand back."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from console import conversations
from console.labels import channel_label
from console.masking import mask
from console.relay import RelayError
from console.security import audit, engine, login_required
from store.models import HANDOFF_TAKEN, HandoffRequest
from store.repository import NotFound

bp = Blueprint("queue", __name__)


def _repo() -> Any:
    return current_app.extensions["console_repo"]


def _waiting() -> list[dict[str, Any]]:
    return [
        {
            "id": r.id,
            "kind": r.kind,
            "channel": r.channel,
            "channel_label": channel_label(r.channel),
            "summary": mask(r.summary),
            "created_at": r.created_at,
            "created": current_app.jinja_env.filters["paris"](r.created_at),
        }
        for r in _repo().waiting_handoffs()
    ]


def _mine() -> list[HandoffRequest]:
    table = HandoffRequest.__table__
    with engine().connect() as conn:
        return conn.execute(
            select(table)
            .where(table.c.status == HANDOFF_TAKEN, table.c.agent == g.user["username"])
            .order_by(table.c.taken_at)
        ).all()


@bp.route("/")
@login_required
def index() -> Any:
    return render_template("queue.html", waiting=_waiting(), mine=_mine())


@bp.route("/queue.json")
@login_required
def poll() -> Any:
    items = _waiting()
    for item in items:
        item["created_at"] = item["created_at"].isoformat()
    return jsonify(items)


@bp.route("/queue/<int:request_id>/take", methods=["POST"])
@login_required
def take(request_id: int) -> Any:
    try:
        _repo().take_handoff(request_id, g.user["username"])
    except NotFound:
        flash("queue_already_taken", "error")
        return redirect(url_for("queue.index"))
    audit("handoff_take", target=str(request_id))
    return redirect(url_for("queue.handle", request_id=request_id))


def _own_request(request_id: int) -> HandoffRequest:
    item = _repo().get_handoff(request_id)
    if item is None:
        abort(404)
    return item


@bp.route("/queue/<int:request_id>")
@login_required
def handle(request_id: int) -> Any:
    item = _own_request(request_id)
    with engine().connect() as conn:
        turns = conversations.transcript(conn, item.sender_id)
    audit("conversation_read", target=item.sender_id, detail=f"handoff {request_id}")
    mine = item.status == HANDOFF_TAKEN and item.agent == g.user["username"]
    return render_template(
        "handle.html", item=item, summary=mask(item.summary), turns=turns, mine=mine
    )


@bp.route("/queue/<int:request_id>/reply", methods=["POST"])
@login_required
def reply(request_id: int) -> Any:
    item = _own_request(request_id)
    if item.status != HANDOFF_TAKEN or item.agent != g.user["username"]:
        abort(403)
    text = request.form.get("text", "").strip()
    if not text:
        flash("reply_empty", "error")
    else:
        try:
            current_app.config["RELAY"].send(item.sender_id, text[:2000], g.user["username"])
        except RelayError as error:
            flash("relay_failed", "error")
            audit("reply_failed", target=item.sender_id, detail=str(error))
        else:
            flash("reply_sent", "ok")
            audit("reply", target=item.sender_id, detail=f"handoff {request_id}")
    return redirect(url_for("queue.handle", request_id=request_id) + "#reply")


@bp.route("/queue/<int:request_id>/hand-back", methods=["POST"])
@login_required
def hand_back(request_id: int) -> Any:
    item = _own_request(request_id)
    if item.status != HANDOFF_TAKEN or item.agent != g.user["username"]:
        abort(403)
    try:
        current_app.config["RELAY"].hand_back(item.sender_id, g.user["username"])
    except RelayError as error:
        flash("relay_failed", "error")
        audit("hand_back_failed", target=item.sender_id, detail=str(error))
        return redirect(url_for("queue.handle", request_id=request_id))
    try:
        _repo().close_handoff(request_id, g.user["username"], done=True)
    except NotFound:
        pass  # the agents' API already closed it when handing back (handoff/app.py does)
    audit("hand_back", target=item.sender_id, detail=f"handoff {request_id}")
    flash("handed_back", "ok")
    return redirect(url_for("queue.index"))


@bp.route("/queue/<int:request_id>/close", methods=["POST"])
@login_required
def close(request_id: int) -> Any:
    """Close without handing back (a call-back done by phone, or the person left)."""
    item = _own_request(request_id)
    if item.status != HANDOFF_TAKEN or item.agent != g.user["username"]:
        abort(403)
    done = request.form.get("outcome") != "abandoned"
    _repo().close_handoff(request_id, g.user["username"], done=done)
    audit("handoff_close", target=item.sender_id, detail="done" if done else "abandoned")
    flash("handoff_closed", "ok")
    return redirect(url_for("queue.index"))
