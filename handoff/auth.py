"""Agents' tokens: random, shown once, stored hashed, compared in constant time.

A token is 32 random bytes (URL-safe base64). Only its SHA-256 is stored: a token has 256 bits
of entropy, so a fast hash is enough (no dictionary to attack, unlike a password). Tokens come
from the file `AGENT_TOKENS_FILE` (default `var/agent_tokens.json`, written by
`python -m handoff.cli add-agent NAME`) and from `AGENT_TOKENS` (environment, for containers:
`name:sha256hex[:role],...`).

Roles: "agent" (a person: acts under its own name) and "service" (the staff console: acts for
the agent named in the request body, whom the console has authenticated itself).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_TOKENS_FILE = PROJECT_DIR / "var" / "agent_tokens.json"
ROLE_AGENT = "agent"
ROLE_SERVICE = "service"
ROLES = (ROLE_AGENT, ROLE_SERVICE)


@dataclass(frozen=True)
class Caller:
    """Who holds a token."""

    name: str
    role: str = ROLE_AGENT


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def tokens_file(env: dict[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env.get("AGENT_TOKENS_FILE") or DEFAULT_TOKENS_FILE)


def load_tokens(env: dict[str, str] | None = None) -> dict[str, Caller]:
    """Hash -> caller, from the tokens file and `AGENT_TOKENS`."""
    env = os.environ if env is None else env
    tokens: dict[str, Caller] = {}
    path = tokens_file(env)
    if path.exists():
        for name, entry in json.loads(path.read_text(encoding="utf-8")).items():
            tokens[entry["sha256"]] = Caller(name, entry.get("role", ROLE_AGENT))
    for item in filter(None, (env.get("AGENT_TOKENS") or "").split(",")):
        name, _, rest = item.strip().partition(":")
        digest, _, role = rest.partition(":")
        if name and len(digest) == 64:
            tokens[digest.lower()] = Caller(name, role or ROLE_AGENT)
    return tokens


def authenticate(header: str | None, tokens: dict[str, Caller]) -> Caller | None:
    """The caller of an `Authorization: Bearer <token>` header, or None.

    Every stored hash is compared (constant time each), so the time taken does not depend on
    which entry matches or on how many characters do.
    """
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    presented = hash_token(token.strip())
    found: Caller | None = None
    for digest, caller in tokens.items():
        if hmac.compare_digest(presented, digest):
            found = caller
    return found


def add_agent(name: str, role: str = ROLE_AGENT, path: Path | None = None) -> str:
    """Create (or replace) the token of `name`; return the token, which is not stored."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    path = path or tokens_file()
    entries = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    token = new_token()
    entries[name] = {"sha256": hash_token(token), "role": role}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(entries, indent=2, sort_keys=True), encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)
    return token


def remove_agent(name: str, path: Path | None = None) -> bool:
    path = path or tokens_file()
    entries = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    if entries.pop(name, None) is None:
        return False
    path.write_text(json.dumps(entries, indent=2, sort_keys=True), encoding="utf-8")
    return True
