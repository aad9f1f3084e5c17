"""Score the commune span matcher over the labelled spelling set (tests/spelling/*.csv).

Run: `.venv/bin/python -m bench.spelling [--show]`. Each sentence is resolved as the calendar
action resolves a message
(`franceservices.places.commune_spans.resolve_in_sentence`) and counted as:
- right: the expected commune found, "ambiguous" asked, or "none" and no Nord commune found;
- asked: the expected commune is among the candidates of an ambiguous answer (a button away);
- missed: no commune found where one was expected (the person is asked to retype it);
- wrong: another commune found, or a commune found where none was named (the harm to avoid).
Targets: right >= 97 %, wrong <= 0.5 %.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from franceservices.places.commune_spans import resolve_in_sentence  # noqa: E402

SPELLING_DIR = ROOT / "tests" / "spelling"
TARGET_RIGHT = 0.97
TARGET_WRONG = 0.005


def load_set(directory: Path = SPELLING_DIR) -> list[tuple[str, str, str]]:
    """Every (sentence, expected, file name) of the labelled CSV files."""
    rows = []
    for path in sorted(directory.glob("*.csv")):
        with path.open(encoding="utf-8") as f:
            lines = [line for line in f if not line.startswith("#")]
        rows += [(r["sentence"], r["expected"], path.name) for r in csv.DictReader(lines)]
    return rows


def outcome(expected: str, sentence: str) -> tuple[str, str]:
    """("right" | "asked" | "missed" | "wrong", what was answered)."""
    resolution = resolve_in_sentence(sentence)
    status = resolution.status
    codes = [c.insee for c in resolution.candidates]
    answered = f"{status} {','.join(codes[:4])}".strip()
    if status == "found":
        if expected == codes[0]:
            return "right", answered
        return "wrong", answered
    if status == "ambiguous":
        if expected == "ambiguous":
            return "right", answered
        if expected in codes:
            return "asked", answered
        return ("right" if expected == "none" else "wrong"), answered
    if expected == "none":
        return "right", answered
    return "missed", answered


def score(rows: list[tuple[str, str, str]]) -> tuple[Counter, list[tuple[str, str, str, str]]]:
    counts: Counter = Counter()
    failures = []
    for sentence, expected, _source in rows:
        kind, answered = outcome(expected, sentence)
        counts[kind] += 1
        if kind != "right":
            failures.append((kind, sentence, expected, answered))
    return counts, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="list every sentence not right")
    args = parser.parse_args()
    rows = load_set()
    started = time.perf_counter()
    counts, failures = score(rows)
    elapsed = time.perf_counter() - started
    total = len(rows)
    for kind in ("right", "asked", "missed", "wrong"):
        print(f"{kind:7} {counts[kind]:4}  {100 * counts[kind] / total:5.1f} %")
    print(f"{total} sentences in {elapsed:.2f} s (index built at first call, included)")
    right_ok = counts["right"] / total >= TARGET_RIGHT
    wrong_ok = counts["wrong"] / total <= TARGET_WRONG
    print(
        f"targets: right >= 97 % {'met' if right_ok else 'NOT met'}, "
        f"wrong <= 0.5 % {'met' if wrong_ok else 'NOT met'}"
    )
    if args.show:
        for kind, sentence, expected, answered in failures:
            print(f"{kind:7} {sentence!r} expected {expected}, got {answered}")


if __name__ == "__main__":
    main()
