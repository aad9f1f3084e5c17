"""Read Rasa's tracker store: the conversation index, the filtered list, one transcript.

Rasa's SQL tracker store writes one row per event in `events` (id, sender_id, type_name,
timestamp, intent_name, action_name, data: the event's JSON). The list page cannot scan every
event of 10,000 conversations at each request, so `refresh_index` folds the events added since
its last run (by id, a watermark in `console_state`) into one summary row per conversation
(`console_conversations`) and records the messages worth teaching (`console_teach_items`). It
runs at the start of each list, dashboard and teach request; it costs a few milliseconds when
nothing changed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    func,
    or_,
    select,
)
from sqlalchemy.engine import Connection

from console import models
from console.labels import channel_label, channel_names
from console.masking import digits_compacted, mask

# Rasa's table, declared here (not reflected) so reading it costs nothing at start.
events = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)

LOW_CONFIDENCE = 0.6
FALLBACK_INTENTS = frozenset({"nlu_fallback"})
FALLBACK_ACTIONS = frozenset({"action_default_fallback", "action_handle_fallback"})
HANDOFF_INTENTS = frozenset({"ask_human"})
HANDOFF_ACTIONS = frozenset({"action_offer_human", "action_handoff", "action_submit_callback"})
BOOKING_ACTIONS = frozenset({"action_submit_visio", "action_ask_visio_slot"})
BOOKING_SLOTS = frozenset({"booking_code"})
WATERMARK = "events_last_id"
BATCH = 5000
PAGE_SIZE = 50


def _load(data: str | None) -> dict[str, Any]:
    try:
        value = json.loads(data or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _is_handoff_action(name: str | None) -> bool:
    return bool(name) and (name in HANDOFF_ACTIONS or "handoff" in name)


def _is_booking_action(name: str | None) -> bool:
    return bool(name) and (name in BOOKING_ACTIONS or "booking" in name)


@dataclass
class _Summary:
    sender_id: str
    channel: str = ""
    started_at: float = 0.0
    last_at: float = 0.0
    n_user: int = 0
    first_text: str = ""
    intents: set[str] = field(default_factory=set)
    commune_insee: str | None = None
    procedure_id: str | None = None
    fallback: bool = False
    handed_over: bool = False
    booking: bool = False
    search_text: str = ""
    last_user: tuple[int, float, str, str | None, float | None] | None = None

    def row(self) -> dict[str, Any]:
        return {
            "sender_id": self.sender_id,
            "channel": self.channel,
            "started_at": self.started_at,
            "last_at": self.last_at,
            "n_user": self.n_user,
            "first_text": self.first_text[:300],
            "intents": " " + " ".join(sorted(self.intents)) + " ",
            "commune_insee": self.commune_insee,
            "procedure_id": self.procedure_id,
            "fallback": self.fallback,
            "handed_over": self.handed_over,
            "booking": self.booking,
            "search_text": self.search_text,
        }

    @classmethod
    def from_row(cls, row: Any) -> _Summary:
        return cls(
            sender_id=row.sender_id,
            channel=row.channel,
            started_at=row.started_at,
            last_at=row.last_at,
            n_user=row.n_user,
            first_text=row.first_text,
            intents=set(row.intents.split()),
            commune_insee=row.commune_insee,
            procedure_id=row.procedure_id,
            fallback=row.fallback,
            handed_over=row.handed_over,
            booking=row.booking,
            search_text=row.search_text,
        )


def _teach_item(
    event_id: int,
    sender_id: str,
    at: float,
    text: str,
    intent: str | None,
    conf: float | None,
    why: str,
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "sender_id": sender_id,
        "at": at,
        "text": text,
        "predicted_intent": intent,
        "confidence": conf,
        "reason": why,
        "out_of_scope": False,
    }


def _fold(summary: _Summary, event: Any, teach: dict[int, dict[str, Any]]) -> None:
    """Add one event to its conversation's summary (and to the teach candidates)."""
    at = event.timestamp or 0.0
    if not summary.started_at or at < summary.started_at:
        summary.started_at = at
    summary.last_at = max(summary.last_at, at)
    kind = event.type_name
    if kind == "user":
        data = _load(event.data)
        text = data.get("text") or ""
        parse = data.get("parse_data") or {}
        intent = (parse.get("intent") or {}).get("name") or event.intent_name
        confidence = (parse.get("intent") or {}).get("confidence")
        summary.n_user += 1
        if not summary.first_text and text:
            summary.first_text = text
        summary.channel = data.get("input_channel") or summary.channel
        if text:
            summary.search_text += " " + text.casefold() + " " + digits_compacted(text)
        if intent:
            summary.intents.add(intent)
        if intent in HANDOFF_INTENTS:
            summary.handed_over = True
            if summary.last_user is not None and summary.last_user[0] not in teach:
                teach[summary.last_user[0]] = _teach_item(
                    summary.last_user[0], summary.sender_id, *summary.last_user[1:], "handed_over"
                )
        if text and not text.startswith("/"):
            if intent in FALLBACK_INTENTS:
                summary.fallback = True
                teach[event.id] = _teach_item(
                    event.id, summary.sender_id, at, text, intent, confidence, "fallback"
                )
            elif confidence is not None and confidence < LOW_CONFIDENCE:
                teach[event.id] = _teach_item(
                    event.id, summary.sender_id, at, text, intent, confidence, "low_confidence"
                )
            summary.last_user = (event.id, at, text, intent, confidence)
    elif kind == "action":
        name = event.action_name
        if name in FALLBACK_ACTIONS:
            summary.fallback = True
        if _is_handoff_action(name):
            summary.handed_over = True
        if _is_booking_action(name):
            summary.booking = True
    elif kind == "slot":
        data = _load(event.data)
        name, value = data.get("name"), data.get("value")
        if name == "commune_insee" and value:
            summary.commune_insee = str(value)
        elif name == "procedure_id" and value:
            summary.procedure_id = str(value)
        elif name in BOOKING_SLOTS and value:
            summary.booking = True


