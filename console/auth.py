"""Log in and out (with lock-out after repeated failures)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from flask import Blueprint, g, redirect, render_template, request, session, url_for
from sqlalchemy import select

from console import models
from console.security import (
    audit,
    clear_failures,
    engine,
    is_locked,
    now,
    record_failure,
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
        moment = now()
        with engine().begin() as conn:
            if is_locked(conn, username, moment):
                error, status = "locked", 429
            else:
                row = conn.execute(
                    select(models.accounts).where(models.accounts.c.username == username)
                ).first()
                if (
                    row is None
                    or not row.active
                    or not verify_password(password, row.password_hash)
                ):
                    record_failure(conn, username, moment)
                    error, status = "invalid", 401
                else:
                    clear_failures(conn, username)
                    conn.execute(
                        models.accounts.update()
                        .where(models.accounts.c.id == row.id)
                        .values(last_login_at=moment)
                    )
        if error is None:
            session.clear()  # a fresh session (and CSRF token) at each login
            session.permanent = True
            session["account_id"] = row.id
            audit("login", actor=row.username)
            return redirect(_safe_next(request.form.get("next")))
        audit("login_failed", target=username, actor="-")
    return (
        render_template("login.html", error=error, next=request.values.get("next", "")),
        status,
    )


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    if g.user is not None:
        audit("logout")
    session.clear()
    return redirect(url_for("auth.login"))
