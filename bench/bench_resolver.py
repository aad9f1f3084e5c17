"""Time `CommuneResolver.resolve()` per call over the spelling table and a few harder inputs.

Run: `.venv/bin/python bench/bench_resolver.py [repeat]`. Prints build time, p50/p95/p99/max in ms.
"""

from __future__ import annotations

import csv
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from franceservices.places.commune_resolver import get_resolver  # noqa: E402

SPELLINGS = ROOT / "tests" / "unit" / "commune_spellings.csv"
EXTRA = [
    "hasebrouke",
    "bonjour je voudrais savoir quand le bus passe pres de chez moi",
    "je vis a lille mais je travaille a roubaix",
    "blabla " * 700,
    "x" * 5000,
]


def main(repeat: int = 20) -> None:
    with SPELLINGS.open(encoding="utf-8") as f:
        inputs = [
            row["input"] for row in csv.DictReader(line for line in f if not line.startswith("#"))
        ]
    inputs += EXTRA
    started = time.perf_counter()
    resolver = get_resolver()
    build = time.perf_counter() - started
    timings = []
    for _ in range(repeat):
        for text in inputs:
            t0 = time.perf_counter()
            resolver.resolve(text)
            timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()
    q = statistics.quantiles(timings, n=100)
    print(f"index build: {build * 1000:.0f} ms (once, at first use)")
    print(f"{len(timings)} calls over {len(inputs)} inputs")
    print(f"p50 {q[49]:.3f} ms  p95 {q[94]:.3f} ms  p99 {q[98]:.3f} ms  max {timings[-1]:.3f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
