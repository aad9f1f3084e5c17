"""The training job's helpers (console/trainer.py): progress read from Rasa's output, test sets
copied for Rasa's one-path options, scores read from Rasa's report."""

from __future__ import annotations

import json

from console.trainer import copy_into, last_progress, read_scores, stories_summary


def test_progress_is_the_last_bar_of_the_log(tmp_path):
    log = tmp_path / "job.log"
    log.write_text("$ rasa train\nINFO starting\n", encoding="utf-8")
    assert last_progress(log) == ""
    with open(log, "a", encoding="utf-8") as file:
        # tqdm redraws with carriage returns, as Rasa's DIETClassifier does.
        file.write("Epochs:   1%|          | 1/100 [00:01<02:00]\rEpochs:  45%|####5     | 45/100")
    assert last_progress(log) == "Epochs 45 %"
    start = log.stat().st_size
    assert last_progress(log, start) == ""
    assert last_progress(tmp_path / "missing.log") == ""


def test_test_sets_are_copied_into_one_directory(tmp_path):
    a, b = tmp_path / "nlu_test.yml", tmp_path / "other" / "nlu_test.yml"
    b.parent.mkdir()
    a.write_text("a", encoding="utf-8")
    b.write_text("b", encoding="utf-8")
    target = copy_into(tmp_path / "heldout", (a, b))
    assert sorted(p.name for p in target.iterdir()) == ["00_nlu_test.yml", "01_nlu_test.yml"]
    copy_into(target, (a,))  # a second run starts from an empty directory
    assert [p.name for p in target.iterdir()] == ["00_nlu_test.yml"]


def test_scores_from_rasa_report(tmp_path):
    assert read_scores(tmp_path) == {}
    (tmp_path / "intent_report.json").write_text(
        json.dumps(
            {
                "greet": {"precision": 1.0, "recall": 1.0, "f1-score": 1.0, "support": 2},
                "accuracy": 0.75,
                "macro avg": {"f1-score": 0.81234, "support": 4},
            }
        ),
        encoding="utf-8",
    )
    assert read_scores(tmp_path) == {
        "intents": {"greet": {"f1": 1.0, "support": 2}},
        "macro_f1": 0.8123,
        "accuracy": 0.75,
    }


def test_stories_summary_keeps_rasa_counts(tmp_path):
    log = tmp_path / "job.log"
    log.write_text(
        "noise\nINFO rasa.core.test  - Correct:          40 / 41\nFailed stories: 1\n",
        encoding="utf-8",
    )
    assert stories_summary(log) == (
        "INFO rasa.core.test  - Correct:          40 / 41\nFailed stories: 1"
    )
