"""Rasa's HTTP API, as the handoff process uses it (Rasa started with --enable-api and a JWT).

Rasa 3.6 checks `Authorization: Bearer <jwt>` (sanic-jwt, HS256 with `--jwt-secret`); a token
whose user has role "admin" may act on any conversation. The secret is `RASA_JWT_SECRET`, which
the launcher generates into var/ when it is not set (scripts/stack.py). Tokens are short-lived
(5 minutes) and made per request.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import aiohttp
import jwt

TOKEN_LIFETIME_S = 300


class RasaError(Exception):
    """Rasa refused or could not be reached."""


def make_jwt(secret: str, now: float | None = None) -> str:
    moment = int(now if now is not None else time.time())
    payload = {"user": {"username": "handoff", "role": "admin"}, "exp": moment + TOKEN_LIFETIME_S}
    return jwt.encode(payload, secret, algorithm="HS256")


class RasaClient:
    """The few calls of Rasa's HTTP API the handoff needs."""

    def __init__(self, base_url: str, jwt_secret: str, timeout: float = 30.0) -> None:
        # Several Rasa servers (the production profile): "http://a:5015,http://b:5016". A call
        # that cannot connect to one (refused: it is down) goes to the next; a call that
        # reached a server is never sent again (it may have been executed).
        self.base_urls = [url.strip().rstrip("/") for url in base_url.split(",") if url.strip()]
        if not self.base_urls:
            raise ValueError("RASA_URL names no server")
        self._current = 0
        self.jwt_secret = jwt_secret
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    @property
    def base_url(self) -> str:
        """The server calls go to now."""
        return self.base_urls[self._current]

    async def _call(
        self, method: str, path: str, body: Any = None, params: dict | None = None
    ) -> Any:
        headers = {"Authorization": f"Bearer {make_jwt(self.jwt_secret)}"}
        for attempt in range(len(self.base_urls)):
            try:
                async with (
                    aiohttp.ClientSession(timeout=self.timeout) as session,
                    session.request(
                        method, self.base_url + path, json=body, params=params, headers=headers
                    ) as answer,
                ):
                    if answer.status >= 400:
                        raise RasaError(
                            f"{method} {path}: HTTP {answer.status} {await answer.text()}"
                        )
                    return await answer.json(content_type=None)
            except aiohttp.ClientConnectorError as error:
                if attempt + 1 == len(self.base_urls):
                    raise RasaError(f"{method} {path}: {error!r}") from error
                self._current = (self._current + 1) % len(self.base_urls)
            except (aiohttp.ClientError, TimeoutError) as error:
                raise RasaError(f"{method} {path}: {error!r}") from error
        raise AssertionError("unreachable")

    @staticmethod
    def _conversation(sender_id: str) -> str:
        return "/conversations/" + quote(sender_id, safe="")

    async def is_up(self) -> bool:
        """Whether one of the Rasa servers answers."""
        for url in self.base_urls:
            try:
                async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as session:
                    async with session.get(url + "/") as answer:
                        if answer.status == 200:
                            return True
            except (aiohttp.ClientError, TimeoutError):
                continue
        return False

    async def tracker(self, sender_id: str) -> dict[str, Any]:
        return await self._call("GET", self._conversation(sender_id) + "/tracker")

    async def append_events(self, sender_id: str, events: list[dict[str, Any]]) -> None:
        await self._call(
            "POST",
            self._conversation(sender_id) + "/tracker/events",
            events,
            params={"include_events": "NONE"},
        )

    async def execute(
        self, sender_id: str, action: str, output_channel: str | None = None
    ) -> list[dict[str, Any]]:
        """Run an action in the conversation; return the messages Rasa collected.

        With `output_channel` (twilio, facebook) Rasa sends the messages through that channel
        itself and returns none; without, they come back here to be stored for the web page.
        """
        params = {"include_events": "NONE"}
        if output_channel:
            params["output_channel"] = output_channel
        answer = await self._call(
            "POST", self._conversation(sender_id) + "/execute", {"name": action}, params=params
        )
        return list(answer.get("messages") or [])
