"""Changes staff make to the visio offer in the console, as plain documents.

The console edits the offer as a plain document (the YAML file's content as dicts, lists and
texts, the shape `reference/visio_offer.yml` documents); each edit here returns a new document
and `offer_file.parse_offer` validates it exactly as it validates the file before the store
keeps it as the offer in use. No Rasa import.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from franceservices.text.french import WEEKDAYS_FR

Document = dict[str, Any]


class EditError(ValueError):
    """The edit names no place of the offer, or an entry that is not there."""


def plain(node: Any) -> Any:
    """A YAML tree (ruamel's round-trip nodes) as plain dicts, lists and texts (JSON-able)."""
    if isinstance(node, Mapping):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if isinstance(node, (dt.date, dt.datetime)):
        return node.isoformat()
    return node


def _place(doc: Document, key: str) -> dict[str, Any]:
    for entry in doc.get("places") or ():
        if entry.get("place") == key:
            return entry
    raise EditError(f"{key!r} n'est pas un lieu de l'offre")


def _hours(periods: Iterable[tuple[dt.time, dt.time]] | None) -> list[list[str]] | None:
    if periods is None:
        return None
    return [[f"{s:%H:%M}", f"{e:%H:%M}"] for s, e in periods]


def add_organisation(
    doc: Document,
    place: str,
    operator: str,
    weekdays: Iterable[int],
    hours: Iterable[tuple[dt.time, dt.time]] | None = None,
) -> Document:
    """The organisation's advisors come to `place` on these weekdays (0 = Monday), in these
    hours (None: whenever the place offers visio)."""
    new = copy.deepcopy(doc)
    entry: dict[str, Any] = {
        "operator": operator,
        "weekdays": [WEEKDAYS_FR[d] for d in sorted(set(weekdays))],
    }
    if hours is not None:
        entry["hours"] = _hours(hours)
    _place(new, place).setdefault("organisations", []).append(entry)
    return new


def remove_entry(doc: Document, section: str, index: int, place: str | None = None) -> Document:
    """Remove the `index`-th entry of a place's `organisations`/`closed`, or of the offer's
    `absences`/`extra_slots` (place None)."""
    new = copy.deepcopy(doc)
    entries = (_place(new, place) if place is not None else new).get(section) or []
    if not 0 <= index < len(entries):
        raise EditError(f"pas d'entrée n° {index + 1} dans {section}")
    del entries[index]
    return new


def set_booths(doc: Document, place: str, booths: int) -> Document:
    new = copy.deepcopy(doc)
    _place(new, place)["booths"] = booths
    return new


def add_closure(doc: Document, place: str, start: dt.date, end: dt.date, reason: str) -> Document:
    new = copy.deepcopy(doc)
    entry = {"from": start.isoformat(), "to": end.isoformat(), "reason": reason}
    _place(new, place).setdefault("closed", []).append(entry)
    return new


def add_absence(doc: Document, place: str, operator: str, day: dt.date, reason: str) -> Document:
    """That organisation's advisor is away from `place` on `day`."""
    _place(doc, place)
    new = copy.deepcopy(doc)
    entry = {"place": place, "operator": operator, "date": day.isoformat(), "reason": reason}
    new.setdefault("absences", []).append(entry)
    return new


def add_extra_slot(
    doc: Document,
    place: str,
    operator: str,
    day: dt.date,
    hours: Iterable[tuple[dt.time, dt.time]],
    reason: str,
) -> Document:
    """Exceptional visio hours of the organisation at `place` on `day`."""
    _place(doc, place)
    new = copy.deepcopy(doc)
    entry = {
        "place": place,
        "operator": operator,
        "date": day.isoformat(),
        "hours": _hours(hours),
        "reason": reason,
    }
    new.setdefault("extra_slots", []).append(entry)
    return new
