"""Passwords, sessions, CSRF, roles, lock-out and the audit log.

- Passwords: scrypt from the standard library (`hashlib.scrypt`, n=2**15, r=8, p=1, 16-byte
  salt), stored as `scrypt$n$r$p$salt$hash` so the cost can be raised later without breaking
  existing hashes.
- Sessions: Flask's signed cookie (HttpOnly, SameSite=Lax, Secure when configured), holding only
  the account id and the CSRF token; the account is re-read at each request, so deactivating it
  or changing its role takes effect at once.
- CSRF: one random token per session, required in every POST (`csrf_token` form field or
  `X-CSRF-Token` header), compared in constant time; missing or wrong -> 400.
- Lock-out: 5 failed logins in 15 minutes lock the user name for the rest of the window, right
  password or not; failures of unknown names are counted too (nobody learns which names exist).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Any

from flask import abort, current_app, g, redirect, request, session, url_for
from sqlalchemy import func, select

from console import models

SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
MIN_PASSWORD_LENGTH = 12


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r + 2**20, dklen=32
    )


def hash_password(password: str, n: int = SCRYPT_N) -> str:
    """Hash a password for storage (scrypt with a random salt)."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, n, SCRYPT_R, SCRYPT_P)
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches the stored hash (constant-time comparison)."""
    try:
        algo, n, r, p, salt, digest = stored.split("$")
        if algo != "scrypt":
            return False
        computed = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(computed, base64.b64decode(digest))


# -- database helpers -----------------------------------------------------------------------------


def engine() -> Any:
    return current_app.extensions["console_engine"]


def now() -> dt.datetime:
    return current_app.config["CLOCK"]()


def audit(action: str, target: str = "", detail: str = "", actor: str | None = None) -> None:
    """Record who read or did what (the admins read it on the audit page)."""
    if actor is None:
        actor = g.user["username"] if g.get("user") else "-"
    with engine().begin() as conn:
        conn.execute(
            models.audit_log.insert().values(
                at=now(), actor=actor, action=action, target=target[:255], detail=detail[:2000]
            )
        )


def create_account(conn: Any, username: str, password: str, role: str, n: int = SCRYPT_N) -> int:
    """Insert an account; the caller checks the password's length."""
    if role not in models.ROLES:
        raise ValueError(f"unknown role {role!r}")
    result = conn.execute(
        models.accounts.insert().values(
            username=username,
            password_hash=hash_password(password, n),
            role=role,
            active=True,
            created_at=dt.datetime.now(tz=dt.timezone.utc),
        )
    )
    return result.inserted_primary_key[0]


def is_locked(conn: Any, username: str, moment: dt.datetime) -> bool:
    config = current_app.config
    since = moment - dt.timedelta(minutes=config["LOCKOUT_MINUTES"])
    failures = conn.execute(
        select(func.count())
        .select_from(models.login_failures)
        .where(
            models.login_failures.c.username == username.casefold(),
            models.login_failures.c.at >= since,
        )
    ).scalar_one()
    return failures >= config["LOCKOUT_ATTEMPTS"]


def record_failure(conn: Any, username: str, moment: dt.datetime) -> None:
    conn.execute(models.login_failures.insert().values(username=username.casefold(), at=moment))


def clear_failures(conn: Any, username: str) -> None:
    conn.execute(
        models.login_failures.delete().where(
            models.login_failures.c.username == username.casefold()
        )
    )


# -- CSRF --------------------------------------------------------------------------------------


def csrf_token() -> str:
    """This session's CSRF token (created on first use); templates put it in every form."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def check_csrf() -> None:
    """Refuse a POST without the session's token (400)."""
    if request.method != "POST":
        return
    expected = session.get("csrf")
    given = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    if not expected or not hmac.compare_digest(expected, given):
        abort(400)


# -- the logged-in account ----------------------------------------------------------------------


def load_user() -> None:
    """Put the session's account on `g.user` (None when logged out or deactivated)."""
    g.user = None
    account_id = session.get("account_id")
    if account_id is None:
        return
    with engine().connect() as conn:
        row = conn.execute(
            select(models.accounts).where(models.accounts.c.id == account_id)
        ).first()
    if row is None or not row.active:
        session.clear()
        return
    g.user = {"id": row.id, "username": row.username, "role": row.role}


def login_required(view: Callable) -> Callable:
    """Logged-out visitors are sent to the login page (JSON callers get 401)."""

    @functools.wraps(view)
    def wrapped(**kwargs: Any) -> Any:
        if g.user is None:
            if request.accept_mimetypes.best == "application/json":
                abort(401)
            return redirect(url_for("auth.login", next=request.full_path))
        return view(**kwargs)

    return wrapped


def admin_required(view: Callable) -> Callable:
    """Admins only: others get 403."""

    @functools.wraps(view)
    @login_required
    def wrapped(**kwargs: Any) -> Any:
        if g.user["role"] != models.ROLE_ADMIN:
            abort(403)
        return view(**kwargs)

    return wrapped
