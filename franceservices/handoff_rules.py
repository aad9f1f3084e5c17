"""Plain logic of the handoff to a human agent (no Rasa import, unit-tested directly).

- `build_summary`: the few lines an agent reads in the queue before answering (what was asked,
  commune, procedure, booking), from the conversation's slots and its last user messages;
- `desks_to_reach` / `agents_available`: whether a person can be put through now. Agents work
  during the opening hours of the desks: the fixed desk nearest the person's commune, else any
  fixed desk the Département runs. `HANDOFF_HOURS` (environment) can force the answer for
  tests and demos: "always", "never", default "desks".
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from franceservices.places.desks import Desk, is_open, load_desks

SUMMARY_MAX_CHARS = 1000
RECENT_MESSAGES = 3
MESSAGE_MAX_CHARS = 200
HOURS_ALWAYS = "always"
HOURS_NEVER = "never"
HOURS_DESKS = "desks"


def recent_user_texts(events: Iterable[Mapping[str, Any]], n: int = RECENT_MESSAGES) -> list[str]:
    """The last `n` things the person typed (button payloads "/..." left out), oldest first."""
    texts: list[str] = []
    for event in reversed(list(events)):
        if event.get("event") == "session_started":
            break
        if event.get("event") != "user":
            continue
        text = " ".join((event.get("text") or "").split())
        if text and not text.startswith("/"):
            texts.append(text[:MESSAGE_MAX_CHARS])
        if len(texts) >= n:
            break
    return list(reversed(texts))


def build_summary(
    *,
    reason: str,
    recent: Sequence[str] = (),
    commune: str | None = None,
    procedure: str | None = None,
    operator: str | None = None,
    booking_code: str | None = None,
    channel: str = "",
) -> str:
    """A short summary for the agent, one fact per line (in French: agents are French)."""
    lines = [f"Motif : {reason}"]
    if commune:
        lines.append(f"Commune : {commune}")
    if procedure:
        lines.append(f"Démarche : {procedure}")
    if operator:
        lines.append(f"Organisme (visio) : {operator}")
    if booking_code:
        lines.append(f"Rendez-vous : {booking_code}")
    if channel:
        lines.append(f"Canal : {channel}")
    if recent:
        lines.append("Derniers messages : " + " | ".join(f"« {text} »" for text in recent))
    summary = "\n".join(lines)
    return summary if len(summary) <= SUMMARY_MAX_CHARS else summary[: SUMMARY_MAX_CHARS - 1] + "…"


def desks_to_reach(lat_lon: tuple[float, float] | None, desks: Any = None) -> list[Desk]:
    """The desks whose agents would answer: the nearest fixed one, else the Département's."""
    desks = desks or load_desks()
    if lat_lon is not None:
        nearest = desks.nearest_fixed(lat_lon[0], lat_lon[1], 1)
        if nearest:
            return [nearest[0][0]]
    return [desk for desk in desks.fixed() if desk.run_by_departement]


def agents_available(desks: Iterable[Desk], now: dt.datetime, mode: str | None = None) -> bool:
    """Whether agents are at work now (one of the desks is open), unless `mode` forces it."""
    mode = (mode or os.environ.get("HANDOFF_HOURS") or HOURS_DESKS).strip().lower()
    if mode == HOURS_ALWAYS:
        return True
    if mode == HOURS_NEVER:
        return False
    return any(is_open(desk, now) for desk in desks)
