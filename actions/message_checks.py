"""Messages that carry no question: empty, only emoji or punctuation, or far too long.

Used by the NLU guard (nlu_components/guard.py); plain Python so it is unit-tested directly.
"""

from __future__ import annotations

import unicodedata

from actions.booking_codes import parse_code

# Longest message the assistant reads; longer ones get a polite request to be brief. A real
# question fits in a few sentences even when typed with difficulty.
MAX_MESSAGE_CHARS = 1000

BOOKING_CODE = "check_booking"
"""Intent given to a message that is only a booking code (the answer to "Quel est le code ?")."""
EMPTY_MESSAGE = "empty_message"
NO_WORDS = "no_words"
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
    """The booking code when the whole message is one ("ab3 k7p"), else None.

    The check character makes a random word a valid code about once in 31 tries, so a name the
    commune resolver knows ("Watten") is never taken for a code.
    """
    code = parse_code((text or "").strip())
    if code is None:
        return None
    from actions.communes import get_resolver  # loaded once, only for code-shaped messages

    if get_resolver().resolve(text or "").status == "found":
        return None
    return code
