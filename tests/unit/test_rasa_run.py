"""The Rasa launcher's validator of action-server answers behaves as Rasa's own."""

from __future__ import annotations

import asyncio
import functools
import logging

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from rasa_patches.internals import install_action_response_validator

VALID = [
    {"events": [], "responses": []},
    {
        "events": [{"event": "slot", "name": "commune", "value": "59606"}],
        "responses": [{"text": "Le bus passe mardi.", "buttons": []}],
    },
    {},
]
INVALID = [
    {"events": "not a list"},
    {"events": [{"name": "x"}]},
    {"responses": "text"},
    {"events": [{"event": 12}]},
]


def sync(test):
    """Run an async test in its own event loop (the suite has no asyncio plugin)."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))

    return run


@pytest.fixture(scope="module")
def action() -> RemoteAction:
    install_action_response_validator()
    install_action_response_validator()  # twice: idempotent
    return RemoteAction("action_next_visits", None)


@pytest.mark.parametrize("answer", VALID)
def test_valid_answers_pass(action: RemoteAction, answer: dict) -> None:
    jsonschema.validate(answer, RemoteAction.action_response_format_spec())
    assert action._validate_action_result(answer) is True


@pytest.mark.parametrize("answer", INVALID)
def test_invalid_answers_raise_the_same_error_as_rasa(action: RemoteAction, answer: dict) -> None:
    with pytest.raises(jsonschema.ValidationError) as expected:
        jsonschema.validate(answer, RemoteAction.action_response_format_spec())
    with pytest.raises(jsonschema.ValidationError) as raised:
        action._validate_action_result(answer)
    assert raised.value.message.startswith(expected.value.message)
    assert "Failed to validate Action server response" in raised.value.message
    assert list(raised.value.absolute_path) == list(expected.value.absolute_path)


# --- the SQL tracker store's saved-event count ---------------------------------------------


@pytest.fixture()
def store(tmp_path):
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

    from handoff.rasa_run import install_speedups

    install_speedups()
    install_speedups()  # twice: idempotent
    return SQLTrackerStore(Domain.empty(), host=f"sqlite:///{tmp_path / 'rasa.db'}")


def stored_rows(store) -> list[tuple[str, str | None]]:
    with store.session_scope() as session:
        rows = session.query(store.SQLEvent).order_by(store.SQLEvent.id).all()
        return [(row.type_name, row.intent_name or row.action_name) for row in rows]


def said(text: str, intent: str, timestamp: float | None = None):
    from rasa.shared.core.events import UserUttered

    return UserUttered(text, {"name": intent, "confidence": 1.0}, timestamp=timestamp)


@sync
async def test_each_event_is_stored_once_across_messages(store) -> None:
    from rasa.shared.core.events import ActionExecuted, BotUttered

    from rasa_patches.internals import STORED_EVENTS_ATTRIBUTE

    tracker = await store.get_or_create_tracker("person")  # new: saved through the COUNT path
    for turn, intent in enumerate(["greet", "ask_next_visit", "thanks"]):
        tracker = await store.retrieve("person")
        assert getattr(tracker, STORED_EVENTS_ATTRIBUTE) == len(tracker.events)
        for event in (said(f"message {turn}", intent), ActionExecuted("utter_x"), BotUttered("ok")):
            tracker.update(event)
        await store.save(tracker)
        assert not hasattr(tracker, STORED_EVENTS_ATTRIBUTE)  # used once
        await store.save(tracker)  # a second save of the same object: counted, nothing doubled
    rows = stored_rows(store)
    assert [r for r in rows if r[0] == "user"] == [
        ("user", "greet"),
        ("user", "ask_next_visit"),
        ("user", "thanks"),
    ]
    assert len(rows) == len((await store.retrieve("person")).events)


@sync
async def test_a_new_session_is_stored_after_the_old_one(store) -> None:
    import time

    from rasa.shared.core.events import ActionExecuted, SessionStarted

    tracker = await store.get_or_create_tracker("someone")
    tracker = await store.retrieve("someone")
    tracker.update(said("bonjour", "greet"))
    await store.save(tracker)
    old_session = len(stored_rows(store))
    tracker = await store.retrieve("someone")
    # What Rasa appends to the retrieved tracker when the session expired:
    tracker.update(ActionExecuted("action_session_start", timestamp=time.time() + 1))
    tracker.update(SessionStarted(timestamp=time.time() + 1))
    tracker.update(ActionExecuted("action_listen", timestamp=time.time() + 1))
    tracker.update(said("re-bonjour", "greet", timestamp=time.time() + 1))
    await store.save(tracker)
    rows = stored_rows(store)
    assert len(rows) == old_session + 4
    assert rows[-1] == ("user", "greet")
    assert [e.type_name for e in (await store.retrieve("someone")).events] == [
        "session_started",
        "action",
        "user",
    ]


@sync
async def test_a_tracker_built_elsewhere_is_saved_by_counting(store) -> None:
    from rasa.shared.core.trackers import DialogueStateTracker

    await store.save(DialogueStateTracker.from_events("other", [said("salut", "greet")]))
    tracker = DialogueStateTracker.from_events(
        "other", [said("salut", "greet"), said("merci", "thanks")]
    )
    await store.save(tracker)  # no note from retrieve: the database count decides
    assert stored_rows(store) == [("user", "greet"), ("user", "thanks")]


def test_the_store_on_sqlite_uses_the_project_engine(store) -> None:
    from sqlalchemy.pool import QueuePool

    assert isinstance(store.engine.pool, QueuePool)
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000


# -- "/" commands typed by people ---------------------------------------------------------------


class RegexOnlyNLU:
    """Rasa's HTTP-interpreter hook with Rasa's own RegexMessageHandler and no model: a text
    starting with "/" becomes its intent exactly as in the trained pipeline; any other text
    gets `nlu_fallback` (what the classifier says is not under test here)."""

    def __init__(self, domain):
        self.domain = domain
        self.parsed: list[str] = []

    async def parse(self, message):
        from rasa.nlu.classifiers.regex_message_handler import RegexMessageHandler
        from rasa.shared.nlu.training_data.message import Message

        self.parsed.append(message.text)
        (parsed,) = RegexMessageHandler().process(
            [Message(data={"text": message.text})], self.domain
        )
        intent = parsed.get("intent") or {"name": "nlu_fallback", "confidence": 1.0}
        return {"text": message.text, "intent": intent, "entities": parsed.get("entities") or []}


@pytest.fixture(scope="module")
def domain():
    from pathlib import Path

    from rasa.shared.core.domain import Domain

    return Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))


def processor(domain):
    from rasa.core.processor import MessageProcessor

    from handoff.rasa_run import screen_command
    from rasa_patches.internals import install_command_guard

    install_command_guard(screen_command)
    install_command_guard(screen_command)  # idempotent
    proc = MessageProcessor.__new__(MessageProcessor)  # no model: NLU is the hook below
    proc.domain = domain
    proc.http_interpreter = RegexOnlyNLU(domain)
    return proc


def conversation(domain, *events):
    from rasa.shared.core.events import ActionExecuted
    from rasa.shared.core.trackers import DialogueStateTracker

    return DialogueStateTracker.from_events(
        "web-1", [ActionExecuted("action_listen"), *events], domain.slots
    )


def typed(proc, tracker, text):
    from rasa.core.channels import CollectingOutputChannel, UserMessage

    message = UserMessage(text, CollectingOutputChannel(), "web-1", input_channel="rest")
    asyncio.run(proc._handle_message_with_tracker(message, tracker))
    return tracker.latest_message


def test_a_handed_over_conversation_typing_restart_stays_paused(domain) -> None:
    from rasa.shared.core.events import BotUttered, ConversationPaused

    proc = processor(domain)
    tracker = conversation(
        domain,
        BotUttered("Je vous mets en relation avec un conseiller France Services."),
        ConversationPaused(),
    )
    for text in ("/restart", " /restart ", "//restart", "/session_start", '/restart{"a":1}'):
        latest = typed(proc, tracker, text)
        assert latest.intent["name"] not in ("restart", "session_start"), text
        assert tracker.is_paused()
        assert not proc._should_handle_message(tracker), text
    assert proc.http_interpreter.parsed[:2] == ["restart", "restart"]


def test_a_command_the_assistant_did_not_offer_reads_as_text(domain) -> None:
    from rasa.shared.core.events import BotUttered

    proc = processor(domain)
    offered = '/affirm{"slot_token":"bus:avesnois@2026-12-02T09:30:00+01:00"}'
    tracker = conversation(
        domain,
        BotUttered(
            "Quel créneau vous convient ?",
            data={"buttons": [{"title": "mercredi 2 décembre à 9 h 30", "payload": offered}]},
        ),
    )
    assert typed(proc, tracker, "/session_start").intent["name"] == "nlu_fallback"
    forged = '/affirm{"slot_token":"desk:346@2026-12-03T14:00:00+01:00"}'
    assert typed(proc, tracker, forged).intent["name"] == "nlu_fallback"
    # The offered button is still the latest bot turn (two user messages in a row): honoured.
    latest = typed(proc, tracker, offered)
    assert latest.intent["name"] == "affirm"
    assert latest.entities[0]["value"] == "bus:avesnois@2026-12-02T09:30:00+01:00"
    # The channels' own commands always pass; an unpaused conversation is handled.
    assert typed(proc, tracker, "/message_too_long").intent["name"] == "message_too_long"
    # The greeting the web widget sends when it opens, with no button offered before it.
    assert typed(proc, tracker, "/greet").intent["name"] == "greet"
    assert proc._should_handle_message(tracker)


# -- Rasa's HTTP API and unverifiable JWTs --------------------------------------------------------


def unsigned_jwt(payload: dict) -> str:
    """A token as an attacker builds it: header {"alg": "none"}, the payload, no signature."""
    import base64
    import json

    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}."


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def rasa_api_answers(tokens: list[str], path: str = "/status") -> list[tuple[int, str]]:
    """Rasa's own server app (rasa.server.create_app, JWT as the launcher sets it) on a free
    port; the answers to GET `path` with each bearer token."""
    import socket

    import aiohttp
    from rasa.core.agent import Agent
    from rasa.server import create_app
    from sanic import Sanic

    Sanic.test_mode = True
    app = create_app(Agent(), jwt_secret="s3cret", jwt_method="HS256")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(10)
    server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    await server.startup()
    await server.start_serving()
    answers = []
    try:
        async with aiohttp.ClientSession() as session:
            for token in tokens:
                url = f"http://127.0.0.1:{sock.getsockname()[1]}{path}"
                headers = {"Authorization": f"Bearer {token}"}
                async with session.get(url, headers=headers) as answer:
                    answers.append((answer.status, await answer.text()))
    finally:
        server.close()
        await server.wait_closed()
        sock.close()
    return answers


def test_an_unsigned_jwt_gets_401_and_no_traceback() -> None:
    import jwt

    from rasa_patches.internals import install_jwt_guard

    install_jwt_guard()
    install_jwt_guard()  # idempotent
    records = Records()
    loggers = [logging.getLogger(), logging.getLogger("sanic.error")]
    for logger in loggers:
        logger.addHandler(records)
    admin = {"user": {"username": "handoff", "role": "admin"}}
    forged = unsigned_jwt(admin)
    try:
        answers = asyncio.run(
            rasa_api_answers(
                [
                    forged,
                    jwt.encode(admin, "another secret", algorithm="HS256"),
                    jwt.encode(admin, "s3cret", algorithm="HS512"),
                    jwt.encode(admin, "s3cret", algorithm="HS256"),
                ]
            )
        )
        (tracker_answer,) = asyncio.run(rasa_api_answers([forged], "/conversations/x/tracker"))
    finally:
        for logger in loggers:
            logger.removeHandler(records)
    assert [status for status, _ in answers[:3]] == [401, 401, 401]
    # The genuine token is let in (no model is loaded here: Rasa's 409 says so).
    assert answers[3][0] == 409 and "NotAuthenticated" not in answers[3][1]
    assert tracker_answer[0] == 401
    assert "NotAuthenticated" in answers[0][1]
    # Rasa's own one-line "User is not authenticated." (as for a bad signature), no traceback.
    assert not [r for r in records.records if r.exc_info or "Traceback" in r.getMessage()]
    errors = [r.getMessage() for r in records.records if r.levelno >= 40]
    assert all("not authenticated" in m or "No agent loaded" in m for m in errors), errors
