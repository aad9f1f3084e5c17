"""The handoff's client of Rasa's HTTP API, against real local HTTP servers standing for Rasa."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from handoff.rasa_api import RasaClient, RasaError
from scripts.stack import free_port


async def fake_rasa(calls: list[str], status: int = 200) -> tuple[web.AppRunner, str]:
    async def tracker(request: web.Request) -> web.Response:
        calls.append(request.headers.get("Authorization", "")[:7])
        return web.json_response({"sender_id": request.match_info["sender"]}, status=status)

    async def root(_: web.Request) -> web.Response:
        return web.Response(text="Hello from Rasa: 3.6.21")

    app = web.Application()
    app.router.add_get("/conversations/{sender}/tracker", tracker)
    app.router.add_get("/", root)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


def test_a_server_that_is_down_is_skipped():
    async def scenario():
        calls: list[str] = []
        runner, live = await fake_rasa(calls)
        down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
        try:
            client = RasaClient(f"{down},{live}", "secret")
            assert await client.is_up()
            assert (await client.tracker("abc"))["sender_id"] == "abc"
            assert client.base_url == live  # and stays there for the next calls
            await client.tracker("def")
            assert calls == ["Bearer ", "Bearer "]
        finally:
            await runner.cleanup()

    asyncio.run(scenario())


def test_a_call_that_reached_a_server_is_not_sent_again():
    async def scenario():
        first_calls: list[str] = []
        second_calls: list[str] = []
        first, first_url = await fake_rasa(first_calls, status=500)
        second, second_url = await fake_rasa(second_calls)
        try:
            client = RasaClient(f"{first_url},{second_url}", "secret")
            with pytest.raises(RasaError, match="HTTP 500"):
                await client.tracker("abc")
            assert len(first_calls) == 1 and second_calls == []
        finally:
            await first.cleanup()
            await second.cleanup()

    asyncio.run(scenario())


def test_every_server_down_is_an_error():
    async def scenario():
        urls = ",".join(f"http://127.0.0.1:{free_port()}" for _ in range(2))
        client = RasaClient(urls, "secret")
        assert not await client.is_up()
        with pytest.raises(RasaError):
            await client.tracker("abc")

    asyncio.run(scenario())
    with pytest.raises(ValueError):
        RasaClient(" , ", "secret")
