"""The documents catalogue as data: procedures, their questions, their cases and the facts of each.

Built by `franceservices.documents.loader` from `reference/procedures.yml` (validated there), used
by the matcher (`Catalogue.match`), the extractor of answers, the renderer and the freshness
report. A `Procedure` picks its case by asking only the questions that matter
(`missing_question`, `case_for`). No Rasa import, no file read here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from franceservices.documents.matcher import KeywordIndex

CONFIRMED, SECONDARY, INFERRED = "confirmed", "secondary", "inferred"
CONFIDENCES = (CONFIRMED, SECONDARY, INFERRED)

ONLINE_YES, ONLINE_PARTLY, ONLINE_NO = "yes", "partly", "no"
ONLINE_MODES = (ONLINE_YES, ONLINE_PARTLY, ONLINE_NO)


@dataclass(frozen=True)
class Fact:
    """One thing stated to citizens (a place, a document, a fee, a note) and how sure it is."""

    text: str
    confidence: str = CONFIRMED
    sms: str | None = None
    """Shorter wording staff wrote for SMS, used when the full answer does not fit."""

    @property
    def to_check(self) -> bool:
        """Inferred facts must be presented as "à vérifier"."""
        return self.confidence == INFERRED


@dataclass(frozen=True)
class Online:
    """Whether the procedure can be done on the internet."""

    possible: str
    fact: Fact
    url: str | None = None


@dataclass(frozen=True)
class Choice:
    """One answer to a question: its id, its button label, the words that give it in a text."""

    value: str
    label: str
    patterns: tuple[tuple[tuple[str, bool], ...], ...] = ()
    """Each pattern is a token sequence; a token flagged True matches any word it starts."""
    ages: tuple[int, int] | None = None


@dataclass(frozen=True)
class Question:
    """What to ask to choose between cases (e.g. `situation`: first / renewal / loss / theft)."""

    id: str
    text: str
    choices: tuple[Choice, ...]

    def choice(self, value: str) -> Choice | None:
        """The choice of that value, or None."""
        return next((c for c in self.choices if c.value == value), None)

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(c.value for c in self.choices)


@dataclass(frozen=True)
class NotCovered:
    """A case people ask about that no source read covers yet ("vente d'un véhicule").

    Its words in a message get the honest "pas encore" with who knows, never another case's list.
    """

    title: str
    patterns: tuple[tuple[tuple[str, bool], ...], ...]
    """Token sequences, as `Choice.patterns`: a token flagged True matches any word it starts."""


@dataclass(frozen=True)
class Case:
    """One list of documents, for one combination of answers."""

    procedure_id: str
    procedure_title: str
    id: str
    title: str | None
    when: Mapping[str, frozenset[str]]
    where: Fact
    documents: tuple[Fact, ...]
    fees: tuple[Fact, ...]
    online: Online
    notes: tuple[Fact, ...]
    sources: tuple[str, ...]
    checked_on: dt.date
    link: str
    check_with: str
    line: int | None = None

    @property
    def full_title(self) -> str:
        """ "Carte d'identité – perte (adulte)", or the procedure's title for a single case."""
        if self.title:
            return f"{self.procedure_title} – {self.title}"
        return self.procedure_title

    def accepts(self, answers: Mapping[str, str]) -> bool:
        """Whether this case is still possible given (possibly partial) answers."""
        return all(q not in answers or answers[q] in allowed for q, allowed in self.when.items())


@dataclass(frozen=True)
class Procedure:
    """A procedure citizens ask about, its questions and its cases."""

    id: str
    title: str
    operator: str
    check_with: str
    link: str
    keywords: tuple[str, ...]
    questions: tuple[Question, ...]
    cases: tuple[Case, ...]
    line: int | None = None
    not_covered: tuple[NotCovered, ...] = ()

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def case(self, case_id: str) -> Case:
        for case in self.cases:
            if case.id == case_id:
                return case
        raise KeyError(f"{self.id}: no case {case_id!r}")

    def _clean(self, answers: Mapping[str, Any]) -> dict[str, str]:
        """Keep the answers that belong to this procedure's questions (slots carry others)."""
        clean = {}
        for question in self.questions:
            value = answers.get(question.id)
            if isinstance(value, str) and question.choice(value) is not None:
                clean[question.id] = value
        return clean

    def candidates(self, answers: Mapping[str, Any]) -> list[Case]:
        """The cases still possible given the answers so far."""
        clean = self._clean(answers)
        return [case for case in self.cases if case.accepts(clean)]

    def missing_question(self, answers: Mapping[str, Any]) -> Question | None:
        """The next question to ask, or None when the case is known.

        A question is asked only when the cases still possible differ on it: a minor's identity
        card is the same whatever the situation, so "situation" is not asked for a child.
        """
        clean = self._clean(answers)
        remaining = [case for case in self.cases if case.accepts(clean)]
        if len(remaining) <= 1:
            return None
        for question in self.questions:
            if question.id in clean:
                continue
            splits = {case.when.get(question.id, frozenset(question.values)) for case in remaining}
            if len(splits) > 1:
                return question
        return None  # unreachable with a validated file (cases cover answers exactly once)

    def case_for(self, answers: Mapping[str, Any]) -> Case:
        """The case for these answers; ValueError while `missing_question` is not None."""
        remaining = self.candidates(answers)
        if len(remaining) != 1:
            missing = self.missing_question(answers)
            asked = missing.id if missing else "?"
            raise ValueError(f"{self.id}: answers incomplete, ask {asked!r} first")
        return remaining[0]


@dataclass
class Catalogue:
    """Every procedure of `reference/procedures.yml`, validated."""

    procedures: tuple[Procedure, ...]
    path: Path | None = None
    _index: KeywordIndex = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._index = KeywordIndex({p.id: sorted({*p.keywords, p.title}) for p in self.procedures})

    def __iter__(self) -> Iterator[Procedure]:
        return iter(self.procedures)

    def __len__(self) -> int:
        return len(self.procedures)

    def get(self, procedure_id: str) -> Procedure:
        for procedure in self.procedures:
            if procedure.id == procedure_id:
                return procedure
        raise KeyError(procedure_id)

    def cases(self) -> Iterator[Case]:
        for procedure in self.procedures:
            yield from procedure.cases

    def match(self, text: str) -> list[Procedure]:
        """The procedures named in `text`, best first; [] when none is recognised.

        See `KeywordIndex.match`: "passeport et carte d'identité" gives both procedures.
        """
        return [self.get(pid) for pid in self._index.match(text)]
