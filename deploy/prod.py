"""The production profile on one machine: `python -m deploy.prod up`; Ctrl-C stops everything.

Starts, on 127.0.0.1 only, and in this order:
  PostgreSQL (cluster in var/prod/pg, run as the unprivileged `postgres` user, password auth)
  Redis (Rasa's lock store, password in a config file of mode 600)
  the store's migrations (`python -m store.cli upgrade` against PostgreSQL)
  the action server, and its guard (deploy/action_guard.py: an apology within 4 s, not silence)
  two Rasa servers on the same model, tracker store and lock store (var/prod/endpoints.yml)
  the chat page server (webchat/server.py): the visits' .ics files of "ajouter à mon agenda"
  nginx on one port in front of them: /webhooks/, /socket.io/ and GET /agenda/ only, body limit,
  rate limit.

    python -m deploy.prod up          # start, supervise (a dead server is restarted), Ctrl-C stops
    python -m deploy.prod init        # only create the PostgreSQL cluster and the secrets
    python -m deploy.prod config      # print the rendered nginx.conf

Ports and limits come from the environment (PROD_HTTP_PORT, PROD_RASA_PORTS, ...; see
`ProdConfig.from_env`); secrets from PROD_PG_PASSWORD / PROD_REDIS_PASSWORD or files created once
in var/prod/secrets (mode 600). Logs: var/prod/logs. Reuses scripts/stack.py (process groups,
health waits, credentials) so that the development and production profiles run the same servers.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from deploy.channels import prod_credentials
from scripts.env import PROJECT_DIR
from scripts.stack import BIN, Stack, effective_credentials, free_port, latest_model

DEPLOY_DIR = Path(__file__).resolve().parent
PG_USER = "postgres"  # the Debian package's unprivileged user: PostgreSQL refuses to run as root
NGINX_USER = "www-data"


def pg_bin_dir() -> Path:
    """The newest PostgreSQL server installed from Debian's packages."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
    if not found:
        raise FileNotFoundError("PostgreSQL is not installed: apt-get install -y postgresql")
    return found[-1].parent


def require_binary(name: str, package: str) -> str:
    path = shutil.which(name) or f"/usr/sbin/{name}"
    if not Path(path).exists():
        raise FileNotFoundError(f"{name} is not installed: apt-get install -y {package}")
    return path


@dataclass
class ProdConfig:
    """Where the profile lives, its ports and its limits."""

    root: Path = PROJECT_DIR / "var" / "prod"
    http_port: int = 8000
    rasa_ports: tuple[int, ...] = (5015, 5016)
    action_port: int = 5065
    guard_port: int = 5066
    agent_api_port: int = 5076
    console_port: int = 5090
    console_http_port: int = 8001
    web_port: int = 5085
    model_server_port: int = 5081
    pg_port: int = 55433
    redis_port: int = 6380
    body_limit: str = "16k"
    rate_per_second: int = 2
    burst: int = 10
    guard_timeout: float = 4.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides) -> ProdConfig:
        env = os.environ if env is None else env
        cfg = cls(**overrides)
        mapping = {
            "PROD_ROOT": ("root", Path),
            "PROD_HTTP_PORT": ("http_port", int),
            "PROD_RASA_PORTS": ("rasa_ports", lambda v: tuple(int(p) for p in v.split(","))),
            "PROD_ACTION_PORT": ("action_port", int),
            "PROD_GUARD_PORT": ("guard_port", int),
            "PROD_AGENT_API_PORT": ("agent_api_port", int),
            "PROD_CONSOLE_PORT": ("console_port", int),
            "PROD_CONSOLE_HTTP_PORT": ("console_http_port", int),
            "PROD_WEB_PORT": ("web_port", int),
            "PROD_MODEL_SERVER_PORT": ("model_server_port", int),
            "PROD_PG_PORT": ("pg_port", int),
            "PROD_REDIS_PORT": ("redis_port", int),
            "PROD_BODY_LIMIT": ("body_limit", str),
            "PROD_RATE": ("rate_per_second", int),
            "PROD_BURST": ("burst", int),
            "ACTION_GUARD_TIMEOUT": ("guard_timeout", float),
        }
        for var, (attr, convert) in mapping.items():
            if env.get(var) and attr not in overrides:
                setattr(cfg, attr, convert(env[var]))
        return cfg

    @classmethod
    def free_ports(cls, root: Path, rasa_servers: int = 2, **overrides) -> ProdConfig:
        """A configuration on ports free right now (the tests)."""
        return cls(
            root=root,
            http_port=free_port(),
            rasa_ports=tuple(free_port() for _ in range(rasa_servers)),
            action_port=free_port(),
            guard_port=free_port(),
            agent_api_port=free_port(),
            console_port=free_port(),
            console_http_port=free_port(),
            web_port=free_port(),
            model_server_port=free_port(),
            pg_port=free_port(),
            redis_port=free_port(),
            **overrides,
        )

    @property
    def log_dir(self) -> Path:
        return self.root / "logs"

    @property
    def run_dir(self) -> Path:
        return self.root / "run"

    @property
    def pg_dir(self) -> Path:
        return self.root / "pg"

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def console_url(self) -> str:
        """The staff console through nginx (its own port: an office network, not the public)."""
        return f"http://127.0.0.1:{self.console_http_port}"


