"""The GSM-7 alphabet of SMS: which characters fit, what they cost, how to fall back to it.

A message using only GSM-7 holds 160 characters per SMS (153 once concatenated); a single other
character switches the whole message to UCS-2 and 70 characters. Accented é è à ù É Ç are GSM-7;
ê â î ô û ë ï ç œ are not. The characters of the extension table (€ [ ] { } ~ ^ | \\) take two
septets.
"""

from __future__ import annotations

import re
import unicodedata

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

_REPLACEMENTS = {
    "œ": "oe",
    "Œ": "OE",
    "æ": "ae",
    "’": "'",
    "‘": "'",
    "“": '"',
    "”": '"',
    "«": '"',
    "»": '"',
    "–": "-",
    "—": "-",
    "…": "...",
    "•": "-",
    "\u00a0": " ",
    "\u202f": " ",
    "°": "o",
    "×": "x",
    "ç": "c",
}


def is_gsm7(text: str) -> bool:
    """Tell whether `text` fits the GSM-7 alphabet (basic or extension table)."""
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def gsm7_length(text: str) -> int:
    """Septets `text` takes in an SMS: characters of the extension table (€, [, ]...) count two."""
    return sum(2 if c in GSM7_EXTENSION else 1 for c in text)


def strip_accent(char: str) -> str:
    """The GSM-7 letter under an accent ("ê" -> "e", "ç" -> "c"), or "" when there is none."""
    stripped = "".join(
        c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
    )
    return stripped if stripped and is_gsm7(stripped) else ""


def to_gsm7(text: str) -> str:
    """Transliterate to GSM-7: "œ"->"oe", "ê"->"e", "«"->'"', "•"->"-"; é, è, à, ù are kept.

    A character with no GSM-7 equivalent becomes "?".
    """
    text = re.sub(r"«[\s\u00a0\u202f]*", '"', text)
    text = re.sub(r"[\s\u00a0\u202f]*»", '"', text)
    out = []
    for char in text:
        if char in GSM7_BASIC or char in GSM7_EXTENSION:
            out.append(char)
        elif char in _REPLACEMENTS:
            out.append(_REPLACEMENTS[char])
        else:
            out.append(strip_accent(char) or "?")
    return "".join(out)
