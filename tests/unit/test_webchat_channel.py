"""The socket.io channel of the web widget: allowed origins, session ids, server-held sessions."""

from __future__ import annotations

import asyncio
import re
from contextlib import asynccontextmanager
from unittest.mock import AsyncMock

import pytest

from tests.unit.channel_harness import Agent, say, serve
from webchat.socketio_channel import (
    RestrictedSocketIOInput,
    allowed_origins,
    is_valid_session_id,
    new_session_id,
    origin_allowed,
    read_metadata,
    sender_fields,
    session_for,
)

GOOD_ID = "0123456789abcdef0123456789abcdef"
PAGE = "http://localhost:8080"


def test_default_origins_are_the_local_page_on_web_port():
    assert allowed_origins({}) == ["http://localhost:8080", "http://127.0.0.1:8080"]
    assert allowed_origins({"WEB_PORT": "9000"}) == [
        "http://localhost:9000",
        "http://127.0.0.1:9000",
    ]


def test_configured_origins_are_split_and_trimmed():
    env = {"WEB_ALLOWED_ORIGINS": " https://www.lenord.fr/ , https://lenord.fr:8443,, "}
    assert allowed_origins(env) == ["https://www.lenord.fr", "https://lenord.fr:8443"]


@pytest.mark.parametrize(
    "value", ["*", "https://*.lenord.fr", "www.lenord.fr", "https://lenord.fr/page", ","]
)
def test_wildcards_paths_and_empty_lists_are_refused(value):
    with pytest.raises(ValueError):
        allowed_origins({"WEB_ALLOWED_ORIGINS": value})


def test_from_credentials_reads_the_environment(monkeypatch):
    monkeypatch.setenv("WEB_ALLOWED_ORIGINS", "https://www.lenord.fr")
    channel = RestrictedSocketIOInput.from_credentials({"session_persistence": True})
    assert channel.cors_allowed_origins == ["https://www.lenord.fr"]
    assert channel.session_persistence is True
    assert channel.name() == "socketio"


@pytest.mark.parametrize("value", [GOOD_ID, "f" * 64, new_session_id()])
def test_widget_like_session_ids_are_valid(value):
    assert is_valid_session_id(value)


@pytest.mark.parametrize(
    "value",
    [None, 42, "", "abc", "f" * 31, "f" * 65, GOOD_ID.upper(), "+33612345678", "1234567890123456"],
)
def test_short_foreign_or_malformed_session_ids_are_refused(value):
    assert not is_valid_session_id(value)


def test_new_session_ids_are_random_128_bits():
    ids = {new_session_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)


def test_a_malformed_requested_session_is_replaced_by_a_fresh_one():
    assert session_for(GOOD_ID) == GOOD_ID
    replaced = session_for("+33612345678")
    assert replaced != "+33612345678" and is_valid_session_id(replaced)


def test_origin_check():
    assert origin_allowed({"HTTP_ORIGIN": PAGE}, [PAGE])
    assert origin_allowed({}, [PAGE])  # not a browser page: no Origin to check
    assert not origin_allowed({"HTTP_ORIGIN": "https://evil.example"}, [PAGE])


@pytest.mark.parametrize(
    ("value", "expected"),
    [({"a": 1}, {"a": 1}), ('{"a": 1}', {"a": 1}), ("{not json", {}), ("[1]", {}), (None, {})],
)
def test_metadata_never_crashes(value, expected):
    assert read_metadata(value) == expected


class Harness:
    """The channel's socket.io handlers, called directly, with the server's I/O mocked."""

    def __init__(self) -> None:
        self.channel = RestrictedSocketIOInput(
            session_persistence=True, cors_allowed_origins=[PAGE]
        )
        self.received = []

        async def on_new_message(message):
            self.received.append(message)

        self.channel.blueprint(on_new_message)
        self.sio = self.channel.sio
        self.sio.emit = AsyncMock()
        self.sio.enter_room = AsyncMock()
        self.sio.leave_room = AsyncMock()
        self.handlers = self.sio.handlers["/"]

    def call(self, event, *args):
        return asyncio.run(self.handlers[event](*args))

    def confirmed(self) -> str:
        args, kwargs = self.sio.emit.call_args
        assert args[0] == "session_confirm"
        return args[1]


def test_server_refuses_the_origin_check_again_at_connect():
    harness = Harness()
    assert harness.call("connect", "sid1", {"HTTP_ORIGIN": PAGE}, None) is True
    assert harness.call("connect", "sid1", {"HTTP_ORIGIN": "https://evil.example"}, None) is False
    assert harness.sio.eio.cors_allowed_origins == [PAGE]


def test_session_request_confirms_a_valid_id_and_joins_its_room():
    harness = Harness()
    harness.call("session_request", "sid1", {"session_id": GOOD_ID})
    assert harness.confirmed() == GOOD_ID
    harness.sio.enter_room.assert_awaited_once_with("sid1", GOOD_ID, namespace=None)


def test_session_request_replaces_another_channels_sender():
    harness = Harness()
    harness.call("session_request", "sid1", {"session_id": "+33612345678"})
    confirmed = harness.confirmed()
    assert confirmed != "+33612345678" and is_valid_session_id(confirmed)


def test_messages_go_to_the_confirmed_session_whatever_they_claim():
    harness = Harness()
    harness.call("session_request", "sid1", {"session_id": GOOD_ID})
    harness.call("user_uttered", "sid1", {"message": "bonjour", "session_id": "f" * 32})
    assert [(m.text, m.sender_id) for m in harness.received] == [("bonjour", GOOD_ID)]


