"""Faults: action server down or hanging, Redis down, PostgreSQL down.

Each time the person gets a short French apology with a phone number within 5 s, the logs say
what failed, and the assistant recovers without a restart of Rasa when the server is back.
"""

from __future__ import annotations

import os
import signal
import time

from tests.prod.conftest import Person

TRELON = "quand passe le bus à Trélon ?"


def apology(text: str) -> bool:
    return "Désolé" in text and "03 59" in text


def rasa_logs(prod) -> str:
    return "\n".join(
        (prod.log_dir / f"{name}.log").read_text(errors="replace") for name in prod.rasa_names()
    )


def rasa_pids(prod) -> list[int]:
    return [prod.processes[name].pid for name in prod.rasa_names()]


def ask(person: Person, text: str) -> tuple[str, float]:
    status, messages, seconds = person.say(text)
    assert status == 200, status
    return "\n".join(m.get("text", "") for m in messages), seconds


def test_action_server_down(prod):
    person = Person(prod)
    prod.kill("actions")
    try:
        text, seconds = ask(person, TRELON)
        assert apology(text), text
        assert seconds < 5, seconds
        guard_log = (prod.log_dir / "guard.log").read_text()
        assert "action_" in guard_log and "ClientConnectorError" in guard_log
    finally:
        prod.start_action_server()
    text, _ = ask(person, TRELON)
    assert "Trélon" in text and not apology(text)


def test_action_server_hanging(prod):
    person = Person(prod)
    pid = prod.processes["actions"].pid
    os.killpg(pid, signal.SIGSTOP)  # alive, accepting connections, never answering
    try:
        text, seconds = ask(person, TRELON)
        assert apology(text), text
        assert seconds < 5, seconds
        assert "no answer in 4 s" in (prod.log_dir / "guard.log").read_text()
    finally:
        os.killpg(pid, signal.SIGCONT)
    text, _ = ask(person, TRELON)
    assert "Trélon" in text and not apology(text)


def test_redis_down_then_back(prod):
    pids = rasa_pids(prod)
    person = Person(prod)
    assert "Trélon" in ask(person, TRELON)[0]
    prod.kill("redis")
    try:
        text, seconds = ask(person, "et le mois d'après ?")
        assert apology(text), text
        assert seconds < 5, seconds
        assert "not handled: LockError" in rasa_logs(prod)
    finally:
        prod.start_redis()
    text, _ = ask(person, "et le mois d'après ?")
    assert "Trélon" in text and not apology(text)
    assert rasa_pids(prod) == pids  # no restart of Rasa


def test_postgres_down_then_back(prod):
    pids = rasa_pids(prod)
    person = Person(prod)
    assert "Trélon" in ask(person, TRELON)[0]
    prod.kill("postgres", signal.SIGINT)  # fast shutdown: every connection closed
    try:
        text, seconds = ask(person, "et le mois d'après ?")
        assert apology(text), text
        assert seconds < 5, seconds
        logs = rasa_logs(prod)
        assert "tracker store SQLTrackerStore failed on retrieve" in logs
        assert "Falling back to use the 'InMemoryTrackerStore'" not in logs
    finally:
        prod.start_postgres()
    # The first message after the restart already works (pool_pre_ping), and the
    # conversation goes on from PostgreSQL: it still knows the commune asked before.
    text, _ = ask(person, "et le mois d'après ?")
    assert "Trélon" in text and not apology(text), text
    assert rasa_pids(prod) == pids
    time.sleep(0.1)
