"""How the console sends an agent's answer to a citizen and hands the conversation back.

The handoff side (the agents' HTTP API, which delivers agent messages through Rasa to the
citizen's channel) belongs to the handoff package. The console depends only on this small
interface; `HttpRelay` is its real implementation, posting to that API:

    POST {AGENT_API_URL}/conversations/{sender_id}/messages   {"text": ..., "agent": ...}
    POST {AGENT_API_URL}/conversations/{sender_id}/hand_back  {"agent": ...}

with `Authorization: Bearer {AGENT_API_TOKEN}`. Without AGENT_API_URL, `NullRelay` refuses to
send (the page says so) rather than pretending the citizen got the answer.
"""

from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import quote

import requests


class RelayError(Exception):
    """The answer could not be delivered (API down, refused, not configured)."""


class Relay(Protocol):
    """Deliver agent messages to the citizen's conversation."""

    def send(self, sender_id: str, text: str, agent: str) -> None: ...

    def hand_back(self, sender_id: str, agent: str) -> None: ...


class HttpRelay:
    """The agents' HTTP API of the handoff package."""

    def __init__(self, base_url: str, token: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def _post(self, path: str, payload: dict[str, Any]) -> None:
        try:
            response = requests.post(
                f"{self.base_url}{path}",
                json=payload,
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=self.timeout,
            )
        except requests.RequestException as error:
            raise RelayError(str(error)) from error
        if not response.ok:
            raise RelayError(f"HTTP {response.status_code}: {response.text[:200]}")

    def send(self, sender_id: str, text: str, agent: str) -> None:
        self._post(
            f"/conversations/{quote(sender_id, safe='')}/messages", {"text": text, "agent": agent}
        )

    def hand_back(self, sender_id: str, agent: str) -> None:
        self._post(f"/conversations/{quote(sender_id, safe='')}/hand_back", {"agent": agent})


class NullRelay:
    """No agents' API configured: nothing can be delivered."""

    def send(self, sender_id: str, text: str, agent: str) -> None:
        raise RelayError("AGENT_API_URL is not set")

    def hand_back(self, sender_id: str, agent: str) -> None:
        raise RelayError("AGENT_API_URL is not set")


def default_relay(config: dict[str, Any]) -> Relay:
    """HttpRelay when AGENT_API_URL is configured, else NullRelay."""
    if config.get("AGENT_API_URL"):
        return HttpRelay(config["AGENT_API_URL"], config.get("AGENT_API_TOKEN", ""))
    return NullRelay()
