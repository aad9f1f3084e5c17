"""French phone numbers in every way people write them: the one phone normaliser.

- `check_phone` / `find_phone` read a number a person typed ("06 12 34 56 78", "06.12.34.56.78",
  "+33 6 12 34 56 78", "0033 6 12 34 56 78", "+33 (0)6 12 34 56 78", "0612345678") for a call-back
  or a booking: the E.164 form ("+33612345678") or why it is refused (a wrong number of digits,
  00 ..., 08 numbers an agent cannot call back, a foreign country code). Accepted: landlines 01
  to 05, mobiles 06 and 07, 09 (internet-box numbers). Numbers of the overseas departments
  written nationally (0692 ..., 0590 ...) pass as +33 numbers: an agent calling from France
  dials them the same way.
- `format_phone_fr` shows a +33 number back the French way ("06 12 34 56 78").
- `to_e164` writes any number, French or not, valid for a call-back or not, the way Twilio sends
  a sender's number, so the SMS channel's records of one phone (opt-out, pending replies) meet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PHONE_OK = "ok"
PHONE_EMPTY = "empty"
PHONE_NOT_A_NUMBER = "not_a_number"  # letters or symbols among the digits
PHONE_TOO_SHORT = "too_short"
PHONE_TOO_LONG = "too_long"
PHONE_FOREIGN = "foreign"  # another country code than +33
PHONE_SPECIAL = "special"  # 08 numbers: special-rate / free service numbers
PHONE_INVALID_PREFIX = "invalid_prefix"  # 00..., or a first digit no French number has

_ACCEPTED_FIRST_DIGITS = frozenset("1234567" + "9")
_SEPARATORS_RE = re.compile(r"[\s.\-/()\u00a0\u202f]+")
# A phone-like run inside a sentence: optional + or 00 prefix, digits and separators.
_PHONE_IN_TEXT_RE = re.compile(r"(?:\+|\b00\s?)?\d[\d\s.\-/()\u00a0\u202f]{7,}\d")


@dataclass(frozen=True)
class PhoneCheck:
    """The result of reading a phone number.

    Attributes:
        e164: the number in E.164 ("+33612345678") when valid, else None.
        reason: PHONE_OK or why it was refused (one of the PHONE_* constants), so the form can
            say what is wrong ("il manque des chiffres", "un numéro en 08 ne peut pas être
            rappelé").
    """

    e164: str | None
    reason: str

    @property
    def ok(self) -> bool:
        return self.e164 is not None

    @property
    def is_mobile(self) -> bool:
        """Whether the number can receive an SMS (06, 07)."""
        return self.e164 is not None and self.e164[3] in "67"


def check_phone(text: str) -> PhoneCheck:
    """Read one French phone number written any usual way.

    The text must be the number alone (separators allowed); use `find_phone` for a sentence.
    "+33 0 6..." (the trunk 0 kept after +33, a frequent mistake) is accepted.
    """
    raw = (text or "").strip()
    if not raw:
        return PhoneCheck(None, PHONE_EMPTY)
    compact = _compact(raw)
    if compact.startswith("+"):
        international, digits = True, compact[1:]
    elif compact.startswith("00"):
        international, digits = True, compact[2:]
    else:
        international, digits = False, compact
    if not digits.isdigit() or not digits.isascii():
        return PhoneCheck(None, PHONE_NOT_A_NUMBER)
    if international:
        if not digits.startswith("33"):
            if len(digits) < 9 and not raw.startswith("+"):
                return PhoneCheck(None, PHONE_INVALID_PREFIX)  # "00 00 ..." is not a country
            return PhoneCheck(None, PHONE_FOREIGN)
        national = digits[2:]
        if national.startswith("0"):
            national = national[1:]
    else:
        if len(digits) < 10:
            return PhoneCheck(None, PHONE_TOO_SHORT)
        if len(digits) > 10:
            return PhoneCheck(None, PHONE_TOO_LONG)
        if digits[0] != "0":
            return PhoneCheck(None, PHONE_INVALID_PREFIX)
        national = digits[1:]
    if len(national) < 9:
        return PhoneCheck(None, PHONE_TOO_SHORT)
    if len(national) > 9:
        return PhoneCheck(None, PHONE_TOO_LONG)
    if national[0] == "8":
        return PhoneCheck(None, PHONE_SPECIAL)
    if national[0] not in _ACCEPTED_FIRST_DIGITS:
        return PhoneCheck(None, PHONE_INVALID_PREFIX)
    return PhoneCheck("+33" + national, PHONE_OK)


def normalize_phone(text: str) -> str | None:
    """Return the E.164 form of a French phone number ("+33612345678"), or None if invalid."""
    return check_phone(text).e164


def find_phone(text: str) -> PhoneCheck:
    """Find a phone number in a sentence ("mon numéro c'est le 06 12 34 56 78 merci").

    Returns the first valid number found; when none is valid, the check of the longest
    phone-like run (so the bot can say why it was refused), or PHONE_EMPTY when there is none.
    """
    runs = [match.group(0) for match in _PHONE_IN_TEXT_RE.finditer(text or "")]
    checks = [check_phone(run) for run in runs]
    for check in checks:
        if check.ok:
            return check
    if not checks:
        return PhoneCheck(None, PHONE_EMPTY)
    longest = max(range(len(runs)), key=lambda i: len(runs[i]))
    return checks[longest]


def format_phone_fr(e164: str) -> str:
    """Show a +33 number the French way: "+33612345678" -> "06 12 34 56 78"."""
    if not re.fullmatch(r"\+33\d{9}", e164):
        raise ValueError(f"{e164!r} is not a French E.164 number")
    national = "0" + e164[3:]
    return " ".join(national[i : i + 2] for i in range(0, 10, 2))


def _compact(text: str) -> str:
    """The number without separators, "+33 (0)6 ..." without its bracketed trunk 0."""
    return _SEPARATORS_RE.sub("", text.strip().replace("(0)", ""))


def to_e164(phone: str | None) -> str:
    """Any phone number in E.164 form, as Twilio sends it: "06 12 34 56 78" -> "+33612345678".

    Valid French numbers get their `check_phone` form. Anything else is only tidied: numbers
    already in international form keep their country code ("0044..." -> "+44..."), other French
    national numbers (10 digits starting with 0) get +33; "" for no number.
    """
    if not phone:
        return ""
    check = check_phone(phone)
    if check.ok:
        return check.e164
    compact = _compact(phone)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if re.fullmatch(r"0\d{9}", compact):
        compact = "+33" + compact[1:]
    return compact
