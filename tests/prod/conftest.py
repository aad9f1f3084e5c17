"""Tests of the production profile (deploy/): PostgreSQL, Redis, two Rasa servers, nginx.

Run them with `bash deploy/test_prod.sh` (root, Debian's postgresql, redis-server and nginx).
They are not part of `pytest tests/unit` nor `pytest tests/e2e`, and are skipped by a bare
`pytest` unless RUN_PROD_TESTS=1: they take minutes and kill servers on purpose.

One profile is started for the whole session on free ports, in var/prod-test/ (inside the
project: the `postgres` user must be able to reach its data directory, which it cannot under
pytest's private /tmp/pytest-of-root).
"""

from __future__ import annotations

import os
import shutil
import time
import uuid

import pytest
import requests

from deploy.prod import ProdConfig, ProdStack
from scripts.env import PROJECT_DIR

TEST_ROOT = PROJECT_DIR / "var" / "prod-test"
SKIP_UNLESS_ASKED = (
    "production profile test: RUN_PROD_TESTS is not 1; run `make test-prod` "
    "(bash deploy/test_prod.sh: root, PostgreSQL, Redis, nginx, about 5 minutes)"
)


def pytest_configure(config):
    config.addinivalue_line("markers", "prod: production profile (deploy/), slow, needs root")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/prod/" in str(item.fspath):
            item.add_marker(pytest.mark.prod)
            if os.environ.get("RUN_PROD_TESTS") != "1":
                item.add_marker(pytest.mark.skip(reason=SKIP_UNLESS_ASKED))


@pytest.fixture(scope="session")
def prod():
    if os.geteuid() != 0:
        pytest.skip(
            f"the production profile needs root (it runs servers as the postgres and www-data "
            f"users); running as uid {os.geteuid()}"
        )
    for binary in ("redis-server", "nginx"):
        if not (shutil.which(binary) or os.path.exists(f"/usr/sbin/{binary}")):
            pytest.skip(f"{binary} is not installed (apt-get install -y redis-server nginx)")
    shutil.rmtree(TEST_ROOT, ignore_errors=True)
    cfg = ProdConfig.free_ports(TEST_ROOT, guard_timeout=4.0)
    stack = ProdStack.create_prod(cfg)
    stack.start()
    yield stack
    stack.stop()


class Person:
    """One person talking through nginx's public port (REST channel)."""

    def __init__(self, stack: ProdStack, source: str = "127.0.0.1", prefix: str = "prod") -> None:
        self.url = f"{stack.cfg.public_url}/webhooks/rest/webhook"
        self.sender = f"{prefix}-{uuid.uuid4().hex[:12]}"
        self.session = requests.Session()
        self.source = source
        self.retries = 0
        if source != "127.0.0.1":
            from requests.adapters import HTTPAdapter

            class SourceAdapter(HTTPAdapter):
                def init_poolmanager(self, *args, **kwargs):
                    kwargs["source_address"] = (source, 0)
                    super().init_poolmanager(*args, **kwargs)

            self.session.mount("http://", SourceAdapter())

    def post(self, text: str, timeout: float = 60) -> requests.Response:
        return self.session.post(
            self.url, json={"sender": self.sender, "message": text}, timeout=timeout
        )

    def say(self, text: str, retry: bool = False) -> tuple[int, list[dict], float]:
        """(status, messages, seconds). With retry, a 502 or a broken connection (the server
        died while the request was in flight) is sent once more, as the widget would."""
        started = time.monotonic()
        try:
            answer = self.post(text)
        except requests.ConnectionError:
            if not retry:
                raise
            self.retries += 1
            return self.say(text, retry=False)
        if retry and answer.status_code == 502:
            self.retries += 1
            answer = self.post(text)
        body = (
            answer.json()
            if answer.headers.get("Content-Type", "").startswith("application/json")
            else []
        )
        return answer.status_code, body, time.monotonic() - started

    def text(self, text: str) -> str:
        status, messages, _ = self.say(text)
        assert status == 200, status
        return "\n".join(m.get("text", "") for m in messages)


def count_user_events(stack: ProdStack, senders: list[str]) -> dict[str, int]:
    """User messages in PostgreSQL's `events` table (Rasa's tracker store), per sender."""
    conn = stack._pg_connect("rasa")
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT sender_id, count(*) FROM events WHERE type_name = 'user' "
                "AND sender_id = ANY(%s) GROUP BY sender_id",
                (senders,),
            )
            counts = dict(cur.fetchall())
    finally:
        conn.close()
    return {sender: counts.get(sender, 0) for sender in senders}
