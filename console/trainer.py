"""The background job that prepares a candidate model: train, then the gates of `make test`.

Started by the console ("Préparer une nouvelle version", console/teach.py) as its own process
with `nice -n 19`, never in a web worker: every Rasa and check it runs inherits the low
priority, so the serving Rasa servers keep the CPU first. It reads its settings from the
environment (`console.versions.TrainingSettings`, DATABASE_URL) and writes its progress, verdict
and report to the version's row; its output goes to `<version dir>/job.log`.

    nice -n 19 python -m console.trainer VERSION_ID

Steps, in the version's directory (MODEL_VERSIONS_DIR/<id>/), whose `nlu_learned.yml` the
console wrote when the admin clicked:
  1. `rasa train --data <data...> nlu_learned.yml --out . --fixed-model-name candidate`
  2. `rasa test nlu` on the held-out sets (copied to heldout/) -> nlu/, then
     `python -m scripts.check_nlu_scores nlu` (the NLU gate)
  3. `rasa test core --stories ... --fail-on-prediction-errors` (the dialogue gate)
  4. `rasa test nlu` of the model in service on the same sets -> service_nlu/, for the
     comparison the page shows.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from console import versions
from console.versions import PROJECT_DIR, TrainingSettings
from store.db import get_engine

BIN = Path(sys.executable).parent
_PERCENT_RE = re.compile(r"(Epochs|Processed|Processed trackers|Evaluat\w*)[^%\n\r]*?(\d{1,3})%")


def _now() -> dt.datetime:
    return dt.datetime.now(tz=dt.timezone.utc)


class Job:
    """One version's preparation; `run` never raises (a failure is recorded on the row)."""

    def __init__(self, engine: Engine, version_id: int, settings: TrainingSettings) -> None:
        self.engine = engine
        self.version_id = version_id
        self.settings = settings
        self.dir = settings.version_dir(version_id)
        self.log = self.dir / "job.log"

    def update(self, **values: Any) -> None:
        with self.engine.begin() as conn:
            versions.update_version(conn, self.version_id, **values)

    def command(self, args: list[str], step: str) -> int:
        """Run one command with its output appended to job.log; the step shows its progress."""
        self.update(step=step)
        env = {**os.environ, "PYTHONPATH": str(PROJECT_DIR), "RASA_TELEMETRY_ENABLED": "false"}
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        # A cache of its own: the candidates share it, the developers' .rasa/ is left alone.
        env["RASA_CACHE_DIRECTORY"] = str(self.settings.versions_dir / "cache")
        start = self.log.stat().st_size if self.log.exists() else 0
        with open(self.log, "ab") as log:
            log.write(f"\n$ {' '.join(args)}\n".encode())
            log.flush()
            proc = subprocess.Popen(
                args, cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
            )
            shown = ""
            while proc.poll() is None:
                time.sleep(2)
                progress = last_progress(self.log, start)
                if progress and progress != shown:
                    shown = progress
                    self.update(step=f"{step} — {progress}")
        return proc.returncode

    def rasa(self, *args: str) -> list[str]:
        return [str(BIN / "rasa"), *args]

    def run(self) -> None:
        try:
            self._run()
        except Exception as error:  # recorded for the admin, not lost in a log
            self.update(status="failed", step=f"Erreur : {error}"[:255], finished_at=_now())

    def _run(self) -> None:
        s = self.settings
        learned = self.dir / "nlu_learned.yml"
        self.update(status="training", pid=os.getpid())
        code = self.command(
            self.rasa(
                "train", "--data", *map(str, s.data), str(learned), "--config", str(s.config),
                "--domain", str(s.domain), "--out", str(self.dir),
                "--fixed-model-name", "candidate",
            ),
            "Entraînement du modèle candidat",
        )  # fmt: skip
        model = self.dir / "candidate.tar.gz"
        if code != 0 or not model.exists():
            self.update(status="failed", step="L'entraînement a échoué", finished_at=_now())
            return
        self.update(
            status="testing", path=str(model), sha256=versions.file_sha256(model), step="Tests"
        )
        heldout = copy_into(self.dir / "heldout", s.nlu_tests)
        stories = copy_into(self.dir / "stories", s.stories)
        gates = []
        nlu_out = self.dir / "nlu"
        code = self.command(
            self.rasa(
                "test", "nlu", "--nlu", str(heldout), "--model", str(model), "--out", str(nlu_out),
                "--no-plot", "--successes",
            ),
            "Test NLU (jeux de test mis à part)",
        )  # fmt: skip
        check = subprocess.run(
            [str(BIN / "python"), "-m", "scripts.check_nlu_scores", str(nlu_out)],
            cwd=PROJECT_DIR, capture_output=True, text=True,
        )  # fmt: skip
        gates.append(
            {
                "name": "nlu",
                "passed": code == 0 and check.returncode == 0,
                "detail": (check.stdout + check.stderr)[-4000:],
            }
        )
        code = self.command(
            self.rasa(
                "test", "core", "--stories", str(stories), "--model", str(model),
                "--out", str(self.dir / "core"), "--fail-on-prediction-errors", "--no-plot",
            ),
            "Histoires de test",
        )  # fmt: skip
        gates.append({"name": "stories", "passed": code == 0, "detail": stories_summary(self.log)})
        report: dict[str, Any] = {"gates": gates}
        report["scores"] = read_scores(nlu_out)
        with self.engine.connect() as conn:
            service = versions.served_model(conn, s.delivered_dir)
        if service is not None and service.path.exists():
            service_out = self.dir / "service_nlu"
            self.command(
                self.rasa(
                    "test", "nlu", "--nlu", str(heldout), "--model", str(service.path),
                    "--out", str(service_out), "--no-plot", "--successes",
                ),
                "Test NLU du modèle en service",
            )  # fmt: skip
            report["service"] = {"path": str(service.path), "version_id": service.version_id}
            report["service_scores"] = read_scores(service_out)
            now_right, now_wrong = versions.changes(
                versions.predictions(service_out), versions.predictions(nlu_out)
            )
            report["now_right"], report["now_wrong"] = now_right, now_wrong
        passed = versions.gates_passed(gates)
        self.update(
            status="ready",
            gates_passed=passed,
            report=report,
            step="Prêt" if passed else "Prêt, mais un test a échoué : publication impossible",
            finished_at=_now(),
        )


