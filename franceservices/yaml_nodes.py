"""Hand-edited YAML read with the line of every node, and checks that report those lines.

Staff edit the files of `reference/` by hand; a mistake is refused with the file, the line and
the reason (`DataFileError`). `read_yaml` keeps ruamel's round-trip tree (each node knows its
line), `map_line` / `key_line` / `item_line` give a node's line, and `NodeChecks` is the base of
a validator that collects every problem of one pass instead of stopping at the first. No Rasa
import.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from franceservices.data_errors import DataFileError
from franceservices.text.normalize import normalize

_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")

T = TypeVar("T")


def map_line(node: Any, default: int | None = None) -> int | None:
    """1-based line of a node of the tree; `default` when it has none (a plain value)."""
    lc = getattr(node, "lc", None)
    return lc.line + 1 if lc is not None and lc.line is not None else default


def key_line(node: Any, key: str, default: int | None = None) -> int | None:
    """Line of `key` in a mapping (the mapping's own line when the key is absent)."""
    lc = getattr(node, "lc", None)
    if lc is None:
        return default
    if key in node:
        try:
            return lc.key(key)[0] + 1
        except (KeyError, TypeError):
            pass
    return map_line(node, default)


def item_line(seq: Any, index: int, default: int | None = None) -> int | None:
    """1-based line of item `index` of a list; `default` when it has none."""
    lc = getattr(seq, "lc", None)
    if lc is None:
        return default
    try:
        return lc.item(index)[0] + 1
    except (KeyError, TypeError, IndexError):
        return default


class _StringDatesConstructor(RoundTripConstructor):
    """Keeps YAML timestamps as text, so an impossible date is reported with its line."""


_StringDatesConstructor.add_constructor(
    "tag:yaml.org,2002:timestamp", RoundTripConstructor.construct_yaml_str
)


def normalised_items(
    path: Path, items: Any, label: str, *, one_word: bool
) -> tuple[dict[str, int | None], list[DataFileError]]:
    """The items of a hand-written list of words or phrases, each with its line, and the
    problems: an item not written normalised (`franceservices.text.normalize`: lower case, no
    accents or punctuation) or empty, a phrase where `one_word` wants a word, an item twice.

    `label` names the list in the duplicate's message ("twice in <label>").
    """
    kept: dict[str, int | None] = {}
    errors: list[DataFileError] = []
    for index, item in enumerate(items):
        line = item_line(items, index)
        if not isinstance(item, str) or not item or normalize(item) != item:
            errors.append(DataFileError(path, line, f"{item!r} is not written normalised"))
        elif one_word and " " in item:
            errors.append(DataFileError(path, line, f"{item!r}: one word a line"))
        elif item in kept:
            reason = f"{item!r} twice in {label} (first on line {kept[item]})"
            errors.append(DataFileError(path, line, reason))
        else:
            kept[item] = line
    return kept, errors


def read_yaml(path: Path, *, dates_as_text: bool = False) -> Any:
    """The round-trip tree of a YAML file (each node knows its line).

    `dates_as_text` keeps `2026-12-07` as the text "2026-12-07" (the validator checks it and
    names the line of an impossible date) instead of a `datetime.date`.

    Raises:
        DataFileError: the file cannot be read, or is not valid YAML (with the line when known).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise DataFileError(path, None, "cannot read the file: file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(path, None, f"cannot read the file: {exc}") from exc
    yaml = YAML(typ="rt")
    if dates_as_text:
        yaml.Constructor = _StringDatesConstructor
    try:
        return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = " ".join(str(p) for p in (exc.context, exc.problem) if p) or str(exc)
        raise DataFileError(path, line, f"YAML syntax error (not valid YAML): {reason}") from exc
    except YAMLError as exc:
        raise DataFileError(path, None, f"YAML error (not valid YAML): {exc}") from exc


class NodeChecks:
    """Collects the problems of one file, each with its 1-based line (`errors`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.errors: list[DataFileError] = []

    # -- locating -----------------------------------------------------------------------------
    @staticmethod
    def line_of(node: Any, key: Any = None) -> int | None:
        try:
            if key is None:
                return node.lc.line + 1
            if isinstance(node, CommentedMap):
                return node.lc.key(key)[0] + 1
            if isinstance(node, CommentedSeq):
                return node.lc.item(key)[0] + 1
        except (AttributeError, KeyError, IndexError, TypeError):
            return None
        return None

    def error(self, line: int | None, reason: str) -> None:
        self.errors.append(DataFileError(self.path, line, reason))

    # -- generic checks -------------------------------------------------------------------------
    def mapping(self, node: Any, line: int | None, what: str, keys: set[str]) -> bool:
        if not isinstance(node, CommentedMap):
            self.error(line, f"{what} must be a mapping (key: value lines)")
            return False
        for key in node:
            if key not in keys:
                self.error(
                    self.line_of(node, key),
                    f"unknown key {key!r} in {what} (allowed: {', '.join(sorted(keys))})",
                )
        return True

    def required(self, node: CommentedMap, key: str, what: str) -> bool:
        if key not in node or node[key] is None:
            self.error(self.line_of(node), f"{what} has no {key!r}")
            return False
        return True

    def string(self, node: CommentedMap, key: str, what: str, required: bool = True) -> str | None:
        if key not in node or node[key] is None:
            if required:
                self.error(self.line_of(node), f"{what} has no {key!r}")
            return None
        value = node[key]
        if not isinstance(value, str) or not value.strip():
            self.error(self.line_of(node, key), f"{what}: {key!r} must be a non-empty text")
            return None
        return value.strip()

    def identifier(self, node: CommentedMap, key: str, what: str) -> str | None:
        value = self.string(node, key, what)
        if value is not None and not _ID_RE.match(value):
            self.error(
                self.line_of(node, key),
                f"{what}: {key} {value!r} must be snake_case (a-z, 0-9, _), starting with a letter",
            )
            return None
        return value

    def string_list(self, node: CommentedMap, key: str, what: str) -> list[tuple[str, int | None]]:
        value = node.get(key)
        if not isinstance(value, CommentedSeq) or not value:
            self.error(
                self.line_of(node, key) or self.line_of(node),
                f"{what}: {key!r} must be a non-empty list",
            )
            return []
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                self.error(self.line_of(value, i), f"{what}: {key}[{i}] must be a non-empty text")
                continue
            out.append((item.strip(), self.line_of(value, i)))
        return out

    def unique(
        self,
        built: Iterable[tuple[T | None, int | None]],
        key: Callable[[T], str],
        twice: Callable[[str], str],
    ) -> list[T]:
        """The items built from a list (None: refused already), each id once.

        `built` gives each item with its line; a second item with the same `key` is an error
        `twice(key)` at its line, and is dropped.
        """
        seen: set[str] = set()
        kept: list[T] = []
        for item, line in built:
            if item is None:
                continue
            if key(item) in seen:
                self.error(line, twice(key(item)))
                continue
            seen.add(key(item))
            kept.append(item)
        return kept
