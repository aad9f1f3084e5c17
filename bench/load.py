"""Load generator: N people talking at once to the assistant through nginx (REST, socket.io).

Each simulated person (REST, or socket.io as the web widget: --socketio-share) is one
conversation with its own sender id and its own source address in 127.0.0.0/8 (127.0.1.x for
REST, 127.0.3.x for socket.io), as distinct people would reach nginx from distinct IPs,
so that nginx's per-IP rate limit and ip_hash see them as such. A person sends a calendar or a
documents question, waits for the answer, thinks for --think seconds (random around it), and goes
on through a short script, then starts a new conversation, until --duration is over.

Reports messages/s, latency p50/p95/p99, errors (by kind) and the resident memory (RSS) of the
Rasa servers at the start and the end of the run and its peak, read from /proc with the pid files
written by `python -m deploy.prod up` (var/prod/run/rasa-*.pid).

    python -m bench.load --url http://127.0.0.1:8000 --conversations 50 --duration 60
    python -m bench.load ... --json results/load-2-servers.json

Only loopback targets are accepted: this machine has no other.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import aiohttp

PROJECT_DIR = Path(__file__).resolve().parent.parent

SCRIPTS = {
    "calendar": [
        "bonjour",
        "quand passe le bus à Trélon ?",
        "et le mois d'après ?",
        "le bus vient quand a bavay",
        "où est le bus demain ?",
        "merci",
    ],
    "documents": [
        "bonjour",
        "quels papiers pour la carte grise",
        "papiers pour le rsa",
        "combien ça coûte ?",
        "je peux le faire en ligne ?",
        "merci au revoir",
    ],
}


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process in MB (VmRSS), or None when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def rasa_pids(run_dir: Path) -> dict[str, int]:
    pids = {}
    for path in sorted(run_dir.glob("rasa-*.pid")):
        pid = int(path.read_text().strip())
        if rss_mb(pid) is not None:
            pids[path.stem] = pid
    return pids


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    conversations: int = 0
    empty_answers: int = 0


async def person(index: int, url: str, deadline: float, think: float, results: Results,
                 timeout: float) -> None:  # fmt: skip
    """One person: conversations one after another until the deadline."""
    address = f"127.0.1.{index + 1}" if index < 254 else f"127.0.2.{index - 253}"
    connector = aiohttp.TCPConnector(local_addr=(address, 0), limit=1)
    rng = random.Random(index)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=timeout)
    ) as session:
        # Spread the first messages over the first think period, as people arrive.
        await asyncio.sleep(rng.uniform(0, think))
        while time.monotonic() < deadline:
            kind = rng.choice(sorted(SCRIPTS))
            sender = f"load-{kind}-{uuid.uuid4().hex[:12]}"
            results.conversations += 1
            for text in SCRIPTS[kind]:
                if time.monotonic() >= deadline:
                    return
                started = time.monotonic()
                try:
                    async with session.post(
                        f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}
                    ) as answer:
                        body = await answer.read()
                        if answer.status != 200:
                            results.errors[f"HTTP {answer.status}"] += 1
                        else:
                            results.latencies.append(time.monotonic() - started)
                            if not json.loads(body):
                                results.empty_answers += 1
                except asyncio.TimeoutError:
                    results.errors["timeout"] += 1
                except aiohttp.ClientError as error:
                    results.errors[type(error).__name__] += 1
                await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))


async def person_socketio(index: int, url: str, deadline: float, think: float,
                          results: Results, timeout: float) -> None:  # fmt: skip
    """One person on the web widget's transport: socket.io through nginx (ip_hash).

    The latency of a message is the time to the first bot message; the person then waits for
    the rest of the answer (0.3 s without a new message) and thinks.
    """
    import secrets

    import socketio

    address = f"127.0.3.{index + 1}" if index < 254 else f"127.0.4.{index - 253}"
    rng = random.Random(10_000 + index)
    await asyncio.sleep(rng.uniform(0, think))
    while time.monotonic() < deadline:
        kind = rng.choice(sorted(SCRIPTS))
        results.conversations += 1
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(address, 0)))
        client = socketio.AsyncClient(http_session=session, reconnection=False)
        arrived: asyncio.Queue[float] = asyncio.Queue()
        client.on("bot_uttered", lambda _data, queue=arrived: queue.put_nowait(time.monotonic()))
        session_id = secrets.token_hex(16)
        try:
            await client.connect(url, headers={"Origin": url}, transports=["polling"],
                                 wait_timeout=timeout)  # fmt: skip
            await client.emit("session_request", {"session_id": session_id})
            for text in SCRIPTS[kind]:
                if time.monotonic() >= deadline:
                    break
                started = time.monotonic()
                await client.emit("user_uttered", {"message": text, "session_id": session_id})
                try:
                    first = await asyncio.wait_for(arrived.get(), timeout)
                except asyncio.TimeoutError:
                    results.errors["socket.io: no answer"] += 1
                    continue
                results.latencies.append(first - started)
                while True:  # the rest of this answer
                    try:
                        await asyncio.wait_for(arrived.get(), 0.3)
                    except asyncio.TimeoutError:
                        break
                await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))
        except (socketio.exceptions.SocketIOError, aiohttp.ClientError) as error:
            # ConnectionError at connect; BadNamespaceError when the server dropped the socket.
            results.errors[f"socket.io: {type(error).__name__}"] += 1
            await asyncio.sleep(think)
        finally:
            await client.disconnect()
            await session.close()


async def sample_memory(pids: dict[str, int], samples: dict[str, list[float]], every: float,
                        stop: asyncio.Event) -> None:  # fmt: skip
    while not stop.is_set():
        for name, pid in pids.items():
            value = rss_mb(pid)
            if value is not None:
                samples.setdefault(name, []).append(value)
        try:
            await asyncio.wait_for(stop.wait(), every)
        except asyncio.TimeoutError:
            pass


async def run(url: str, conversations: int, duration: float, think: float, timeout: float,
              run_dir: Path, socketio_share: float = 0.0) -> dict:  # fmt: skip
    results = Results()
    pids = rasa_pids(run_dir)
    memory: dict[str, list[float]] = {}
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_memory(pids, memory, 2.0, stop))
    started = time.monotonic()
    deadline = started + duration
    on_socketio = round(conversations * socketio_share)
    await asyncio.gather(
        *(person(i, url, deadline, think, results, timeout)
          for i in range(conversations - on_socketio)),
        *(person_socketio(i, url, deadline, think, results, timeout)
          for i in range(on_socketio)),
    )  # fmt: skip
    elapsed = time.monotonic() - started
    stop.set()
    await sampler
    ms = [v * 1000 for v in results.latencies]
    return {
        "url": url,
        "conversations_at_once": conversations,
        "on_socketio": on_socketio,
        "duration_s": round(elapsed, 1),
        "think_s": think,
        "conversations_started": results.conversations,
        "messages_ok": len(ms),
        "messages_per_s": round(len(ms) / elapsed, 2),
        "p50_ms": round(percentile(ms, 50)),
        "p95_ms": round(percentile(ms, 95)),
        "p99_ms": round(percentile(ms, 99)),
        "max_ms": round(max(ms)) if ms else None,
        "errors": dict(results.errors),
        "empty_answers": results.empty_answers,
        "rasa_rss_mb": {
            name: {"start": round(v[0]), "end": round(v[-1]), "peak": round(max(v))}
            for name, v in memory.items()
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="nginx's public entry")
    parser.add_argument("--conversations", type=int, default=50, help="people at once")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds (bounded: ≤ 900)")
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between messages, s")
    parser.add_argument("--timeout", type=float, default=30.0, help="per request, s")
    parser.add_argument("--run-dir", type=Path, default=PROJECT_DIR / "var" / "prod" / "run")
    parser.add_argument(
        "--socketio-share",
        type=float,
        default=0.0,
        help="share of the people on socket.io (the widget) instead of REST",
    )
    parser.add_argument("--json", type=Path, help="also write the figures there")
    args = parser.parse_args(argv)
    host = urlparse(args.url).hostname or ""
    if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
        parser.error("only loopback targets (127.0.0.0/8, localhost) are allowed")
    if not 0 < args.duration <= 900 or not 0 < args.conversations <= 500:
        parser.error("--duration must be in (0, 900] and --conversations in (0, 500]")
    figures = asyncio.run(
        run(
            args.url,
            args.conversations,
            args.duration,
            args.think,
            args.timeout,
            args.run_dir,
            args.socketio_share,
        )
    )
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    return 0 if not figures["errors"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
