"""The organisations a citizen can meet by visio: `reference/operators.yml`, loaded and matched.

`load_operators()` loads and validates the file once (every problem with its line number, as
`DataErrors`); `OperatorCatalogue.match` finds one operator in free text ("la caf", "les impôts",
"pôle emploi", "la sécu"). No Rasa import.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from franceservices.data_errors import DataErrors, DataFileError
from franceservices.paths import REFERENCE_DIR
from franceservices.text.normalize import normalize
from franceservices.yaml_nodes import item_line, read_yaml

DEFAULT_OPERATORS_PATH = REFERENCE_DIR / "operators.yml"
_OPERATOR_KEYS = {"id", "name", "aliases", "source"}
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
MIN_ALIAS_LENGTH = 3


@dataclass(frozen=True)
class Operator:
    """An organisation a citizen can meet by visio (CAF, CPAM, ...).

    Attributes:
        id: stored with the booking ("caf").
        name: the French name the citizen reads.
        aliases: normalised words that name it
            (`franceservices.places.communes.normalize`), id and name included.
        source: where the partnership comes from.
    """

    id: str
    name: str
    aliases: tuple[str, ...]
    source: str


class OperatorCatalogue:
    """The operators of `reference/operators.yml`, with free-text matching."""

    def __init__(self, operators: Iterable[Operator]) -> None:
        self._operators = list(operators)
        self._by_id = {op.id: op for op in self._operators}
        # Longest aliases first, so "retraite complementaire" wins over "retraite".
        self._aliases = sorted(
            ((alias, op) for op in self._operators for alias in op.aliases),
            key=lambda pair: (-len(pair[0]), pair[0]),
        )

    def all(self) -> list[Operator]:
        """Every operator, in file order."""
        return list(self._operators)

    def get(self, id: str) -> Operator | None:
        """The operator with this id, or None."""
        return self._by_id.get(id)

    def matches(self, text: str) -> list[Operator]:
        """Every operator named in `text`, in order of appearance.

        Aliases match as whole words, without case or accents. A match inside a longer match
        of another alias is ignored ("retraite complémentaire" is Agirc-Arrco, not CARSAT).
        """
        query = f" {normalize(text or '')} "
        spans: list[tuple[int, int, Operator]] = []
        for alias, op in self._aliases:
            needle = f" {alias} "
            start = query.find(needle)
            while start != -1:
                end = start + len(needle)
                if not any(s <= start and end <= e for s, e, _ in spans):
                    spans.append((start, end, op))
                start = query.find(needle, start + 1)
        spans.sort(key=lambda span: span[0])
        return list(dict.fromkeys(op for _, _, op in spans))

    def match(self, text: str) -> Operator | None:
        """The one operator named in `text`; None when none or several are (ask with buttons)."""
        found = self.matches(text)
        return found[0] if len(found) == 1 else None


def parse_operators(path: Path) -> OperatorCatalogue:
    """Load and validate an operators file (see the header of `reference/operators.yml`).

    Raises:
        DataErrors: every problem found, each a `DataFileError(path, line, reason)`.
    """
    path = Path(path)
    try:
        data = read_yaml(path)
    except DataFileError as exc:
        raise DataErrors([exc]) from None
    entries = data.get("operators") if isinstance(data, Mapping) else None
    if not isinstance(entries, list) or not entries:
        raise DataErrors([DataFileError(path, None, "expected a non-empty 'operators:' list")])
    errors: list[DataFileError] = []
    operators: list[Operator] = []
    alias_owner: dict[str, tuple[str, int | None]] = {}
    seen_ids: dict[str, int | None] = {}
    for i, entry in enumerate(entries):
        line = item_line(entries, i)
        if not isinstance(entry, Mapping):
            errors.append(DataFileError(path, line, "each operator must be a mapping"))
            continue
        unknown = sorted(set(entry) - _OPERATOR_KEYS)
        if unknown:
            errors.append(DataFileError(path, line, f"unknown field(s): {', '.join(unknown)}"))
        missing = [k for k in ("id", "name", "aliases", "source") if not entry.get(k)]
        if missing:
            errors.append(DataFileError(path, line, f"missing field(s): {', '.join(missing)}"))
            continue
        op_id, name, source = str(entry["id"]), str(entry["name"]), str(entry["source"])
        if not _ID_RE.match(op_id):
            errors.append(DataFileError(path, line, f"id {op_id!r}: lowercase letters, _ only"))
            continue
        if op_id in seen_ids:
            reason = f"duplicate id {op_id!r} (first on line {seen_ids[op_id]})"
            errors.append(DataFileError(path, line, reason))
            continue
        seen_ids[op_id] = line
        raw_aliases = entry["aliases"]
        if not isinstance(raw_aliases, list):
            errors.append(DataFileError(path, line, "aliases must be a list"))
            continue
        aliases: list[str] = []
        for raw in [op_id.replace("_", " "), name, *raw_aliases]:
            alias = normalize(str(raw))
            if len(alias.replace(" ", "")) < MIN_ALIAS_LENGTH:
                errors.append(
                    DataFileError(path, line, f"{op_id}: alias {raw!r} is shorter than 3 letters")
                )
                continue
            owner = alias_owner.get(alias)
            if owner is not None and owner[0] != op_id:
                errors.append(
                    DataFileError(
                        path,
                        line,
                        f"{op_id}: alias {raw!r} already names {owner[0]} (line {owner[1]})",
                    )
                )
                continue
            alias_owner[alias] = (op_id, line)
            if alias not in aliases:
                aliases.append(alias)
        operators.append(Operator(op_id, name, tuple(aliases), source))
    if errors:
        raise DataErrors(errors)
    return OperatorCatalogue(operators)


@lru_cache(maxsize=1)
def load_operators() -> OperatorCatalogue:
    """The operators of `reference/operators.yml`, loaded and validated once."""
    return parse_operators(DEFAULT_OPERATORS_PATH)
