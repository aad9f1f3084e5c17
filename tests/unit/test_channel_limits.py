"""Application limits and request checks of the channels (channels/limits.py, channels/rest.py).

The REST channel runs in a real Sanic server wired by Rasa's own `register` (channel_harness);
only the dialogue is a stand-in.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from channels import texts
from channels.limits import (
    Limits,
    SlidingWindow,
    limits_from_env,
    parse_limit,
    web_sender_problem,
)
from channels.rest import LimitedRestInput
from tests.unit.channel_harness import Agent, request, say, serve


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_sliding_window_counts_per_key_and_forgets_old_events():
    clock = Clock()
    window = SlidingWindow(3, 10, clock=clock)
    assert [window.allow("a") for _ in range(4)] == [True, True, True, False]
    assert window.allow("b")  # another key has its own count
    clock.now += 9.9
    assert not window.allow("a")  # the refused one was not counted, the 3 are still inside
    clock.now += 0.2
    assert window.allow("a")


def test_sliding_window_keeps_a_bounded_number_of_keys():
    window = SlidingWindow(1, 60, clock=Clock(), max_keys=100)
    for i in range(1000):
        window.allow(f"person-{i}")
    assert len(window._seen) == 100
    assert window.allow("person-0")  # forgotten (least recently seen): counted anew


@pytest.mark.parametrize("value", ["20", "a/60", "0/60", "20/0", "-1/60", ""])
def test_bad_limit_settings_are_refused_with_the_variable(value):
    with pytest.raises(ValueError, match="WEB_RATE_PER_CONVERSATION"):
        parse_limit("WEB_RATE_PER_CONVERSATION", value or "x")


def test_limits_from_env_defaults_and_switch_off():
    limits = limits_from_env({})
    assert (limits.per_conversation.count, limits.per_conversation.seconds) == (20, 60)
    assert (limits.per_address.count, limits.per_number.count) == (120, 10)
    assert limits.per_number_daily.seconds == 86400
    off = limits_from_env({"WEB_RATE_PER_ADDRESS": "0", "SMS_RATE_PER_NUMBER": "5/30"})
    assert off.per_address is None and off.per_number.count == 5


def test_the_forwarded_address_is_believed_only_from_a_trusted_proxy():
    limits = limits_from_env({"WEB_TRUSTED_PROXIES": "127.0.0.1"})
    assert limits.client_address("127.0.0.1", "203.0.113.9") == "203.0.113.9"
    assert limits.client_address("127.0.0.1", "10.0.0.1, 203.0.113.9") == "203.0.113.9"
    assert limits.client_address("198.51.100.7", "203.0.113.9") == "198.51.100.7"
    assert limits.client_address("127.0.0.1", None) == "127.0.0.1"


@pytest.mark.parametrize(
    "sender, ok",
    [
        ("test-0123456789ab", True),
        ("0f" * 16, True),
        ("bench-seq-1a2b3c4d", True),
        ("+33612345678", False),  # an SMS conversation
        ("33612345678", False),
        ("2460813594417725", False),  # a Messenger id
        ("", False),
        ("a" * 129, False),
        ("robert'); drop table", False),
        (12, False),
        (None, False),
        (["x"], False),
    ],
)
def test_web_senders(sender, ok):
    assert (web_sender_problem(sender) is None) is ok


# --- the REST channel in a real Sanic server -------------------------------------------------


def tight_limits(conversation: int = 3, address: int = 100) -> Limits:
    return Limits(
        per_conversation=SlidingWindow(conversation, 60),
        per_address=SlidingWindow(address, 60),
        per_number=None,
        per_number_daily=None,
        trusted_proxies=frozenset({"127.0.0.1"}),
    )


async def post(base_url: str, body: object, raw: str | None = None, headers=None):
    data = raw if raw is not None else json.dumps(body)
    return await request(
        "POST",
        f"{base_url}/webhooks/rest/webhook",
        data=data.encode("utf-8"),
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def test_rest_channel_passes_good_requests_and_refuses_bad_ones():
    async def scenario():
        agent = Agent(bot=say({"text": "Bonjour !"}))
        async with serve(LimitedRestInput(tight_limits(conversation=100)), agent) as url:
            ok = await post(url, {"sender": "web-person-1", "message": "bonjour"})
            assert ok.status == 200 and json.loads(ok.text)[0]["text"] == "Bonjour !"
            bad = [
                (await post(url, None, raw="{not json"), 400),
                (await post(url, ["bonjour"]), 400),
                (await post(url, {"sender": "+33612345678", "message": "mes rdv"}), 400),
                (await post(url, {"sender": "2460813594417725", "message": "x"}), 400),
                (await post(url, {"sender": 12, "message": "bonjour"}), 400),
                (await post(url, {"sender": "web-person-1", "message": ["x"]}), 400),
                (await post(url, {"sender": "web-person-1"}), 400),
                (
                    await post(
                        url, {"sender": "web-person-1", "message": "x", "input_channel": "twilio"}
                    ),
                    400,
                ),
                (await post(url, {"sender": "web-person-1", "message": "x" * 20_000}), 413),
            ]
            for reply, status in bad:
                assert reply.status == status, reply.text
                assert "error" in json.loads(reply.text)
            assert agent.texts == ["bonjour"]  # nothing else reached the dialogue

    asyncio.run(scenario())


def test_rest_channel_limits_a_conversation_politely():
    async def scenario():
        agent = Agent(bot=say({"text": "Bonjour !"}))
        async with serve(LimitedRestInput(tight_limits(conversation=3)), agent) as url:
            replies = [await post(url, {"sender": "web-a", "message": "bonjour"}) for _ in range(4)]
            assert [r.status for r in replies] == [200, 200, 200, 429]
            assert json.loads(replies[-1].text) == [
                {"recipient_id": "web-a", "text": texts.web_rate_limited()}
            ]
            other = await post(url, {"sender": "web-b", "message": "bonjour"})
            assert other.status == 200  # another conversation is not affected
            assert len(agent.messages) == 4

    asyncio.run(scenario())


def test_rest_channel_limits_an_address_behind_the_proxy():
    async def scenario():
        agent = Agent(bot=say({"text": "ok"}))
        limits = tight_limits(conversation=100, address=2)
        async with serve(LimitedRestInput(limits), agent) as url:

            async def from_(address: str, sender: str) -> int:
                body = {"sender": sender, "message": "bonjour"}
                reply = await post(url, body, headers={"X-Forwarded-For": address})
                return reply.status

            assert [await from_("203.0.113.9", f"web-{i}") for i in range(3)] == [200, 200, 429]
            assert await from_("203.0.113.10", "web-9") == 200  # another person, another address

    asyncio.run(scenario())


def test_the_rate_limited_answer_says_who_to_call():
    import yaml

    from channels.texts import DOMAIN_FILE, human_contact
    from deploy.action_guard import default_apology

    domain = yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))
    contact = domain["slots"]["human_contact"]["initial_value"]
    assert human_contact() == contact and "03 59 73" in contact
    assert texts.web_rate_limited().endswith(contact)
    assert default_apology().endswith(contact)


def test_rest_channel_hands_an_over_long_message_to_rasa_as_a_command():
    # 15 KB of text cost seconds of NLU on the event loop every conversation shares: the
    # channel turns it into the guard's intent before Rasa sees it.
    async def scenario():
        agent = Agent(bot=say({"text": "ok"}))
        async with serve(LimitedRestInput(tight_limits(conversation=100)), agent) as url:
            long_text = "Bonjour, " + "je voudrais savoir " * 800
            assert 15_000 <= len(long_text) < 16_000
            reply = await post(url, {"sender": "web-long", "message": long_text})
            assert reply.status == 200, reply.text
            ok = await post(url, {"sender": "web-long", "message": "bonjour"})
            assert ok.status == 200
            assert agent.texts == ["/message_too_long", "bonjour"]

    asyncio.run(scenario())


def test_by_default_no_proxy_is_trusted_so_a_local_client_cannot_change_its_address():
    # Any process on the machine reaches Rasa from 127.0.0.1; only the production profile
    # names its nginx in WEB_TRUSTED_PROXIES (deploy/prod.py).
    async def scenario():
        agent = Agent(bot=say({"text": "ok"}))
        limits = limits_from_env({"WEB_RATE_PER_ADDRESS": "2/60"})
        async with serve(LimitedRestInput(limits), agent) as url:
            statuses = []
            for i in range(4):
                body = {"sender": f"web-{i}", "message": "bonjour"}
                headers = {"X-Forwarded-For": f"203.0.113.{i}"}
                statuses.append((await post(url, body, headers=headers)).status)
            assert statuses == [200, 200, 429, 429]

    asyncio.run(scenario())
