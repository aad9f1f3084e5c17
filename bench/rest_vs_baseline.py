"""REST round trip of calendar questions: this tree against a baseline commit, in one run.

Issue 13's speed rule: the understanding work (commune found inside the sentence, booking free
answers, ...) may not make a calendar question's REST round trip more than 10 % slower than the
code before it. Both stacks run on this machine at the same time, so a neighbour's load hits both:
- the baseline commit is checked out in a temporary git worktree (`git worktree add --detach`);
- each tree starts its own stack (its own scripts/stack.py, action server and Rasa patches) on
  free ports with a fresh SQLite tracker store, from a small holder process run in that tree;
- both stacks load the SAME model file (by default the newest of this tree's models/), so the
  ratio measures the code, not a retrained model; the model's domain must be one the baseline's
  actions can answer with (the bench fails on an empty answer);
- after a warm-up, the same calendar conversations are sent one message at a time, alternating
  the stacks (A B B A ...), the same sender sequence on both;
- reported: p50 / p90 / p95 of each, and the ratios current / baseline for p50 and p90 against
  the target (1.10).
Usage: python -m bench.rest_vs_baseline [--baseline REV] [--model PATH] [--messages 200]
       [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import requests

from bench.bench_rest import MESSAGES, one_message, percentile
from scripts.env import PROJECT_DIR
from scripts.stack import latest_model

# The last commit before the first issue-13 commit (762f498, "Commune found inside a citizen's
# sentence (issue 13, part 1)"): the code as it was before this round's understanding work.
BASELINE = "03fc7a5"
TARGET = 1.10

# The calendar kind of bench_rest, plus communes misspelt inside a sentence, as typed on a phone
# (tests/spelling/handwritten.csv), which the span matcher now reads.
TEXTS = [
    *MESSAGES["calendar"],
    "le bus passe qd a trelon",
    "c koi la date du bus a sain du nord",
    "qd passe le bus a bousie svp",
    "fourmie le bus passe",
    "bavai bus svp",
]

# Run with cwd = the tree to start, so that `scripts.stack` is that tree's code. Prints the Rasa
# URL once the stack answers, stops it when its standard input closes.
HOLDER = """
import json, sys, tempfile
from pathlib import Path
from scripts.stack import Stack, free_port
model = Path(sys.argv[1])
with tempfile.TemporaryDirectory() as tmp:
    names = ("RASA_PORT", "ACTION_PORT", "GUARD_PORT", "WEB_PORT", "AGENT_API_PORT")
    overrides = {name: str(free_port()) for name in names}
    overrides["DATABASE_URL"] = f"sqlite:///{tmp}/rasa.db"
    overrides["WEB_RATE_PER_ADDRESS"] = "0"
    stack = Stack.create(overrides, log_dir=Path(tmp) / "logs", with_web=False, model=model)
    try:
        stack.start(timeout=400)
        print(json.dumps({"rasa_url": stack.rasa_url}), flush=True)
        sys.stdin.read()
    except Exception:
        for name in stack.processes:
            print(stack.log_tail(name), file=sys.stderr)
        raise
    finally:
        stack.stop()
"""


class HeldStack:
    """A stack of one tree, started and stopped by a holder process run in that tree."""

    def __init__(self, tree: Path, model: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(model)],
            cwd=tree, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the stack of {tree} did not start (see its log above)")
        self.url = json.loads(line)["rasa_url"] + "/webhooks/rest/webhook"

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait(timeout=60)


def figures(latencies: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in latencies]
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 1),
        "p90_ms": round(percentile(ms, 90), 1),
        "p95_ms": round(percentile(ms, 95), 1),
    }


def answers(url: str) -> list[list[str]]:
    """The texts each stack answers to one conversation, kept in the report to be read."""
    who = f"sample-{uuid.uuid4().hex[:8]}"
    said = []
    for text in TEXTS:
        reply = requests.post(url, json={"sender": who, "message": text}, timeout=60)
        reply.raise_for_status()
        said.append([m.get("text", "") for m in reply.json()])
    return said


def measure(urls: dict[str, str], n: int) -> dict[str, list[float]]:
    """n messages on each stack, one at a time, alternating A B B A, the same conversations."""
    labels = list(urls)
    for label in labels:  # warm-up: first calls load lazily
        for text in TEXTS * 2:
            one_message(urls[label], f"warmup-{uuid.uuid4().hex[:6]}", text)
    latencies: dict[str, list[float]] = {label: [] for label in labels}
    sent = 0
    while sent < n:
        who = f"bench-{uuid.uuid4().hex[:8]}"
        for text in TEXTS[: n - sent]:
            order = labels if sent % 2 == 0 else labels[::-1]
            for label in order:
                latencies[label].append(one_message(urls[label], f"{label}-{who}", text))
            sent += 1
    return latencies


def run(baseline: str, model: Path, n: int) -> dict:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", baseline], cwd=PROJECT_DIR,
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    current = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_DIR,
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "baseline"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(tree), commit], cwd=PROJECT_DIR,
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        stacks: dict[str, HeldStack] = {}
        try:
            stacks["current"] = HeldStack(PROJECT_DIR, model)
            stacks["baseline"] = HeldStack(tree, model)
            latencies = measure({label: s.url for label, s in stacks.items()}, n)
            samples = {label: answers(s.url) for label, s in stacks.items()}
        finally:
            for stack in stacks.values():
                stack.close()
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(tree)], cwd=PROJECT_DIR,
                check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
    result = {label: figures(values) for label, values in latencies.items()}
    ratio = {
        key: round(result["current"][key] / result["baseline"][key], 3)
        for key in ("p50_ms", "p90_ms", "p95_ms")
    }
    return {
        "current_commit": current,
        "baseline_commit": commit,
        "model": model.name,
        "texts": TEXTS,
        **result,
        "ratio_current_over_baseline": ratio,
        "target": TARGET,
        "met": ratio["p50_ms"] <= TARGET and ratio["p90_ms"] <= TARGET,
        "sample_answers": samples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline", default=BASELINE)
    parser.add_argument("--model", type=Path)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    model = (args.model or latest_model()).resolve()
    result = run(args.baseline, model, args.messages)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
