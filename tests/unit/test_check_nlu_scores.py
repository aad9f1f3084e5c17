"""scripts.check_nlu_scores on report files shaped as `rasa test nlu --out DIR` writes them."""

import json
from pathlib import Path

import pytest

from scripts import check_nlu_scores


def scores(f1: float, support: int = 10) -> dict:
    return {"precision": f1, "recall": f1, "f1-score": f1, "support": support}


def write_reports(out: Path, intents: dict[str, float], commune: float | None) -> Path:
    intent_report = {name: scores(f1) for name, f1 in intents.items()}
    macro = sum(intents.values()) / len(intents)
    intent_report |= {"accuracy": macro, "macro avg": scores(macro), "weighted avg": scores(macro)}
    (out / "intent_report.json").write_text(json.dumps(intent_report), encoding="utf-8")
    entities = {"operator": scores(1.0), "micro avg": scores(0.9), "macro avg": scores(0.9)}
    if commune is not None:
        entities["commune"] = scores(commune, 36) | {"confused_with": {}}
    entities["accuracy"] = 0.99
    (out / "DIETClassifier_report.json").write_text(json.dumps(entities), encoding="utf-8")
    return out


def test_good_scores_pass(tmp_path, capsys):
    out = write_reports(tmp_path, {"greet": 0.96, "deny": 1.0}, commune=0.80)
    assert check_nlu_scores.main([str(out)]) == 0
    assert "entity commune" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("intents", "commune", "named"),
    [
        ({"greet": 0.74, "deny": 1.0}, 0.80, "intent 'greet'"),
        ({"greet": 0.91, "deny": 0.92}, 0.80, "intent macro-F1"),
        ({"greet": 1.0, "deny": 1.0}, 0.74, "entity 'commune'"),
        ({"greet": 1.0, "deny": 1.0}, None, "entity 'commune'"),
    ],
)
def test_a_score_under_its_threshold_fails_and_is_named(tmp_path, capsys, intents, commune, named):
    out = write_reports(tmp_path, intents, commune)
    assert check_nlu_scores.main([str(out)]) == 1
    assert named in capsys.readouterr().err


def test_the_commune_threshold_is_the_stated_one():
    assert check_nlu_scores.MIN_ENTITY_F1 == {"commune": 0.75}


def test_a_score_between_floor_and_target_passes_and_is_reported(tmp_path, capsys):
    out = write_reports(tmp_path, {"greet": 0.85, "deny": 1.0}, commune=0.80)
    assert check_nlu_scores.main([str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Below target" in printed
    assert "intent 'greet': F1 0.850 < target 0.9" in printed
    assert "intent macro-F1 0.925 < target 0.95" in printed


def test_a_response_is_held_to_its_target(tmp_path, capsys):
    out = write_reports(tmp_path, {"greet": 1.0, "deny": 1.0}, commune=0.80)
    report = {"faq/buses": scores(0.85), "faq/what_is": scores(1.0)}
    report |= {"accuracy": 0.9, "macro avg": scores(0.925), "weighted avg": scores(0.925)}
    (out / "response_selection_report.json").write_text(json.dumps(report), encoding="utf-8")
    assert check_nlu_scores.main([str(out)]) == 1
    assert "response 'faq/buses'" in capsys.readouterr().err


def test_the_floors_are_the_stated_ones_and_never_above_the_targets():
    assert check_nlu_scores.FLOOR == {"intent": (0.75, 0.92), "response": (0.90, 0.95)}
    assert check_nlu_scores.TARGET == {"intent": (0.90, 0.95), "response": (0.90, 0.95)}
    for label, (floor, macro) in check_nlu_scores.FLOOR.items():
        target, target_macro = check_nlu_scores.TARGET[label]
        assert floor <= target and macro <= target_macro
