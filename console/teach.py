"""Teach: messages the assistant misunderstood; agents pick the right intent; admins export.

Candidates are found by `conversations.refresh_index`: NLU fallback, a confidence under 0.6,
or the last message before a person asked for a human. The export is a Rasa NLU training file
(`version: "3.1"`) for review before the next training; messages holding personal data are left
out (they must not end up in training data).

Admins also prepare, publish and roll back model versions from `/teach/versions` (issue 17): the
labelled messages become the learned data set (console/learned.py), a background job trains and
tests a candidate (console/trainer.py), and publishing makes every Rasa server pull it from the
model server (console/model_server.py); see console/versions.py and docs/console.md.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select
from sqlalchemy.engine import Connection

from console import conversations, learned, models, versions
from console.masking import mask
from console.security import admin_required, audit, engine, login_required

bp = Blueprint("teach", __name__)

DOMAIN_FILE = Path(__file__).resolve().parent.parent / "domain.yml"
OUT_OF_SCOPE = "out_of_scope"
IGNORED_INTENTS = frozenset({"nlu_fallback", "empty_message", "no_words", "message_too_long"})


@lru_cache(maxsize=4)
def domain_intents(path: Path = DOMAIN_FILE) -> tuple[str, ...]:
    """The intents declared in domain.yml (names only), sorted."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    names = []
    for entry in data.get("intents") or []:
        name = entry if isinstance(entry, str) else next(iter(entry))
        if name not in IGNORED_INTENTS:
            names.append(name)
    return tuple(sorted(names))


def export_yaml(conn: Connection, moment: dt.datetime) -> tuple[str, int, int]:
    """The labelled messages as Rasa NLU YAML; returns (text, exported, skipped)."""
    t = models.teach_items.c
    rows = conn.execute(
        select(models.teach_items)
        .where((t.intent.is_not(None)) | (t.out_of_scope.is_(True)))
        .order_by(t.intent, t.id)
    ).all()
    by_intent: dict[str, list[str]] = defaultdict(list)
    skipped = 0
    for row in rows:
        text = " ".join(row.text.split())
        if not text or mask(text) != text:
            skipped += 1
            continue
        intent = OUT_OF_SCOPE if row.out_of_scope else row.intent
        if text not in by_intent[intent]:
            by_intent[intent].append(text)
    lines = ['version: "3.1"', "nlu:"]
    for intent in sorted(by_intent):
        lines.append(f"- intent: {intent}")
        lines.append("  examples: |")
        lines.extend(f"    - {text}" for text in by_intent[intent])
    if rows:
        conn.execute(
            models.teach_items.update()
            .where(t.id.in_([row.id for row in rows]))
            .values(exported_at=moment)
        )
    return "\n".join(lines) + "\n", sum(map(len, by_intent.values())), skipped


@bp.route("/teach")
@login_required
def index() -> Any:
    with engine().begin() as conn:
        conversations.refresh_index(conn)
    t = models.teach_items.c
    with engine().connect() as conn:
        rows = conn.execute(
            select(models.teach_items)
            .where(t.intent.is_(None), t.out_of_scope.is_(False))
            .order_by(t.at.desc())
            .limit(100)
        ).all()
        labelled = conn.execute(
            select(models.teach_items)
            .where((t.intent.is_not(None)) | (t.out_of_scope.is_(True)))
            .order_by(t.labelled_at.desc())
            .limit(30)
        ).all()
    items = [dict(row._mapping, text=mask(row.text)) for row in rows]
    done = [dict(row._mapping, text=mask(row.text)) for row in labelled]
    return render_template("teach.html", items=items, done=done, intents=domain_intents())


@bp.route("/teach/<int:item_id>", methods=["POST"])
@login_required
def label(item_id: int) -> Any:
    intent = request.form.get("intent", "")
    out_of_scope = request.form.get("action") == "out_of_scope"
    if not out_of_scope and intent not in domain_intents():
        abort(400)
    with engine().begin() as conn:
        result = conn.execute(
            models.teach_items.update()
            .where(models.teach_items.c.id == item_id)
            .values(
                intent=None if out_of_scope else intent,
                out_of_scope=out_of_scope,
                agent=g.user["username"],
                labelled_at=current_app.config["CLOCK"](),
            )
        )
    if result.rowcount != 1:
        abort(404)
    audit("teach_label", target=str(item_id), detail=OUT_OF_SCOPE if out_of_scope else intent)
    flash("teach_saved", "ok")
    return redirect(url_for("teach.index"))


