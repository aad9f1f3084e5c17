"""Messages that carry no question: empty, only emoji or punctuation, or far too long.

Used by the NLU guard (nlu_components/guard.py); plain Python so it is unit-tested directly.
"""

from __future__ import annotations

import unicodedata

# Longest message the assistant reads; longer ones get a polite request to be brief. A real
# question fits in a few sentences even when typed with difficulty.
MAX_MESSAGE_CHARS = 1000

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
