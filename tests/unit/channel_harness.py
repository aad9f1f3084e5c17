"""Test harness for the channels: the real connector in a real Sanic server, a real local HTTP
server standing for Twilio or the Graph API, and a stand-in for Rasa's agent.

Nothing is mocked inside the channels: webhook calls go over HTTP to Sanic on 127.0.0.1, the
connector's outbound calls go over HTTP to `Platform`, which records them and can be told to fail.
The only stand-in is the dialogue (no model is needed): `Agent.handle_message` is what Rasa's
`register` calls, and a test's `bot` answers through the message's real output channel.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import aiohttp
from aiohttp import web
from rasa.core.channels.channel import InputChannel, UserMessage, register
from sanic import Sanic

_app_numbers = itertools.count()


@dataclass
class Recorded:
    """One request received by the platform."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode("utf-8")).items()}

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Platform:
    """A real HTTP server on 127.0.0.1 that records requests; `fail_with` queues error answers
    (status, json body) returned before the normal 200; `delay` slows every answer."""

    requests: list[Recorded] = field(default_factory=list)
    fail_with: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    delay: float = 0.0
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, request: web.Request) -> web.Response:
        self.requests.append(
            Recorded(
                request.method,
                request.path,
                dict(request.query),
                dict(request.headers),
                await request.read(),
            )
        )
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail_with:
            status, body = self.fail_with.pop(0)
            return web.json_response(body, status=status)
        return web.json_response({"sid": f"SM{len(self.requests)}", "message_id": "m"})

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Platform]:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        try:
            yield self
        finally:
            await runner.cleanup()


Bot = Callable[[UserMessage], Awaitable[None]]


@dataclass
class Agent:
    """Stands for Rasa's agent: records the messages and lets `bot` answer them."""

    bot: Bot | None = None
    messages: list[UserMessage] = field(default_factory=list)

    @property
    def texts(self) -> list[str]:
        return [m.text for m in self.messages]

    async def handle_message(self, message: UserMessage) -> None:
        self.messages.append(message)
        if self.bot is not None:
            await self.bot(message)


def say(*responses: dict[str, Any]) -> Bot:
    """A bot that answers every message with these responses, as Rasa's processor sends them."""

    async def bot(message: UserMessage) -> None:
        for response in responses:
            await message.output_channel.send_response(message.sender_id, dict(response))

    return bot


@asynccontextmanager
async def serve(channel: InputChannel, agent: Agent) -> AsyncIterator[str]:
    """Run the channel in a Sanic server on a free port, wired by Rasa's own `register`;
    yield the server's base URL."""
    # Several apps in one process: Sanic 21.12 rewrites its request handler for each new app
    # ("touchup") and only keeps the original method around in test mode.
    Sanic.test_mode = True
    app = Sanic(f"channel_test_{next(_app_numbers)}")
    app.ctx.agent = agent
    register([channel], app, route="/webhooks/")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(100)
    port = sock.getsockname()[1]
    server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    await server.startup()
    await server.start_serving()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        await server.wait_closed()
        sock.close()


@dataclass
class Reply:
    """An HTTP answer of the webhook."""

    status: int
    text: str


async def request(
    method: str, url: str, *, data: Any = None, headers: dict[str, str] | None = None
) -> Reply:
    async with aiohttp.ClientSession() as session:
        async with session.request(method, url, data=data, headers=headers) as response:
            return Reply(response.status, await response.text())


class RasaApi:
    """Stands for Rasa's HTTP API as the agents' API uses it (handoff/rasa_api.RasaClient's
    `append_events` and `execute`), with Rasa's real parts behind: the events go into a real
    tracker over the real domain.yml, and `execute` runs the response through Rasa's NLG and
    sends it through `channel.get_output_channel()`, as Rasa's server does for
    `?output_channel=<name>`."""

    def __init__(self, channel: InputChannel) -> None:
        from rasa.shared.core.domain import Domain

        from channels.texts import DOMAIN_FILE

        self.channel = channel
        self.domain = Domain.load(str(DOMAIN_FILE))
        self.events: dict[str, list[dict[str, Any]]] = {}

    async def append_events(self, sender_id: str, events: list[dict[str, Any]]) -> None:
        self.events.setdefault(sender_id, []).extend(events)

    async def execute(
        self, sender_id: str, action: str, output_channel: str | None = None
    ) -> list[dict[str, Any]]:
        from rasa.core.actions.action import ActionBotResponse
        from rasa.core.nlg import TemplatedNaturalLanguageGenerator
        from rasa.core.processor import MessageProcessor
        from rasa.shared.core.events import Event
        from rasa.shared.core.trackers import DialogueStateTracker

        assert output_channel == self.channel.name()
        tracker = DialogueStateTracker.from_events(
            sender_id,
            [Event.from_parameters(e) for e in self.events.get(sender_id, [])],
            self.domain.slots,
        )
        output = self.channel.get_output_channel()
        nlg = TemplatedNaturalLanguageGenerator(self.domain.responses)
        events = await ActionBotResponse(action).run(output, nlg, tracker, self.domain)
        await MessageProcessor._send_bot_messages(events, tracker, output)
        return []
