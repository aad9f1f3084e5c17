"""REST round-trip latency and throughput of the running assistant, and the Rasa server's memory.

Starts the real stack (scripts/stack.py) on free ports with a fresh SQLite tracker store, then:
- sends N messages one at a time, as successive short conversations (each new person says the
  messages of the chosen kind in turn, as a citizen would): p50/p95/p99 latency;
- sends N messages from C such people at once (messages/s, p95);
- reads the peak resident memory of the Rasa server (VmHWM from /proc).
Usage: python -m bench.bench_rest [--model PATH] [--messages 200] [--concurrency 10]
       [--kind basics|calendar|documents] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from scripts.stack import Stack, free_port

MESSAGES = {
    "basics": [
        "bonjour",
        "c'est quoi france services",
        "merci",
        "vous êtes un robot ?",
        "il faut prendre rendez-vous ?",
        "au revoir",
    ],
    "calendar": [
        "quand passe le bus à Trélon ?",
        "quand passe le bus a sin le noble",
        "et le mois d'après ?",
        "où est le bus demain ?",
        "le bus vient quand a bavay",
    ],
    "documents": [
        "quels papiers pour la carte grise",
        "j'ai perdu ma carte d'identité",
        "combien ça coûte ?",
        "papiers pour le rsa",
        "je peux le faire en ligne ?",
    ],
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(latencies: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in latencies]
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "p99_ms": round(percentile(ms, 99), 1),
    }


def one_message(url: str, sender: str, text: str) -> float:
    start = time.perf_counter()
    answer = requests.post(url, json={"sender": sender, "message": text}, timeout=60)
    answer.raise_for_status()
    if not answer.json():
        raise RuntimeError(f"no answer to {text!r}")
    return time.perf_counter() - start


def short_conversations(url: str, texts: list[str], n: int, tag: str) -> list[float]:
    """Send n messages as successive short conversations: each new person says `texts` in turn."""
    latencies: list[float] = []
    while len(latencies) < n:
        who = f"bench-{tag}-{uuid.uuid4().hex[:8]}"
        for text in texts[: n - len(latencies)]:
            latencies.append(one_message(url, who, text))
    return latencies


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(model: Path | None, n: int, concurrency: int, kind: str) -> dict:
    texts = MESSAGES[kind]
    with tempfile.TemporaryDirectory() as tmp:
        names = ("RASA_PORT", "ACTION_PORT", "GUARD_PORT", "WEB_PORT", "AGENT_API_PORT")
        ports = {name: str(free_port()) for name in names}
        overrides = {
            **ports,
            "DATABASE_URL": f"sqlite:///{tmp}/rasa.db",
            # Ten people at once from one address, faster than any person: the per-address
            # limit (channels/limits.py) would measure itself, not the assistant.
            "WEB_RATE_PER_ADDRESS": "0",
        }
        stack = Stack.create(overrides, log_dir=Path(tmp) / "logs", with_web=False, model=model)
        stack.start()
        try:
            url = f"{stack.rasa_url}/webhooks/rest/webhook"
            for text in texts:  # warm-up: first calls load lazily
                one_message(url, "warmup", text)
            sequential = short_conversations(url, texts, n, "seq")

            def conversation(c: int) -> list[float]:
                return short_conversations(url, texts, n // concurrency, f"c{c}")

            start = time.perf_counter()
            with ThreadPoolExecutor(concurrency) as pool:
                parallel = [v for part in pool.map(conversation, range(concurrency)) for v in part]
            elapsed = time.perf_counter() - start
            return {
                "kind": kind,
                "model": stack.model.name,
                "one_at_a_time": summary(sequential),
                f"{concurrency}_at_once": {
                    **summary(parallel),
                    "messages_per_s": round(len(parallel) / elapsed, 1),
                },
                "rasa_peak_rss_mb": round(peak_rss_mb(stack.processes["rasa"].pid)),
            }
        finally:
            stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--kind", choices=sorted(MESSAGES), default="basics")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    result = run(args.model, args.messages, args.concurrency, args.kind)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
