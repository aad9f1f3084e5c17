"""Messages that carry no question: empty, only emoji or punctuation, or far too long.

Used by the NLU guard (nlu_components/guard.py); plain Python so it is unit-tested directly.
"""

from __future__ import annotations

import re
import unicodedata

from franceservices.booking.codes import parse_code, split_code
from franceservices.text.phones import find_phone

# Longest message the assistant reads; longer ones get a polite request to be brief. A real
# question fits in a few sentences even when typed with difficulty.
MAX_MESSAGE_CHARS = 1000

BOOKING_CODE = "check_booking"
"""Intent given to a message that is only a booking code (the answer to "Quel est le code ?")."""
EMPTY_MESSAGE = "empty_message"
NO_WORDS = "no_words"
_LETTERS_RE = re.compile(r"[^\W\d_]")
MESSAGE_TOO_LONG = "message_too_long"


def has_words(text: str) -> bool:
    """Tell whether `text` holds a letter or a digit in any script."""
    return any(unicodedata.category(ch)[0] in ("L", "N") for ch in text)


def classify_message(text: str | None, max_chars: int = MAX_MESSAGE_CHARS) -> str | None:
    """Return the guard intent for `text`, or None when the classifier should decide."""
    stripped = (text or "").strip()
    if not stripped:
        return EMPTY_MESSAGE
    if len(stripped) > max_chars:
        return MESSAGE_TOO_LONG
    if not has_words(stripped):
        return NO_WORDS
    return None


def bare_booking_code(text: str | None) -> str | None:
    """The booking code when the whole message is one ("ab3 k7p"), or one and the phone number
    given at booking ("AB3-K7P 06 12 34 56 78", "0612345678 ab3k7p"), else None.

    The check character makes a random word a valid code about once in 31 tries, so a name the
    commune resolver knows ("Watten") is never taken for a code.
    """
    stripped = (text or "").strip()
    code = parse_code(stripped)
    candidate = stripped
    if code is None:
        code, rest = split_code(stripped)
        if code is None or not find_phone(rest).ok or _LETTERS_RE.search(rest):
            return None
        candidate = code
    from franceservices.places.commune_resolver import (
        get_resolver,  # loaded once, only for code-shaped messages
    )

    if get_resolver().resolve(candidate).status == "found":
        return None
    return code
