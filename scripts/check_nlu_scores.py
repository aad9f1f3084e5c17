"""Fail when NLU scores on the held-out test set fall under the agreed thresholds.

Reads the reports written by `rasa test nlu --out DIR`: every intent's F1 must be at least
MIN_INTENT_F1 and the macro-average F1 at least MIN_MACRO_F1. Response selection (FAQ and small
talk answers) is held to the same macro threshold. The entity report of DIETClassifier (the file
Rasa 3.6 writes as `DIETClassifier_report.json`) must give each entity of MIN_ENTITY_F1 at least
its threshold.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

MIN_INTENT_F1 = 0.90
MIN_MACRO_F1 = 0.95
# Measured with the model of 2026-12-02: commune F1 0.781 on tests/nlu_test.yml (support 36), 0.758
# on a rewrite of it with no example one word from the training data; the lower, rounded down.
MIN_ENTITY_F1 = {"commune": 0.75}
ENTITY_REPORT = "DIETClassifier_report.json"
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


def check_entities(path: Path) -> list[str]:
    report = json.loads(path.read_text(encoding="utf-8"))
    problems = []
    for name, minimum in sorted(MIN_ENTITY_F1.items()):
        f1 = report.get(name, {}).get("f1-score", 0.0)
        support = report.get(name, {}).get("support", 0)
        flag = "" if f1 >= minimum else f"   <-- under {minimum:.2f}"
        print(f"  entity {name:<32} F1 {f1:.3f}  (support {support}){flag}")
        if f1 < minimum:
            problems.append(f"entity '{name}': F1 {f1:.3f} < {minimum}")
    return problems


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "results/nlu")
    problems = check_report(out / "intent_report.json", "intent")
    selection = out / "response_selection_report.json"
    if selection.exists():
        problems += check_report(selection, "response")
    problems += check_entities(out / ENTITY_REPORT)
    if problems:
        print("NLU scores under the threshold:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    print("NLU scores OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
