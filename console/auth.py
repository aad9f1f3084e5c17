"""Log in and out (with lock-out after repeated failures, see console/security.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from sqlalchemy import select

from console import models
from console.security import (
    SCRYPT_N,
    audit,
    clear_failures,
    client_address,
    dummy_hash,
    end_session,
    engine,
    is_locked,
    now,
    record_failure,
    start_session,
    verify_password,
)

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    # Only a path of this site: never an absolute URL (open redirect).
    if not target or not target.startswith("/") or target.startswith("//"):
        return url_for("queue.index")
    parsed = urlparse(target)
    return parsed.path + (f"?{parsed.query}" if parsed.query else "")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error = None
    status = 200
    if request.method == "POST":
        username = request.form.get("username", "").strip()[:80]
        password = request.form.get("password", "")
        address = client_address()
        moment = now()
        with engine().begin() as conn:
            if is_locked(conn, username, address, moment):
                error, status = "locked", 429
            else:
                row = conn.execute(
                    select(models.accounts).where(models.accounts.c.username == username)
                ).first()
                # The same scrypt work whether the name exists, is deactivated or not.
                known = row is not None and row.active
                stored = row.password_hash if known else dummy_hash(_n())
                if not verify_password(password, stored) or not known:
                    record_failure(conn, username, address, moment)
                    error, status = "invalid", 401
                else:
                    clear_failures(conn, username, address)
                    conn.execute(
                        models.accounts.update()
                        .where(models.accounts.c.id == row.id)
                        .values(last_login_at=moment)
                    )
                    token = start_session(conn, row.id, moment)
        if error is None:
            end_session(session.get("sid"))
            session.clear()  # a fresh session (and CSRF token) at each login
            session.permanent = True
            session["sid"] = token
            audit("login", actor=row.username)
            return redirect(_safe_next(request.form.get("next")))
        audit("login_failed", target=username, actor="-")
    return (
        render_template(
            "login.html",
            error=error,
            next=request.values.get("next", ""),
            minutes=current_app.config["LOCKOUT_MINUTES"],
        ),
        status,
    )


def _n() -> int:
    return current_app.config["SCRYPT_N"] or SCRYPT_N


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    if g.user is not None:
        audit("logout")
    end_session(session.get("sid"))
    session.clear()
    return redirect(url_for("auth.login"))
