"""Model versions: candidates prepared from the console, their gates, publication and rollback.

A candidate is trained by a background job (console/trainer.py, `nice -n 19`) on data/ plus the
learned examples (console/learned.py), into `MODEL_VERSIONS_DIR/<id>/` (var/model_versions by
default), then held to the gates of `make test`: NLU on the held-out sets (scripts/
check_nlu_scores.py) and the test stories with `--fail-on-prediction-errors`. Its row in
`console_model_versions` keeps the progress, the verdict and a JSON report: per-intent F1 of the
candidate and of the model in service on the same held-out sets, and the held-out messages the
candidate now understands or now gets wrong.

The model in service is the last row of `console_model_publications`, unless the delivered
model (the newest in models/, or the file a stack was started with: MODEL_DELIVERED_DIR) is newer
than that row: a `make train` after a publication is a new delivery. console/model_server.py
serves it to every Rasa server (endpoints.yml `models:`); publishing or rolling back is a new
row, so the history of who published what and when is the table itself (and the audit log).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from console import models

PROJECT_DIR = Path(__file__).resolve().parent.parent
RUNNING = ("queued", "training", "testing")
SUMMARY_KEYS = frozenset({"accuracy", "macro avg", "weighted avg", "micro avg"})


class NotPublishable(Exception):
    """The version cannot be published (not ready, or a gate failed), or nothing to roll back."""


def _paths(value: str) -> list[Path]:
    return [Path(part) for part in value.split(os.pathsep) if part]


@dataclass(frozen=True)
class TrainingSettings:
    """What a candidate is trained on and tested with; every path configurable (a test uses a
    small data set). From the environment: MODEL_VERSIONS_DIR, MODEL_DELIVERED_DIR,
    MODEL_TRAIN_DATA, MODEL_TEST_NLU, MODEL_TEST_STORIES (lists separated by os.pathsep),
    MODEL_TRAIN_CONFIG, MODEL_TRAIN_DOMAIN."""

    versions_dir: Path = PROJECT_DIR / "var" / "model_versions"
    delivered_dir: Path = PROJECT_DIR / "models"
    data: tuple[Path, ...] = (PROJECT_DIR / "data",)
    config: Path = PROJECT_DIR / "config.yml"
    domain: Path = PROJECT_DIR / "domain.yml"
    nlu_tests: tuple[Path, ...] = field(
        default_factory=lambda: tuple(sorted((PROJECT_DIR / "tests").glob("nlu_test*.yml")))
    )
    stories: tuple[Path, ...] = (PROJECT_DIR / "tests" / "test_stories.yml",)

    ENV = {
        "versions_dir": "MODEL_VERSIONS_DIR",
        "delivered_dir": "MODEL_DELIVERED_DIR",
        "data": "MODEL_TRAIN_DATA",
        "config": "MODEL_TRAIN_CONFIG",
        "domain": "MODEL_TRAIN_DOMAIN",
        "nlu_tests": "MODEL_TEST_NLU",
        "stories": "MODEL_TEST_STORIES",
    }

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> TrainingSettings:
        values: dict[str, Any] = {}
        for name, variable in cls.ENV.items():
            if env.get(variable):
                many = name in ("data", "nlu_tests", "stories")
                values[name] = tuple(_paths(env[variable])) if many else Path(env[variable])
        return cls(**values)

    def to_env(self) -> dict[str, str]:
        env = {}
        for name, variable in self.ENV.items():
            value = getattr(self, name)
            many = isinstance(value, tuple)
            env[variable] = os.pathsep.join(map(str, value)) if many else str(value)
        return env

    def version_dir(self, version_id: int) -> Path:
        return self.versions_dir / str(version_id)


@dataclass(frozen=True)
class ServedModel:
    """The model the Rasa servers pull."""

    path: Path
    sha256: str
    version_id: int | None
    at: dt.datetime | None = None
    actor: str = ""


def file_sha256(path: Path) -> str:
    stat = path.stat()
    return _sha256(str(path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=16)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def delivered_model(delivered: Path) -> Path | None:
    """The delivered model: `delivered` itself when it is a file (the model a stack was started
    with), else the newest model in that directory (what `make train` made)."""
    if delivered.is_file():
        return delivered
    found = sorted(delivered.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def _delivered_after(path: Path, moment: dt.datetime) -> bool:
    return dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.timezone.utc) > moment


def served_model(conn: Connection, delivered_dir: Path) -> ServedModel | None:
    """The model in service: the newer of the last publication and the delivered model.

    A model trained by the developers (`make train`) after the last publication is a new
    delivery and is served; before it, the published one is.
    """
    p = models.model_publications.c
    row = conn.execute(select(models.model_publications).order_by(p.id.desc()).limit(1)).first()
    path = delivered_model(delivered_dir)
    if path is not None and (row is None or _delivered_after(path, row.at)):
        return ServedModel(path, file_sha256(path), None)
    if row is not None:
        return ServedModel(Path(row.path), row.sha256, row.version_id, row.at, row.actor)
    return None


# -- versions ---------------------------------------------------------------------------------


def create_version(conn: Connection, actor: str, moment: dt.datetime, examples: int) -> int:
    result = conn.execute(
        models.model_versions.insert().values(
            created_at=moment,
            created_by=actor,
            status="queued",
            step="En attente",
            examples=examples,
            report="{}",
        )
    )
    return result.inserted_primary_key[0]


def get_version(conn: Connection, version_id: int) -> Any:
    return conn.execute(
        select(models.model_versions).where(models.model_versions.c.id == version_id)
    ).first()


def list_versions(conn: Connection, limit: int = 20) -> list[Any]:
    v = models.model_versions.c
    return conn.execute(select(models.model_versions).order_by(v.id.desc()).limit(limit)).all()


def update_version(conn: Connection, version_id: int, **values: Any) -> None:
    if "report" in values and not isinstance(values["report"], str):
        values["report"] = json.dumps(values["report"], ensure_ascii=False)
    conn.execute(
        models.model_versions.update()
        .where(models.model_versions.c.id == version_id)
        .values(**values)
    )


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_version(conn: Connection, moment: dt.datetime) -> Any:
    """The version being prepared, if any; one whose job died is marked failed."""
    v = models.model_versions.c
    rows = conn.execute(select(models.model_versions).where(v.status.in_(RUNNING))).all()
    for row in rows:
        # A queued row has no pid for the instant between its insert and the job's spawn.
        if row.status != "queued" and not _alive(row.pid):
            update_version(
                conn, row.id, status="failed", step="Le travail s'est arrêté", finished_at=moment
            )
            continue
        return row
    return None


def report_of(row: Any) -> dict[str, Any]:
    return json.loads(row.report or "{}")


# -- gates and scores -------------------------------------------------------------------------


def intent_scores(report: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    """Per-intent F1 and support from Rasa's `intent_report.json`."""
    return {
        name: {"f1": round(scores["f1-score"], 4), "support": scores["support"]}
        for name, scores in sorted(report.items())
        if name not in SUMMARY_KEYS and isinstance(scores, dict)
    }


