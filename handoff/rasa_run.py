"""Start Rasa with its HTTP API protected by a JWT secret that never appears on a command line.

    python -m handoff.rasa_run run --model ... --port 5005 ...   (= `rasa run ...`)

Adds `--enable-api --jwt-secret <secret> --jwt-method HS256` inside the process, so the secret
is not visible in `ps` (a process's arguments are readable by every local user). The secret is
`RASA_JWT_SECRET`, else the file `RASA_JWT_SECRET_FILE` (default var/rasa_jwt_secret), created
with a random value (mode 600) when missing. The handoff process reads the same.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_SECRET_FILE = PROJECT_DIR / "var" / "rasa_jwt_secret"


def jwt_secret(env: dict[str, str] | None = None, create: bool = True) -> str:
    """The JWT secret shared by Rasa and the handoff process."""
    env = os.environ if env is None else env
    if env.get("RASA_JWT_SECRET"):
        return env["RASA_JWT_SECRET"]
    path = Path(env.get("RASA_JWT_SECRET_FILE") or DEFAULT_SECRET_FILE)
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    if not create:
        raise FileNotFoundError(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_urlsafe(48))
    return path.read_text(encoding="utf-8").strip()


def main() -> None:
    secret = jwt_secret()
    sys.argv = [
        "rasa",
        *sys.argv[1:],
        "--enable-api",
        "--jwt-secret",
        secret,
        "--jwt-method",
        "HS256",
    ]
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
