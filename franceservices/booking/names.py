"""The person's name, as answered to "À quel nom dois-je noter le rendez-vous ?".

People answer "Marie Martin", but also "je m'appelle Marie Martin", "c'est Dupont merci", "oui",
"pourquoi vous voulez mon nom ?". `person_name` keeps the name and refuses what is not one: a
yes/no, a question, a sentence. Its words come from `reference/name_words.yml` (validated at
load); the characters of a name are checked by `contact.normalize_name`. No Rasa import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from franceservices.booking.contact import normalize_name
from franceservices.data_errors import DataFileError
from franceservices.paths import REFERENCE_DIR
from franceservices.places.reference_csv import raise_collected
from franceservices.text.normalize import normalize
from franceservices.yaml_nodes import key_line, normalised_items, read_yaml

DEFAULT_NAME_WORDS_PATH = REFERENCE_DIR / "name_words.yml"
MAX_NAME_WORDS = 6
"""Longer answers are sentences ("Jean-Pierre de la Fontaine du Bois" has 6 words)."""
_SECTIONS = ("introductions", "endings", "not_names")
_TOKEN_RE = re.compile(r"[^\s,;:!?.()\"«»]+")


@dataclass(frozen=True)
class NameWords:
    """The validated content of name_words.yml (normalised phrases and words)."""

    introductions: frozenset[str]
    endings: frozenset[str]
    not_names: frozenset[str]


def load_name_words(path: Path = DEFAULT_NAME_WORDS_PATH) -> NameWords:
    """Read and validate name_words.yml.

    Raises:
        DataFileError / DataErrors: with the file, the line and the reason.
    """
    path = Path(path)
    root = read_yaml(path)
    errors: list[DataFileError] = []
    if not isinstance(root, dict):
        raise DataFileError(path, None, "expected the sections " + ", ".join(_SECTIONS))
    sections: dict[str, frozenset[str]] = {}
    for key in root:
        if key not in _SECTIONS:
            errors.append(DataFileError(path, key_line(root, key), f"unknown section {key!r}"))
    for section in _SECTIONS:
        items = root.get(section)
        if not isinstance(items, list) or not items:
            errors.append(DataFileError(path, None, f"{section}: a list of phrases is needed"))
            sections[section] = frozenset()
            continue
        seen, problems = normalised_items(path, items, section, one_word=section == "not_names")
        errors.extend(problems)
        sections[section] = frozenset(seen)
    raise_collected(errors)
    return NameWords(**sections)


@lru_cache(maxsize=1)
def get_name_words() -> NameWords:
    """The shipped name words, loaded once (first use, never at import)."""
    return load_name_words()


def _strip(tokens: list[str], phrases: frozenset[str], from_start: bool) -> list[str]:
    changed = True
    while changed and tokens:
        changed = False
        for k in range(len(tokens), 0, -1):
            part = tokens[:k] if from_start else tokens[-k:]
            if normalize(" ".join(part)) in phrases:
                tokens = tokens[k:] if from_start else tokens[:-k]
                changed = True
                break
    return tokens


def person_name(text: str, words: NameWords | None = None) -> str | None:
    """The name in an answer, cleaned up (case kept as typed), or None when it is not a name.

    "je m'appelle Marie Martin" -> "Marie Martin"; "oui", "je ne sais pas", "pourquoi ?" -> None.
    """
    words = words or get_name_words()
    tokens = _TOKEN_RE.findall(text or "")
    tokens = _strip(tokens, words.introductions, from_start=True)
    tokens = _strip(tokens, words.endings, from_start=False)
    if not tokens or "?" in (text or ""):
        return None
    normal = normalize(" ".join(tokens)).split()
    if len(normal) > MAX_NAME_WORDS or any(word in words.not_names for word in normal):
        return None
    return normalize_name(" ".join(tokens))
