"""End-to-end fixtures: the whole stack (action server, guard, Rasa, chat page, agents' API, staff
console) on free ports, with a fresh SQLite tracker store, talked to through the REST channel."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import requests

from scripts.stack import Stack, free_port
from tests.ports import free_ports, stack_urls
from tests.seed import seed_visio_offer


def stack_overrides(tmp: Path) -> dict[str, str]:
    """The e2e stack's environment: a free port for every server, a throw-away tracker store."""
    # Every server on a free port (tests/ports.py): none on the ports of `make run`.
    ports = free_ports()
    overrides = {**ports, **stack_urls(ports), "DATABASE_URL": f"sqlite:///{tmp / 'rasa.db'}"}
    # Every test conversation comes from 127.0.0.1: no per-address limit (channels/limits.py);
    # the per-conversation limit stays on (tested in test_conversation.py).
    overrides["WEB_RATE_PER_ADDRESS"] = "0"
    return overrides


class Inbox:
    """What a local SMTP server (aiosmtpd) received: the e-mail reminders of the stack."""

    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture(scope="session")
def mail_server():
    """A real SMTP server on a free local port; the stack's SMTP_* settings point to it."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def smtp_overrides(controller) -> dict[str, str]:
    return {
        "SMTP_HOST": controller.hostname,
        "SMTP_PORT": str(controller.port),
        "SMTP_FROM": "ne-pas-repondre@franceservices.lenord.fr",
        "SMTP_STARTTLS": "",
        "SMTP_USER": "",
        "SMTP_PASSWORD": "",
    }


@pytest.fixture(scope="session")
def stack(tmp_path_factory, mail_server):
    tmp = tmp_path_factory.mktemp("stack")
    overrides = {**stack_overrides(tmp), **smtp_overrides(mail_server[0])}
    seed_visio_offer(overrides["DATABASE_URL"])
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