def secret(cfg: ProdConfig, name: str, env: dict[str, str]) -> str:
    """PROD_<NAME> from the environment, else var/prod/secrets/<name> (created once, mode 600)."""
    if env.get(f"PROD_{name.upper()}"):
        return env[f"PROD_{name.upper()}"]
    path = cfg.root / "secrets" / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(24))  # hex: safe in URLs and config files
    return path.read_text().strip()


def _chown(path: Path, user: str) -> None:
    entry = pwd.getpwnam(user)
    os.chown(path, entry.pw_uid, entry.pw_gid)


def init_postgres(cfg: ProdConfig, superuser_password: str) -> bool:
    """Create the cluster in cfg.pg_dir (as the postgres user) unless it exists; True if created."""
    if (cfg.pg_dir / "PG_VERSION").exists():
        return False
    cfg.pg_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    _chown(cfg.pg_dir, PG_USER)
    pwfile = cfg.root / "run" / "pg-initdb-pw"
    pwfile.parent.mkdir(parents=True, exist_ok=True)
    pwfile.write_text(superuser_password + "\n")
    _chown(pwfile, PG_USER)
    pwfile.chmod(0o600)
    try:
        subprocess.run(
            [str(pg_bin_dir() / "initdb"), "-D", str(cfg.pg_dir), "-U", "postgres",
             "--auth=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C.UTF-8"],
            user=PG_USER, check=True, capture_output=True, text=True,
        )  # fmt: skip
    finally:
        pwfile.unlink(missing_ok=True)
    return True


