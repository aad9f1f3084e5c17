"""Publishing a model version from the console switches the running Rasa server without a restart
and without losing a conversation; rolling back brings the old model back (issue 17).

The stack of this module is its own (the shared one must keep its model): Rasa pulls its model
from the model server (endpoints.yml `models:`), an admin publishes through the console's HTTP
page, and every event Rasa stores carries the `model_id` of the model that handled it, so the
conversation's own events say which model answered each message.

The candidate here is another trained model of models/, recorded as a version that passed its
gates: training one and running the gates takes minutes (that path, up to the job's verdict, is
tested in tests/unit/test_console_model_page.py and the gates' logic in test_console_versions.py).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tarfile
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from console import versions
from console.conversations import events
from console.security import create_account
from scripts.env import PROJECT_DIR
from scripts.stack import Stack
from store.db import get_engine
from tests.e2e.conftest import Conversation, stack_overrides

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"


def model_id(path: Path) -> str:
    with tarfile.open(path) as archive:
        member = next(m for m in archive.getmembers() if m.name.lstrip("/") == "metadata.json")
        return json.load(archive.extractfile(member))["model_id"]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    trained = sorted((PROJECT_DIR / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if len(trained) < 2:
        pytest.skip("needs two trained models in models/")
    tmp = tmp_path_factory.mktemp("publication")
    overrides = {**stack_overrides(tmp), "MODEL_VERSIONS_DIR": str(tmp / "versions")}
    stack = Stack.create(overrides, log_dir=tmp / "logs", model=trained[-1])
    stack.start(timeout=900)
    yield stack, trained[-1], trained[-2]
    stack.stop()


def console_session(stack: Stack) -> requests.Session:
    engine = get_engine(stack.env["DATABASE_URL"])
    with engine.begin() as conn:
        create_account(conn, "admin", PASSWORD, "admin", 2**10)
    session = requests.Session()
    page = session.get(f"{stack.console_url}/login", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    session.post(
        f"{stack.console_url}/login",
        data={"username": "admin", "password": PASSWORD, "csrf_token": token},
        timeout=30,
    ).raise_for_status()
    # Logging in starts a new session, with its own CSRF token.
    page = session.get(f"{stack.console_url}/teach/versions", timeout=30).text
    session.csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[attr-defined]
    return session


def console_post(session: requests.Session, url: str) -> str:
    response = session.post(url, data={"csrf_token": session.csrf}, timeout=30)
    response.raise_for_status()
    return response.url


def user_events(stack: Stack, sender: str) -> list[dict]:
    engine = get_engine(stack.env["DATABASE_URL"])
    e = events.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(e.data).where(e.sender_id == sender, e.type_name == "user").order_by(e.id)
        ).all()
    return [json.loads(row.data) for row in rows]


def say_until_model(conversation: Conversation, stack: Stack, wanted: str, sent: list[str]):
    """Keep talking until a message is handled by model `wanted` (Rasa pulls every 10 s)."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        text = f"bonjour {len(sent)}"
        # Rasa loads a pulled model inside its event loop: a message arriving meanwhile waits
        # for the load (a minute on a busy machine), it is not lost.
        answer = requests.post(
            f"{stack.rasa_url}/webhooks/rest/webhook",
            json={"sender": conversation.sender, "message": text},
            timeout=600,
        )
        answer.raise_for_status()
        assert answer.json(), "the assistant did not answer"
        sent.append(text)
        if user_events(stack, conversation.sender)[-1]["metadata"].get("model_id") == wanted:
            return
        time.sleep(3)
    raise AssertionError(f"model {wanted} never answered:\n{stack.log_tail('rasa')}")


def test_publish_and_roll_back_without_restart_or_lost_events(setup):
    stack, delivered, other = setup
    rasa_pid = stack.processes["rasa"].pid
    engine = get_engine(stack.env["DATABASE_URL"])
    with engine.begin() as conn:
        version_id = versions.create_version(conn, "admin", dt.datetime.now(dt.timezone.utc), 0)
        versions.update_version(
            conn, version_id, status="ready", path=str(other), sha256=versions.file_sha256(other),
            gates_passed=True, report={"gates": [{"name": "nlu", "passed": True, "detail": ""}]},
        )  # fmt: skip
    conversation = Conversation(stack)
    sent: list[str] = []
    say_until_model(conversation, stack, model_id(delivered), sent)

    session = console_session(stack)
    base = f"{stack.console_url}/teach/versions"
    assert "done=published" in console_post(session, f"{base}/{version_id}/publish")
    say_until_model(conversation, stack, model_id(other), sent)

    assert "done=rolled_back" in console_post(session, f"{base}/rollback")
    say_until_model(conversation, stack, model_id(delivered), sent)

    # One Rasa process all along, and every message of the conversation is in its tracker.
    assert stack.processes["rasa"].pid == rasa_pid and stack.processes["rasa"].poll() is None
    assert [event["text"] for event in user_events(stack, conversation.sender)] == sent
    history = requests.get(base, cookies=session.cookies, timeout=30).text
    assert "retour en arrière" in history and f"version n° {version_id}" in history
