"""The held-out NLU test set must stay held out, and cover every intent."""

import re
from pathlib import Path

from ruamel.yaml import YAML

PROJECT = Path(__file__).resolve().parents[2]
ENTITY = re.compile(r"\[([^\]]+)\]\([^)]+\)")


def examples(path: Path) -> dict[str, set[str]]:
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    result: dict[str, set[str]] = {}
    for block in data.get("nlu", []):
        if "intent" not in block:
            continue
        lines = [line[2:].strip() for line in block["examples"].splitlines() if line.strip()]
        texts = {" ".join(ENTITY.sub(r"\1", line).lower().split()) for line in lines}
        result.setdefault(block["intent"], set()).update(texts)
    return result


def training() -> dict[str, set[str]]:
    merged: dict[str, set[str]] = {}
    for path in sorted((PROJECT / "data").glob("nlu*.yml")):
        for intent, texts in examples(path).items():
            merged.setdefault(intent, set()).update(texts)
    return merged


def test_no_test_example_is_in_the_training_data():
    train_texts = set().union(*training().values())
    leaked = {
        (intent, text)
        for intent, texts in examples(PROJECT / "tests" / "nlu_test.yml").items()
        for text in texts
        if text in train_texts
    }
    assert not leaked


def test_every_intent_has_at_least_eight_test_examples():
    test = examples(PROJECT / "tests" / "nlu_test.yml")
    per_intent: dict[str, int] = {}
    for name, texts in test.items():
        per_intent[name.split("/")[0]] = per_intent.get(name.split("/")[0], 0) + len(texts)
    trained = {name.split("/")[0] for name in training()}
    assert trained == set(per_intent)
    assert {name: n for name, n in per_intent.items() if n < 8} == {}
