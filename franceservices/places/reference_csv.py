"""Reading the reference CSV files staff maintain, with every problem reported by its line.

`communes_nord.csv`, `communes_france_hors_nord.csv`, `departements.csv` and
`france_services_nord.csv` share one format: optional `#` comment lines, a header, UTF-8. The
loaders of `places.communes` and `places.desks` read them through `load_records`, which refuses a
bad file with all its problems at once.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from franceservices.data_errors import DataErrors, DataFileError

T = TypeVar("T")


def read_reference_csv(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Read a CSV whose first lines may be `#` comments; return header and (line, row) pairs.

    Raises:
        DataFileError: the file is missing, empty or not UTF-8.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataFileError(path, None, "file not found") from None
    except UnicodeDecodeError as exc:
        raise DataFileError(path, None, f"not UTF-8 text ({exc.reason})") from None
    lines = text.splitlines(keepends=True)
    skipped = 0
    while skipped < len(lines) and lines[skipped].lstrip().startswith("#"):
        skipped += 1
    reader = csv.reader(lines[skipped:])
    header = next(reader, None)
    if header is None:
        raise DataFileError(path, None, "no header line")
    header = [name.strip() for name in header]
    rows: list[tuple[int, dict[str, str]]] = []
    for record in reader:
        line = reader.line_num + skipped
        if not record or all(not field.strip() for field in record):
            continue
        if len(record) != len(header):
            width = f"{len(record)} fields, the header has {len(header)}"
            rows.append((line, {"__width__": width}))
            continue
        rows.append(
            (line, {name: value.strip() for name, value in zip(header, record, strict=True)})
        )
    return header, rows


def check_header(path: Path, header: Sequence[str], required: Sequence[str]) -> None:
    """Refuse a file whose header lacks a required column (line 1 after any comments)."""
    missing = [name for name in required if name not in header]
    if missing:
        raise DataFileError(path, 1, f"missing column(s) in header: {', '.join(missing)}")


def load_records(
    path: Path,
    required: Sequence[str],
    parse: Callable[[dict[str, str]], T],
    key: Callable[[T], str],
    key_label: str,
    noun: str,
) -> list[T]:
    """Read a reference CSV and parse every row, collecting each problem with its line.

    Args:
        path: the file.
        required: columns the header must have.
        parse: builds a record from a row; raises ValueError (the reason) on a bad row.
        key: the record's identifier, which must be unique in the file.
        key_label: the identifier's name in messages ("INSEE code").
        noun: what a record is, for an empty file ("commune").

    Raises:
        DataFileError: one problem, with the file, the line and the reason.
        DataErrors: several problems (each a `DataFileError`), all reported in one pass.
    """
    path = Path(path)
    header, rows = read_reference_csv(path)
    check_header(path, header, required)
    errors: list[DataFileError] = []
    records: list[T] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        if "__width__" in row:
            errors.append(DataFileError(path, line, row["__width__"]))
            continue
        try:
            record = parse(row)
        except ValueError as exc:
            errors.append(DataFileError(path, line, str(exc)))
            continue
        ident = key(record)
        if ident in seen:
            reason = f"duplicate {key_label} {ident} (first on line {seen[ident]})"
            errors.append(DataFileError(path, line, reason))
            continue
        seen[ident] = line
        records.append(record)
    if not rows:
        errors.append(DataFileError(path, None, f"no {noun} in file"))
    raise_collected(errors)
    return records


def raise_collected(errors: list[DataFileError]) -> None:
    """Raise the single error, or all of them together as `DataErrors`."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise DataErrors(errors)
