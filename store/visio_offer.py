"""The visio offer staff edit in the console: saved versions, and the overlay that serves them.

`VisioOfferVersions` keeps every version saved in the console (`visio_offer_versions`): a
version is saved only if `franceservices.booking.offer_file.parse_offer` accepts it (the file's
own validation, same messages), and the latest one is the offer in use. `OfferOverlay` is what
`franceservices.booking.offer.set_offer_overlay` wants: it returns the latest version's offer,
else the file's. The action server installs it (`install()`); a poller thread reads the table's
stamp every `every` seconds, so a call never waits for the database (the first build is made
by the action server's warm-up). A database that is down, or a version the reference data no
longer allows, is logged and the last offer kept.

    versions = VisioOfferVersions(engine)
    versions.save(document, who="julie", why="la CAF vient le mercredi")
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from franceservices.booking.offer import VisioOffer
from franceservices.data_errors import DataErrors
from store.db import get_engine, session_factory
from store.models import UTC, VisioOfferVersion
from store.poller import Poller

logger = logging.getLogger(__name__)

DEFAULT_EVERY = 10.0
"""Seconds between two looks at the versions table."""


@dataclass(frozen=True)
class StoredOffer:
    """One saved version: who, when, why, and the document (the file's shape, as JSON)."""

    id: int
    created_at: dt.datetime
    created_by: str
    why: str
    document: dict[str, Any]


def _stored(row: VisioOfferVersion) -> StoredOffer:
    return StoredOffer(row.id, row.created_at, row.created_by, row.why, json.loads(row.document))


def _parse(document: dict[str, Any], path: Path | None = None) -> VisioOffer:
    from franceservices.booking.offer_file import parse_offer

    return parse_offer(document, path)


class VisioOfferVersions:
    """The `visio_offer_versions` table (one short transaction per call)."""

    def __init__(
        self, engine: Engine | None = None, clock: Callable[[], dt.datetime] | None = None
    ) -> None:
        self.engine = engine if engine is not None else get_engine()
        self.clock = clock or (lambda: dt.datetime.now(tz=UTC))
        self._sessions = session_factory(self.engine)

    def stamp(self) -> int:
        """The latest version's id (0: none): changes whenever a version is saved."""
        with self.engine.connect() as conn:
            return conn.execute(select(func.max(VisioOfferVersion.id))).scalar() or 0

    def latest(self) -> StoredOffer | None:
        with self._sessions() as session:
            row = session.execute(
                select(VisioOfferVersion).order_by(VisioOfferVersion.id.desc()).limit(1)
            ).scalar_one_or_none()
        return _stored(row) if row is not None else None

    def history(self, limit: int = 20) -> list[StoredOffer]:
        """The latest versions, newest first."""
        with self._sessions() as session:
            rows = session.execute(
                select(VisioOfferVersion).order_by(VisioOfferVersion.id.desc()).limit(limit)
            ).scalars()
            return [_stored(row) for row in rows]

    def get(self, version_id: int) -> StoredOffer | None:
        with self._sessions() as session:
            row = session.get(VisioOfferVersion, version_id)
        return _stored(row) if row is not None else None

    def save(
        self,
        document: dict[str, Any],
        who: str,
        why: str,
        validate: Callable[[dict[str, Any]], VisioOffer] = _parse,
    ) -> StoredOffer:
        """Validate `document` (the file's checks) and save it as the offer in use.

        Raises:
            DataErrors: the offer is refused; nothing is saved.
        """
        validate(document)
        with self._sessions() as session, session.begin():
            row = VisioOfferVersion(
                created_at=self.clock(),
                created_by=who,
                why=why,
                document=json.dumps(document, ensure_ascii=False),
            )
            session.add(row)
            session.flush()
            return _stored(row)


class OfferOverlay:
    """The latest saved version over the file's offer; callable as `set_offer_overlay` wants.

    Args:
        versions: the table (default: on the shared engine, made on first use).
        every: seconds between two reads of the stamp.
        background: a poller thread refreshes (the action server); without, a call reads the
            stamp when `every` has passed (the console, every=0: what the database holds now).
    """

    def __init__(
        self,
        versions: VisioOfferVersions | None = None,
        every: float = DEFAULT_EVERY,
        background: bool = True,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._versions = versions
        self.every = every
        self.background = background
        self.monotonic = monotonic
        self._built: tuple[int, VisioOffer, VisioOffer] | None = None  # stamp, base, offer
        self._checked = float("-inf")
        self._path: Path | None = None
        self._base: VisioOffer | None = None
        self._poller = Poller("visio-offer", self._poll, lambda: self.every)

    @property
    def versions(self) -> VisioOfferVersions:
        if self._versions is None:
            self._versions = VisioOfferVersions()
        return self._versions

    def __call__(self, path: Path, base: VisioOffer) -> VisioOffer:
        self._path, self._base = path, base
        built = self._built
        if built is None or built[1] is not base:
            return self.refresh(path, base)
        if self.background:
            self._poller.ensure()
            return built[2]
        if self.monotonic() - self._checked >= self.every:
            return self.refresh(path, base)
        return built[2]

    def refresh(self, path: Path, base: VisioOffer) -> VisioOffer:
        """Read the stamp now and rebuild if it or the file changed; keep the last on failure."""
        built = self._built
        self._checked = self.monotonic()
        try:
            stamp = self.versions.stamp()
            if built is not None and built[0] == stamp and built[1] is base:
                return built[2]
            latest = self.versions.latest() if stamp else None
            offer = _parse(latest.document, path) if latest is not None else base
        except (SQLAlchemyError, DataErrors) as exc:
            logger.error("visio offer versions not read, keeping the last offer: %s", exc)
            return built[2] if built is not None else base
        self._built = (stamp, base, offer)
        return offer

    def stop(self) -> None:
        self._poller.stop()

    def _poll(self) -> None:
        if self._path is not None and self._base is not None:
            self.refresh(self._path, self._base)


def install(overlay: OfferOverlay | None = None) -> OfferOverlay:
    """Make `get_offer()` answer with the console's latest version (the action server)."""
    from franceservices.booking.offer import set_offer_overlay

    provider = overlay or OfferOverlay()
    set_offer_overlay(provider)
    return provider
