"""Run a command against a fresh assistant stack: `python -m tests.browser.with_stack -- CMD...`.

Starts the action server, Rasa (with the socket.io channel) and the widget's demo page on free
ports with an empty SQLite tracker store, as tests/e2e does; runs CMD with WEB_URL and RASA_URL
in its environment; stops everything; exits with CMD's code. scripts/test_browser.sh uses it to
run the Playwright tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scripts.stack import Stack, free_port


def stack_overrides(tmp: Path) -> dict[str, str]:
    """Free ports and a throw-away tracker store; socket.io allows only the demo page."""
    names = ("RASA_PORT", "ACTION_PORT", "WEB_PORT", "AGENT_API_PORT", "CONSOLE_PORT")
    ports = {name: str(free_port()) for name in names}
    return {
        **ports,
        "DATABASE_URL": f"sqlite:///{tmp / 'rasa.db'}",
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{ports['ACTION_PORT']}/webhook",
        "RASA_URL": f"http://127.0.0.1:{ports['RASA_PORT']}",
        "RASA_PUBLIC_URL": f"http://127.0.0.1:{ports['RASA_PORT']}",
        "WEB_ALLOWED_ORIGINS": (
            f"http://127.0.0.1:{ports['WEB_PORT']},http://localhost:{ports['WEB_PORT']}"
        ),
    }


def main(argv: list[str]) -> int:
    command = argv[1:] if argv[:1] == ["--"] else argv
    if not command:
        print("usage: python -m tests.browser.with_stack -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="browser-stack-") as tmp_dir:
        tmp = Path(tmp_dir)
        stack = Stack.create(stack_overrides(tmp), log_dir=tmp / "logs")
        started = time.monotonic()
        try:
            stack.start()
        except (RuntimeError, TimeoutError) as error:
            print(f"ERROR: the stack did not start: {error}", file=sys.stderr)
            return 1
        print(f"stack ready in {time.monotonic() - started:.0f} s at {stack.web_url}", flush=True)
        env = {**os.environ, "WEB_URL": stack.web_url, "RASA_URL": stack.rasa_url}
        try:
            code = subprocess.call(command, env=env)
        finally:
            stack.stop()
        if code != 0:
            for name in ("rasa", "actions", "web"):
                print(f"--- {name}.log (tail)\n{stack.log_tail(name, 30)}", file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
