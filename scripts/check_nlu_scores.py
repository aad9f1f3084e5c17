"""Fail when NLU scores on the held-out test set fall under the agreed thresholds.

Reads the reports written by `rasa test nlu --out DIR`: every intent's F1 must be at least
MIN_INTENT_F1 and the macro-average F1 at least MIN_MACRO_F1. Response selection (FAQ and small
talk answers) is held to the same macro threshold.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

MIN_INTENT_F1 = 0.90
MIN_MACRO_F1 = 0.95
SUMMARY_KEYS = {"accuracy", "macro avg", "weighted avg", "micro avg"}


def check_report(path: Path, label: str) -> list[str]:
    report = json.loads(path.read_text(encoding="utf-8"))
    problems = []
    for name, scores in sorted(report.items()):
        if name in SUMMARY_KEYS or not isinstance(scores, dict):
            continue
        f1 = scores["f1-score"]
        flag = "" if f1 >= MIN_INTENT_F1 else f"   <-- under {MIN_INTENT_F1:.2f}"
        print(f"  {label} {name:<32} F1 {f1:.3f}  (support {scores['support']}){flag}")
        if f1 < MIN_INTENT_F1:
            problems.append(f"{label} '{name}': F1 {f1:.3f} < {MIN_INTENT_F1}")
    macro = report["macro avg"]["f1-score"]
    print(f"  {label} macro-F1 {macro:.3f}")
    if macro < MIN_MACRO_F1:
        problems.append(f"{label} macro-F1 {macro:.3f} < {MIN_MACRO_F1}")
    return problems


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "results/nlu")
    problems = check_report(out / "intent_report.json", "intent")
    selection = out / "response_selection_report.json"
    if selection.exists():
        problems += check_report(selection, "response")
    if problems:
        print("NLU scores under the threshold:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    print("NLU scores OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
