"""Errors raised when a reference data file is invalid.

Staff edit the files under `reference/` by hand; a mistake must be refused at load with the file,
the line and the reason, so the action server never starts on bad data.
"""

from __future__ import annotations

from pathlib import Path


class DataFileError(ValueError):
    """A reference data file is invalid.

    Attributes:
        path: the file that was refused.
        line: 1-based line number of the faulty record (None when the whole file is at fault).
        reason: what is wrong, in plain English for the engineer or staff member fixing it.
    """

    def __init__(self, path: Path | str, line: int | None, reason: str) -> None:
        self.path = Path(path)
        self.line = line
        self.reason = reason
        where = f"{self.path}:{line}" if line is not None else str(self.path)
        super().__init__(f"{where}: {reason}")


class DataErrors(ValueError):
    """Several problems found in one validation pass (each a `DataFileError`)."""

    def __init__(self, errors: list[DataFileError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))
