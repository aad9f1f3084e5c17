"""The one comparison form of a text: lowercase, no accents, no punctuation.

Every matcher of the project (communes, procedures, dates) compares the `normalize` form of what
the citizen typed with the `normalize` form of its reference names, so "L'Étrœungt", "letroeungt"
and "L ETROEUNGT" meet.
"""

from __future__ import annotations

import re
import unicodedata

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_DIGIT_LETTER_RE = re.compile(r"(?<=\d)(?=[a-z])|(?<=[a-z])(?=\d)")


def fold(text: str) -> str:
    """Lowercase, accents stripped, ligatures spelt out ("Œuvre Été" -> "oeuvre ete").

    Punctuation and spacing are left as they are, for callers that read separators first
    (dates read "15/01" before `normalize` turns the rest to spaces).
    """
    text = text.translate(_LIGATURES).lower()
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.translate(_LIGATURES)  # NFKD may reveal new ligatures from compatibility forms


def normalize(text: str, keep: str = "", split_numbers: bool = True) -> str:
    """Return the comparison form of `text`.

    `fold`, then every character other than a-z and 0-9 (apostrophes, hyphens, emoji...) becomes
    a space, digits and letters typed together are parted ("12ans" -> "12 ans"), and spaces are
    collapsed: "L'Étrœungt-Saint" -> "l etroeungt saint".

    Args:
        text: what to normalise.
        keep: extra characters kept as they are ("/" for dates, "*" for catalogue wildcards).
        split_numbers: part digits from letters; False where "1er" must stay one word (dates).
    """
    text = fold(text)
    if split_numbers:
        text = _DIGIT_LETTER_RE.sub(" ", text)
    allowed = "a-z0-9" + re.escape(keep)
    return " ".join(re.sub(f"[^{allowed}]+", " ", text).split())
