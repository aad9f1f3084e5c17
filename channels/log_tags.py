"""What the logs say instead of a person's identifier (a phone number, a Messenger PSID).

A log line must let staff follow one person's messages (a flood, a failing delivery) without
naming the person. `log_tag(kind, identifier)` is `<kind>:` and 8 hex digits of a hash salted
with a secret drawn when the process starts: the same identifier gets the same tag within one
process, and a tag cannot be turned back into the identifier (a plain hash of a phone number is
reversed by trying the few hundred million numbers there are; a PSID is a number too).
"""

from __future__ import annotations

import hashlib
import secrets

# Secret of this process, never written anywhere.
_TAG_SALT = secrets.token_bytes(16)


def log_tag(kind: str, identifier: str | None) -> str:
    """The tag of `identifier` for the logs: `log_tag("psid", "2468013579")` is "psid:" + 8 hex.

    Args:
        kind: what the identifier is, written before the colon ("n" for a phone number).
        identifier: the identifier as the channel knows it (normalised by the caller); None is
            tagged like an empty one.
    """
    digest = hashlib.sha256(_TAG_SALT + (identifier or "").encode("utf-8")).hexdigest()
    return f"{kind}:{digest[:8]}"