@bp.route("/teach/export.yml")
@admin_required
def export() -> Any:
    with engine().begin() as conn:
        text, count, skipped = export_yaml(conn, current_app.config["CLOCK"]())
    audit("teach_export", detail=json.dumps({"examples": count, "skipped": skipped}))
    return Response(
        text,
        mimetype="application/x-yaml",
        headers={"Content-Disposition": "attachment; filename=nlu_console.yml"},
    )


# -- model versions (admin) -------------------------------------------------------------------

DONE = ("prepared", "busy", "published", "not_publishable", "rolled_back", "no_previous")


def training_settings() -> versions.TrainingSettings:
    """The training settings: `MODEL_TRAINING` in the app's config, else the environment's."""
    return current_app.config.get("MODEL_TRAINING") or versions.TrainingSettings.from_env()


def start_job(version_id: int, settings: versions.TrainingSettings) -> int:
    """Start the training job as its own low-priority process; returns its pid.

    `nice -n 19` execs Python, so the pid is the job's own: the page can tell a dead job.
    """
    directory = settings.version_dir(version_id)
    env = {
        **os.environ,
        **settings.to_env(),
        "DATABASE_URL": current_app.config["DATABASE_URL"],
        "PYTHONPATH": str(versions.PROJECT_DIR),
    }
    with open(directory / "job.log", "ab") as log:
        proc = subprocess.Popen(
            ["nice", "-n", "19", sys.executable, "-m", "console.trainer", str(version_id)],
            cwd=versions.PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    return proc.pid


@bp.route("/teach/versions")
@admin_required
def versions_page() -> Any:
    settings = training_settings()
    moment = current_app.config["CLOCK"]()
    with engine().begin() as conn:
        running = versions.running_version(conn, moment)
    with engine().connect() as conn:
        data = learned.learned_set(conn)
        served = versions.served_model(conn, settings.delivered_dir)
        previous = versions.previous_model(conn, settings.delivered_dir)
        rows = versions.list_versions(conn)
        history = versions.publications(conn)
    candidate = next((row for row in rows if row.status == "ready"), None)
    return render_template(
        "versions.html",
        data=data,
        running=running,
        served=served,
        previous=previous,
        candidate=candidate,
        report=versions.report_of(candidate) if candidate is not None else {},
        publishable=versions.publishable(candidate),
        rows=rows,
        history=history,
        done=request.args.get("done") if request.args.get("done") in DONE else None,
    )


@bp.route("/teach/versions/prepare", methods=["POST"])
@admin_required
def prepare() -> Any:
    settings = training_settings()
    moment = current_app.config["CLOCK"]()
    with engine().begin() as conn:
        if versions.running_version(conn, moment) is not None:
            return redirect(url_for("teach.versions_page", done="busy"))
        data = learned.learned_set(conn)
        version_id = versions.create_version(
            conn, g.user["username"], moment, examples=len(data.examples)
        )
    directory = settings.version_dir(version_id)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "nlu_learned.yml").write_text(data.to_yaml(), encoding="utf-8")
    pid = start_job(version_id, settings)
    with engine().begin() as conn:
        versions.update_version(conn, version_id, pid=pid)
    audit(
        "model_prepare",
        target=str(version_id),
        detail=json.dumps({"examples": len(data.examples), "refused": len(data.refused)}),
    )
    return redirect(url_for("teach.versions_page", done="prepared"))


@bp.route("/teach/versions/<int:version_id>/publish", methods=["POST"])
@admin_required
def publish(version_id: int) -> Any:
    moment = current_app.config["CLOCK"]()
    try:
        with engine().begin() as conn:
            model = versions.publish(conn, version_id, g.user["username"], moment)
    except versions.NotPublishable:
        return redirect(url_for("teach.versions_page", done="not_publishable"))
    audit("model_publish", target=str(version_id), detail=json.dumps({"sha256": model.sha256}))
    return redirect(url_for("teach.versions_page", done="published"))


@bp.route("/teach/versions/rollback", methods=["POST"])
@admin_required
def rollback() -> Any:
    settings = training_settings()
    moment = current_app.config["CLOCK"]()
    try:
        with engine().begin() as conn:
            model = versions.rollback(conn, g.user["username"], moment, settings.delivered_dir)
    except versions.NotPublishable:
        return redirect(url_for("teach.versions_page", done="no_previous"))
    audit(
        "model_rollback",
        target=str(model.version_id or model.path.name),
        detail=json.dumps({"sha256": model.sha256}),
    )
    return redirect(url_for("teach.versions_page", done="rolled_back"))
