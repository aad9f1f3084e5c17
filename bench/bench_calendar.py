"""Time the tour calendar in-process: next_visits, visits_on, nearest_stops (target p95 < 5 ms).

Usage: .venv/bin/python -m bench.bench_calendar [--calls 2000] [--seed 7]

Each call gets a random input (a served commune and a moment over the next two years, a date, a
commune of the Nord's town-hall position), with a fixed seed so runs compare. Loading the file
is timed once, separately: the action server does it once at start.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time
from collections.abc import Callable
from functools import partial

from franceservices.calendar.tours import load_tours
from franceservices.dates.clock import PARIS
from franceservices.places.communes import load_communes


def _percentiles(samples_ns: list[int]) -> tuple[float, float, float]:
    ordered = sorted(samples_ns)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1e6

    return pick(0.50), pick(0.95), max(ordered) / 1e6


def _time(calls: list[Callable[[], object]]) -> list[int]:
    samples = []
    for call in calls:
        start = time.perf_counter_ns()
        call()
        samples.append(time.perf_counter_ns() - start)
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)

    communes = load_communes()
    start = time.perf_counter()
    calendar = load_tours(communes=communes)
    load_ms = (time.perf_counter() - start) * 1000

    served = sorted({stop.insee for stop in calendar.stops()})
    everyone = communes.all()
    origin = dt.datetime(2026, 11, 27, 0, 0, tzinfo=PARIS)

    def moment() -> dt.datetime:
        return origin + dt.timedelta(minutes=rng.randrange(0, 730 * 24 * 60))

    next_calls = [
        partial(calendar.next_visits, rng.choice(served), moment(), rng.choice((1, 3)))
        for _ in range(args.calls)
    ]
    on_calls = [partial(calendar.visits_on, moment().date()) for _ in range(args.calls)]
    near_calls = []
    for _ in range(args.calls):
        commune = rng.choice(everyone)
        near_calls.append(
            partial(calendar.nearest_stops, commune.lat, commune.lon, 2, commune.insee)
        )
    # Warm-up (first calls pay for imports and caches, e.g. the holidays of each year).
    for calls in (next_calls, on_calls, near_calls):
        for call in calls[:50]:
            call()

    print(f"load_tours: {load_ms:.1f} ms (once at start)")
    print(f"{'call':<16}{'n':>7}{'mean ms':>10}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    worst_p95 = 0.0
    for name, calls in (
        ("next_visits", next_calls),
        ("visits_on", on_calls),
        ("nearest_stops", near_calls),
    ):
        samples = _time(calls)
        p50, p95, top = _percentiles(samples)
        worst_p95 = max(worst_p95, p95)
        mean = statistics.fmean(samples) / 1e6
        print(f"{name:<16}{len(samples):>7}{mean:>10.3f}{p50:>10.3f}{p95:>10.3f}{top:>10.3f}")
    verdict = "OK" if worst_p95 < 5 else "OVER TARGET"
    print(f"target p95 < 5 ms: {verdict}")
    return 0 if worst_p95 < 5 else 1


if __name__ == "__main__":
    raise SystemExit(main())
