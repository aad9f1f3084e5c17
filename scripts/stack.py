"""Start and stop the assistant's processes: action server, Rasa server, local chat page.

Used by `make run` (scripts/run.py), the end-to-end tests and the benchmarks, so that all three
run the same thing. Each process gets the environment from scripts/env.py.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from handoff.auth import ROLE_SERVICE, hash_token, new_token
from handoff.rasa_run import jwt_secret
from scripts.env import PROJECT_DIR, assistant_env

BIN = Path(sys.executable).parent


# Channels enabled when their required settings are in the environment (docs/channels.md).
OPTIONAL_CHANNELS = {
    "channels.sms.SecureTwilioInput": ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_NUMBER"),
    "channels.messenger.SecureMessengerInput": (
        "MESSENGER_APP_SECRET",
        "MESSENGER_PAGE_ACCESS_TOKEN",
        "MESSENGER_VERIFY_TOKEN",
    ),
}


def effective_credentials(env: dict[str, str], target: Path) -> Path:
    """Write credentials.yml plus the channels whose settings are present; return its path.

    Rasa refuses to start on a `${VAR}` that is not set, so SMS and Messenger are added only
    where configured; their connectors read the values from the environment themselves.
    """
    text = (PROJECT_DIR / "credentials.yml").read_text(encoding="utf-8")
    for connector, variables in OPTIONAL_CHANNELS.items():
        if all(env.get(v) for v in variables):
            text += f"\n{connector}: {{}}\n"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


def free_port() -> int:
    """Return a TCP port free on the loopback interface right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def latest_model(models_dir: Path = PROJECT_DIR / "models") -> Path:
    """Return the newest trained model, or raise with a hint."""
    models = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise FileNotFoundError(f"No trained model in {models_dir}: run `make train`.")
    return models[-1]


