"""Plain helpers that read a conversation's history (no Rasa import, unit-tested directly)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

FALLBACK_INTENT = "nlu_fallback"


def consecutive_fallbacks(events: Iterable[Mapping[str, Any]]) -> int:
    """Count the user messages not understood in a row, ending with the latest one.

    `events` are tracker events as dicts (oldest first). A session start resets the count, so an
    old misunderstanding never makes the assistant give up on a new conversation.
    """
    count = 0
    for event in reversed(list(events)):
        kind = event.get("event")
        if kind == "session_started":
            break
        if kind != "user":
            continue
        intent = (event.get("parse_data") or {}).get("intent") or {}
        if intent.get("name") == FALLBACK_INTENT:
            count += 1
        else:
            break
    return count
