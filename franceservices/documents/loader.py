"""Loading `reference/procedures.yml`: read, validate, build the `Catalogue` (cached per path).

The file is refused with every problem found, each with its line number (`DataErrors`), so the
action server never starts on a bad catalogue. Validation rules: `documents/validation.py`.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from ruamel.yaml.comments import CommentedSeq

from franceservices.data_errors import DataErrors
from franceservices.dates.clock import paris_today
from franceservices.documents.model import Catalogue, Procedure
from franceservices.documents.validation import TOP_KEYS, ProceduresValidator
from franceservices.paths import REFERENCE_DIR
from franceservices.yaml_nodes import read_yaml

DEFAULT_PROCEDURES_PATH = REFERENCE_DIR / "procedures.yml"


def parse_catalogue(path: Path | str, today: dt.date | None = None) -> Catalogue:
    """Load and validate a procedures file (no cache). See `load_catalogue`."""
    path = Path(path)
    today = today or paris_today()
    data = read_yaml(path)
    validator = ProceduresValidator(path, today)
    if not validator.mapping(data, 1, "the file", TOP_KEYS):
        raise DataErrors(validator.errors)
    raw = data.get("procedures")
    procedures: list[Procedure] = []
    if not isinstance(raw, CommentedSeq) or not raw:
        validator.error(
            validator.line_of(data, "procedures") or 1, "'procedures' must be a non-empty list"
        )
    else:
        keyword_owner: dict[str, str] = {}
        built = (
            validator.procedure(item, validator.line_of(raw, i), keyword_owner)
            for i, item in enumerate(raw)
        )
        procedures = validator.unique(
            ((p, p.line if p else None) for p in built),
            key=lambda p: p.id,
            twice=lambda pid: f"procedure {pid!r} appears twice",
        )
    if validator.errors:
        raise DataErrors(validator.errors)
    return Catalogue(tuple(procedures), path)


@lru_cache(maxsize=8)
def load_catalogue(path: Path | str | None = None, today: dt.date | None = None) -> Catalogue:
    """The validated catalogue, loaded once per path (default `reference/procedures.yml`).

    Raises:
        DataFileError: the file is missing or is not YAML (with the line when known).
        DataErrors: the file breaks the format; every problem found, each with its line.
    """
    return parse_catalogue(path or DEFAULT_PROCEDURES_PATH, today)
