"""Run the benchmarks and write bench/results.json (figures in bench/README.md).

1. In-process: commune resolver and calendar queries (bench_resolver, bench_calendar).
2. Training time of our pipeline and of Rasa's default pipeline, on the same data.
3. For each trained model: REST round-trip latency one conversation at a time and with 10 at
   once, and the Rasa server's peak memory (bench_rest), on basic, calendar and documents messages.
4. Calendar questions' REST round trip of this tree against the code before issue 13's work,
   both stacks on our trained model, in the same run (rest_vs_baseline: ratio, target 1.10).

Usage: python -m bench.run_all [--skip-default] [--skip-baseline] [--messages 200]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import bench_rest, rest_vs_baseline
from scripts.env import PROJECT_DIR, assistant_env

RESULTS = PROJECT_DIR / "bench" / "results.json"
DEFAULT_CONFIG = "recipe: default.v1\nlanguage: fr\nassistant_id: bench-default-pipeline\n"


def train(config: Path, out: Path, name: str) -> tuple[Path, float]:
    start = time.perf_counter()
    subprocess.run(
        [str(Path(sys.executable).parent / "rasa"), "train", "--force", "--quiet",
         "--config", str(config), "--out", str(out), "--fixed-model-name", name],
        cwd=PROJECT_DIR, env=assistant_env(), check=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return out / f"{name}.tar.gz", round(time.perf_counter() - start, 1)


def in_process() -> dict:
    results = {}
    for module in ("bench.bench_resolver", "bench.bench_calendar"):
        done = subprocess.run(
            [sys.executable, "-m", module], cwd=PROJECT_DIR, capture_output=True, text=True
        )
        results[module] = done.stdout.strip().splitlines()[-12:]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-default", action="store_true")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args()
    report: dict = {"machine": {"cores": os.cpu_count()}, "in_process": in_process()}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        models = {}
        models["ours"], report["train_s_ours"] = train(PROJECT_DIR / "config.yml", out, "ours")
        if not args.skip_default:
            default_config = out / "config-default.yml"
            default_config.write_text(DEFAULT_CONFIG)
            models["default"], report["train_s_default"] = train(default_config, out, "default")
        for label, model in models.items():
            for kind in ("basics", "calendar", "documents"):
                result = bench_rest.run(model, args.messages, 10, kind)
                report[f"rest_{label}_{kind}"] = result
                print(json.dumps({label: result}, ensure_ascii=False), flush=True)
        if not args.skip_baseline:
            result = rest_vs_baseline.run(rest_vs_baseline.BASELINE, models["ours"], args.messages)
            report["rest_calendar_vs_baseline"] = result
            print(json.dumps({"vs_baseline": result}, ensure_ascii=False), flush=True)
        if "default" in models:
            ours, default = report["rest_ours_basics"], report["rest_default_basics"]
            report["ratio_ours_over_default"] = {
                "train": round(report["train_s_ours"] / report["train_s_default"], 2),
                "p95_one_at_a_time": round(
                    ours["one_at_a_time"]["p95_ms"] / default["one_at_a_time"]["p95_ms"], 2
                ),
                "messages_per_s": round(
                    ours["10_at_once"]["messages_per_s"] / default["10_at_once"]["messages_per_s"],
                    2,
                ),
                "peak_rss": round(ours["rasa_peak_rss_mb"] / default["rasa_peak_rss_mb"], 2),
            }
        shutil.rmtree(out, ignore_errors=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {RESULTS.relative_to(PROJECT_DIR)}")


if __name__ == "__main__":
    main()
