"""Environment of the assistant's processes: defaults, overridden by `.env` and the environment.

Every variable is documented in `.env.example`. Rasa reads `${...}` values of endpoints.yml from
the environment, so the launcher and the tests export these before starting the servers.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def read_dotenv(path: Path) -> dict[str, str]:
    """Read KEY=VALUE lines of a .env file (comments and blank lines ignored)."""
    values: dict[str, str] = {}
    if not path.exists():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip('"').strip("'")
    return values


def assistant_env(overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Return os.environ completed with the project's defaults, `.env` and `overrides`."""
    env = dict(os.environ)
    defaults = {
        "RASA_PORT": "5005",
        "ACTION_PORT": "5055",
        "GUARD_PORT": "5066",
        "WEB_PORT": "8080",
        "BIND_HOST": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{PROJECT_DIR / 'var' / 'rasa.db'}",
    }
    for key, value in {**defaults, **read_dotenv(PROJECT_DIR / ".env")}.items():
        env.setdefault(key, value)
    env.update(overrides or {})
    # Rasa calls the action server through its guard (deploy/action_guard.py): an apology within
    # a few seconds when the action server is down or hanging, instead of silence.
    env.setdefault("ACTION_ENDPOINT_URL", f"http://127.0.0.1:{env['GUARD_PORT']}/webhook")
    env.setdefault("RASA_URL", f"http://127.0.0.1:{env['RASA_PORT']}")
    # TensorFlow and Rasa telemetry: quiet, and never phone home (no network here anyway).
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    return env
