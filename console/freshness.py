"""Démarches à revoir: the procedures file's freshness report, as `make check-sources` prints it.

The cases whose `checked_on` is older than the policy's `links.review_after_months`, oldest
first, with their sources and the date they were read, and the citizen links not on an official
site or still on a moved domain. Both lists come from `franceservices.documents.freshness`
(`stale_cases`, `link_problems`), the functions `scripts/check_sources.py` calls: the rule lives
there only. "Today" is the console's CLOCK, as a Europe/Paris day; the file is
`PROCEDURES_PATH` (default `reference/procedures.yml`). Agents and admins may read it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, render_template

from console.security import login_required
from franceservices.data_errors import DataErrors, DataFileError
from franceservices.documents.freshness import (
    is_official,
    link_problems,
    months_before,
    stale_cases,
)
from franceservices.documents.loader import DEFAULT_PROCEDURES_PATH, parse_catalogue
from franceservices.documents.model import Case, Catalogue
from franceservices.policy import get_policy

bp = Blueprint("freshness", __name__)


@dataclass(frozen=True)
class LinkProblem:
    """A citizen link to fix: where in the file, the address, and whether the site is official."""

    where: str
    url: str
    official: bool


@dataclass(frozen=True)
class Review:
    """What staff should re-check in the procedures file on `today`."""

    path: Path
    today: dt.date
    months: int
    stale: tuple[Case, ...] = ()
    links: tuple[LinkProblem, ...] = ()
    errors: tuple[str, ...] = ()

    @property
    def cutoff(self) -> dt.date:
        """Cases read before this day are listed."""
        return months_before(self.today, self.months)


def review(path: Path, today: dt.date) -> Review:
    """The freshness report of the procedures file at `path` on `today` (or its errors)."""
    months = get_policy().links.review_after_months
    try:
        catalogue = _parse(Path(path), _mtime(path), today)
    except DataErrors as exc:
        return Review(Path(path), today, months, errors=tuple(str(e) for e in exc.errors))
    except DataFileError as exc:
        return Review(Path(path), today, months, errors=(str(exc),))
    links = tuple(
        LinkProblem(where, url, is_official(url)) for where, url, _ in link_problems(catalogue)
    )
    return Review(Path(path), today, months, tuple(stale_cases(catalogue, today)), links)


def _mtime(path: Path) -> int:
    try:
        return Path(path).stat().st_mtime_ns
    except OSError:
        return 0


@lru_cache(maxsize=4)
def _parse(path: Path, mtime_ns: int, today: dt.date) -> Catalogue:
    # Keyed on the file's modification time: an edited file is read again on the next request.
    return parse_catalogue(path, today=today)


def _today() -> dt.date:
    return current_app.config["CLOCK"]().astimezone(current_app.config["ZONE"]).date()


@bp.route("/freshness")
@login_required
def index() -> Any:
    path = current_app.config.get("PROCEDURES_PATH") or DEFAULT_PROCEDURES_PATH
    return render_template("freshness.html", r=review(Path(path), _today()))
