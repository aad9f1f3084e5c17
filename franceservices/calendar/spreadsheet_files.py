"""Reading and writing the cells of a tour plan spreadsheet: XLSX (openpyxl) and CSV.

CSV as French spreadsheet programs write it ("CSV UTF-8": `;` separator and a byte order mark),
also read with `,` and in Windows-1252. The columns' meaning is `spreadsheet.py`'s. No Rasa import.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from typing import Any


class SpreadsheetError(ValueError):
    """The upload is not a CSV or XLSX file that can be read at all."""


def write_csv(rows: Sequence[Sequence[str]]) -> bytes:
    """CSV as French spreadsheet programs write it: `;` separator, UTF-8 with a BOM."""
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def write_xlsx(rows: Sequence[Sequence[str]], title: str = "Tournées") -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append([int(v) if v.isdigit() and len(v) < 3 else v for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# -- reading --------------------------------------------------------------------------


def read_table(data: bytes, filename: str = "") -> list[list[str]]:
    """The cells of an uploaded file as text: XLSX (first sheet) or CSV (`;` or `,`).

    Raises:
        SpreadsheetError: neither a readable XLSX nor a text CSV.
    """
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith(".xlsx"):
        return _read_xlsx(data)
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes almost any byte
        raise SpreadsheetError("fichier illisible : ni UTF-8 ni Windows-1252")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    return [
        [cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)
    ]


def _read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SpreadsheetError(f"fichier XLSX illisible : {exc}") from exc
    try:
        sheet = book.worksheets[0]
        return [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return str(value).strip()
