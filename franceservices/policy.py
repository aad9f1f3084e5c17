"""The service's policy numbers, loaded and validated from `reference/policy.yml`.

One file holds what staff may decide to change: how long a booking is kept, the reminder hour,
the visio slot length and lead time, the bus distance limit, the official link domains and the
abbreviations (the file's header documents each field). `get_policy()` loads it once, lazily;
a bad file is refused with every problem found, each with its line number (`DataErrors`).

The texts a citizen reads that state a policy number ("effacé au plus tard 1 mois après") are
filled from here (`BookingPolicy.retention_text`), never typed in `domain.yml`.
No Rasa import.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from franceservices.data_errors import DataErrors, DataFileError
from franceservices.paths import REFERENCE_DIR
from franceservices.yaml_nodes import item_line, key_line, map_line, read_yaml

DEFAULT_POLICY_PATH = REFERENCE_DIR / "policy.yml"

DAYS_PER_MONTH = 31
"""A retention of a multiple of this many days is told in months ("1 mois"), the longest month."""

_SECTIONS: dict[str, tuple[str, ...]] = {
    "booking": ("retention_days", "reminder_hour"),
    "visio": ("slot_minutes", "min_lead_minutes", "max_bus_distance_km"),
    "links": ("official_domains", "old_domains", "review_after_months", "outdated_after_months"),
    "abbreviations": ("communes", "documents"),
}
_TIME_RE = re.compile(r"^(\d{2}):(\d{2})$")
_DOMAIN_RE = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$")
_WORD_RE = re.compile(r"^[a-z]+$")


@dataclass(frozen=True)
class BookingPolicy:
    """How long bookings are kept and when their reminders go out."""

    retention_days: int
    reminder_hour: dt.time

    @property
    def retention_text(self) -> str:
        """The retention as the citizen reads it: "1 mois" for 31 days, "45 jours" for 45."""
        if self.retention_days % DAYS_PER_MONTH == 0:
            return f"{self.retention_days // DAYS_PER_MONTH} mois"
        return f"{self.retention_days} jour" + ("s" if self.retention_days > 1 else "")


@dataclass(frozen=True)
class VisioPolicy:
    """The visio slots: their length, how soon one may start, how far a bus may be."""

    slot_length: dt.timedelta
    min_lead_time: dt.timedelta
    max_bus_distance_km: float


@dataclass(frozen=True)
class LinksPolicy:
    """The sites a citizen may be sent to and how old a checked fact may get."""

    official_domains: tuple[str, ...]
    old_domains: tuple[str, ...]
    review_after_months: int
    outdated_after_months: int


@dataclass(frozen=True)
class AbbreviationsPolicy:
    """Commune-name abbreviations people type, and the SMS short forms of document names."""

    communes: Mapping[str, str]
    documents: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Policy:
    """Every policy number of `reference/policy.yml`."""

    booking: BookingPolicy
    visio: VisioPolicy
    links: LinksPolicy
    abbreviations: AbbreviationsPolicy


class _PolicyReader:
    """One validation pass over policy.yml, collecting every problem before giving up."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.errors: list[DataFileError] = []

    def error(self, line: int | None, reason: str) -> None:
        self.errors.append(DataFileError(self.path, line, reason))

    def read(self) -> Policy:
        try:
            root = read_yaml(self.path)
        except DataFileError as exc:
            raise DataErrors([exc]) from None
        if not isinstance(root, Mapping):
            sections = ", ".join(_SECTIONS)
            raise DataErrors([DataFileError(self.path, 1, f"expected a mapping with {sections}")])
        for key in root:
            if key not in _SECTIONS:
                allowed = ", ".join(_SECTIONS)
                self.error(key_line(root, key), f"unknown section {key!r} (allowed: {allowed})")
        sections = {name: self.section(root, name) for name in _SECTIONS}
        policy = Policy(
            booking=self.booking(sections["booking"]),
            visio=self.visio(sections["visio"]),
            links=self.links(sections["links"]),
            abbreviations=self.abbreviations(sections["abbreviations"]),
        )
        if self.errors:
            self.errors.sort(key=lambda e: e.line or 0)
            raise DataErrors(self.errors)
        return policy

    # -- structure ----------------------------------------------------------------------------

    def section(self, root: Mapping, name: str) -> Mapping:
        """The section's mapping with every required field checked (missing ones reported)."""
        node = root.get(name)
        if not isinstance(node, Mapping):
            problem = "missing section" if node is None else "section must be a mapping:"
            self.error(key_line(root, name) or 1, f"{problem} {name!r}")
            return {}
        fields = _SECTIONS[name]
        for key in node:
            if key not in fields:
                self.error(
                    key_line(node, key),
                    f"{name}: unknown field {key!r} (allowed: {', '.join(fields)})",
                )
        for key in fields:
            if node.get(key) is None:
                self.error(map_line(node), f"{name}: missing field {key!r}")
        return node

    def number(
        self, node: Mapping, section: str, key: str, low: float, high: float, integer: bool = True
    ) -> float:
        """A number in [low, high]; 0 (and an error) when absent or wrong."""
        value = node.get(key)
        if value is None:
            return 0
        kinds = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds) or not low <= value <= high:
            kind = "a whole number" if integer else "a number"
            self.error(
                key_line(node, key),
                f"{section}.{key}: {value!r} must be {kind} from {low:g} to {high:g}",
            )
            return 0
        return value

    def strings(self, node: Mapping, section: str, key: str) -> list[tuple[str, int | None]]:
        """A non-empty list of texts, each with its line."""
        value = node.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not value:
            self.error(key_line(node, key), f"{section}.{key} must be a non-empty list")
            return []
        items = []
        for i, item in enumerate(value):
            line = item_line(value, i, key_line(node, key))
            if not isinstance(item, str) or not item.strip():
                self.error(line, f"{section}.{key}: {item!r} must be a text")
                continue
            items.append((item.strip(), line))
        return items

    # -- sections -----------------------------------------------------------------------------

    def booking(self, node: Mapping) -> BookingPolicy:
        days = int(self.number(node, "booking", "retention_days", 1, 366))
        hour = dt.time(0, 0)
        raw = node.get("reminder_hour")
        if raw is not None:
            match = _TIME_RE.match(raw.strip()) if isinstance(raw, str) else None
            if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
                self.error(
                    key_line(node, "reminder_hour"),
                    f'booking.reminder_hour: {raw!r} must be a quoted time "HH:MM", e.g. "10:00"',
                )
            else:
                hour = dt.time(int(match.group(1)), int(match.group(2)))
        return BookingPolicy(retention_days=days, reminder_hour=hour)

    def visio(self, node: Mapping) -> VisioPolicy:
        slot = self.number(node, "visio", "slot_minutes", 5, 240)
        lead = self.number(node, "visio", "min_lead_minutes", 0, 7 * 24 * 60)
        km = self.number(node, "visio", "max_bus_distance_km", 1, 200, integer=False)
        return VisioPolicy(
            slot_length=dt.timedelta(minutes=slot),
            min_lead_time=dt.timedelta(minutes=lead),
            max_bus_distance_km=float(km),
        )

    def links(self, node: Mapping) -> LinksPolicy:
        domains: dict[str, tuple[str, ...]] = {}
        for key in ("official_domains", "old_domains"):
            seen: list[str] = []
            for domain, line in self.strings(node, "links", key):
                if not _DOMAIN_RE.match(domain):
                    self.error(
                        line,
                        f"links.{key}: {domain!r} is not a domain name (lowercase, like "
                        "'service-public.gouv.fr', no 'https://' nor '/')",
                    )
                elif domain in seen:
                    self.error(line, f"links.{key}: {domain!r} is listed twice")
                else:
                    seen.append(domain)
            domains[key] = tuple(seen)
        for domain in domains["old_domains"]:
            if domains["official_domains"] and domain not in domains["official_domains"]:
                self.error(
                    key_line(node, "old_domains"),
                    f"links.old_domains: {domain!r} must also be in official_domains "
                    "(an old domain is official, only moved)",
                )
        review = int(self.number(node, "links", "review_after_months", 1, 60))
        outdated = int(self.number(node, "links", "outdated_after_months", 1, 120))
        if review and outdated and outdated < review:
            self.error(
                key_line(node, "outdated_after_months"),
                f"links.outdated_after_months ({outdated}) must not be below "
                f"review_after_months ({review}): staff re-check before citizens are warned",
            )
        return LinksPolicy(domains["official_domains"], domains["old_domains"], review, outdated)

    def abbreviations(self, node: Mapping) -> AbbreviationsPolicy:
        communes: dict[str, str] = {}
        raw = node.get("communes")
        if raw is not None and not isinstance(raw, Mapping):
            self.error(
                key_line(node, "communes"), "abbreviations.communes must map a word to a word"
            )
        elif raw is not None:
            for short, full in raw.items():
                line = key_line(raw, short)
                if not all(isinstance(w, str) and _WORD_RE.match(w) for w in (short, full)):
                    self.error(
                        line,
                        f"abbreviations.communes: {short!r}: {full!r} must be two lowercase "
                        "words without accents (names are compared that way)",
                    )
                elif short == full:
                    self.error(line, f"abbreviations.communes: {short!r} stands for itself")
                else:
                    communes[short] = full
        documents: list[tuple[str, str]] = []
        raw = node.get("documents")
        if raw is not None and (not isinstance(raw, list) or not raw):
            self.error(
                key_line(node, "documents"), "abbreviations.documents must be a list of pairs"
            )
            raw = None
        for i, pair in enumerate(raw or ()):
            line = item_line(raw, i, key_line(node, "documents"))
            if (
                not isinstance(pair, list)
                or len(pair) != 2
                or not all(isinstance(p, str) for p in pair)
                or not pair[0]
            ):
                self.error(
                    line,
                    f'abbreviations.documents: {pair!r} must be a pair ["words", "short form"]',
                )
                continue
            try:
                re.compile(pair[0])
            except re.error as exc:
                reason = f"abbreviations.documents: {pair[0]!r} is not a valid pattern: {exc}"
                self.error(line, reason)
                continue
            documents.append((pair[0], pair[1]))
        return AbbreviationsPolicy(MappingProxyType(communes), tuple(documents))


def load_policy(path: Path | str | None = None) -> Policy:
    """Load and validate a policy file (default `reference/policy.yml`).

    Raises:
        DataErrors: every problem found, each a `DataFileError(path, line, reason)`.
    """
    return _PolicyReader(Path(path) if path is not None else DEFAULT_POLICY_PATH).read()


@lru_cache(maxsize=1)
def get_policy() -> Policy:
    """The policy of `reference/policy.yml`, loaded and validated once (on first use)."""
    return load_policy()
