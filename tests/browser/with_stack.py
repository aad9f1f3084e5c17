"""Run a command against a fresh assistant stack: `python -m tests.browser.with_stack -- CMD...`.

Starts the whole stack (action server, Rasa with the socket.io channel, the widget's demo page,
the agents' API and the staff console) on free ports with an empty SQLite database, as tests/e2e
does, agents always available and reminders sent every second; creates a console admin; runs
CMD with WEB_URL, RASA_URL, CONSOLE_URL, CONSOLE_USER and CONSOLE_PASSWORD in its environment;
stops everything; exits with CMD's code. scripts/test_browser.sh uses it to run the Playwright
tests.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scripts.stack import BIN, PROJECT_DIR, Stack
from tests.ports import free_ports, stack_urls
from tests.seed import seed_visio_offer

CONSOLE_USER = "agent-test"


def stack_overrides(tmp: Path) -> dict[str, str]:
    """Free ports and a throw-away tracker store; socket.io allows only the demo page."""
    ports = free_ports()  # none on the ports of `make run` (tests/ports.py)
    return {
        **ports,
        **stack_urls(ports),
        "DATABASE_URL": f"sqlite:///{tmp / 'rasa.db'}",
        "WEB_ALLOWED_ORIGINS": (
            f"http://127.0.0.1:{ports['WEB_PORT']},http://localhost:{ports['WEB_PORT']}"
        ),
        "HANDOFF_HOURS": "always",
        "REMINDER_INTERVAL_SECONDS": "1",
        "AGENT_TOKENS_FILE": str(tmp / "agent_tokens.json"),
    }


def create_console_admin(stack: Stack, password: str) -> None:
    subprocess.run(
        [str(BIN / "python"), "-m", "console.cli", "create-admin", CONSOLE_USER],
        input=password, text=True, cwd=PROJECT_DIR, env=stack.env, check=True,
        capture_output=True,
    )  # fmt: skip


def main(argv: list[str]) -> int:
    command = argv[1:] if argv[:1] == ["--"] else argv
    if not command:
        print("usage: python -m tests.browser.with_stack -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="browser-stack-") as tmp_dir:
        tmp = Path(tmp_dir)
        overrides = stack_overrides(tmp)
        # The CAF on the Avesnois bus, as the e2e stack has it: console.test.mjs books a slot in
        # the widget, and the shipped offer names no organisation (issue 18). Hondschoote, which
        # visio.test.mjs edits, stays without one.
        seed_visio_offer(overrides["DATABASE_URL"])
        stack = Stack.create(overrides, log_dir=tmp / "logs")
        started = time.monotonic()
        password = secrets.token_urlsafe(16)
        try:
            stack.start()
            create_console_admin(stack, password)
        except (RuntimeError, TimeoutError, subprocess.CalledProcessError) as error:
            stack.stop()
            detail = getattr(error, "stderr", "") or ""
            print(f"ERROR: the stack did not start: {error}\n{detail}", file=sys.stderr)
            return 1
        print(f"stack ready in {time.monotonic() - started:.0f} s at {stack.web_url}", flush=True)
        env = {
            **os.environ,
            "WEB_URL": stack.web_url,
            "RASA_URL": stack.rasa_url,
            "CONSOLE_URL": stack.console_url,
            "CONSOLE_USER": CONSOLE_USER,
            "CONSOLE_PASSWORD": password,
        }
        try:
            code = subprocess.call(command, env=env)
        finally:
            stack.stop()
        if code != 0:
            for name in ("rasa", "actions", "web", "handoff", "console"):
                print(f"--- {name}.log (tail)\n{stack.log_tail(name, 30)}", file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
