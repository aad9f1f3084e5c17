"""Teach: messages the assistant misunderstood; agents pick the right intent; admins export.

Candidates are found by `conversations.refresh_index`: NLU fallback, a confidence under 0.6,
or the last message before a person asked for a human. The export is a Rasa NLU training file
(`version: "3.1"`) for review before the next training; messages holding personal data are left
out (they must not end up in training data).
"""

from __future__ import annotations

import datetime as dt
import json
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

from console import conversations, models
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