def predictions(out_dir: Path) -> dict[str, tuple[str, str]]:
    """text -> (expected intent, predicted intent) from `rasa test nlu --successes` files."""
    found = {}
    for name in ("intent_successes.json", "intent_errors.json"):
        path = out_dir / name
        if path.exists():
            for entry in json.loads(path.read_text(encoding="utf-8")):
                predicted = (entry.get("intent_prediction") or {}).get("name") or ""
                found[entry["text"]] = (entry["intent"], predicted)
    return found


def changes(
    service: Mapping[str, tuple[str, str]], candidate: Mapping[str, tuple[str, str]]
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Held-out messages the candidate now understands, and those it now gets wrong."""
    now_right, now_wrong = [], []
    for text in sorted(set(service) & set(candidate)):
        expected, before = service[text]
        _, after = candidate[text]
        entry = {"text": text, "intent": expected, "before": before, "after": after}
        if before != expected and after == expected:
            now_right.append(entry)
        elif before == expected and after != expected:
            now_wrong.append(entry)
    return now_right, now_wrong


def gates_passed(gates: list[dict[str, Any]]) -> bool:
    """A candidate passes when every gate ran and passed (none run is not a pass)."""
    return bool(gates) and all(gate.get("passed") is True for gate in gates)


def publishable(row: Any) -> bool:
    return row is not None and row.status == "ready" and row.gates_passed is True


# -- publication ------------------------------------------------------------------------------


def _publish_row(
    conn: Connection, action: str, version_id: int | None, path: Path, sha256: str, actor: str,
    moment: dt.datetime,
) -> None:  # fmt: skip
    conn.execute(
        models.model_publications.insert().values(
            at=moment,
            actor=actor,
            action=action,
            version_id=version_id,
            path=str(path),
            sha256=sha256,
        )  # fmt: skip
    )


def publish(conn: Connection, version_id: int, actor: str, moment: dt.datetime) -> ServedModel:
    """Serve version `version_id` from now on; refused unless it is ready and passed every gate."""
    row = get_version(conn, version_id)
    if not publishable(row):
        raise NotPublishable(f"version {version_id} is not ready or failed a gate")
    path = Path(row.path)
    if not path.exists():
        raise NotPublishable(f"the model file of version {version_id} is missing: {path}")
    _publish_row(conn, "publish", version_id, path, row.sha256, actor, moment)
    return ServedModel(path, row.sha256, version_id, moment, actor)


def previous_model(conn: Connection, delivered_dir: Path) -> ServedModel | None:
    """What a rollback goes back to: the model served before the current one."""
    p = models.model_publications.c
    rows = conn.execute(select(models.model_publications).order_by(p.id.desc())).all()
    current = served_model(conn, delivered_dir)
    if current is None:
        return None
    # The current one is the last publication, or a delivered model newer than every row.
    earlier = rows[1:] if rows and current.sha256 == rows[0].sha256 else rows
    for row in earlier:
        if row.sha256 != current.sha256 and Path(row.path).exists():
            return ServedModel(Path(row.path), row.sha256, row.version_id, row.at, row.actor)
    path = delivered_model(delivered_dir)
    if path is not None and file_sha256(path) != current.sha256:
        return ServedModel(path, file_sha256(path), None)
    return None


def rollback(conn: Connection, actor: str, moment: dt.datetime, delivered_dir: Path) -> ServedModel:
    """Serve the previous model again (a new publication row, action 'rollback')."""
    target = previous_model(conn, delivered_dir)
    if target is None:
        raise NotPublishable("no previous model to go back to")
    _publish_row(conn, "rollback", target.version_id, target.path, target.sha256, actor, moment)
    return ServedModel(target.path, target.sha256, target.version_id, moment, actor)


def publications(conn: Connection, limit: int = 20) -> list[Any]:
    p = models.model_publications.c
    return conn.execute(select(models.model_publications).order_by(p.id.desc()).limit(limit)).all()
