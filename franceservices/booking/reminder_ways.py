"""How a person wants to be told of a bus visit, as typed to "Comment voulez-vous être prévenu ?"
(reminder_form on the website, issue 15).

The buttons send the way itself ("sms", "email", "agenda"); typed answers ("par courriel", "un
texto") are read word by word against the words of each way in `reference/reminder_ways.yml`
(validated at load: file, line and reason). An answer names a way when it holds words of exactly
one way. No Rasa import.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from franceservices.data_errors import DataFileError
from franceservices.paths import REFERENCE_DIR
from franceservices.places.reference_csv import raise_collected
from franceservices.text.normalize import normalize
from franceservices.yaml_nodes import key_line, normalised_items, read_yaml

DEFAULT_REMINDER_WAYS_PATH = REFERENCE_DIR / "reminder_ways.yml"
SMS, EMAIL, AGENDA = "sms", "email", "agenda"
WAYS = (SMS, EMAIL, AGENDA)

WayWords = Mapping[str, frozenset[str]]
"""Each way and the normalised words that name it."""


def load_reminder_ways(path: Path = DEFAULT_REMINDER_WAYS_PATH) -> dict[str, frozenset[str]]:
    """Read and validate reminder_ways.yml: every way, each a list of normalised single words,
    a word under one way only.

    Raises:
        DataFileError / DataErrors: with the file, the line and the reason.
    """
    path = Path(path)
    root = read_yaml(path)
    if not isinstance(root, dict):
        raise DataFileError(path, None, "expected the ways " + ", ".join(WAYS))
    errors: list[DataFileError] = []
    for key in root:
        if key not in WAYS:
            reason = f"unknown way {key!r} (the ways: {', '.join(WAYS)})"
            errors.append(DataFileError(path, key_line(root, key), reason))
    owner: dict[str, str] = {}
    words: dict[str, frozenset[str]] = {}
    for way in WAYS:
        items = root.get(way)
        if not isinstance(items, list) or not items:
            errors.append(DataFileError(path, None, f"{way}: a list of words is needed"))
            words[way] = frozenset()
            continue
        kept, problems = normalised_items(path, items, way, one_word=True)
        errors.extend(problems)
        for item, line in list(kept.items()):
            if item in owner:
                reason = f"{item!r} already under {owner[item]}: a word names one way"
                errors.append(DataFileError(path, line, reason))
                del kept[item]
            else:
                owner[item] = way
        words[way] = frozenset(kept)
    raise_collected(errors)
    return words


@lru_cache(maxsize=1)
def get_reminder_ways() -> dict[str, frozenset[str]]:
    """The shipped words, loaded once (first use, never at import)."""
    return load_reminder_ways()


def way_in(text: str, words: WayWords | None = None) -> str | None:
    """The way named in a typed answer ("par mail" -> "email"), if exactly one is named."""
    words = get_reminder_ways() if words is None else words
    typed = set(normalize(text or "").split())
    found = {way for way, names in words.items() if typed & names}
    return found.pop() if len(found) == 1 else None
