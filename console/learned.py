"""The learned data set: labelled teach messages that may become training examples.

Agents label misunderstood messages on the "Apprentissage" page (`console_teach_items`). Before a
new version is prepared (console/versions.py), the labelled messages are sorted here into
examples, written as a Rasa NLU file (`nlu_learned.yml`) next to the candidate model so that each
version keeps the exact data it was trained on, and refusals the admin reads on the page:

- `personal_data`: the text still holds personal data once masked (console/masking.py, as the
  export): it never reaches training data;
- `two_intents`: the same text (compared in the `normalize` form: case, accents, punctuation)
  labelled under two intents: neither is added until the labels agree;
- `near_test`: the text is one word or less away from an example of a held-out test set
  (tests/nlu_test*.yml): training on it would make the gate measure memory, not understanding;
- `training_conflict`: the same text is already a training example of another intent (data/);
- `already_trained`: the same text is already a training example of that intent (nothing to add).

Duplicates among the labels (same text, same intent) make one example.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.engine import Connection

from console import models
from console.masking import mask
from franceservices.text.normalize import normalize

PROJECT_DIR = Path(__file__).resolve().parent.parent
OUT_OF_SCOPE = "out_of_scope"
# Rasa's inline entity annotations: "[Trélon](commune)", '[Trélon]{"entity": "commune"}'.
_ANNOTATION_RE = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")

REASONS = (
    "personal_data",
    "two_intents",
    "near_test",
    "training_conflict",
    "already_trained",
)


@dataclass(frozen=True)
class Example:
    """One training example from one or more labelled messages."""

    text: str
    intent: str
    item_ids: tuple[int, ...]


@dataclass(frozen=True)
class Refusal:
    """A labelled message not added, with why (`REASONS`) and what it collides with."""

    item_id: int
    text: str  # masked: shown to staff
    intent: str
    reason: str
    other: str = ""


@dataclass
class LearnedSet:
    """The examples to train on and the labelled messages refused."""

    examples: list[Example] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)

    def to_yaml(self) -> str:
        """The examples as a Rasa NLU training file (`version: "3.1"`)."""
        by_intent: dict[str, list[str]] = defaultdict(list)
        for example in self.examples:
            by_intent[example.intent].append(example.text)
        nlu = [
            {"intent": intent, "examples": "".join(f"- {text}\n" for text in by_intent[intent])}
            for intent in sorted(by_intent)
        ]
        return yaml.dump(
            {"version": "3.1", "nlu": nlu}, allow_unicode=True, sort_keys=False, Dumper=_Dumper
        )


class _Dumper(yaml.SafeDumper):
    """Writes multi-line strings as literal blocks, as Rasa's own files are written."""


_Dumper.add_representer(
    str,
    lambda dumper, value: dumper.represent_scalar(
        "tag:yaml.org,2002:str", value, style="|" if "\n" in value else None
    ),
)


def plain_text(example: str) -> str:
    """A training example without its entity annotations ("[Trélon](commune)" -> "Trélon")."""
    return _ANNOTATION_RE.sub(lambda m: m.group(1), example)


def read_nlu_examples(paths: Iterable[Path]) -> list[tuple[str, str]]:
    """(text, intent) of every intent example in Rasa NLU YAML files, annotations removed."""
    found = []
    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            intent = block.get("intent") if isinstance(block, dict) else None
            if not intent:
                continue
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    found.append((plain_text(line[2:].strip()), intent))
    return found


def token_distance(a: Sequence[str], b: Sequence[str]) -> int:
    """Levenshtein distance between two token sequences (insert, delete, replace a word)."""
    previous = list(range(len(b) + 1))
    for i, left in enumerate(a, 1):
        current = [i]
        for j, right in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (left != right))
            )
        previous = current
    return previous[-1]


def held_out_paths(project_dir: Path = PROJECT_DIR) -> list[Path]:
    return sorted((project_dir / "tests").glob("nlu_test*.yml"))


def training_paths(project_dir: Path = PROJECT_DIR) -> list[Path]:
    return sorted((project_dir / "data").glob("nlu*.yml"))


def build(
    rows: Iterable[Any],
    held_out: Iterable[tuple[str, str]],
    training: Iterable[tuple[str, str]],
) -> LearnedSet:
    """Sort labelled messages into examples and refusals.

    Args:
        rows: labelled teach items (`id`, `text`, `intent`, `out_of_scope`).
        held_out: (text, intent) of the held-out test sets.
        training: (text, intent) of the training data already in data/.
    """
    result = LearnedSet()
    groups: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for row in rows:
        text = " ".join((row.text or "").split())
        intent = OUT_OF_SCOPE if row.out_of_scope else row.intent
        if not intent:
            continue
        if not text or mask(text) != text:
            result.refused.append(Refusal(row.id, mask(text), intent, "personal_data"))
            continue
        groups[normalize(text)].append((row.id, text, intent))
    tests = [(normalize(text).split(), text) for text, _ in held_out]
    trained: dict[str, set[str]] = defaultdict(set)
    for text, intent in training:
        trained[normalize(text)].add(intent)
    for key in sorted(groups):
        members = groups[key]
        intents = sorted({intent for _, _, intent in members})
        if len(intents) > 1:
            for item_id, text, intent in members:
                others = ", ".join(i for i in intents if i != intent)
                result.refused.append(Refusal(item_id, text, intent, "two_intents", others))
            continue
        intent = intents[0]
        tokens = key.split()
        near = next(
            (
                test
                for test_tokens, test in tests
                if abs(len(test_tokens) - len(tokens)) <= 1
                and token_distance(tokens, test_tokens) <= 1
            ),
            None,
        )
        reason, other = "", ""
        if near is not None:
            reason, other = "near_test", near
        elif trained.get(key, set()) - {intent}:
            reason, other = "training_conflict", ", ".join(sorted(trained[key] - {intent}))
        elif intent in trained.get(key, set()):
            reason = "already_trained"
        if reason:
            for item_id, text, _ in members:
                result.refused.append(Refusal(item_id, text, intent, reason, other))
            continue
        result.examples.append(
            Example(members[0][1], intent, tuple(item_id for item_id, _, _ in members))
        )
    result.refused.sort(key=lambda refusal: (REASONS.index(refusal.reason), refusal.item_id))
    return result


def labelled_rows(conn: Connection) -> list[Any]:
    t = models.teach_items.c
    return conn.execute(
        select(t.id, t.text, t.intent, t.out_of_scope)
        .where((t.intent.is_not(None)) | (t.out_of_scope.is_(True)))
        .order_by(t.id)
    ).all()


def learned_set(conn: Connection, project_dir: Path = PROJECT_DIR) -> LearnedSet:
    """The learned data set from the database, checked against the project's NLU files."""
    return build(
        labelled_rows(conn),
        read_nlu_examples(held_out_paths(project_dir)),
        read_nlu_examples(training_paths(project_dir)),
    )
