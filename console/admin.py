"""Admin pages: accounts, audit log, retention and a citizen's erasure request."""

from __future__ import annotations

import json
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
    session,
    url_for,
)
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from console import models, retention
from console.security import (
    MIN_PASSWORD_LENGTH,
    SCRYPT_N,
    admin_required,
    audit,
    create_account,
    end_sessions_of,
    engine,
    hash_password,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _n() -> int:
    return current_app.config["SCRYPT_N"] or SCRYPT_N


@bp.route("/accounts")
@admin_required
def accounts() -> Any:
    with engine().connect() as conn:
        rows = conn.execute(select(models.accounts).order_by(models.accounts.c.username)).all()
    return render_template(
        "accounts.html", accounts=rows, roles=models.ROLES, min_length=MIN_PASSWORD_LENGTH
    )


@bp.route("/accounts", methods=["POST"])
@admin_required
def create() -> Any:
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    role = request.form.get("role", "")
    if not username or len(username) > 80 or role not in models.ROLES:
        flash("account_invalid", "error")
    elif len(password) < MIN_PASSWORD_LENGTH:
        flash("password_too_short", "error")
    else:
        try:
            with engine().begin() as conn:
                create_account(conn, username, password, role, _n())
        except IntegrityError:
            flash("account_exists", "error")
        else:
            audit("account_create", target=username, detail=role)
            flash("account_created", "ok")
    return redirect(url_for("admin.accounts"))


@bp.route("/accounts/<int:account_id>", methods=["POST"])
@admin_required
def update(account_id: int) -> Any:
    action = request.form.get("action", "")
    values: dict[str, Any]
    if action == "deactivate":
        if account_id == g.user["id"]:
            flash("account_self", "error")
            return redirect(url_for("admin.accounts"))
        values = {"active": False}
    elif action == "activate":
        values = {"active": True}
    elif action == "role" and request.form.get("role") in models.ROLES:
        if account_id == g.user["id"]:
            flash("account_self", "error")
            return redirect(url_for("admin.accounts"))
        values = {"role": request.form["role"]}
    elif action == "password":
        password = request.form.get("password", "")
        if len(password) < MIN_PASSWORD_LENGTH:
            flash("password_too_short", "error")
            return redirect(url_for("admin.accounts"))
        values = {"password_hash": hash_password(password, _n())}
    else:
        abort(400)
    with engine().begin() as conn:
        result = conn.execute(
            models.accounts.update().where(models.accounts.c.id == account_id).values(**values)
        )
        if action in ("deactivate", "password"):
            # A stolen or forgotten session must not outlive them (the admin's own stays).
            end_sessions_of(conn, account_id, keep=session.get("sid"))
    if result.rowcount != 1:
        abort(404)
    audit(f"account_{action}", target=str(account_id), detail=values.get("role", ""))
    flash("account_updated", "ok")
    return redirect(url_for("admin.accounts"))


@bp.route("/audit")
@admin_required
def audit_log() -> Any:
    actor = request.args.get("actor", "").strip()
    a = models.audit_log.c
    query = select(models.audit_log).order_by(a.id.desc()).limit(300)
    if actor:
        query = query.where(a.actor == actor)
    with engine().connect() as conn:
        rows = conn.execute(query).all()
    return render_template("audit.html", rows=rows, actor=actor)


@bp.route("/retention")
@admin_required
def retention_page() -> Any:
    return render_template(
        "retention.html",
        months=current_app.config["RETENTION_MONTHS"],
        booking_months=current_app.config["BOOKING_RETENTION_MONTHS"],
        result=None,
    )


@bp.route("/retention/purge", methods=["POST"])
@admin_required
def purge() -> Any:
    config = current_app.config
    counts = retention.purge(
        engine(), config["CLOCK"](), config["RETENTION_MONTHS"], config["BOOKING_RETENTION_MONTHS"]
    )
    audit("purge", detail=json.dumps(counts, sort_keys=True))
    return render_template(
        "retention.html",
        months=config["RETENTION_MONTHS"],
        booking_months=config["BOOKING_RETENTION_MONTHS"],
        result=counts,
    )


@bp.route("/retention/erase", methods=["POST"])
@admin_required
def erase() -> Any:
    config = current_app.config
    sender_id = request.form.get("sender_id", "").strip() or None
    phone = request.form.get("phone", "").strip() or None
    if not sender_id and not phone:
        flash("erase_nothing", "error")
        return redirect(url_for("admin.retention_page"))
    try:
        counts = retention.erase(engine(), sender_id=sender_id, phone=phone)
    except ValueError:
        flash("erase_bad_phone", "error")
        return redirect(url_for("admin.retention_page"))
    target = sender_id or "phone"
    audit("erase", target=target, detail=json.dumps(counts, sort_keys=True))
    return render_template(
        "retention.html",
        months=config["RETENTION_MONTHS"],
        booking_months=config["BOOKING_RETENTION_MONTHS"],
        result=counts,
    )
