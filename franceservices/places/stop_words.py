"""The commune stop list: `reference/commune_stop_words.txt`, loaded and validated.

Common words of citizens' messages ("bus", "passage", "demain") that look like the start or a
typo of a commune name. The span matcher (`places.commune_spans`) never lets one begin, end or
be part of a fuzzy match. One normalised word a line, `#` comments; a word that is the name of a
commune of the Nord is refused (that commune could never be found).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from franceservices.data_errors import DataFileError
from franceservices.places.place_words import compact, name_tokens
from franceservices.places.reference_csv import raise_collected
from franceservices.text.normalize import normalize

STOP_WORDS_FILE = "commune_stop_words.txt"


def load_stop_words(path: Path, commune_names: Iterable[str] = ()) -> frozenset[str]:
    """Read and validate the stop list: one normalised word a line, `#` comments.

    Raises:
        DataFileError: one problem, with the file, the line and the reason.
        DataErrors: several problems, all reported in one pass.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise DataFileError(path, None, "file not found") from None
    except UnicodeDecodeError as exc:
        raise DataFileError(path, None, f"not UTF-8 text ({exc.reason})") from None
    names = {compact(name_tokens(name)) for name in commune_names}
    errors: list[DataFileError] = []
    words: dict[str, int] = {}
    for number, raw in enumerate(lines, start=1):
        word = raw.split("#", 1)[0].strip()
        if not word:
            continue
        if normalize(word) != word or " " in word:
            errors.append(DataFileError(path, number, f"{word!r} is not one normalised word"))
        elif word in words:
            reason = f"duplicate word {word!r} (first on line {words[word]})"
            errors.append(DataFileError(path, number, reason))
        elif word in names:
            reason = f"{word!r} is the name of a commune of the Nord: it would never be found"
            errors.append(DataFileError(path, number, reason))
        else:
            words[word] = number
    if not words and not errors:
        errors.append(DataFileError(path, None, "no word in file"))
    raise_collected(errors)
    return frozenset(words)
