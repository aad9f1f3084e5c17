"""A web user's socket lives on one Rasa server; a message for them may be executed by any.

The widget's socket.io connection goes through nginx (ip_hash) to one of the two Rasa servers.
An agent's answer is delivered through Rasa's API (handoff/delivery.py) of *each* server in turn:
both must reach the open socket (webchat/socketio_channel.py relays emits through Redis).
"""

from __future__ import annotations

import asyncio
import secrets

import socketio

from handoff.delivery import RasaDelivery
from handoff.messages import MessageBox
from handoff.rasa_api import RasaClient
from store.db import make_engine


def test_an_agent_message_reaches_the_socket_whichever_server_delivers_it(prod):
    async def scenario() -> list[str]:
        received: list[str] = []
        client = socketio.AsyncClient()
        session_id = secrets.token_hex(16)

        @client.on("bot_uttered")
        async def on_bot(data):
            received.append(data.get("text", ""))

        await client.connect(
            prod.cfg.public_url, headers={"Origin": prod.cfg.public_url}, transports=["polling"]
        )
        await client.emit("session_request", {"session_id": session_id})
        await asyncio.sleep(0.5)
        await client.emit("user_uttered", {"message": "bonjour", "session_id": session_id})
        for _ in range(600):
            if received:
                break
            await asyncio.sleep(0.1)
        assert received, "no greeting through nginx"
        received.clear()

        box = MessageBox(make_engine(prod.env["DATABASE_URL"]))
        for number, port in enumerate(prod.cfg.rasa_ports, start=1):
            rasa = RasaClient(f"http://127.0.0.1:{port}", prod.env["RASA_JWT_SECRET"])
            deliver = RasaDelivery(rasa, box)
            text = f"Message de l'agent par le serveur {number}."
            stored = await deliver(
                session_id, "socketio", {"agent_message": text}, "utter_agent_message"
            )
            assert stored == 0
            for _ in range(100):
                if text in received:
                    break
                await asyncio.sleep(0.1)
        await client.disconnect()
        return received

    received = asyncio.run(scenario())
    assert received == [
        f"Message de l'agent par le serveur {n}." for n in range(1, len(prod.cfg.rasa_ports) + 1)
    ]
