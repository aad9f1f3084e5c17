"""The answers a citizen already gave in free text, and replies to a numbered question.

"J'ai perdu ma carte d'identité pour mon fils de 12 ans" answers the questions `situation`
(loss) and `for_whom` (minor) before they are asked; "2", "le 2", "deux" or "Perte" answer a
numbered question in an SMS. Words come from each choice's `words:` in reference/procedures.yml.
"""

from __future__ import annotations

import re

from franceservices.documents.matcher import match_tokens
from franceservices.documents.model import NotCovered, Procedure, Question
from franceservices.text.normalize import normalize
from franceservices.text.ordinals import CARDINALS
from franceservices.text.typos import allowed_typos, damerau_levenshtein

_AGE_BLOCKERS = frozenset(
    "depuis pendant dans y ya plus moins tous toutes apres avant valable valide perime "
    "perimee expire expiree".split()
)


_ORDINALS = {("1", "ere"): "premiere", ("1", "re"): "premiere", ("1", "er"): "premier"}
"""Typed ordinals, cut by the normaliser ("1ere" -> "1", "ere"), read as the words staff write."""


def answer_tokens(text: str) -> list[str]:
    """The words of `text` for answers: `match_tokens`, "1ere fois" read "premiere fois"."""
    tokens = match_tokens(text)
    out: list[str] = []
    i = 0
    while i < len(tokens):
        word = _ORDINALS.get(tuple(tokens[i : i + 2]))
        if word is not None:
            out.append(word)
            i += 2
        else:
            out.append(tokens[i])
            i += 1
    return out


def _find_ages(tokens: list[str]) -> list[int]:
    """Ages of people in the text ("mon fils de 12 ans", "j'ai 70 ans"), not durations."""
    ages = []
    for i, token in enumerate(tokens[:-1]):
        if not token.isdigit() or tokens[i + 1] not in ("an", "ans"):
            continue
        before = set(tokens[max(0, i - 2) : i])
        if before & _AGE_BLOCKERS:
            continue
        ages.append(int(token))
    return ages


def _pattern_length(pattern: tuple[tuple[str, bool], ...], tokens: list[str]) -> int:
    """Number of tokens of `pattern` if it occurs in `tokens`, else 0."""
    size = len(pattern)
    for start in range(0, len(tokens) - size + 1):
        if all(
            tokens[start + k].startswith(word) if prefix else tokens[start + k] == word
            for k, (word, prefix) in enumerate(pattern)
        ):
            return size
    return 0


def _answer_from_words(question: Question, tokens: list[str]) -> str | None:
    """The choice whose words occur in the text, the longest phrase winning; None if tied."""
    best: dict[str, int] = {}
    for choice in question.choices:
        length = max((_pattern_length(p, tokens) for p in choice.patterns), default=0)
        if length:
            best[choice.value] = length
    if not best:
        return None
    top = max(best.values())
    winners = [value for value, length in best.items() if length == top]
    return winners[0] if len(winners) == 1 else None


def extract_answers(procedure: Procedure, text: str) -> dict[str, str]:
    """Answers the citizen already gave in `text`, by question id.

    "J'ai perdu ma carte d'identité" -> {"situation": "loss"}; "pour mon fils de 12 ans" ->
    {"for_whom": "minor"}. An age written in the text wins over words; a question whose words
    point to two answers equally ("perdu ou volé") is left unanswered, to be asked.
    """
    tokens = answer_tokens(text)
    ages = _find_ages(tokens)
    answers: dict[str, str] = {}
    for question in procedure.questions:
        value = None
        if ages and any(c.ages for c in question.choices):
            by_age = {
                c.value
                for c in question.choices
                for age in ages
                if c.ages and c.ages[0] <= age <= c.ages[1]
            }
            if len(by_age) == 1:
                value = by_age.pop()
        if value is None:
            value = _answer_from_words(question, tokens)
        if value is not None:
            answers[question.id] = value
    return answers


def not_covered_case(procedure: Procedure, text: str) -> NotCovered | None:
    """The case without a source that `text` asks about ("j'ai vendu ma voiture"), or None."""
    tokens = answer_tokens(text)
    for entry in procedure.not_covered:
        if any(_pattern_length(p, tokens) for p in entry.patterns):
            return entry
    return None


_NUMBER_WORDS = {word: n for word, n in CARDINALS.items() if n <= 6}
"""A choice named by its number in words ("deux"): a question has at most six choices."""


def parse_numbered_choice(reply: str, question: Question) -> str | None:
    """The choice value meant by a reply to a numbered list ("2", "le 2", "deux", "Perte").

    Returns None when the reply names no choice, or a number out of range.
    """
    norm = normalize(reply, keep="*")
    numbers = re.findall(r"\d+", norm)
    if len(set(numbers)) == 1:
        index = int(numbers[0])
        return question.choices[index - 1].value if 1 <= index <= len(question.choices) else None
    for choice in question.choices:
        label = normalize(choice.label, keep="*")
        if norm == label or damerau_levenshtein(norm, label, 2) <= min(
            2, allowed_typos(len(label))
        ):
            return choice.value
    words = norm.split()
    if len(words) <= 2 and words and words[-1] in _NUMBER_WORDS:
        index = _NUMBER_WORDS[words[-1]]
        return question.choices[index - 1].value if index <= len(question.choices) else None
    return _answer_from_words(question, words)
