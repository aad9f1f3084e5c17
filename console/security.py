"""Passwords, sessions, CSRF, roles, lock-out and the audit log.

- Passwords: scrypt from the standard library (`hashlib.scrypt`, n=2**15, r=8, p=1, 16-byte
  salt), stored as `scrypt$n$r$p$salt$hash` so the cost can be raised later without breaking
  existing hashes.
- Sessions: Flask's signed cookie (HttpOnly, SameSite=Lax, Secure when configured), holding only
  a random session token and the CSRF token. The server keeps the token's SHA-256 in
  `console_sessions`, and each request needs that row and an active account: logging out ends
  that session, deactivating an account or changing its password ends all of its sessions, so a
  copied cookie opens nothing afterwards. A session lasts 8 hours at most, counted on the server.
- CSRF: one random token per session, required in every POST (`csrf_token` form field or
  `X-CSRF-Token` header), compared in constant time; missing or wrong -> 400.
- Lock-out: 5 failed logins in 15 minutes for one name from one client address lock that name
  from that address for the rest of the window, right password or not; the same person can still
  log in from another machine, so nobody locks a colleague out. 20 failures from one address in
  the window, whatever the names, lock that address (one machine cannot try many names).
  Failures of unknown names are counted too.
- Unknown or deactivated names cost the same scrypt work as a real one (a dummy hash made once
  with the same parameters): the answer's time does not tell which names exist.
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


@functools.lru_cache(maxsize=4)
def dummy_hash(n: int = SCRYPT_N) -> str:
    """A hash of a random password, made once per cost: checked against for unknown names."""
    return hash_password(secrets.token_urlsafe(16), n)


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


def client_address() -> str:
    """The client's address (behind nginx, waitress takes it from X-Forwarded-For)."""
    return (request.remote_addr or "-")[:45]


def is_locked(conn: Any, username: str, address: str, moment: dt.datetime) -> bool:
    """True when this name is locked from this address, or this address is locked."""
    config = current_app.config
    since = moment - dt.timedelta(minutes=config["LOCKOUT_MINUTES"])
    f = models.login_failures.c

    def count(*where: Any) -> int:
        query = select(func.count()).select_from(models.login_failures)
        return conn.execute(query.where(f.at >= since, *where)).scalar_one()

    if count(f.address == address) >= config["LOCKOUT_ADDRESS_ATTEMPTS"]:
        return True
    return (
        count(f.username == username.casefold(), f.address == address) >= config["LOCKOUT_ATTEMPTS"]
    )


def record_failure(conn: Any, username: str, address: str, moment: dt.datetime) -> None:
    conn.execute(
        models.login_failures.insert().values(
            username=username.casefold(), address=address, at=moment
        )
    )


def clear_failures(conn: Any, username: str, address: str) -> None:
    """After a successful login: that name's failures from that address only."""
    f = models.login_failures.c
    conn.execute(
        models.login_failures.delete().where(
            f.username == username.casefold(), f.address == address
        )
    )


# -- server-side sessions ------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _lifetime() -> dt.timedelta:
    return current_app.config["PERMANENT_SESSION_LIFETIME"]


def start_session(conn: Any, account_id: int, moment: dt.datetime) -> str:
    """Record a new session for `account_id`; returns the token for the cookie."""
    conn.execute(
        models.sessions.delete().where(models.sessions.c.created_at < moment - _lifetime())
    )
    token = secrets.token_urlsafe(32)
    conn.execute(
        models.sessions.insert().values(
            token_hash=_token_hash(token), account_id=account_id, created_at=moment
        )
    )
    return token


def end_session(token: str | None) -> None:
    """Forget one session (logout)."""
    if not token:
        return
    with engine().begin() as conn:
        conn.execute(
            models.sessions.delete().where(models.sessions.c.token_hash == _token_hash(token))
        )


def end_sessions_of(conn: Any, account_id: int, keep: str | None = None) -> None:
    """Forget every session of an account (deactivation, new password), but `keep`'s."""
    s = models.sessions.c
    query = models.sessions.delete().where(s.account_id == account_id)
    if keep:
        query = query.where(s.token_hash != _token_hash(keep))
    conn.execute(query)


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
    """Put the session's account on `g.user` (None when logged out, ended or deactivated)."""
    g.user = None
    token = session.get("sid")
    if not token:
        return
    s, a = models.sessions.c, models.accounts.c
    with engine().connect() as conn:
        row = conn.execute(
            select(models.accounts, s.created_at.label("session_created_at"))
            .join(models.sessions, s.account_id == a.id)
            .where(s.token_hash == _token_hash(token))
        ).first()
    if row is None or not row.active or row.session_created_at < now() - _lifetime():
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
