"""The held-out NLU sets measure understanding, not memory: no held-out example is within one word
of a training example.

"One word" is the token edit distance (one word added, removed or replaced) between the comparison
forms of the two sentences (`franceservices.text.normalize`: case, accents and punctuation gone),
after entity annotations such as `[Bavay](commune)` are reduced to their text. A test sentence that
differs from a training sentence by one word only ("bonjour madame" / "bonjour monsieur") tells us
the model remembers; the gate must say whether it understands.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from franceservices.text.normalize import normalize

PROJECT = Path(__file__).resolve().parents[2]
HELD_OUT = ["tests/nlu_test.yml", "tests/nlu_test_sms.yml"]
# [text](entity), [text](entity:value), [text]{"entity": ...}: the text is what people type.
ENTITY = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def annotated_examples(path: Path) -> list[tuple[str, str]]:
    """(intent, example as written) for every example of the `nlu` section of a Rasa YAML file."""
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
    result = []
    for block in data.get("nlu") or []:
        if "intent" not in block:  # synonyms, regexes and lookup tables are not examples
            continue
        for line in block["examples"].splitlines():
            if line.strip().startswith("- "):
                result.append((block["intent"], line.strip()[2:].strip()))
    return result


def tokens(example: str) -> tuple[str, ...]:
    return tuple(normalize(ENTITY.sub(r"\1", example)).split())


def token_distance(a: tuple[str, ...], b: tuple[str, ...], limit: int = 2) -> int:
    """Levenshtein distance over words, stopped early once it reaches `limit`."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    previous = list(range(len(b) + 1))
    for i, word in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (word != other))
            )
        if min(current) >= limit:
            return limit
        previous = current
    return min(previous[-1], limit)


def training_examples() -> set[tuple[str, ...]]:
    # Every file of data/ (not data/lookups/: lookup entries are names, not examples).
    return {
        tokens(text)
        for path in sorted((PROJECT / "data").glob("*.yml"))
        for _, text in annotated_examples(path)
    }


@pytest.fixture(scope="module")
def training() -> set[tuple[str, ...]]:
    return training_examples()


def test_token_distance_counts_words_added_removed_or_replaced():
    assert token_distance(tokens("Bonjour, Madame !"), tokens("bonjour madame")) == 0
    assert token_distance(tokens("bonjour madame"), tokens("bonjour monsieur")) == 1
    assert token_distance(tokens("bonjour à tous"), tokens("bonjour")) == 2
    assert token_distance(tokens("où est le bus"), tokens("ou est bus")) == 1
    assert (
        token_distance(tokens("le bus vient à [Bavay](commune)"), tokens("le bus vient a bavay"))
        == 0
    )
    assert token_distance(tokens("merci beaucoup madame"), tokens("je vous remercie")) == 2


@pytest.mark.parametrize("held_out", HELD_OUT)
def test_no_held_out_example_is_one_word_from_a_training_example(held_out, training):
    near = []
    for intent, text in annotated_examples(PROJECT / held_out):
        words = tokens(text)
        if any(token_distance(words, other) <= 1 for other in training):
            near.append(f"{intent}: {text}")
    assert near == [], (
        f"{len(near)} examples of {held_out} are one word from training:\n" + "\n".join(near)
    )


def test_the_sms_set_covers_every_intent_with_120_examples():
    sms = annotated_examples(PROJECT / "tests" / "nlu_test_sms.yml")
    trained = {
        intent.split("/")[0]
        for path in (PROJECT / "data").glob("*.yml")
        for intent, _ in annotated_examples(path)
    }
    assert len(sms) >= 120
    assert {intent.split("/")[0] for intent, _ in sms} == trained
    assert any("](commune)" in text for _, text in sms)
