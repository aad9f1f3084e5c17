"""The validator of `reference/procedures.yml`: every problem of the file, each with its line.

Staff maintain the file by hand (its header documents the format). `ProceduresValidator` reads the
round-trip YAML tree (which knows the line of every node) and builds the model's objects, or
records why it cannot: unknown keys, missing fields, links off the official sites, questions
whose cases leave a gap or overlap, a case whose answer cannot fit an SMS even shortened.
`franceservices.documents.loader` runs it and raises them all at once.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from franceservices.documents.freshness import is_official
from franceservices.documents.matcher import match_tokens
from franceservices.documents.model import (
    CONFIDENCES,
    CONFIRMED,
    ONLINE_MODES,
    ONLINE_NO,
    ONLINE_YES,
    Case,
    Choice,
    Fact,
    NotCovered,
    Online,
    Procedure,
    Question,
)
from franceservices.documents.render import BUTTON_LABEL_MAX, SMS_MAX_SEPTETS, fits, fitted
from franceservices.policy import get_policy
from franceservices.text.gsm7 import gsm7_length
from franceservices.text.normalize import normalize
from franceservices.yaml_nodes import NodeChecks

TOP_KEYS = {"procedures"}
_PROCEDURE_KEYS = {
    "id", "title", "operator", "check_with", "link", "keywords", "questions", "cases",
    "not_covered",
}  # fmt: skip
_NOT_COVERED_KEYS = {"title", "words"}
_QUESTION_KEYS = {"id", "text", "choices"}
_CHOICE_KEYS = {"value", "label", "words", "ages"}
_CASE_KEYS = {
    "id", "title", "when", "confidence", "where", "documents", "fees", "online", "notes",
    "sources", "checked_on", "link", "check_with",
}  # fmt: skip
_FACT_KEYS = {"text", "confidence", "sms"}
_ONLINE_KEYS = {"possible", "text", "url", "confidence"}


def _word_pattern(word: str) -> tuple[tuple[str, bool], ...]:
    """ "perdu*" -> (("perdu", True),): the tokens of a `words:` entry, a final * any ending."""
    return tuple(
        (t.rstrip("*"), t.endswith("*")) for t in normalize(word, keep="*").split() if t.rstrip("*")
    )


class ProceduresValidator(NodeChecks):
    """Collects every problem of the file, each with its 1-based line."""

    def __init__(self, path: Path, today: dt.date) -> None:
        super().__init__(path)
        self.today = today

    def url(self, value: Any, line: int | None, what: str, official: bool = False) -> str | None:
        if not isinstance(value, str):
            self.error(line, f"{what}: URL must be a text")
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in value.strip():
            self.error(line, f"{what}: {value!r} is not an http(s) URL")
            return None
        if official:
            if not is_official(value.strip()):
                domains = ", ".join(get_policy().links.official_domains)
                self.error(
                    line,
                    f"{what}: {value!r} is not an official site "
                    f"({domains}): citizens are only sent to those",
                )
                return None
        return value.strip()

    def confidence(self, value: Any, line: int | None, what: str) -> str | None:
        if value not in CONFIDENCES:
            self.error(
                line, f"{what}: confidence {value!r} must be one of {', '.join(CONFIDENCES)}"
            )
            return None
        return value

    def fact(self, node: Any, line: int | None, what: str, default: str) -> Fact | None:
        if isinstance(node, str):
            if not node.strip():
                self.error(line, f"{what} is empty")
                return None
            return Fact(node.strip(), default)
        if not self.mapping(node, line, what, _FACT_KEYS):
            return None
        text = self.string(node, "text", what)
        sms = self.string(node, "sms", what, required=False)
        confidence = default
        if "confidence" in node:
            confidence = self.confidence(node["confidence"], self.line_of(node, "confidence"), what)
        if text is None or confidence is None:
            return None
        return Fact(text, confidence, sms)

    def facts(
        self, node: CommentedMap, key: str, what: str, default: str, required: bool
    ) -> list[Fact]:
        value = node.get(key)
        if value is None:
            if required:
                self.error(self.line_of(node), f"{what} has no {key!r} (at least one is needed)")
            return []
        if not isinstance(value, CommentedSeq) or (required and not value):
            self.error(self.line_of(node, key), f"{what}: {key!r} must be a non-empty list")
            return []
        out = []
        for i, item in enumerate(value):
            fact = self.fact(item, self.line_of(value, i), f"{what} {key}[{i}]", default)
            if fact is not None:
                out.append(fact)
        return out

    # -- file parts -----------------------------------------------------------------------------
    def choice(self, node: Any, line: int | None, what: str) -> Choice | None:
        if not self.mapping(node, line, what, _CHOICE_KEYS):
            return None
        value = self.identifier(node, "value", what)
        label = self.string(node, "label", what)
        if label is not None and len(label) > BUTTON_LABEL_MAX:
            self.error(
                self.line_of(node, "label"),
                f"{what}: label {label!r} is longer than {BUTTON_LABEL_MAX} characters "
                "(Messenger cuts button titles)",
            )
        patterns: list[tuple[tuple[str, bool], ...]] = []
        if label:
            patterns.append(tuple((t, False) for t in match_tokens(label)))
        if "words" in node:
            for word, _ in self.string_list(node, "words", what):
                pattern = _word_pattern(word)
                if pattern:
                    patterns.append(pattern)
        ages = None
        if "ages" in node:
            raw = node["ages"]
            if (
                isinstance(raw, CommentedSeq)
                and len(raw) == 2
                and all(isinstance(a, int) and not isinstance(a, bool) for a in raw)
                and 0 <= raw[0] <= raw[1]
            ):
                ages = (raw[0], raw[1])
            else:
                self.error(
                    self.line_of(node, "ages"), f"{what}: ages must be [min, max], 0 <= min <= max"
                )
        if value is None or label is None:
            return None
        return Choice(value, label, tuple(patterns), ages)

    def question(self, node: Any, line: int | None, what: str) -> Question | None:
        if not self.mapping(node, line, what, _QUESTION_KEYS):
            return None
        qid = self.identifier(node, "id", what)
        what = f"question {qid!r}" if qid else what
        text = self.string(node, "text", what)
        raw = node.get("choices")
        choices: list[Choice] = []
        if not isinstance(raw, CommentedSeq) or len(raw) < 2:
            self.error(
                self.line_of(node, "choices") or self.line_of(node),
                f"{what}: needs at least 2 choices",
            )
        else:
            built = (
                (self.choice(item, self.line_of(raw, i), f"{what} choice {i + 1}"), i)
                for i, item in enumerate(raw)
            )
            choices = self.unique(
                ((c, self.line_of(raw, i)) for c, i in built),
                key=lambda c: c.value,
                twice=lambda value: f"{what}: choice {value!r} appears twice",
            )
        if qid is None or text is None or len(choices) < 2:
            return None
        return Question(qid, text, tuple(choices))

    def when(
        self, node: CommentedMap, what: str, questions: Mapping[str, Question]
    ) -> dict[str, frozenset[str]] | None:
        raw = node.get("when")
        if raw is None:
            return {}
        if not isinstance(raw, CommentedMap):
            self.error(
                self.line_of(node, "when"), f"{what}: 'when' must be a mapping question: value"
            )
            return None
        when: dict[str, frozenset[str]] = {}
        ok = True
        for qid, value in raw.items():
            line = self.line_of(raw, qid) or self.line_of(node, "when")
            question = questions.get(qid)
            if question is None:
                self.error(line, f"{what}: 'when' names unknown question {qid!r}")
                ok = False
                continue
            values = list(value) if isinstance(value, CommentedSeq) else [value]
            bad = [v for v in values if v not in question.values]
            if bad or not values:
                self.error(
                    line,
                    f"{what}: 'when' gives {qid} unknown value(s) {bad or values} "
                    f"(known: {', '.join(question.values)})",
                )
                ok = False
                continue
            when[qid] = frozenset(values)
        return when if ok else None

    def online(self, node: CommentedMap, what: str, default: str) -> Online | None:
        raw = node.get("online")
        line = self.line_of(node, "online") or self.line_of(node)
        if raw is None:
            self.error(self.line_of(node), f"{what} has no 'online'")
            return None
        if not self.mapping(raw, line, f"{what} online", _ONLINE_KEYS):
            return None
        possible = raw.get("possible")
        if possible is True:
            possible = ONLINE_YES
        elif possible is False:
            possible = ONLINE_NO
        if possible not in ONLINE_MODES:
            self.error(
                self.line_of(raw, "possible") or line,
                f"{what}: online.possible {possible!r} must be one of {', '.join(ONLINE_MODES)}",
            )
            return None
        text = self.string(raw, "text", f"{what} online")
        confidence = default
        if "confidence" in raw:
            confidence = self.confidence(
                raw["confidence"], self.line_of(raw, "confidence"), f"{what} online"
            )
        fact = Fact(text, confidence) if text and confidence else None
        url = None
        if raw.get("url") is not None:
            url = self.url(
                raw["url"], self.line_of(raw, "url"), f"{what} online.url", official=True
            )
        elif possible != ONLINE_NO:
            self.error(line, f"{what}: online.url is needed when online.possible is {possible!r}")
            return None
        if fact is None:
            return None
        return Online(possible, fact, url)

    def checked_on(self, node: CommentedMap, what: str) -> dt.date | None:
        if not self.required(node, "checked_on", what):
            return None
        raw = node["checked_on"]
        line = self.line_of(node, "checked_on")
        day = None
        if isinstance(raw, dt.datetime):
            day = raw.date()
        elif isinstance(raw, dt.date):
            day = raw
        elif isinstance(raw, str):
            try:
                day = dt.date.fromisoformat(raw.strip())
            except ValueError:
                day = None
        if day is None:
            self.error(line, f"{what}: checked_on {raw!r} is not an ISO date (YYYY-MM-DD)")
            return None
        if day > self.today:
            self.error(line, f"{what}: checked_on {day.isoformat()} is in the future")
            return None
        return day

    def case(
        self, node: Any, line: int | None, what: str, procedure: dict[str, Any]
    ) -> Case | None:
        if not self.mapping(node, line, what, _CASE_KEYS):
            return None
        cid = self.identifier(node, "id", what)
        what = f"case {procedure['id']}.{cid}" if cid else what
        title = self.string(node, "title", what, required=False)
        when = self.when(node, what, procedure["questions"])
        default = CONFIRMED
        if "confidence" in node:
            default = (
                self.confidence(node["confidence"], self.line_of(node, "confidence"), what)
                or CONFIRMED
            )
        where = None
        if self.required(node, "where", what):
            where = self.fact(node["where"], self.line_of(node, "where"), f"{what} where", default)
        documents = self.facts(node, "documents", f"{what}", default, required=True)
        fees = self.facts(node, "fees", what, default, required=False)
        notes = self.facts(node, "notes", what, default, required=False)
        online = self.online(node, what, default)
        sources = []
        if "sources" not in node:
            self.error(self.line_of(node), f"{what} has no 'sources' (at least one URL)")
        else:
            for url, url_line in self.string_list(node, "sources", what):
                checked = self.url(url, url_line, f"{what} sources")
                if checked:
                    sources.append(checked)
        checked_on = self.checked_on(node, what)
        link = procedure["link"]
        if "link" in node:
            link = self.url(node["link"], self.line_of(node, "link"), f"{what} link", official=True)
        check_with = (
            self.string(node, "check_with", what, required=False) or procedure["check_with"]
        )
        if None in (cid, when, where, online, checked_on, link) or not documents or not sources:
            return None
        return Case(
            procedure_id=procedure["id"],
            procedure_title=procedure["title"],
            id=cid,
            title=title,
            when=when,
            where=where,
            documents=tuple(documents),
            fees=tuple(fees),
            online=online,
            notes=tuple(notes),
            sources=tuple(sources),
            checked_on=checked_on,
            link=link,
            check_with=check_with,
            line=self.line_of(node),
        )

    def coverage(self, procedure: Procedure, line: int | None) -> None:
        """Every combination of answers must lead to exactly one case: no gap, no overlap."""
        questions = procedure.questions
        for combo in itertools.product(*(q.values for q in questions)):
            answers = dict(zip((q.id for q in questions), combo, strict=True))
            matching = [c for c in procedure.cases if c.accepts(answers)]
            shown = ", ".join(f"{k}={v}" for k, v in answers.items()) or "no answer"
            if not matching:
                self.error(line, f"procedure {procedure.id!r}: no case for {shown}")
            elif len(matching) > 1:
                ids = ", ".join(c.id for c in matching)
                self.error(
                    matching[1].line, f"procedure {procedure.id!r}: cases {ids} overlap for {shown}"
                )

    def fit(self, case: Case) -> None:
        """Refuse at load a case whose answer cannot fit an SMS or a Messenger message."""
        # Checked with the longer "plus d'un an" footer too: a case must still fit once it ages.
        for outdated in (False, True):
            sms = fitted(case, "sms", outdated)
            if not fits(sms, "sms"):
                self.error(
                    case.line,
                    f"case {case.procedure_id}.{case.id}: {gsm7_length(sms)} characters in SMS "
                    f"even shortened (max {SMS_MAX_SEPTETS}): write shorter 'sms:' wordings",
                )
                break
            if not fits(fitted(case, "messenger", outdated), "messenger"):
                self.error(case.line, f"case {case.procedure_id}.{case.id}: too long for Messenger")
                break

    def not_covered(self, node: Any, line: int | None, what: str) -> NotCovered | None:
        if not self.mapping(node, line, what, _NOT_COVERED_KEYS):
            return None
        title = self.string(node, "title", what)
        patterns = tuple(
            pattern
            for word, _ in self.string_list(node, "words", what)
            if (pattern := _word_pattern(word))
        )
        if title is None:
            return None
        if not patterns:
            self.error(line, f"{what}: 'words' must name at least one word")
            return None
        return NotCovered(title, patterns)

    def procedure(
        self, node: Any, line: int | None, keyword_owner: dict[str, str]
    ) -> Procedure | None:
        what = "procedure"
        if not self.mapping(node, line, what, _PROCEDURE_KEYS):
            return None
        pid = self.identifier(node, "id", what)
        what = f"procedure {pid!r}" if pid else what
        title = self.string(node, "title", what)
        operator = self.string(node, "operator", what)
        check_with = self.string(node, "check_with", what)
        link = None
        if self.required(node, "link", what):
            link = self.url(node["link"], self.line_of(node, "link"), f"{what} link", official=True)
        keywords = []
        for keyword, kw_line in self.string_list(node, "keywords", what):
            key = normalize(keyword, keep="*")
            if key in keyword_owner and keyword_owner[key] != pid:
                self.error(
                    kw_line,
                    f"{what}: keyword {keyword!r} is already used by {keyword_owner[key]!r}",
                )
                continue
            keyword_owner[key] = pid or "?"
            keywords.append(keyword)
        questions: dict[str, Question] = {}
        raw_questions = node.get("questions")
        if raw_questions is not None:
            if not isinstance(raw_questions, CommentedSeq):
                self.error(self.line_of(node, "questions"), f"{what}: 'questions' must be a list")
            else:
                lines = [self.line_of(raw_questions, i) for i in range(len(raw_questions))]
                built = (
                    (self.question(item, line, f"{what} question {i + 1}"), line)
                    for i, (item, line) in enumerate(zip(raw_questions, lines, strict=True))
                )
                unique = self.unique(
                    built,
                    key=lambda q: q.id,
                    twice=lambda qid: f"{what}: question {qid!r} appears twice",
                )
                questions = {q.id: q for q in unique}
        context = {
            "id": pid,
            "title": title,
            "link": link,
            "check_with": check_with,
            "questions": questions,
        }
        cases: list[Case] = []
        raw_cases = node.get("cases")
        if not isinstance(raw_cases, CommentedSeq) or not raw_cases:
            self.error(
                self.line_of(node, "cases") or self.line_of(node),
                f"{what}: 'cases' must be a non-empty list",
            )
        else:
            built = (
                self.case(item, self.line_of(raw_cases, i), f"{what} case {i + 1}", context)
                for i, item in enumerate(raw_cases)
            )
            cases = self.unique(
                ((c, c.line if c else None) for c in built),
                key=lambda c: c.id,
                twice=lambda cid: f"{what}: case {cid!r} appears twice",
            )
        not_covered: list[NotCovered] = []
        raw_uncovered = node.get("not_covered")
        if raw_uncovered is not None:
            if not isinstance(raw_uncovered, CommentedSeq):
                self.error(
                    self.line_of(node, "not_covered"), f"{what}: 'not_covered' must be a list"
                )
            else:
                for i, item in enumerate(raw_uncovered):
                    entry = self.not_covered(
                        item, self.line_of(raw_uncovered, i), f"{what} not_covered {i + 1}"
                    )
                    if entry is not None:
                        not_covered.append(entry)
        if None in (pid, title, operator, check_with, link) or not keywords or not cases:
            return None
        procedure = Procedure(
            id=pid,
            title=title,
            operator=operator,
            check_with=check_with,
            link=link,
            keywords=tuple(keywords),
            questions=tuple(questions.values()),
            cases=tuple(cases),
            line=self.line_of(node),
            not_covered=tuple(not_covered),
        )
        if len(cases) == len(raw_cases):  # coverage only means something when all cases loaded
            self.coverage(procedure, self.line_of(node))
        for case in cases:
            self.fit(case)
        return procedure
