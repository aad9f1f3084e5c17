"""Check and normalise the contact details a person leaves for a booking or a call-back.

- French phone numbers in every way people write them ("06 12 34 56 78", "06.12.34.56.78",
  "+33 6 12 34 56 78", "0033 6 12 34 56 78", "+33 (0)6 12 34 56 78", "0612345678"), stored in
  E.164 ("+33612345678") and shown back the French way ("06 12 34 56 78"). Accepted: landlines
  01 to 05, mobiles 06 and 07, 09 (internet-box numbers). Refused with a reason the bot can
  explain: a wrong number of digits, 00 ..., 08 numbers (special-rate and free service numbers:
  an agent cannot call a person back there), a foreign country code.
- E-mail addresses, with a pragmatic check (what a person can really type; no network look-up,
  no quoted local parts, no IP literals). The domain is lowercased, the local part kept.
- Person names: letters (accents included), spaces, hyphens and apostrophes, 1 to 80 characters.

Numbers of the overseas departments written nationally (0692 ..., 0590 ...) pass as +33 numbers:
this assistant serves the Nord, and an agent calling from France dials them the same way.
No Rasa import.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# -- phone numbers --------------------------------------------------------------------------

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
    compact = raw.replace("(0)", "")  # "+33 (0)6 ..." writes the trunk prefix in brackets
    compact = _SEPARATORS_RE.sub("", compact)
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


# -- e-mail -----------------------------------------------------------------------------------

EMAIL_MAX_LENGTH = 254
_LOCAL_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_TLD_RE = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
_EMAIL_IN_TEXT_RE = re.compile(r"[^\s<>()\[\],;:\"]+@[^\s<>()\[\],;:\"]+")


def normalize_email(text: str) -> str | None:
    """Return the address with its domain lowercased, or None when it is not a usable address.

    Pragmatic rules: one "@"; a local part of at most 64 ASCII characters (letters, digits and
    the usual symbols, dots only between characters); a domain of at least two labels, each of
    letters, digits and inner hyphens, ending with an alphabetic top-level domain; 254
    characters at most. Surrounding spaces, "mailto:", angle brackets and a final full stop
    (end of a sentence) are removed. Accented addresses are refused: few French providers accept
    them and an agent's mail client may not.
    """
    candidate = (text or "").strip().strip("<>").strip()
    if candidate.lower().startswith("mailto:"):
        candidate = candidate[len("mailto:") :]
    candidate = candidate.rstrip(".")
    if not candidate or len(candidate) > EMAIL_MAX_LENGTH or candidate.count("@") != 1:
        return None
    local, domain = candidate.split("@")
    if not local or len(local) > 64 or not local.isascii() or not _LOCAL_RE.match(local):
        return None
    domain = domain.lower()
    labels = domain.split(".")
    if len(labels) < 2 or not domain.isascii():
        return None
    if not all(_LABEL_RE.match(label) for label in labels) or not _TLD_RE.match(labels[-1]):
        return None
    return f"{local}@{domain}"


def find_email(text: str) -> str | None:
    """Find an e-mail address in a sentence ("c'est jean.dupont@orange.fr merci"), or None."""
    for match in _EMAIL_IN_TEXT_RE.finditer(text or ""):
        email = normalize_email(match.group(0))
        if email is not None:
            return email
    return None


def same_email(a: str | None, b: str | None) -> bool:
    """Compare two addresses the way a person means them (case-insensitive, both valid)."""
    first, second = normalize_email(a or ""), normalize_email(b or "")
    return first is not None and second is not None and first.casefold() == second.casefold()


# -- names ------------------------------------------------------------------------------------

NAME_MAX_LENGTH = 80
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'", "`": "'", "\u2018": "'"})
_HYPHENS = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2013": "-"})


def normalize_name(text: str) -> str | None:
    """Return a person's name cleaned up, or None when it cannot be a name.

    Accepted: letters of any alphabet (é, ç, ï, ß ...), spaces, hyphens and apostrophes
    (typographic ones become "'"), 1 to 80 characters after collapsing spaces, at least one
    letter, no leading or trailing hyphen or apostrophe. The case is kept as typed ("de
    Villiers", "McDonald"): only the person knows how their name is written.
    """
    name = unicodedata.normalize("NFC", text or "").translate(_APOSTROPHES).translate(_HYPHENS)
    name = " ".join(name.split())
    if not name or len(name) > NAME_MAX_LENGTH:
        return None
    if not all(ch.isalpha() or ch in " -'" for ch in name):
        return None
    if name[0] in "-'" or name[-1] in "-'":
        return None
    if re.search(r"[-']{2,}", name):
        return None
    return name
