"""Fail when NLU scores on a held-out test set fall under their floors; report the targets.

Reads the reports written by `rasa test nlu --out DIR`. Two levels, per report:
- the floor (FLOOR): every label's F1 and the macro F1 at least this, or the gate fails;
- the target (TARGET, issue 13's 0.90 per label / 0.95 macro): what is still missing is printed as
  "below target", without failing.
Intents have floors under the target: the target was set on a held-out set of 331 examples, 27 %
of them one word from the training data. On the hygienic sets (tests/nlu_test.yml 761 examples,
tests/nlu_test_sms.yml 767, none within one word of training; tests/unit/test_nlu_hygiene.py) the
model of 2026-12-02 measures intent macro-F1 0.931 and 0.937, lowest intent 0.791 (ask_where) and
0.840. The floors sit a little under those figures, so that a change that makes understanding worse
fails, while the gap to the target stays in plain sight. Raise them as the model improves.
Response selection (FAQ and small talk answers) meets its target and is held to it. The entity
report of DIETClassifier (`DIETClassifier_report.json` in Rasa 3.6) must give each entity of
MIN_ENTITY_F1 at least its threshold.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# (per-label F1, macro F1)
TARGET = {"intent": (0.90, 0.95), "response": (0.90, 0.95)}
FLOOR = {"intent": (0.75, 0.92), "response": (0.90, 0.95)}
# Measured with the model of 2026-12-02: commune F1 0.781 on tests/nlu_test.yml (support 36), 0.758
# on a rewrite of it with no example one word from the training data; the lower, rounded down.
MIN_ENTITY_F1 = {"commune": 0.75}
ENTITY_REPORT = "DIETClassifier_report.json"
SUMMARY_KEYS = {"accuracy", "macro avg", "weighted avg", "micro avg"}


def check_report(path: Path, label: str) -> tuple[list[str], list[str]]:
    """(problems under the floor, shortfalls under the target) of one report."""
    report = json.loads(path.read_text(encoding="utf-8"))
    floor, floor_macro = FLOOR[label]
    target, target_macro = TARGET[label]
    problems, shortfalls = [], []
    for name, scores in sorted(report.items()):
        if name in SUMMARY_KEYS or not isinstance(scores, dict):
            continue
        f1 = scores["f1-score"]
        flag = "" if f1 >= target else f"   <-- under {target:.2f}"
        print(f"  {label} {name:<32} F1 {f1:.3f}  (support {scores['support']}){flag}")
        if f1 < floor:
            problems.append(f"{label} '{name}': F1 {f1:.3f} < floor {floor}")
        elif f1 < target:
            shortfalls.append(f"{label} '{name}': F1 {f1:.3f} < target {target}")
    macro = report["macro avg"]["f1-score"]
    print(f"  {label} macro-F1 {macro:.3f}")
    if macro < floor_macro:
        problems.append(f"{label} macro-F1 {macro:.3f} < floor {floor_macro}")
    elif macro < target_macro:
        shortfalls.append(f"{label} macro-F1 {macro:.3f} < target {target_macro}")
    return problems, shortfalls


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
    problems, shortfalls = check_report(out / "intent_report.json", "intent")
    selection = out / "response_selection_report.json"
    if selection.exists():
        more_problems, more_shortfalls = check_report(selection, "response")
        problems += more_problems
        shortfalls += more_shortfalls
    problems += check_entities(out / ENTITY_REPORT)
    if shortfalls:
        print("Below target (not failing, see FLOOR and TARGET):\n  " + "\n  ".join(shortfalls))
    if problems:
        print("NLU scores under the threshold:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    print("NLU scores OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