def copy_into(target: Path, files: tuple[Path, ...]) -> Path:
    """Copy `files` into the directory `target` (Rasa's test commands take one path)."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for index, path in enumerate(files):
        shutil.copyfile(path, target / f"{index:02d}_{path.name}")
    return target


def read_scores(out_dir: Path) -> dict[str, Any]:
    report = out_dir / "intent_report.json"
    if not report.exists():
        return {}
    data = json.loads(report.read_text(encoding="utf-8"))
    return {
        "intents": versions.intent_scores(data),
        "macro_f1": round(data.get("macro avg", {}).get("f1-score", 0.0), 4),
        "accuracy": round(data.get("accuracy", 0.0), 4),
    }


def last_progress(log: Path, start: int = 0) -> str:
    """The last progress bar of the log since `start` ("Epochs 45 %"), or ""."""
    try:
        with open(log, "rb") as file:
            file.seek(max(start, log.stat().st_size - 20000))
            tail = file.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    found = _PERCENT_RE.findall(tail)
    if not found:
        return ""
    label, percent = found[-1]
    return f"{label} {percent} %"


def stories_summary(log: Path) -> str:
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    kept = [line for line in lines[-400:] if "Correct:" in line or "Failed" in line]
    return "\n".join(kept[-6:])


def main(argv: list[str]) -> int:
    version_id = int(argv[0])
    engine = get_engine(os.environ["DATABASE_URL"])
    Job(engine, version_id, TrainingSettings.from_env()).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
