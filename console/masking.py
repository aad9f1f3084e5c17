"""Mask personal data in what citizens typed: phone numbers, e-mails, NIR, IBAN, birth dates.

Agents read conversations masked by default; unmasking one conversation is a logged action.
The patterns follow how people really write these in French:
- phone: "06 12 34 56 78", "06.12.34.56.78", "0612345678", "+33 6 12 34 56 78", "0033612345678",
  "+33 (0)6 12 34 56 78";
- NIR (numéro de sécurité sociale): 13 digits and the 2-digit key, grouped or not
  ("1 85 05 78 006 084 36", "185057800608436"), Corsica's 2A/2B included;
- IBAN: a country code, 2 check digits and 11 to 30 letters/digits, grouped by 4 or not
  ("FR76 3000 6000 0112 3456 7890 189");
- e-mail addresses;
- dates of birth: any date after "né(e) le", "date de naissance", "DDN" ..., and any dd/mm/yyyy
  date whose year is at least 15 years ago (nobody books an appointment in 1950).

The replacement labels are data (`masks.json`), shown to staff as they are.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import lru_cache
from pathlib import Path

MASKS_FILE = Path(__file__).parent / "masks.json"

_SEP = r"[ .\-\u00a0]?"
_IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?:[ \-]?[A-Z0-9]){11,30}\b", re.IGNORECASE)
_NIR_RE = re.compile(
    rf"\b[12]{_SEP}\d{{2}}{_SEP}(?:0[1-9]|1[0-2]|[2-9]\d){_SEP}(?:\d{{2}}|2[AB]){_SEP}"
    rf"\d{{3}}{_SEP}\d{{3}}(?:{_SEP}\d{{2}})?\b",
    re.IGNORECASE,
)
_EMAIL_RE = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
_PHONE_RE = re.compile(
    r"(?:(?:\+|\b00)33[ .\-\u00a0]?(?:\(0\)[ .\-\u00a0]?)?|\b0)[1-9](?:[ .\-\u00a0]?\d{2}){4}\b"
)
_MONTHS = (
    "janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|"
    "novembre|décembre|decembre"
)
_DATE = rf"(?:\d{{1,2}}[/.\-]\d{{1,2}}[/.\-]\d{{2,4}}|\d{{1,2}}(?:er)?\s+(?:{_MONTHS})\s+\d{{4}})"
_BIRTH_RE = re.compile(
    rf"(?P<lead>\b(?:n[ée]e?s?|naissance|ddn)\b[^\d\n]{{0,20}}?)(?P<date>{_DATE})",
    re.IGNORECASE,
)
_NUMERIC_DATE_RE = re.compile(r"\b\d{1,2}[/.\-]\d{1,2}[/.\-](?P<year>(?:19|20)\d{2})\b")


@lru_cache(maxsize=1)
def labels() -> dict[str, str]:
    """The replacement labels, by kind (loaded once)."""
    return json.loads(MASKS_FILE.read_text(encoding="utf-8"))


def mask(text: str | None, today: dt.date | None = None) -> str:
    """Return `text` with its personal data replaced by labels ("[téléphone masqué]" ...)."""
    if not text:
        return text or ""
    names = labels()
    old_year = (today or dt.date.today()).year - 15
    text = _EMAIL_RE.sub(names["email"], text)
    text = _IBAN_RE.sub(lambda m: _iban(m, names["iban"]), text)
    text = _NIR_RE.sub(names["nir"], text)
    text = _PHONE_RE.sub(names["phone"], text)
    text = _BIRTH_RE.sub(lambda m: m.group("lead") + names["birth_date"], text)
    return _NUMERIC_DATE_RE.sub(
        lambda m: names["birth_date"] if int(m.group("year")) <= old_year else m.group(0), text
    )


def _iban(match: re.Match, label: str) -> str:
    # A word like "RN43 ..." is not an IBAN: a real one has many digits.
    value = match.group(0)
    return label if sum(c.isdigit() for c in value) >= 10 else value


def digits_compacted(text: str) -> str:
    """`text` with separators between digits removed ("06 12 34" -> "061234"), for searching."""
    return re.sub(r"(?<=\d)[ .\-\u00a0](?=\d)", "", text)
