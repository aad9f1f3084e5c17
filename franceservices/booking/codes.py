"""Short booking reference codes a person can read over the phone, type on an old keypad or say.

A code is 6 characters: 5 random ones and a check character, shown as "AB3 K7P" (two groups of
three). The alphabet leaves out the characters people confuse when reading or hearing them:
0/O, 1/I/L. What remains (digits 2-9 and 23 letters) is 31 characters, a prime, so a weighted
check character modulo 31 catches every single wrong character and every swap of two neighbours
(the two mistakes people make when copying a code). 31**5 = 28.6 million codes: a collision with
a stored booking is retried by the store (the column is unique), and a typo almost never lands on
another valid code.

Parsing is tolerant: case, spaces, hyphens and dots are ignored ("ab3 k7p", "AB3-K7P",
"a b 3 k 7 p"), `find_code` picks a code out of a sentence ("mon code c'est ab3 k7p") and
`split_code` parts a code from the phone number typed with it ("AB3-K7P 06 12 34 56 78").
No Rasa import.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
"""31 characters: no 0, O, 1, I, L (read alike)."""

RANDOM_LENGTH = 5
CODE_LENGTH = RANDOM_LENGTH + 1

_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_MODULUS = len(ALPHABET)
_SEPARATORS_RE = re.compile(r"[\s.\-_/]+")
_TOKEN_RE = re.compile(r"[A-Za-z0-9]+")

assert _MODULUS == 31  # the check character's guarantees need a prime modulus


def check_character(body: str) -> str:
    """Return the check character of the 5 random characters `body` (uppercase, from ALPHABET).

    Weighted sum with weights 1..5 modulo 31: a single wrong character changes the sum by
    weight x difference, never 0 mod a prime; swapping neighbours i, i+1 changes it by the
    difference of the two values, never 0 either.

    Raises:
        ValueError: `body` has a character outside the alphabet.
    """
    try:
        total = sum((i + 1) * _VALUE[ch] for i, ch in enumerate(body))
    except KeyError as exc:
        raise ValueError(f"{exc.args[0]!r} is not a booking code character") from None
    return ALPHABET[total % _MODULUS]


def new_code(randbelow: Callable[[int], int] = secrets.randbelow) -> str:
    """Return a new random code, e.g. "AB3K7P" (canonical form: uppercase, no space).

    Args:
        randbelow: the random source (tests inject a deterministic one); `secrets` by default so
            codes cannot be predicted from earlier ones.
    """
    body = "".join(ALPHABET[randbelow(_MODULUS)] for _ in range(RANDOM_LENGTH))
    return body + check_character(body)


def is_valid_code(code: str) -> bool:
    """Tell whether `code` is a canonical code (uppercase, 6 characters, right check character)."""
    if len(code) != CODE_LENGTH or any(ch not in _VALUE for ch in code):
        return False
    return check_character(code[:RANDOM_LENGTH]) == code[-1]


def parse_code(text: str) -> str | None:
    """Read a code typed or dictated by a person; return its canonical form or None.

    Case, spaces, hyphens, dots, underscores and slashes are ignored. A code with a character
    that is not in the alphabet (0, O, 1, I, L ...) or a wrong check character gives None: the
    bot asks again rather than guessing which booking was meant.
    """
    compact = _SEPARATORS_RE.sub("", text or "").upper()
    return compact if is_valid_code(compact) else None


def _candidates(text: str) -> list[tuple[str, int, int]]:
    """(code, start, end) of every valid code in `text`, most likely first (see below)."""
    tokens = list(_TOKEN_RE.finditer(text or ""))
    found: list[tuple[int, int, int, str, int, int]] = []
    for start in range(len(tokens)):
        joined = ""
        for end in range(start, len(tokens)):
            joined += tokens[end].group(0)
            if len(joined) > CODE_LENGTH:
                break
            code = joined.upper()
            if len(joined) == CODE_LENGTH and is_valid_code(code):
                words = end - start + 1
                lengths = [len(t.group(0)) for t in tokens[start : end + 1]]
                rank = 0 if words == 1 else 1 if lengths == [3, 3] else 2
                has_digit = 0 if any(ch.isdigit() for ch in code) else 1
                span = (tokens[start].start(), tokens[end].end())
                found.append((rank, has_digit, start, code, *span))
    if not found:
        # A code typed against a phone number: "AB3K7P0612345678", "0612345678AB3K7P".
        for token in tokens:
            word = token.group(0)
            for head, tail in ((word[:CODE_LENGTH], word[CODE_LENGTH:]),
                               (word[-CODE_LENGTH:], word[:-CODE_LENGTH])):  # fmt: skip
                if len(tail) >= 9 and tail.isdigit() and is_valid_code(head.upper()):
                    offset = token.start() + (0 if word.startswith(head) else len(tail))
                    found.append((3, 0, 0, head.upper(), offset, offset + CODE_LENGTH))
    seen: dict[str, tuple[str, int, int]] = {}
    for *_, code, begin, finish in sorted(found):
        seen.setdefault(code, (code, begin, finish))
    return list(seen.values())


def code_candidates(text: str) -> list[str]:
    """Every valid code inside a sentence, most likely first (canonical forms, no duplicates).

    A run of consecutive words whose letters and digits make 6 characters is a candidate, so a
    code split in groups ("ab3 k7p", "a b 3 k 7 p") is found. Ordinary words can make a valid
    code by chance (about 1 in 31 runs of 6 letters), so candidates are ranked: one word alone,
    then the shown "3 + 3" form, then other splits; within each rank those with a digit first.
    A code glued to a phone number ("AB3K7P0612345678") comes last. The caller looks the
    candidates up in the store in that order.
    """
    return [code for code, _, _ in _candidates(text)]


def find_code(text: str) -> str | None:
    """The most likely code inside a sentence ("mon code est ab3 k7p, merci"), or None."""
    candidates = code_candidates(text)
    return candidates[0] if candidates else None


def split_code(text: str, code: str | None = None) -> tuple[str | None, str]:
    """The code of a message and the message without it, where a phone number may be.

    "AB3-K7P 06 12 34 56 78" -> ("AB3K7P", " 06 12 34 56 78"): the code's characters and the
    separators inside it are cut out, so its last digits are never read as part of the number.
    With `code` (from NLU or a button), that code is the one cut out.
    """
    text = text or ""
    for found, begin, end in _candidates(text):
        if code is None or found == code:
            return found, text[:begin] + " " + text[end:]
    return code, text


def format_code(code: str) -> str:
    """Show a code in two groups of three, easier to read aloud: "AB3K7P" -> "AB3 K7P"."""
    canonical = parse_code(code)
    if canonical is None:
        raise ValueError(f"{code!r} is not a valid booking code")
    return f"{canonical[:3]} {canonical[3:]}"
