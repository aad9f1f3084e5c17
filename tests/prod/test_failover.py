"""Failover: one Rasa server killed in the middle of ten conversations; none loses an event."""

from __future__ import annotations

import signal
import threading
import time

import requests

from tests.prod.conftest import Person, count_user_events

SCRIPT = [
    "bonjour",
    "quand passe le bus à Trélon ?",
    "et le mois d'après ?",
    "quels papiers pour la carte grise",
    "papiers pour le rsa",
    "le bus vient quand a bavay",
    "merci",
    "au revoir",
]


def test_conversations_survive_a_dead_rasa_server(prod):
    people = [Person(prod, source=f"127.0.5.{i + 1}", prefix="failover") for i in range(10)]
    sent = {p.sender: 0 for p in people}
    failures: list[str] = []
    lock = threading.Lock()
    total = [0]

    def talk(person: Person) -> None:
        for text in SCRIPT:
            status, messages, _ = person.say(text, retry=True)
            if status != 200 or not messages:
                failures.append(f"{person.sender} {text!r}: {status} {messages}")
            with lock:
                sent[person.sender] += 1
                total[0] += 1
            time.sleep(0.2)

    threads = [threading.Thread(target=talk, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    # Kill the first server in the middle: about a third of the messages sent, others in flight.
    deadline = time.monotonic() + 120
    while total[0] < len(people) * len(SCRIPT) // 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    prod.kill("rasa-1", signal.SIGKILL)
    killed_at = total[0]
    for thread in threads:
        thread.join(timeout=300)

    assert not failures, failures
    assert 0 < killed_at < len(people) * len(SCRIPT)
    # Every user message is in PostgreSQL exactly once, whichever server handled it.
    assert count_user_events(prod, list(sent)) == sent
    retries = sum(p.retries for p in people)
    print(f"killed rasa-1 after {killed_at} messages; {retries} retried after a 502")

    # The killed server comes back and nginx sends it traffic again.
    prod.start_rasa(0)
    prod.wait_rasa(0)
    time.sleep(11)  # nginx's fail_timeout
    port = str(prod.cfg.rasa_ports[0])
    person = Person(prod, prefix="failover-back")
    access_log = prod.log_dir / "nginx-access.log"
    before = access_log.read_text().count(f"127.0.0.1:{port}")
    for _ in range(6):
        assert person.say("bonjour")[0] == 200
    assert access_log.read_text().count(f"127.0.0.1:{port}") > before
    assert requests.get(f"{prod.cfg.public_url}/nginx-health", timeout=5).ok
