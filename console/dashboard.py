"""Dashboard: conversations per day and channel, top intents, procedures and communes asked,
fallback and handoff rates (inline SVG bars, no external script); CSV export for admins."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from functools import lru_cache
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from sqlalchemy import select
from sqlalchemy.engine import Connection

from console import conversations, models
from console.labels import channel_label
from console.security import admin_required, audit, engine, login_required

bp = Blueprint("dashboard", __name__)

TOP = 10
IGNORED_INTENTS = frozenset({"greet", "goodbye", "thanks", "affirm", "deny"})


@lru_cache(maxsize=1)
def commune_names() -> dict[str, str]:
    """INSEE code -> name, from the reference data (empty if it cannot be read)."""
    try:
        from franceservices.places.communes import load_communes

        return {c.insee: c.name for c in load_communes().all()}
    except Exception:  # noqa: BLE001 - the dashboard still works with codes
        return {}


def stats(conn: Connection, start: dt.date, end: dt.date, zone: dt.tzinfo) -> dict[str, Any]:
    """Figures over conversations started in [start, end] (Paris days)."""
    c = models.conversations.c
    low = dt.datetime.combine(start, dt.time(), tzinfo=zone).timestamp()
    high = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=zone).timestamp()
    rows = conn.execute(
        select(
            c.started_at, c.channel, c.intents, c.commune_insee, c.procedure_id,
            c.fallback, c.handed_over,
        ).where(c.started_at >= low, c.started_at < high)
    ).all()  # fmt: skip
    per_day: Counter[str] = Counter()
    channels: Counter[str] = Counter()
    intents: Counter[str] = Counter()
    communes: Counter[str] = Counter()
    procedures: Counter[str] = Counter()
    fallback = handed = 0
    for row in rows:
        day = dt.datetime.fromtimestamp(row.started_at, tz=zone).date().isoformat()
        per_day[day] += 1
        channels[channel_label(row.channel) or "?"] += 1
        intents.update(i for i in row.intents.split() if i not in IGNORED_INTENTS)
        if row.commune_insee:
            communes[row.commune_insee] += 1
        if row.procedure_id:
            procedures[row.procedure_id] += 1
        fallback += bool(row.fallback)
        handed += bool(row.handed_over)
    days = []
    day = start
    while day <= end:
        days.append((day.isoformat(), per_day.get(day.isoformat(), 0)))
        day += dt.timedelta(days=1)
    names = commune_names()
    total = len(rows)
    return {
        "total": total,
        "per_day": days,
        "channels": channels.most_common(),
        "intents": intents.most_common(TOP),
        "communes": [(names.get(k, k), n) for k, n in communes.most_common(TOP)],
        "procedures": procedures.most_common(TOP),
        "fallback_rate": fallback / total if total else 0.0,
        "handoff_rate": handed / total if total else 0.0,
    }


def _period() -> tuple[dt.date, dt.date]:
    today = current_app.config["CLOCK"]().astimezone(current_app.config["ZONE"]).date()
    try:
        end = dt.date.fromisoformat(request.args.get("to", ""))
    except ValueError:
        end = today
    try:
        start = dt.date.fromisoformat(request.args.get("from", ""))
    except ValueError:
        start = end - dt.timedelta(days=29)
    if start > end or (end - start).days > 366:
        start = end - dt.timedelta(days=29)
    return start, end


def _figures() -> tuple[dt.date, dt.date, dict[str, Any]]:
    start, end = _period()
    with engine().begin() as conn:
        conversations.refresh_index(conn)
    with engine().connect() as conn:
        return start, end, stats(conn, start, end, current_app.config["ZONE"])


@bp.route("/dashboard")
@login_required
def index() -> Any:
    start, end, figures = _figures()
    peak = max([n for _, n in figures["per_day"]] or [0]) or 1
    return render_template("dashboard.html", start=start, end=end, s=figures, peak=peak)


@bp.route("/dashboard.csv")
@admin_required
def export_csv() -> Any:
    start, end, figures = _figures()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["metric", "key", "value"])
    writer.writerow(["conversations", "total", figures["total"]])
    writer.writerow(["rate", "fallback", f"{figures['fallback_rate']:.4f}"])
    writer.writerow(["rate", "handoff", f"{figures['handoff_rate']:.4f}"])
    for metric in ("per_day", "channels", "intents", "communes", "procedures"):
        for key, value in figures[metric]:
            writer.writerow([metric, key, value])
    audit("dashboard_export", detail=f"{start} {end}")
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=dashboard_{start}_{end}.csv"},
    )