@dataclass
class Stack:
    """The running processes of one assistant instance."""

    env: dict[str, str]
    model: Path
    log_dir: Path
    with_web: bool = True
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    # Given to the staff console only (its token for the agents' API), see `create`.
    console_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(
        cls,
        overrides: dict[str, str] | None = None,
        log_dir: Path | None = None,
        with_web: bool = True,
        model: Path | None = None,
    ) -> Stack:
        env = assistant_env(overrides)
        log_dir = log_dir or PROJECT_DIR / "var" / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        # Agents' API and Rasa's HTTP API (handoff/, docs/handoff.md): the JWT secret comes
        # from the environment or var/rasa_jwt_secret (created once), never from a command line.
        env.setdefault("AGENT_API_PORT", "5056")
        env.setdefault("RASA_JWT_SECRET", jwt_secret(env))
        db_url = env["DATABASE_URL"]
        if db_url.startswith("sqlite:///"):
            Path(db_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        # The staff console sends agents' answers through the agents' API (docs/console.md):
        # unless one is configured, it gets a service token made for this run, known to the
        # handoff process by its hash only, and given to the console's environment alone.
        console_env = {
            "AGENT_API_URL": env.get("AGENT_API_URL") or f"http://127.0.0.1:{env['AGENT_API_PORT']}"
        }
        if not env.get("AGENT_API_TOKEN"):
            token = new_token()
            console_env["AGENT_API_TOKEN"] = token
            service = f"console:{hash_token(token)}:{ROLE_SERVICE}"
            env["AGENT_TOKENS"] = ",".join(filter(None, [env.get("AGENT_TOKENS"), service]))
        # The model server every Rasa server pulls its model from (endpoints.yml `models:`,
        # console/model_server.py): the last model published from the console, or this one.
        model = model or latest_model()
        env.setdefault("MODEL_SERVER_PORT", "5080")
        env.setdefault(
            "MODEL_SERVER_URL", f"http://127.0.0.1:{env['MODEL_SERVER_PORT']}/models/current"
        )
        env.setdefault("MODEL_DELIVERED_DIR", str(Path(model).resolve()))
        return cls(
            env=env,
            model=model,
            log_dir=log_dir,
            with_web=with_web,
            console_env=console_env,
        )

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.env['RASA_PORT']}"

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.env['ACTION_PORT']}"

    @property
    def agent_api_url(self) -> str:
        return f"http://127.0.0.1:{self.env['AGENT_API_PORT']}"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.env['WEB_PORT']}"

    @property
    def console_url(self) -> str:
        return f"http://127.0.0.1:{self.env.get('CONSOLE_PORT', '8090')}"

    def _spawn(self, name: str, args: list[str], extra_env: dict[str, str] | None = None) -> None:
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        self.processes[name] = subprocess.Popen(
            args,
            cwd=PROJECT_DIR,
            env={**self.env, **(extra_env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start(self, timeout: float = 180.0) -> None:
        """Start every process and wait until each answers, or raise with its log's tail."""
        host = self.env["BIND_HOST"]
        migrate = subprocess.run(
            [str(BIN / "python"), "-m", "store.cli", "upgrade"],
            cwd=PROJECT_DIR, env=self.env, capture_output=True, text=True,
        )  # fmt: skip
        if migrate.returncode != 0:
            raise RuntimeError(f"database migration failed:\n{migrate.stdout}{migrate.stderr}")
        credentials = effective_credentials(self.env, self.log_dir / "credentials.yml")
        # Before Rasa: with a `models:` endpoint Rasa loads its model from there at start.
        try:
            self.start_model_server(timeout)
        except BaseException:
            self.stop()
            raise
        self._spawn(
            "actions",
            [str(BIN / "python"), "-m", "scripts.action_server", "--port", self.env["ACTION_PORT"]],
        )
        # The guard in front of the action server (Rasa's action_endpoint points to it).
        self._spawn(
            "guard",
            [str(BIN / "python"), "-m", "deploy.action_guard", "--port", self.env["GUARD_PORT"],
             "--upstream", f"{self.action_url}/webhook"],
        )  # fmt: skip
        self._spawn(
            "rasa",
            [
                # = `rasa run` plus --enable-api and the JWT secret (handoff/rasa_run.py)
                str(BIN / "python"),
                "-m",
                "handoff.rasa_run",
                "run",
                "--model",
                str(self.model),
                "--interface",
                host,
                "--port",
                self.env["RASA_PORT"],
                "--credentials",
                str(credentials),
                "--endpoints",
                "endpoints.yml",
                "--log-file",
                str(self.log_dir / "rasa-debug.log"),
            ],
        )
        if self.with_web:
            self._spawn("web", [str(BIN / "python"), "-m", "webchat.server"])
            # The staff console (docs/console.md), on CONSOLE_PORT (default 8090).
            self._spawn(
                "console",
                [str(BIN / "python"), "-m", "console.cli", "serve", "--host", host,
                 "--port", self.env.get("CONSOLE_PORT", "8090")],
                extra_env=self.console_env,
            )  # fmt: skip
        try:
            self._wait(f"{self.action_url}/health", "actions", timeout)
            self._wait(f"http://127.0.0.1:{self.env['GUARD_PORT']}/health", "guard", timeout)
            self._wait(f"{self.rasa_url}/", "rasa", timeout)
            # The agents' API and the reminder sender, once Rasa answers (it delivers through it).
            self._spawn("handoff", [str(BIN / "python"), "-m", "handoff"])
            self._wait(f"{self.agent_api_url}/health", "handoff", timeout)
            if self.with_web:
                self._wait(f"{self.web_url}/", "web", timeout)
                self._wait(f"{self.console_url}/login", "console", timeout)
        except BaseException:  # also Ctrl-C during start-up: never leave a process behind
            self.stop()
            raise

    def start_model_server(self, timeout: float = 60.0) -> None:
        """Start the model server (on loopback only) and wait until it answers."""
        port = self.env["MODEL_SERVER_PORT"]
        self._spawn(
            "models",
            [str(BIN / "python"), "-m", "console.model_server", "--host", "127.0.0.1",
             "--port", port],
        )  # fmt: skip
        self._wait(f"http://127.0.0.1:{port}/health", "models", timeout)

    def _wait(self, url: str, name: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            proc = self.processes[name]
            if proc.poll() is not None:
                raise RuntimeError(
                    f"{name} exited with code {proc.returncode}:\n{self.log_tail(name)}"
                )
            try:
                if requests.get(url, timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise TimeoutError(
            f"{name} did not answer at {url} in {timeout:.0f} s:\n{self.log_tail(name)}"
        )

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.log_dir / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """Stop every process (SIGTERM to its process group, then SIGKILL after 10 s)."""
        for proc in self.processes.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in self.processes.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.processes.clear()

    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