def _get_state(conn: Connection, key: str) -> str | None:
    return conn.execute(
        select(models.state.c.value).where(models.state.c.key == key)
    ).scalar_one_or_none()


def _set_state(conn: Connection, key: str, value: str) -> None:
    if _get_state(conn, key) is None:
        conn.execute(models.state.insert().values(key=key, value=value))
    else:
        conn.execute(models.state.update().where(models.state.c.key == key).values(value=value))


def refresh_index(conn: Connection) -> int:
    """Fold the events added since the last run into the index; return how many were read."""
    last_id = int(_get_state(conn, WATERMARK) or 0)
    total = 0
    while True:
        rows = conn.execute(
            select(events).where(events.c.id > last_id).order_by(events.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        senders = sorted({row.sender_id for row in rows})
        summaries: dict[str, _Summary] = {}
        existing: set[str] = set()
        for start in range(0, len(senders), 500):
            chunk = senders[start : start + 500]
            for row in conn.execute(
                select(models.conversations).where(models.conversations.c.sender_id.in_(chunk))
            ):
                summaries[row.sender_id] = _Summary.from_row(row)
                existing.add(row.sender_id)
        teach: dict[int, dict[str, Any]] = {}
        for row in rows:
            summary = summaries.setdefault(row.sender_id, _Summary(row.sender_id))
            _fold(summary, row, teach)
        new = [s.row() for key, s in summaries.items() if key not in existing]
        if new:
            conn.execute(models.conversations.insert(), new)
        for key in existing:
            values = summaries[key].row()
            del values["sender_id"]
            conn.execute(
                models.conversations.update()
                .where(models.conversations.c.sender_id == key)
                .values(**values)
            )
        if teach:
            known = set(
                conn.execute(
                    select(models.teach_items.c.event_id).where(
                        models.teach_items.c.event_id.in_(list(teach))
                    )
                ).scalars()
            )
            fresh = [item for key, item in teach.items() if key not in known]
            if fresh:
                conn.execute(models.teach_items.insert(), fresh)
        last_id = rows[-1].id
        total += len(rows)
        _set_state(conn, WATERMARK, str(last_id))
    return total


def rebuild_senders(conn: Connection, sender_ids: Iterable[str]) -> None:
    """Recompute the summary of these conversations from their remaining events (after a purge)."""
    for sender_id in sender_ids:
        conn.execute(
            models.conversations.delete().where(models.conversations.c.sender_id == sender_id)
        )
        rows = conn.execute(
            select(events).where(events.c.sender_id == sender_id).order_by(events.c.id)
        ).all()
        if rows:
            summary = _Summary(sender_id)
            for row in rows:
                _fold(summary, row, {})
            conn.execute(models.conversations.insert().values(**summary.row()))


# -- the list -----------------------------------------------------------------------------------


@dataclass
class Filters:
    """The list's filters, from the query string (every field optional)."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    channel: str = ""
    intent: str = ""
    commune: str = ""
    procedure: str = ""
    fallback: bool = False
    handed_over: bool = False
    booking: bool = False
    q: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args: Any) -> Filters:
        def date(name: str) -> dt.date | None:
            try:
                return dt.date.fromisoformat(args.get(name, ""))
            except ValueError:
                return None

        try:
            page = max(1, int(args.get("page", "1")))
        except ValueError:
            page = 1
        return cls(
            date_from=date("from"),
            date_to=date("to"),
            channel=args.get("channel", "").strip(),
            intent=args.get("intent", "").strip(),
            commune=args.get("commune", "").strip(),
            procedure=args.get("procedure", "").strip(),
            fallback=args.get("fallback") == "1",
            handed_over=args.get("handed_over") == "1",
            booking=args.get("booking") == "1",
            q=args.get("q", "").strip()[:200],
            page=page,
        )


def _epoch(day: dt.date, zone: dt.tzinfo) -> float:
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).timestamp()


def list_conversations(
    conn: Connection, filters: Filters, zone: dt.tzinfo, page_size: int = PAGE_SIZE
) -> tuple[list[dict[str, Any]], int]:
    """One page of conversations (latest activity first) and the number matching the filters.

    `first_text` is masked; the caller unmasks nothing in lists.
    """
    from store.models import Booking, HandoffRequest

    c = models.conversations.c
    where = []
    if filters.date_from:
        where.append(c.last_at >= _epoch(filters.date_from, zone))
    if filters.date_to:
        where.append(c.started_at < _epoch(filters.date_to + dt.timedelta(days=1), zone))
    if filters.channel:
        where.append(c.channel.in_(channel_names(filters.channel)))
    if filters.intent:
        where.append(c.intents.like(f"% {filters.intent} %"))
    if filters.commune:
        where.append(c.commune_insee == filters.commune)
    if filters.procedure:
        where.append(c.procedure_id == filters.procedure)
    if filters.fallback:
        where.append(c.fallback.is_(True))
    if filters.handed_over:
        where.append(
            or_(
                c.handed_over.is_(True),
                c.sender_id.in_(select(HandoffRequest.sender_id)),
            )
        )
    if filters.booking:
        where.append(or_(c.booking.is_(True), c.sender_id.in_(select(Booking.sender_id))))
    if filters.q:
        needle = filters.q.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(c.search_text.like(f"%{needle}%", escape="\\"))
    condition = and_(*where) if where else None
    count_query = select(func.count()).select_from(models.conversations)
    query = select(models.conversations).order_by(c.last_at.desc())
    if condition is not None:
        count_query = count_query.where(condition)
        query = query.where(condition)
    total = conn.execute(count_query).scalar_one()
    rows = conn.execute(query.limit(page_size).offset((filters.page - 1) * page_size)).all()
    items = []
    for row in rows:
        item = dict(row._mapping)
        item.pop("search_text")
        item["first_text"] = mask(row.first_text)
        item["intents"] = row.intents.split()
        items.append(item)
    return items, total


def distinct_values(conn: Connection) -> dict[str, list[str]]:
    """Channels (as staff name them), communes and procedures in the index (filters' menus)."""
    c = models.conversations.c
    out = {}
    for name, column in (
        ("channels", c.channel),
        ("communes", c.commune_insee),
        ("procedures", c.procedure_id),
    ):
        out[name] = [
            v for v in conn.execute(select(column).distinct().order_by(column)).scalars() if v
        ]
    # The menu offers each name staff know once ("Site web" for both web channels).
    out["channels"] = sorted({channel_label(v) for v in out["channels"]})
    return out


# -- one transcript -----------------------------------------------------------------------------


@dataclass
class Turn:
    """One line of a transcript."""

    kind: str  # user, bot, action, slot, session
    at: float
    text: str = ""
    intent: str | None = None
    confidence: float | None = None
    name: str | None = None
    value: Any = None
    buttons: list[str] = field(default_factory=list)
    event_id: int | None = None


def transcript(conn: Connection, sender_id: str, unmasked: bool = False) -> list[Turn]:
    """The conversation's events as turns, oldest first; personal data masked unless asked."""
    show = (lambda t: t) if unmasked else mask
    turns: list[Turn] = []
    rows = conn.execute(
        select(events).where(events.c.sender_id == sender_id).order_by(events.c.id)
    ).all()
    for row in rows:
        data = _load(row.data)
        at = row.timestamp or 0.0
        if row.type_name == "user":
            intent = (data.get("parse_data") or {}).get("intent") or {}
            turns.append(
                Turn(
                    "user",
                    at,
                    text=show(data.get("text") or ""),
                    intent=intent.get("name") or row.intent_name,
                    confidence=intent.get("confidence"),
                    event_id=row.id,
                )
            )
        elif row.type_name == "bot":
            extra = data.get("data") or {}
            buttons = [
                b.get("title", "") for b in extra.get("buttons") or [] if isinstance(b, dict)
            ]
            turns.append(Turn("bot", at, text=show(data.get("text") or ""), buttons=buttons))
        elif row.type_name == "action" and row.action_name != "action_listen":
            turns.append(Turn("action", at, name=row.action_name))
        elif row.type_name == "slot":
            value = data.get("value")
            if isinstance(value, str):
                value = show(value)
            turns.append(Turn("slot", at, name=data.get("name"), value=value))
        elif row.type_name == "session_started":
            turns.append(Turn("session", at))
    return turns


def exists(conn: Connection, sender_id: str) -> bool:
    return (
        conn.execute(select(events.c.id).where(events.c.sender_id == sender_id).limit(1)).first()
        is not None
    )
