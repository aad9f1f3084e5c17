"""A message sent to a web widget conversation through Rasa's API reaches the open socket.

This is how an agent's reply or a reminder reaches a person on the website (handoff/delivery.py
pushes to the `socketio` output channel, into the widget's session room).
"""

from __future__ import annotations

import asyncio
import secrets

import pytest
import socketio

from handoff.delivery import RasaDelivery
from handoff.messages import MessageBox
from handoff.rasa_api import RasaClient
from store.db import make_engine

pytestmark = pytest.mark.e2e


def test_agent_message_is_pushed_to_the_widget_socket(stack):
    async def scenario() -> list[dict]:
        received: list[dict] = []
        got_answer = asyncio.Event()
        client = socketio.AsyncClient()
        session_id = secrets.token_hex(16)

        @client.on("bot_uttered")
        async def on_bot(data):
            received.append(data)
            got_answer.set()

        origin = f"http://127.0.0.1:{stack.env['WEB_PORT']}"
        await client.connect(stack.rasa_url, headers={"Origin": origin}, transports=["polling"])
        await client.emit("session_request", {"session_id": session_id})
        await asyncio.sleep(0.5)
        await client.emit("user_uttered", {"message": "bonjour", "session_id": session_id})
        await asyncio.wait_for(got_answer.wait(), 60)
        received.clear()

        rasa = RasaClient(stack.rasa_url, stack.env["RASA_JWT_SECRET"])
        deliver = RasaDelivery(rasa, MessageBox(make_engine(stack.env["DATABASE_URL"])))
        text = "Bonjour, ici Marie de France Services. Je regarde votre dossier."
        stored = await deliver(
            session_id, "socketio", {"agent_message": text}, "utter_agent_message", agent="marie"
        )
        assert stored == 0  # pushed to the socket, not left for the page to fetch
        for _ in range(100):
            if received:
                break
            await asyncio.sleep(0.1)
        await client.disconnect()
        return received

    received = asyncio.run(scenario())
    assert [m.get("text") for m in received] == [
        "Bonjour, ici Marie de France Services. Je regarde votre dossier."
    ]
