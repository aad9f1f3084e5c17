"""End-to-end fixtures: the real action server and Rasa server on free ports, with a fresh
SQLite tracker store, talked to through the REST channel."""

from __future__ import annotations

import uuid

import pytest
import requests

from scripts.stack import Stack, free_port


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("stack")
    overrides = {
        "RASA_PORT": str(free_port()),
        "ACTION_PORT": str(free_port()),
        "WEB_PORT": str(free_port()),
        "DATABASE_URL": f"sqlite:///{tmp / 'rasa.db'}",
        # The agents' API of the handoff process (handoff/, scripts/stack.py).
        "AGENT_API_PORT": str(free_port()),
    }
    overrides["GUARD_PORT"] = str(free_port())  # Rasa -> guard -> action server
    # Every test conversation comes from 127.0.0.1: no per-address limit (channels/limits.py);
    # the per-conversation limit stays on (tested in test_conversation.py).
    overrides["WEB_RATE_PER_ADDRESS"] = "0"
    overrides["RASA_URL"] = f"http://127.0.0.1:{overrides['RASA_PORT']}"
    running = Stack.create(overrides, log_dir=tmp / "logs")
    running.start()
    yield running
    running.stop()


class Conversation:
    """One person talking to the assistant through the REST channel."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.sender = f"test-{uuid.uuid4().hex[:12]}"

    def say(self, text: str) -> list[dict]:
        answer = requests.post(
            f"{self.stack.rasa_url}/webhooks/rest/webhook",
            json={"sender": self.sender, "message": text},
            timeout=60,
        )
        answer.raise_for_status()
        return answer.json()

    def say_text(self, text: str) -> str:
        return "\n".join(m.get("text", "") for m in self.say(text))


@pytest.fixture
def conversation(stack):
    return Conversation(stack)
