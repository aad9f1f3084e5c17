"""Staff console: list and transcript pages over 10,000 conversations (target p95 < 300 ms).

Generates the conversations in a temporary SQLite database (Rasa's `events` schema, ~13 events
each, realistic French messages), builds the console's index once (timed), then times the pages
through Flask's test client, logged in as an agent: the list (first page, a deep page, each
filter, a full-text search) and transcripts of random conversations.

Usage: python -m bench.bench_console [--conversations 10000] [--requests 200]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from console import create_app
from console.conversations import events, refresh_index
from console.security import create_account
from store.cli import upgrade
from store.db import dispose_engines, get_engine

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
PASSWORD = "bench password 123"
MESSAGES = [
    ("quand passe le bus à {c} ?", "ask_bus_visit", 0.93),
    ("papiers pour la carte d'identité", "ask_documents", 0.88),
    ("j'ai perdu mon permis, mon tel 06 12 34 56 {n:02d}", "ask_documents", 0.71),
    ("la CAF m'a coupé les APL", "nlu_fallback", 0.32),
    ("horaires de Hondschoote", "ask_desk", 0.95),
    ("je veux parler à quelqu'un", "ask_human", 0.97),
    ("c'est gratuit ?", "ask_fees", 0.55),
]
COMMUNES = [("Trélon", "59601"), ("Fourmies", "59249"), ("Avesnes-sur-Helpe", "59036")]
CHANNELS = ["rest", "socketio", "twilio", "messenger"]


def _event(sender: str, kind: str, at: float, payload: dict, intent=None, action=None) -> dict:
    return {
        "sender_id": sender,
        "type_name": kind,
        "timestamp": at,
        "intent_name": intent,
        "action_name": action,
        "data": json.dumps({"event": kind, "timestamp": at, **payload}),
    }


def generate(engine, conversations: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    rows: list[dict] = []
    total = 0
    for i in range(conversations):
        sender = f"conv-{i:05d}"
        at = NOW.timestamp() - rng.uniform(0, 150 * 86400)
        channel = rng.choice(CHANNELS)
        commune, insee = rng.choice(COMMUNES)
        rows.append(
            _event(
                sender,
                "action",
                at,
                {"name": "action_session_start"},
                action="action_session_start",
            )
        )
        rows.append(_event(sender, "session_started", at, {}))
        for _turn in range(rng.randint(2, 5)):
            text, intent, conf = rng.choice(MESSAGES)
            text = text.format(c=commune, n=i % 100)
            at += rng.uniform(5, 60)
            parse = {"intent": {"name": intent, "confidence": conf}, "entities": [], "text": text}
            rows.append(
                _event(
                    sender,
                    "user",
                    at,
                    {"text": text, "parse_data": parse, "input_channel": channel, "metadata": {}},
                    intent=intent,
                )
            )
            if intent == "ask_bus_visit":
                rows.append(
                    _event(
                        sender,
                        "slot",
                        at + 1,
                        {"name": "commune_insee", "value": insee},
                        action="commune_insee",
                    )
                )
            rows.append(
                _event(
                    sender,
                    "action",
                    at + 1,
                    {"name": "action_show_next_visit"},
                    action="action_show_next_visit",
                )
            )
            rows.append(
                _event(
                    sender,
                    "bot",
                    at + 2,
                    {
                        "text": "Le bus passe le mardi 17 mars de 9 h à 12 h.",
                        "data": {},
                        "metadata": {},
                    },
                )
            )
        if len(rows) > 20000:
            with engine.begin() as conn:
                conn.execute(events.insert(), rows)
            total += len(rows)
            rows = []
    with engine.begin() as conn:
        conn.execute(events.insert(), rows)
    return total + len(rows)  # fmt: skip


def timed(client, path: str) -> float:
    start = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{path}: HTTP {response.status_code}")
    return elapsed


def summary(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    return {
        "n": len(samples),
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(samples[int(0.95 * (len(samples) - 1))], 1),
        "max_ms": round(samples[-1], 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        engine = get_engine(url)
        events.metadata.create_all(engine)
        start = time.perf_counter()
        n_events = generate(engine, args.conversations)
        generate_s = time.perf_counter() - start
        with engine.begin() as conn:
            create_account(conn, "agent", PASSWORD, "agent")
        start = time.perf_counter()
        with engine.begin() as conn:
            refresh_index(conn)
        index_s = time.perf_counter() - start
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        client.post("/login", data={"username": "agent", "password": PASSWORD, "csrf_token": token})
        rng = random.Random(3)
        lists = [
            "/conversations",
            "/conversations?page=150",
            "/conversations?fallback=1",
            "/conversations?handed_over=1",
            "/conversations?channel=twilio&intent=ask_documents",
            "/conversations?commune=59601&from=2026-01-01&to=2026-02-28",
            "/conversations?q=permis",
            "/conversations?q=0612345612",
        ]
        list_times = [timed(client, lists[i % len(lists)]) for i in range(args.requests)]
        transcript_times = [
            timed(client, f"/conversation?id=conv-{rng.randrange(args.conversations):05d}")
            for _ in range(args.requests)
        ]
        result = {
            "conversations": args.conversations,
            "events": n_events,
            "generate_s": round(generate_s, 1),
            "first_index_build_s": round(index_s, 1),
            "list": summary(list_times),
            "transcript": summary(transcript_times),
            "dashboard_ms": round(timed(client, "/dashboard?from=2025-10-01&to=2026-03-10"), 1),
        }
        dispose_engines()
    print(json.dumps(result, indent=2))
    ok = result["list"]["p95_ms"] < 300 and result["transcript"]["p95_ms"] < 300
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
