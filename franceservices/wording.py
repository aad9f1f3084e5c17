"""The citizen's words, read from domain.yml: the core fills a response without Rasa.

Everything a citizen reads lives in `domain.yml` responses, with channel variants. Most are
uttered by Rasa. Some are parts of a longer answer the core builds from the data (the documents
list: its heading, its bullets, its "Prix :" line...); the core fills those itself with
`text(name, channel, **fill)` and hands the whole block to one response.

The file is read as plain YAML on first use (never at import time) and kept in memory; `reload()`
forgets it. A channel's variant is the one marked with the Rasa channel name (`channel: twilio`
for SMS, `channel: facebook` for Messenger); otherwise the variant without a channel. Variants
with a `condition` are Rasa's to choose and are never picked here.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML, YAMLError

from franceservices.paths import PROJECT_DIR

DOMAIN_FILE = PROJECT_DIR / "domain.yml"

RASA_CHANNEL_OF = {"web": None, "sms": "twilio", "messenger": "facebook"}
"""The core's renderings and the `channel:` value of their variants in domain.yml."""

_PLACEHOLDER = re.compile(r"{(\w+)}")


class WordingError(LookupError):
    """A response, a variant or a placeholder the caller needs is not in domain.yml."""


@lru_cache(maxsize=4)
def _domain(path: Path) -> dict[str, Any]:
    try:
        domain = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, YAMLError) as exc:
        raise WordingError(f"{path}: cannot read the domain file ({exc})") from exc
    return domain if isinstance(domain, dict) else {}


def _responses(path: Path) -> dict[str, list[dict[str, Any]]]:
    responses = _domain(path).get("responses")
    if not isinstance(responses, dict):
        raise WordingError(f"{path}: no 'responses' section")
    return responses


def reload() -> None:
    """Forget the domain file read so far (the next call reads it again)."""
    _domain.cache_clear()


def slot_initial_value(slot: str, path: Path = DOMAIN_FILE) -> Any:
    """The `initial_value` of a domain slot (the `human_contact` the channels give), or None."""
    entry = (_domain(path).get("slots") or {}).get(slot)
    return entry.get("initial_value") if isinstance(entry, dict) else None


def template(name: str, channel: str = "web", path: Path = DOMAIN_FILE) -> str:
    """The unfilled text of response `name` for the core's `channel` (web, sms, messenger).

    Raises:
        WordingError: no such response, no usable variant, or an unknown channel.
    """
    if channel not in RASA_CHANNEL_OF:
        raise WordingError(f"unknown channel {channel!r}: expected one of {tuple(RASA_CHANNEL_OF)}")
    variants = _responses(path).get(name)
    if not variants:
        raise WordingError(f"{path.name} has no response {name!r}")
    wanted = RASA_CHANNEL_OF[channel]
    plain = [v for v in variants if isinstance(v, dict) and "condition" not in v]
    for pick in (wanted, None):
        for variant in plain:
            if variant.get("channel") == pick and isinstance(variant.get("text"), str):
                return variant["text"]
    raise WordingError(f"response {name!r} has no text variant for {channel} nor a default one")


def text(name: str, channel: str = "web", /, path: Path = DOMAIN_FILE, **fill: object) -> str:
    """Response `name` for `channel`, its `{placeholders}` filled from `fill`.

    >>> text("utter_documents_item", "sms", text="Photo")   # doctest: +SKIP
    '- Photo'

    Raises:
        WordingError: as `template`, or a placeholder of the response is not in `fill`.
    """
    wording = template(name, channel, path)

    def value(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in fill:
            raise WordingError(f"response {name!r} needs {{{key}}}, not given")
        return str(fill[key])

    return _PLACEHOLDER.sub(value, wording)