def test_messages_before_a_session_or_malformed_are_ignored():
    harness = Harness()
    harness.call("user_uttered", "sid1", {"message": "bonjour", "session_id": GOOD_ID})
    harness.call("session_request", "sid2", None)
    harness.call("user_uttered", "sid2", "not a dict")
    harness.call("user_uttered", "sid2", {"message": 12})
    assert harness.received == []


def test_a_disconnected_socket_loses_its_session():
    harness = Harness()
    harness.call("session_request", "sid1", {"session_id": GOOD_ID})
    harness.call("disconnect", "sid1")
    harness.call("user_uttered", "sid1", {"message": "bonjour"})
    assert harness.received == []


def test_emits_are_relayed_through_redis_only_when_configured():
    from socketio import AsyncRedisManager

    from webchat.socketio_channel import redis_manager

    assert redis_manager({}) is None
    manager = redis_manager({"SOCKETIO_REDIS_URL": "redis://:secret@127.0.0.1:6380/2"})
    assert isinstance(manager, AsyncRedisManager) and manager.channel == "fsnord-socketio"


# --- the channel in a real Sanic server, reached by a real python-socketio client ------------


@asynccontextmanager
async def widget_socket(agent, channel=None):
    """A python-socketio client connected from the widget's page, its session confirmed;
    yields (client, session id, the bot_uttered payloads it receives)."""
    import socketio

    channel = channel or RestrictedSocketIOInput(
        session_persistence=True, cors_allowed_origins=[PAGE]
    )
    received: list[dict] = []
    confirmed = asyncio.Event()
    async with serve(channel, agent) as url:
        client = socketio.AsyncClient()
        client.on("bot_uttered", received.append)
        client.on("session_confirm", lambda _: confirmed.set())
        await client.connect(url, headers={"Origin": PAGE}, transports=["polling"])
        try:
            await client.emit("session_request", {"session_id": GOOD_ID})
            await asyncio.wait_for(confirmed.wait(), 5)
            yield client, received
        finally:
            await client.disconnect()


async def wait_for(condition, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


def test_an_over_long_socket_message_reaches_rasa_as_a_command():
    async def scenario():
        agent = Agent(bot=say({"text": "ok"}))
        async with widget_socket(agent) as (client, received):
            long_text = "Bonjour, " + "je voudrais savoir " * 800
            assert 15_000 <= len(long_text) < 16_000
            await client.emit("user_uttered", {"message": long_text, "session_id": GOOD_ID})
            await client.emit("user_uttered", {"message": "bonjour", "session_id": GOOD_ID})
            await wait_for(lambda: len(agent.messages) == 2)
        assert agent.texts == ["/message_too_long", "bonjour"]
        assert {m.sender_id for m in agent.messages} == {GOOD_ID}

    asyncio.run(scenario())


async def say_as_rasa(channel, session_id: str, action: str, slots: dict) -> None:
    """What Rasa does for the agents' API's `execute` with output_channel=socketio: run the
    domain's response through Rasa's NLG and send it through the channel's output."""
    from rasa.core.actions.action import ActionBotResponse
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet
    from rasa.shared.core.trackers import DialogueStateTracker

    from channels.texts import DOMAIN_FILE

    domain = Domain.load(str(DOMAIN_FILE))
    tracker = DialogueStateTracker.from_events(
        session_id, [SlotSet(k, v) for k, v in slots.items()], domain.slots
    )
    output = channel.get_output_channel()  # as Rasa's server picks it for ?output_channel=
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    events = await ActionBotResponse(action).run(output, nlg, tracker, domain)
    await MessageProcessor._send_bot_messages(events, tracker, output)


def test_an_agents_reply_reaches_the_widget_marked_as_a_persons():
    async def scenario():
        channel = RestrictedSocketIOInput(session_persistence=True, cors_allowed_origins=[PAGE])
        async with widget_socket(Agent(), channel) as (_, received):
            text = "Bonjour Madame, ici Julie de France Services. Je regarde votre demande."
            await say_as_rasa(channel, GOOD_ID, "utter_agent_message", {"agent_message": text})
            await wait_for(lambda: len(received) == 1)
            assert received == [{"text": text, "sender_kind": "agent"}]
            # Handed back: the bot's messages carry no such mark.
            await say_as_rasa(channel, GOOD_ID, "utter_handoff_resumed", {})
            await wait_for(lambda: len(received) == 2)
            assert "sender_kind" not in received[1] and received[1]["text"].startswith("Le ")

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"metadata": {"agent_reply": True}}, {"sender_kind": "agent"}),
        (
            {"metadata": {"agent_reply": True, "agent_name": "  Julie \n"}},
            {"sender_kind": "agent", "agent_name": "Julie"},
        ),
        ({"metadata": {"agent_reply": True, "agent_name": "x" * 99}}, None),
        ({"metadata": {"agent_name": "Julie"}}, {}),  # a name alone does not make a person
        ({"metadata": "agent_reply"}, {}),
        ({}, {}),
    ],
)
def test_sender_fields(kwargs, expected):
    fields = sender_fields(kwargs)
    if expected is None:
        assert fields == {"sender_kind": "agent", "agent_name": "x" * 40}
    else:
        assert fields == expected
