"""Check and normalise the contact details a person leaves for a booking or a call-back.

- E-mail addresses, with a pragmatic check (what a person can really type; no network look-up,
  no quoted local parts, no IP literals). The domain is lowercased, the local part kept.
- Person names: letters (accents included), spaces, hyphens and apostrophes, 1 to 80 characters.

Phone numbers are read by `franceservices.text.phones` (`find_phone`, `check_phone`).
No Rasa import.
"""

from __future__ import annotations

import re
import unicodedata

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