def wait_tcp(port: int, timeout: float, alive=lambda: True, what: str = "") -> None:
    """Wait until 127.0.0.1:port accepts connections."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"{what} exited before listening on port {port}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.2)
    raise TimeoutError(f"{what} did not listen on port {port} in {timeout:.0f} s")


def console_command(port: int) -> list[str]:
    """The staff console on waitress (console/cli.py), on loopback behind nginx: the client's
    address comes from the X-Forwarded-For nginx appends (the lock-out counts per address)."""
    return [str(BIN / "python"), "-m", "console.cli", "serve", "--host", "127.0.0.1",
            "--port", str(port), "--trusted-proxy", "127.0.0.1"]  # fmt: skip


def render_nginx(cfg: ProdConfig) -> str:
    """nginx.conf from deploy/nginx.conf.template (placeholders @@NAME@@, not nginx's $vars)."""
    text = (DEPLOY_DIR / "nginx.conf.template").read_text(encoding="utf-8")
    # A server that failed once is left aside for 10 s (then tried again).
    upstream_lines = "\n".join(
        f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;" for port in cfg.rasa_ports
    )
    values = {
        "RUN_DIR": str(cfg.run_dir),
        "LOG_DIR": str(cfg.log_dir),
        "NGINX_DIR": str(cfg.root / "nginx"),
        "HTTP_PORT": str(cfg.http_port),
        "CONSOLE_HTTP_PORT": str(cfg.console_http_port),
        "CONSOLE_PORT": str(cfg.console_port),
        "WEB_PORT": str(cfg.web_port),
        "BODY_LIMIT": cfg.body_limit,
        "RATE": str(cfg.rate_per_second),
        "BURST": str(cfg.burst),
        "REST_SERVERS": upstream_lines,
        "SOCKETIO_SERVERS": upstream_lines,
    }
    for key, value in values.items():
        text = text.replace(f"@@{key}@@", value)
    return text


@dataclass
class ProdStack(Stack):
    """The running processes of the production profile (a Stack: same spawn, wait, logs)."""

    cfg: ProdConfig = field(default_factory=ProdConfig)
    rasa_args: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def create_prod(cls, cfg: ProdConfig | None = None, model: Path | None = None) -> ProdStack:
        cfg = cfg or ProdConfig.from_env()
        for directory in (cfg.root, cfg.log_dir, cfg.run_dir):
            directory.mkdir(parents=True, exist_ok=True)
        base = Stack.create(
            {"DATABASE_URL": "postgresql://unset", "ACTION_PORT": str(cfg.action_port)},
            log_dir=cfg.log_dir, with_web=False, model=model,
        )  # fmt: skip
        env = base.env
        pg_password = secret(cfg, "pg_password", env)
        redis_password = secret(cfg, "redis_password", env)
        env.update(
            {
                "PGPASSWORD_SUPERUSER": pg_password,
                "DATABASE_URL": f"postgresql://rasa:{pg_password}@127.0.0.1:{cfg.pg_port}/rasa",
                "ACTION_PORT": str(cfg.action_port),
                "GUARD_PORT": str(cfg.guard_port),
                "ACTION_UPSTREAM_URL": f"http://127.0.0.1:{cfg.action_port}/webhook",
                "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{cfg.guard_port}/webhook",
                "ACTION_GUARD_TIMEOUT": f"{cfg.guard_timeout:g}",
                "REDIS_HOST": "127.0.0.1",
                "REDIS_PORT": str(cfg.redis_port),
                "REDIS_PASSWORD": redis_password,
                "REDIS_DB": "1",
                "REDIS_KEY_PREFIX": "fsnord",
                # socket.io emits relayed between the Rasa servers (webchat/socketio_channel.py).
                "SOCKETIO_REDIS_URL": f"redis://:{redis_password}@127.0.0.1:{cfg.redis_port}/2",
                # Rasa opens up to 50 + 100 PostgreSQL connections per server by default:
                # two servers would exceed max_connections=100.
                "SQL_POOL_SIZE": env.get("SQL_POOL_SIZE", "10"),
                "SQL_MAX_OVERFLOW": env.get("SQL_MAX_OVERFLOW", "10"),
                # A lock left by a server that died is freed after this many seconds (Rasa's
                # default, 60, would keep that conversation waiting a minute). It must exceed
                # the longest message handling: NLU + the guard's 4 s for an action.
                "TICKET_LOCK_LIFETIME": env.get("TICKET_LOCK_LIFETIME", "15"),
                # The web widget is served through nginx's port.
                "WEB_ALLOWED_ORIGINS": env.get("WEB_ALLOWED_ORIGINS", cfg.public_url),
                # nginx (on this machine) appends the person's address (channels/limits.py).
                "WEB_TRUSTED_PROXIES": env.get("WEB_TRUSTED_PROXIES", "127.0.0.1"),
                # The handoff process delivers through any live Rasa server (handoff/rasa_api.py).
                "RASA_URL": ",".join(f"http://127.0.0.1:{port}" for port in cfg.rasa_ports),
                "AGENT_API_PORT": str(cfg.agent_api_port),
                "CONSOLE_PORT": str(cfg.console_port),
                # The chat page server, on loopback: nginx serves its /agenda/ (the .ics of
                # "ajouter à mon agenda"), and the assistant's links start with nginx's address
                # (actions/reminders.py; set WEB_PUBLIC_URL to the public https address).
                "WEB_PORT": str(cfg.web_port),
                "BIND_HOST": "127.0.0.1",
                "WEB_PUBLIC_URL": env.get("WEB_PUBLIC_URL") or cfg.public_url,
                # The model server both Rasa servers pull from (deploy/endpoints.prod.yml).
                "MODEL_SERVER_PORT": str(cfg.model_server_port),
                "MODEL_SERVER_URL": f"http://127.0.0.1:{cfg.model_server_port}/models/current",
                "CONSOLE_SECRET_KEY": secret(cfg, "console_secret_key", env),
            }
        )
        # The console's service token for the agents' API, made by Stack.create.
        console_env = {
            **base.console_env,
            "AGENT_API_URL": f"http://127.0.0.1:{cfg.agent_api_port}",
        }
        return cls(
            env=env,
            model=base.model,
            log_dir=cfg.log_dir,
            with_web=False,
            cfg=cfg,
            console_env=console_env,
        )

    # --- the servers -------------------------------------------------------------------------

    def _spawn(self, name: str, args: list[str], extra_env: dict[str, str] | None = None) -> None:
        super()._spawn(name, args, extra_env)
        self._write_pid(name)

    def _write_pid(self, name: str) -> None:
        # For bench/load.py (memory of the Rasa servers) and for an operator's `kill`.
        (self.cfg.run_dir / f"{name}.pid").write_text(f"{self.processes[name].pid}\n")

    def _spawn_as(self, name: str, args: list[str], user: str | None = None) -> None:
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        env = {k: v for k, v in self.env.items() if not k.startswith(("PGPASSWORD", "REDIS_PASS"))}
        self.processes[name] = subprocess.Popen(
            args, cwd=PROJECT_DIR, env=env if user else self.env, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True, user=user,
        )  # fmt: skip
        self._write_pid(name)

    def start_postgres(self, timeout: float = 60) -> None:
        cfg = self.cfg
        init_postgres(cfg, self.env["PGPASSWORD_SUPERUSER"])
        sock_dir = cfg.run_dir / "pg"
        sock_dir.mkdir(parents=True, exist_ok=True)
        _chown(sock_dir, PG_USER)
        self._spawn_as(
            "postgres",
            [str(pg_bin_dir() / "postgres"), "-D", str(cfg.pg_dir), "-p", str(cfg.pg_port),
             "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={sock_dir}",
             "-c", "max_connections=100", "-c", "log_min_messages=warning"],
            user=PG_USER,
        )  # fmt: skip
        proc = self.processes["postgres"]
        wait_tcp(cfg.pg_port, timeout, lambda: proc.poll() is None, "postgres")
        self._wait_pg_ready(timeout)
        self._ensure_database()

    def _pg_connect(self, dbname: str = "postgres"):
        import psycopg2

        return psycopg2.connect(
            host="127.0.0.1", port=self.cfg.pg_port, user="postgres",
            password=self.env["PGPASSWORD_SUPERUSER"], dbname=dbname, connect_timeout=3,
        )  # fmt: skip

    def _wait_pg_ready(self, timeout: float) -> None:
        import psycopg2

        deadline = time.monotonic() + timeout
        while True:
            try:
                self._pg_connect().close()
                return
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)

    def _ensure_database(self) -> None:
        """The `rasa` role and database (owner of Rasa's tables and the store's)."""
        password = self.env["PGPASSWORD_SUPERUSER"]
        conn = self._pg_connect()
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = 'rasa'")
            if not cur.fetchone():
                cur.execute("CREATE ROLE rasa LOGIN PASSWORD %s", (password,))
            cur.execute("SELECT 1 FROM pg_database WHERE datname = 'rasa'")
            if not cur.fetchone():
                cur.execute("CREATE DATABASE rasa OWNER rasa ENCODING 'UTF8'")
        conn.close()

    def start_redis(self, timeout: float = 30) -> None:
        cfg = self.cfg
        data = cfg.root / "redis"
        data.mkdir(parents=True, exist_ok=True)
        conf = data / "redis.conf"
        # The password in a file of mode 600, not on the command line (visible in `ps`).
        conf.write_text(
            f"bind 127.0.0.1\nport {cfg.redis_port}\nprotected-mode yes\n"
            f"requirepass {self.env['REDIS_PASSWORD']}\ndir {data}\n"
            'save ""\nappendonly no\ndaemonize no\nlogfile ""\n'
        )
        conf.chmod(0o600)
        self._spawn_as("redis", [require_binary("redis-server", "redis-server"), str(conf)])
        proc = self.processes["redis"]
        wait_tcp(cfg.redis_port, timeout, lambda: proc.poll() is None, "redis")

    def migrate(self) -> None:
        migrate = subprocess.run(
            [str(BIN / "python"), "-m", "store.cli", "upgrade"],
            cwd=PROJECT_DIR, env=self.env, capture_output=True, text=True,
        )  # fmt: skip
        if migrate.returncode != 0:
            raise RuntimeError(f"database migration failed:\n{migrate.stdout}{migrate.stderr}")

    def start_actions(self, timeout: float = 120) -> None:
        self.start_action_server(timeout)
        self.start_guard(timeout)

    def start_action_server(self, timeout: float = 120) -> None:
        self._spawn(
            "actions",
            [str(BIN / "python"), "-m", "scripts.action_server",
             "--port", str(self.cfg.action_port)],
        )  # fmt: skip
        self._wait(f"{self.action_url}/health", "actions", timeout)

    def start_guard(self, timeout: float = 60) -> None:
        self._spawn("guard", [str(BIN / "python"), "-m", "deploy.action_guard",
                              "--port", str(self.cfg.guard_port)])  # fmt: skip
        self._wait(f"http://127.0.0.1:{self.cfg.guard_port}/health", "guard", timeout)

    def start_handoff(self, timeout: float = 60) -> None:
        """The agents' API and the reminder sender (handoff/), on loopback."""
        self._spawn("handoff", [str(BIN / "python"), "-m", "handoff"])
        self._wait(f"http://127.0.0.1:{self.cfg.agent_api_port}/health", "handoff", timeout)

    def start_console(self, timeout: float = 60) -> None:
        """The staff console (console/), on loopback; nginx serves it on console_http_port."""
        self._spawn("console", console_command(self.cfg.console_port), extra_env=self.console_env)
        self._wait(f"http://127.0.0.1:{self.cfg.console_port}/login", "console", timeout)

    def start_web(self, timeout: float = 60) -> None:
        """The chat page server (webchat/server.py), on loopback; nginx serves its GET /agenda/
        only (the visits' .ics files the assistant links to on the website)."""
        self._spawn("web", [str(BIN / "python"), "-m", "webchat.server"])
        self._wait(f"http://127.0.0.1:{self.cfg.web_port}/", "web", timeout)

    def rasa_names(self) -> list[str]:
        return [f"rasa-{i + 1}" for i in range(len(self.cfg.rasa_ports))]

    def start_rasa(self, index: int) -> None:
        """Spawn Rasa server number `index` (0-based); does not wait (see wait_rasa)."""
        cfg = self.cfg
        endpoints = cfg.root / "endpoints.yml"
        shutil.copyfile(DEPLOY_DIR / "endpoints.prod.yml", endpoints)
        credentials = effective_credentials(self.env, cfg.root / "credentials.yml")
        # The same channels, with an apology instead of silence on failure (deploy/channels.py).
        credentials.write_text(prod_credentials(credentials.read_text(encoding="utf-8")))
        name = f"rasa-{index + 1}"
        self._spawn(
            name,
            # = handoff/rasa_run.py (`rasa run` + --enable-api with the JWT secret), with no silent
            # fall back to memory (deploy/rasa_prod.py); nginx never proxies the API.
            [str(BIN / "python"), "-m", "deploy.rasa_prod", "run", "--model", str(self.model),
             "--interface", "127.0.0.1", "--port", str(cfg.rasa_ports[index]),
             "--credentials", str(credentials), "--endpoints", str(endpoints),
             "--log-file", str(cfg.log_dir / f"{name}-debug.log")],
        )  # fmt: skip

    def wait_rasa(self, index: int, timeout: float = 300) -> None:
        self._wait(f"http://127.0.0.1:{self.cfg.rasa_ports[index]}/", f"rasa-{index + 1}", timeout)

    def start_nginx(self, timeout: float = 20) -> None:
        cfg = self.cfg
        nginx_dir = cfg.root / "nginx"
        for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (nginx_dir / sub).mkdir(parents=True, exist_ok=True)
            _chown(nginx_dir / sub, NGINX_USER)
        conf = nginx_dir / "nginx.conf"
        conf.write_text(render_nginx(cfg))
        binary = require_binary("nginx", "nginx")
        error_log = str(cfg.log_dir / "nginx-error.log")
        check = subprocess.run(
            [binary, "-t", "-p", str(nginx_dir), "-c", str(conf), "-e", error_log],
            capture_output=True, text=True,
        )  # fmt: skip
        if check.returncode != 0:
            raise RuntimeError(f"nginx.conf is invalid:\n{check.stderr}")
        self._spawn_as(
            "nginx",
            [binary, "-p", str(nginx_dir), "-c", str(conf), "-e", error_log, "-g", "daemon off;"],
        )
        proc = self.processes["nginx"]
        wait_tcp(cfg.http_port, timeout, lambda: proc.poll() is None, "nginx")

    def start(self, timeout: float = 300.0) -> None:
        """Start everything in order and wait until each answers; on failure stop all, raise."""
        try:
            self.start_postgres()
            self.start_redis()
            self.migrate()
            self.start_actions()
            self.start_model_server()
            for index in range(len(self.cfg.rasa_ports)):
                self.start_rasa(index)
            for index in range(len(self.cfg.rasa_ports)):
                self.wait_rasa(index, timeout)
            self.start_handoff()
            self.start_console()
            self.start_web()
            self.start_nginx()
        except Exception:
            self.stop()
            raise

    # --- stopping ----------------------------------------------------------------------------

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Send `sig` to one process group and wait for it (the failover and fault tests)."""
        proc = self.processes.get(name)
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def stop(self) -> None:
        """Front to back: nginx, Rasa, actions, then Redis and PostgreSQL (fast shutdown)."""
        back = ["models", "guard", "actions", "redis"]
        order = ["nginx", "web", "console", "handoff", *self.rasa_names(), *back]
        for name in order:
            proc = self.processes.get(name)
            if proc is not None and proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for name in order:
            proc = self.processes.get(name)
            if proc is not None:
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.kill(name)
        # SIGINT is PostgreSQL's "fast" shutdown (SIGTERM would wait for every client).
        self.kill("postgres", signal.SIGINT)
        self.processes.clear()


def supervise(stack: ProdStack, restart_after: float = 2.0) -> None:
    """Keep the profile up: a process that dies is logged and started again (like a
    Kubernetes restart policy); Ctrl-C or SIGTERM stops everything."""
    starters = {
        "postgres": stack.start_postgres,
        "redis": stack.start_redis,
        "nginx": stack.start_nginx,
        "handoff": stack.start_handoff,
        "console": stack.start_console,
        "web": stack.start_web,
        "models": stack.start_model_server,
    }
    while True:
        time.sleep(1)
        for name, proc in list(stack.processes.items()):
            if proc.poll() is None:
                continue
            print(f"{time.strftime('%H:%M:%S')} {name} exited with code {proc.returncode}: "
                  f"restarting it in {restart_after:g} s (log: {stack.log_dir / name}.log)",
                  file=sys.stderr, flush=True)  # fmt: skip
            time.sleep(restart_after)
            try:
                if name.startswith("rasa-"):
                    stack.start_rasa(int(name.split("-")[1]) - 1)
                elif name == "actions":
                    stack.start_action_server()
                elif name == "guard":
                    stack.start_guard()
                else:
                    starters[name]()
            except Exception as error:  # noqa: BLE001 - keep supervising the rest
                print(f"restart of {name} failed: {error}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.prod", description=__doc__.split("\n")[0]
    )
    parser.add_argument("command", choices=["up", "init", "config"])
    args = parser.parse_args(argv)
    cfg = ProdConfig.from_env()
    if args.command == "config":
        print(render_nginx(cfg))
        return 0
    if os.geteuid() != 0:
        print("ERROR: run as root: PostgreSQL is started as the `postgres` user and nginx's "
              "workers as www-data.", file=sys.stderr)  # fmt: skip
        return 1
    for name, package in (("redis-server", "redis-server"), ("nginx", "nginx")):
        try:
            require_binary(name, package)
        except FileNotFoundError as error:
            print(f"ERROR: {error}", file=sys.stderr)
            return 1
    if args.command == "init":
        env = dict(os.environ)
        created = init_postgres(cfg, secret(cfg, "pg_password", env))
        secret(cfg, "redis_password", env)
        print(("created" if created else "kept") + f" the PostgreSQL cluster in {cfg.pg_dir}")
        return 0
    stack = ProdStack.create_prod(cfg, model=latest_model())
    print(f"Starting the production profile with model {stack.model.name} "
          f"(logs in {cfg.log_dir}; the Rasa servers take a minute or two)...",
          flush=True)  # fmt: skip
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        stack.start()
        print(
            f"Ready.\n  Public entry (nginx): {cfg.public_url}\n"
            f"    REST:      POST {cfg.public_url}/webhooks/rest/webhook\n"
            f"    socket.io: {cfg.public_url}/socket.io/\n"
            f"    agenda:    GET {cfg.public_url}/agenda/<tour>/<insee>/<YYYY-MM-DD>.ics\n"
            f"  Staff console (nginx): {cfg.console_url}"
            " (first admin: python -m console.cli create-admin NAME)\n"
            f"  Rasa servers: {', '.join(f'127.0.0.1:{p}' for p in cfg.rasa_ports)}"
            " (loopback only)\n"
            f"  PostgreSQL 127.0.0.1:{cfg.pg_port}, Redis 127.0.0.1:{cfg.redis_port}\n"
            "Press Ctrl-C to stop.",
            flush=True,
        )
        supervise(stack)
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
        return 0
    except (RuntimeError, TimeoutError, OSError) as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 1
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
