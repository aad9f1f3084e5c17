"""The documents-to-bring catalogue: load and validate `reference/procedures.yml`, match, render.

Staff maintain `reference/procedures.yml` by hand (its header documents the format). This module
refuses a bad file with every problem found, each with its line number, and otherwise builds a
`Catalogue` that:

- finds the procedures a citizen names in free text, tolerant to accents, case and small spelling
  mistakes (`Catalogue.match`, with a small Damerau-Levenshtein distance of our own);
- picks the right case by asking only the questions that matter (`Procedure.missing_question`,
  `Procedure.case_for`), after reading the answers already given in the text (`extract_answers`);
- renders the data-driven block of the answer for each channel (`render_documents`,
  `render_question`, `render_fees`, `render_online`, `render_where`): the web widget, SMS (plain
  GSM-7 text in at most three segments) and Facebook Messenger (plain text, 2,000 characters).

Facts carry the confidence of their source. Inferred facts are never stated as certain: the
rendering adds "(à vérifier auprès de ...)". Fees read on a secondary source get "(montant à
vérifier)".

The fixed sentences that frame an answer ("Voici les papiers à apporter") live in `domain.yml`;
this module only builds the block that depends on the data. No Rasa import.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from actions.clock import paris_today
from actions.data_errors import DataErrors, DataFileError
from actions.french import MONTHS_FR
from actions.paths import REFERENCE_DIR

DEFAULT_PROCEDURES_PATH = REFERENCE_DIR / "procedures.yml"

CHANNELS = ("web", "sms", "messenger")

RASA_CHANNELS: Mapping[str, str] = {
    "rest": "web",
    "socketio": "web",
    "twilio": "sms",
    "facebook": "messenger",
}
"""Rasa input channel names mapped to the renderings of this module (anything else: web)."""

SMS_MAX_SEPTETS = 450
"""Three concatenated GSM-7 segments hold 3 x 153 = 459 septets; keep a small margin."""

MESSENGER_MAX_CHARS = 2000
"""Facebook Messenger refuses a text message longer than 2,000 characters."""

BUTTON_LABEL_MAX = 20
"""Facebook Messenger cuts button and quick-reply titles at 20 characters."""

MESSENGER_MAX_BUTTONS = 3
"""Rasa's Messenger channel drops every button when a message has more than three."""

CONFIRMED, SECONDARY, INFERRED = "confirmed", "secondary", "inferred"
CONFIDENCES = (CONFIRMED, SECONDARY, INFERRED)

ONLINE_YES, ONLINE_PARTLY, ONLINE_NO = "yes", "partly", "no"
ONLINE_MODES = (ONLINE_YES, ONLINE_PARTLY, ONLINE_NO)

OFFICIAL_DOMAINS = (
    "service-public.gouv.fr",
    "service-public.fr",
    "gouv.fr",
    "caf.fr",
    "ameli.fr",
    "francetravail.fr",
    "info-retraite.fr",
    "lassuranceretraite.fr",
    "lenord.fr",
)
"""Sites a citizen may be sent to: commercial "carte grise" sites charge for free procedures."""

OLD_DOMAINS = ("service-public.fr",)
"""Official but moved: service-public.fr became service-public.gouv.fr on 1 October 2025. Still
accepted by the loader (the old addresses redirect), reported by `scripts/check_sources.py`."""

REVIEW_AFTER_MONTHS = 6
"""A case whose `checked_on` is older than this is listed for staff to re-check."""

OUTDATED_AFTER_MONTHS = 12
"""An answer whose facts are older than this tells the citizen so, with the link to check."""

_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")


# --------------------------------------------------------------------------------------------
# Age of the facts
# --------------------------------------------------------------------------------------------


def months_before(today: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months before `today` (31 March - 1 month = 28/29 Feb)."""
    index = today.year * 12 + (today.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    next_month = dt.date(year + (month == 12), month % 12 + 1, 1)
    last_day = (next_month - dt.timedelta(days=1)).day
    return dt.date(year, month, min(today.day, last_day))


def is_older_than(day: dt.date, today: dt.date, months: int) -> bool:
    """Whether facts checked on `day` are more than `months` calendar months old on `today`.

    The one place the age of a case is computed: the freshness report (6 months), the answer's
    "plus d'un an" warning (12 months) and, later, the console use it. `today` is always given
    by the caller, never read from the clock here.
    """
    return day < months_before(today, months)


def is_old_domain(url: str) -> bool:
    """Whether a link still points to a domain that moved (www.service-public.fr)."""
    host = urlsplit(url).hostname or ""
    return any(host == d or host.endswith("." + d) for d in OLD_DOMAINS)


# --------------------------------------------------------------------------------------------
# Text helpers: normalisation, edit distance, GSM-7
# --------------------------------------------------------------------------------------------


def normalize(text: str) -> str:
    """Lowercase, strip accents and punctuation: "J'ai perdu ma CNI !" -> "j ai perdu ma cni"."""
    text = text.lower().replace("œ", "oe").replace("æ", "ae")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"(?<=\d)(?=[a-z])|(?<=[a-z])(?=\d)", " ", text)
    return " ".join(re.sub(r"[^a-z0-9*]+", " ", text).split())


def _tokens(text: str) -> list[str]:
    return normalize(text).replace("*", " ").split()


def damerau_levenshtein(a: str, b: str, max_distance: int | None = None) -> int:
    """Edit distance with adjacent transpositions (optimal string alignment).

    With `max_distance`, stops early and returns `max_distance + 1` as soon as the distance is
    known to exceed it (the matcher only cares about "close enough").
    """
    if a == b:
        return 0
    if max_distance is not None and abs(len(a) - len(b)) > max_distance:
        return max_distance + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if max_distance is not None and min(current) > max_distance:
            return max_distance + 1
        previous2, previous = previous, current
    return previous[-1]


def _allowed_typos(length: int) -> int:
    """Typos tolerated for a word of `length` letters: short words must be exact ("rsa", "cni")."""
    if length <= 3:
        return 0
    if length <= 7:
        return 1
    if length <= 13:
        return 2
    return 3


_GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = set("^{}\\[~]|€\f")
_GSM7_REPLACEMENTS = {
    "œ": "oe",
    "Œ": "OE",
    "æ": "ae",
    "’": "'",
    "‘": "'",
    "“": '"',
    "”": '"',
    "«": '"',
    "»": '"',
    "–": "-",
    "—": "-",
    "…": "...",
    "•": "-",
    "\u00a0": " ",
    "\u202f": " ",
    "°": "o",
    "×": "x",
    "ç": "c",
}


def is_gsm7(text: str) -> bool:
    """Tell whether `text` fits the GSM-7 alphabet (else the SMS falls back to 70-char UCS-2)."""
    return all(c in _GSM7_BASIC or c in _GSM7_EXTENDED for c in text)


def gsm7_length(text: str) -> int:
    """Septets `text` takes in an SMS: characters of the extension table (€, [, ]...) count two."""
    return sum(2 if c in _GSM7_EXTENDED else 1 for c in text)


def to_gsm7(text: str) -> str:
    """Transliterate to GSM-7: "œ"->"oe", "ê"->"e", "«"->'"', "•"->"-"; é, è, à, ù are kept."""
    text = re.sub(r"«[\s\u00a0\u202f]*", '"', text)
    text = re.sub(r"[\s\u00a0\u202f]*»", '"', text)
    out = []
    for char in text:
        if char in _GSM7_BASIC or char in _GSM7_EXTENDED:
            out.append(char)
        elif char in _GSM7_REPLACEMENTS:
            out.append(_GSM7_REPLACEMENTS[char])
        else:
            stripped = "".join(
                c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
            )
            out.append(stripped if stripped and is_gsm7(stripped) else "?")
    return "".join(out)


# --------------------------------------------------------------------------------------------
# Data model
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Matching free text
# --------------------------------------------------------------------------------------------

_STOPWORDS = frozenset(
    "a au aux d de des du en et l la le les ma mes mon pour sa ses son un une".split()
)


@dataclass(frozen=True)
class _Keyword:
    tokens: tuple[str, ...]
    joined: str
    significant: tuple[str, ...]


def _compile_keyword(keyword: str) -> _Keyword:
    tokens = tuple(_tokens(keyword))
    significant = tuple(t for t in tokens if t not in _STOPWORDS and len(t) >= 3)
    return _Keyword(tokens, "".join(tokens), significant)


@dataclass
class _Hit:
    score: float
    span: tuple[int, int]


def _keyword_hits(keyword: _Keyword, tokens: list[str]) -> tuple[list[_Hit], float]:
    """Contiguous fuzzy hits of a keyword, and the score of a scattered (weak) hit, 0 if none.

    Windows of one token fewer or more than the keyword absorb a missing or split word
    ("carte identite", "cart d identite", "cartegrise").
    """
    hits: list[_Hit] = []
    allowed = _allowed_typos(len(keyword.joined))
    size = len(keyword.tokens)
    for width in {max(1, size - 1), size, size + 1}:
        for start in range(0, len(tokens) - width + 1):
            window = "".join(tokens[start : start + width])
            if abs(len(window) - len(keyword.joined)) > allowed:
                continue
            if allowed == 0:
                distance = 0 if window == keyword.joined else 1
            else:
                distance = damerau_levenshtein(window, keyword.joined, allowed)
            if distance <= allowed:
                score = len(keyword.joined) + 2 - 2 * distance
                hits.append(_Hit(score, (start, start + width)))
    scattered = 0.0
    if len(keyword.significant) >= 2:
        total = 0.0
        for word in keyword.significant:
            word_allowed = _allowed_typos(len(word))
            best = min(
                (damerau_levenshtein(t, word, word_allowed) for t in tokens),
                default=word_allowed + 1,
            )
            if best > word_allowed:
                break
            total += len(word) - 2 * best
        else:
            scattered = total * 0.6
    return hits, scattered


# --------------------------------------------------------------------------------------------
# Catalogue
# --------------------------------------------------------------------------------------------


@dataclass
class Catalogue:
    """Every procedure of `reference/procedures.yml`, validated."""

    procedures: tuple[Procedure, ...]
    path: Path | None = None
    _keywords: dict[str, tuple[_Keyword, ...]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for procedure in self.procedures:
            words = {*procedure.keywords, procedure.title}
            self._keywords[procedure.id] = tuple(_compile_keyword(w) for w in sorted(words))

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

        A procedure whose keywords appear as a contiguous phrase (small typos allowed) is a strong
        match; all strong matches are returned, so "passeport et carte d'identité" gives both.
        A match inside a longer match of another procedure is dropped ("référent RSA" is the
        Département's follow-up, not the CAF's RSA application). Only when nothing matches
        strongly are the procedures whose keyword words are all present, scattered, returned.
        """
        tokens = _tokens(text)[:60]
        if not tokens:
            return []
        strong: dict[str, list[_Hit]] = {}
        weak: dict[str, float] = {}
        for procedure in self.procedures:
            for keyword in self._keywords[procedure.id]:
                hits, scattered = _keyword_hits(keyword, tokens)
                if hits:
                    strong.setdefault(procedure.id, []).extend(hits)
                if scattered:
                    weak[procedure.id] = max(weak.get(procedure.id, 0.0), scattered)
        order = {p.id: i for i, p in enumerate(self.procedures)}
        if strong:
            kept = {}
            for pid, hits in strong.items():
                others = [h for oid, hs in strong.items() if oid != pid for h in hs]
                if all(any(_inside(h.span, o.span) for o in others) for h in hits):
                    continue
                kept[pid] = max(h.score for h in hits)
            ranked = sorted(kept, key=lambda pid: (-kept[pid], order[pid]))
        else:
            ranked = sorted(weak, key=lambda pid: (-weak[pid], order[pid]))
        return [self.get(pid) for pid in ranked]


def _inside(inner: tuple[int, int], outer: tuple[int, int]) -> bool:
    """Strictly inside: `outer` covers `inner` and is longer."""
    return (
        outer[0] <= inner[0]
        and inner[1] <= outer[1]
        and (outer[1] - outer[0]) > (inner[1] - inner[0])
    )


# --------------------------------------------------------------------------------------------
# Answers already in the text
# --------------------------------------------------------------------------------------------

_AGE_BLOCKERS = frozenset(
    "depuis pendant dans y ya plus moins tous toutes apres avant valable valide perime "
    "perimee expire expiree".split()
)


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
    tokens = _tokens(text)
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


_NUMBER_WORDS = {"un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6}


def parse_numbered_choice(reply: str, question: Question) -> str | None:
    """The choice value meant by a reply to a numbered list ("2", "le 2", "deux", "Perte").

    Returns None when the reply names no choice, or a number out of range.
    """
    norm = normalize(reply)
    numbers = re.findall(r"\d+", norm)
    if len(set(numbers)) == 1:
        index = int(numbers[0])
        return question.choices[index - 1].value if 1 <= index <= len(question.choices) else None
    for choice in question.choices:
        label = normalize(choice.label)
        if norm == label or damerau_levenshtein(norm, label, 2) <= min(
            2, _allowed_typos(len(label))
        ):
            return choice.value
    words = norm.split()
    if len(words) <= 2 and words and words[-1] in _NUMBER_WORDS:
        index = _NUMBER_WORDS[words[-1]]
        return question.choices[index - 1].value if index <= len(question.choices) else None
    return _answer_from_words(question, words)


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------

_ABBREVIATIONS = (
    (r"justificatif de domicile", "justif. de domicile"),
    (r"de moins de ", "< "),
    (r"photo d'identité", "photo"),
    (r"carte d'identité", "CNI"),
    (r"pièce d'identité", "pièce d'identité"),
    (r"certificat", "certif."),
    (r"déclaration", "décl."),
    (r"seulement si", "si"),
    (r"rendez-vous", "RDV"),
    (r"formulaire", "form."),
    (r"attestation", "attest."),
    (r" \(en photo ou scannée?\)", ""),
)


def _abbreviate(text: str) -> str:
    for pattern, short in _ABBREVIATIONS:

        def keep_case(match: re.Match[str], short: str = short) -> str:
            return short[:1].upper() + short[1:] if match.group(0)[:1].isupper() else short

        text = re.sub(pattern, keep_case, text, flags=re.IGNORECASE)
    return text


def _check_channel(channel: str) -> None:
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}: expected one of {CHANNELS}")


def channel_for(input_channel: str | None) -> str:
    """The rendering channel for a Rasa input channel name ("twilio" -> "sms")."""
    return RASA_CHANNELS.get((input_channel or "").lower(), "web")


def _lower_first(text: str) -> str:
    """ "Gratuit" -> "gratuit" after "Prix :", but "RIB" stays "RIB"."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def _format_checked_on(day: dt.date) -> str:
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {MONTHS_FR[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class _Style:
    """How far a rendering goes to fit: each level gives up something."""

    notes: bool = True
    online: bool = True
    sms_wording: bool = False
    abbreviate: bool = False
    where: bool = True


_SMS_STYLES = (
    _Style(),
    _Style(notes=False),
    _Style(notes=False, online=False),
    _Style(notes=False, online=False, sms_wording=True),
    _Style(notes=False, online=False, sms_wording=True, abbreviate=True),
    _Style(notes=False, online=False, sms_wording=True, abbreviate=True, where=False),
)
_MESSENGER_STYLES = (_Style(), _Style(notes=False), _Style(notes=False, online=False))


def _append(text: str, mark: str) -> str:
    """Put a mark before the final full stop: "sur le site de l'ANTS (à vérifier)."."""
    if text.endswith("."):
        return f"{text[:-1]} {mark}."
    return f"{text} {mark}"


class _Marker:
    """Adds "à vérifier" to inferred facts, never stating them as certain.

    One inferred fact: "(à vérifier auprès de <who>)" inline. Several: a short "(à vérifier)" on
    each and one closing line saying whom to ask. A document list that is inferred as a whole
    gets one line under it instead of a mark on every document.
    """

    def __init__(
        self, facts: Iterable[Fact], check_with: str, documents: Iterable[Fact] = ()
    ) -> None:
        documents = tuple(documents)
        self.group_documents = len(documents) > 1 and all(d.to_check for d in documents)
        grouped = set(map(id, documents)) if self.group_documents else set()
        self.count = sum(1 for f in facts if f.to_check and id(f) not in grouped)
        self.grouped = grouped
        self.check_with = check_with

    def mark(self, fact: Fact, text: str, is_fee: bool = False) -> str:
        if fact.to_check and id(fact) not in self.grouped:
            if self.count == 1 and not self.group_documents:
                return _append(text, f"(à vérifier auprès de {self.check_with})")
            return _append(text, "(à vérifier)")
        if is_fee and fact.confidence == SECONDARY and re.search(r"\d", text):
            return _append(text, "(montant à vérifier)")
        return text

    def documents_line(self) -> str | None:
        if self.group_documents:
            return f"Liste à vérifier auprès de {self.check_with}."
        return None

    def footer(self) -> str | None:
        if self.count > 1 and not self.group_documents:
            return f"Points à vérifier auprès de {self.check_with}."
        return None


def _wording(fact: Fact, style: _Style) -> str:
    text = fact.sms if (style.sms_wording and fact.sms) else fact.text
    return _abbreviate(text) if style.abbreviate else text


def _online_line(case: Case, marker: _Marker, style: _Style) -> str:
    online = case.online
    head = {ONLINE_YES: "oui", ONLINE_PARTLY: "en partie", ONLINE_NO: "non"}[online.possible]
    text = marker.mark(online.fact, _wording(online.fact, style))
    line = f"Sur internet : {head}. {text}"
    if online.url and online.possible != ONLINE_NO:
        line += f" {online.url}"
    return line


def _fees_line(case: Case, marker: _Marker, style: _Style) -> str | None:
    if not case.fees:
        return None
    parts = [marker.mark(f, _lower_first(_wording(f, style)), is_fee=True) for f in case.fees]
    return "Prix : " + " ; ".join(parts)


def _where_line(case: Case, marker: _Marker, style: _Style) -> str:
    return "Où : " + marker.mark(case.where, _lower_first(_wording(case.where, style)))


def _link_line(case: Case, channel: str, style: _Style, outdated: bool) -> str:
    """The footer: the official link, with the date the facts were read (web, Messenger).

    Facts older than `OUTDATED_AFTER_MONTHS` are announced as such on every channel, SMS too,
    so that nobody travels on a list that may have changed.
    """
    if outdated:
        if channel == "sms":
            return f"Infos de plus d'1 an, à vérifier : {case.link}"
        return (
            f"Ces informations ont plus d'un an (relevées le "
            f"{_format_checked_on(case.checked_on)}) : vérifiez-les sur {case.link}"
        )
    link = f"{'Infos' if style.abbreviate else 'Plus d’infos'} : {case.link}".replace("’", "'")
    if channel != "sms":
        link += f" (informations relevées le {_format_checked_on(case.checked_on)})"
    return link


def _compose(case: Case, channel: str, style: _Style, outdated: bool = False) -> str:
    shown: list[Fact] = [*case.documents, *case.fees]
    if style.where:
        shown.append(case.where)
    if style.online:
        shown.append(case.online.fact)
    if style.notes:
        shown.extend(case.notes)
    marker = _Marker(shown, case.check_with, case.documents)
    bullet = "-" if channel == "sms" else "•"
    title = case.full_title
    if channel == "sms":
        lines = [f"{title} :" if style.abbreviate else f"{title}, papiers à prévoir :"]
    else:
        lines = [title, "Papiers à prévoir :"]
    lines += [f"{bullet} {marker.mark(d, _wording(d, style))}" for d in case.documents]
    documents_line = marker.documents_line()
    if documents_line:
        lines.append(documents_line)
    if style.where:
        lines.append(_where_line(case, marker, style))
    fees = _fees_line(case, marker, style)
    if fees:
        lines.append(fees)
    if style.online:
        lines.append(_online_line(case, marker, style))
    if style.notes and case.notes:
        lines.append("À savoir :")
        lines += [f"{bullet} {marker.mark(n, _wording(n, style))}" for n in case.notes]
    footer = marker.footer()
    if footer:
        lines.append(footer)
    lines.append(_link_line(case, channel, style, outdated))
    text = "\n".join(lines)
    return to_gsm7(text) if channel == "sms" else text


def _fits(text: str, channel: str) -> bool:
    if channel == "sms":
        return is_gsm7(text) and gsm7_length(text) <= SMS_MAX_SEPTETS
    if channel == "messenger":
        return len(text) <= MESSENGER_MAX_CHARS
    return True


def is_outdated(case: Case, today: dt.date) -> bool:
    """Whether the case's facts are older than `OUTDATED_AFTER_MONTHS` on `today`."""
    return is_older_than(case.checked_on, today, OUTDATED_AFTER_MONTHS)


def render_documents(case: Case, channel: str, today: dt.date | None = None) -> str:
    """The documents block of a case for a channel.

    With `today` (the caller's date, never read here), a case whose facts are more than
    12 months old ends with "Ces informations ont plus d'un an ... vérifiez-les sur <link>"
    instead of the usual "Plus d'infos : <link> (informations relevées le ...)".

    web: title, "•" list of documents, where, fees, online, notes, source link and its date.
    messenger: the same plain text, notes then the online line dropped past 2,000 characters.
    sms: GSM-7 text within three segments; to fit, drops the notes, then the online line, then
    uses staff's `sms:` wordings, then abbreviates, then drops "where" (a follow-up question gives
    it). A document is never cut; the link is always kept. The loader refuses a case that does
    not fit even then, so the last attempt is returned as is.
    """
    _check_channel(channel)
    outdated = today is not None and is_outdated(case, today)
    if channel == "web":
        return _compose(case, channel, _Style(), outdated)
    return _fitted(case, channel, outdated)


def _fitted(case: Case, channel: str, outdated: bool) -> str:
    styles = _SMS_STYLES if channel == "sms" else _MESSENGER_STYLES
    text = ""
    for style in styles:
        text = _compose(case, channel, style, outdated)
        if _fits(text, channel):
            return text
    return text


def _finish(text: str, channel: str) -> str:
    return to_gsm7(text) if channel == "sms" else text


def render_fees(case: Case, channel: str) -> str:
    """The price of a case ("Prix : timbre fiscal de 25 €"), or that no price is given."""
    _check_channel(channel)
    marker = _Marker(case.fees, case.check_with)
    line = _fees_line(case, marker, _Style())
    if line is None:
        line = "Prix : nos fiches n'indiquent pas de frais pour cette démarche."
    footer = marker.footer()
    return _finish(f"{line}\n{footer}" if footer else line, channel)


def render_online(case: Case, channel: str) -> str:
    """Whether the case can be done on the internet, with the address."""
    _check_channel(channel)
    marker = _Marker([case.online.fact], case.check_with)
    return _finish(_online_line(case, marker, _Style()), channel)


def render_where(case: Case, channel: str) -> str:
    """Where the case is done."""
    _check_channel(channel)
    marker = _Marker([case.where], case.check_with)
    return _finish(_where_line(case, marker, _Style()), channel)


def _numbered(question: Question) -> str:
    lines = [question.text]
    lines += [f"{i}. {c.label}" for i, c in enumerate(question.choices, start=1)]
    numbers = [str(i) for i in range(1, len(question.choices) + 1)]
    lines.append(f"Répondez {', '.join(numbers[:-1])} ou {numbers[-1]}.")
    return "\n".join(lines)


def render_question(
    question: Question, channel: str, intent: str = "inform"
) -> tuple[str, list[dict[str, str]]]:
    """The question's text and buttons for a channel.

    Buttons carry the payload `/<intent>{"<question id>":"<value>"}` (Rasa sets the slot from the
    entity). SMS has no buttons: the choices are numbered in the text ("Répondez 1, 2 ou 3") and
    the reply is read with `parse_numbered_choice`. Messenger gets buttons only up to three
    choices (Rasa drops them all beyond), else the numbered text too.
    """
    _check_channel(channel)
    if channel == "sms":
        return to_gsm7(_numbered(question)), []
    if channel == "messenger" and len(question.choices) > MESSENGER_MAX_BUTTONS:
        return _numbered(question), []
    buttons = [
        {"title": c.label, "payload": f'/{intent}{{"{question.id}":"{c.value}"}}'}
        for c in question.choices
    ]
    return question.text, buttons


# --------------------------------------------------------------------------------------------
# Loading and validation
# --------------------------------------------------------------------------------------------

_TOP_KEYS = {"procedures"}
_PROCEDURE_KEYS = {
    "id", "title", "operator", "check_with", "link", "keywords", "questions", "cases",
}  # fmt: skip
_QUESTION_KEYS = {"id", "text", "choices"}
_CHOICE_KEYS = {"value", "label", "words", "ages"}
_CASE_KEYS = {
    "id", "title", "when", "confidence", "where", "documents", "fees", "online", "notes",
    "sources", "checked_on", "link", "check_with",
}  # fmt: skip
_FACT_KEYS = {"text", "confidence", "sms"}
_ONLINE_KEYS = {"possible", "text", "url", "confidence"}


class _Validator:
    """Collects every problem of the file, each with its 1-based line."""

    def __init__(self, path: Path, today: dt.date) -> None:
        self.path = path
        self.today = today
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

    def url(self, value: Any, line: int | None, what: str, official: bool = False) -> str | None:
        if not isinstance(value, str):
            self.error(line, f"{what}: URL must be a text")
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in value.strip():
            self.error(line, f"{what}: {value!r} is not an http(s) URL")
            return None
        if official:
            host = parts.hostname or ""
            if not any(host == d or host.endswith("." + d) for d in OFFICIAL_DOMAINS):
                self.error(
                    line,
                    f"{what}: {value!r} is not an official site "
                    f"({', '.join(OFFICIAL_DOMAINS)}): citizens are only sent to those",
                )
                return None
        return value.strip()

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
            patterns.append(tuple((t, False) for t in _tokens(label)))
        if "words" in node:
            for word, _ in self.string_list(node, "words", what):
                pattern = tuple(
                    (t.rstrip("*"), t.endswith("*"))
                    for t in normalize(word).split()
                    if t.rstrip("*")
                )
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
            seen: set[str] = set()
            for i, item in enumerate(raw):
                choice = self.choice(item, self.line_of(raw, i), f"{what} choice {i + 1}")
                if choice is None:
                    continue
                if choice.value in seen:
                    self.error(
                        self.line_of(raw, i), f"{what}: choice {choice.value!r} appears twice"
                    )
                    continue
                seen.add(choice.value)
                choices.append(choice)
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
            sms = _fitted(case, "sms", outdated)
            if not _fits(sms, "sms"):
                self.error(
                    case.line,
                    f"case {case.procedure_id}.{case.id}: {gsm7_length(sms)} characters in SMS "
                    f"even shortened (max {SMS_MAX_SEPTETS}): write shorter 'sms:' wordings",
                )
                break
            if not _fits(_fitted(case, "messenger", outdated), "messenger"):
                self.error(case.line, f"case {case.procedure_id}.{case.id}: too long for Messenger")
                break

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
            key = normalize(keyword)
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
                for i, item in enumerate(raw_questions):
                    question = self.question(
                        item, self.line_of(raw_questions, i), f"{what} question {i + 1}"
                    )
                    if question is None:
                        continue
                    if question.id in questions:
                        self.error(
                            self.line_of(raw_questions, i),
                            f"{what}: question {question.id!r} appears twice",
                        )
                        continue
                    questions[question.id] = question
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
            seen: set[str] = set()
            for i, item in enumerate(raw_cases):
                case = self.case(item, self.line_of(raw_cases, i), f"{what} case {i + 1}", context)
                if case is None:
                    continue
                if case.id in seen:
                    self.error(case.line, f"{what}: case {case.id!r} appears twice")
                    continue
                seen.add(case.id)
                cases.append(case)
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
        )
        if len(cases) == len(raw_cases):  # coverage only means something when all cases loaded
            self.coverage(procedure, self.line_of(node))
        for case in cases:
            self.fit(case)
        return procedure


def _read_yaml(path: Path) -> Any:
    yaml = YAML(typ="rt")
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle)
    except FileNotFoundError as exc:
        raise DataFileError(path, None, "file not found") from exc
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise DataFileError(path, line, f"not valid YAML: {reason}") from exc
    except YAMLError as exc:
        raise DataFileError(path, None, f"not valid YAML: {exc}") from exc


def parse_catalogue(path: Path | str, today: dt.date | None = None) -> Catalogue:
    """Load and validate a procedures file (no cache). See `load_catalogue`."""
    path = Path(path)
    today = today or paris_today()
    data = _read_yaml(path)
    validator = _Validator(path, today)
    if not validator.mapping(data, 1, "the file", _TOP_KEYS):
        raise DataErrors(validator.errors)
    raw = data.get("procedures")
    procedures: list[Procedure] = []
    if not isinstance(raw, CommentedSeq) or not raw:
        validator.error(
            validator.line_of(data, "procedures") or 1, "'procedures' must be a non-empty list"
        )
    else:
        seen: set[str] = set()
        keyword_owner: dict[str, str] = {}
        for i, item in enumerate(raw):
            procedure = validator.procedure(item, validator.line_of(raw, i), keyword_owner)
            if procedure is None:
                continue
            if procedure.id in seen:
                validator.error(procedure.line, f"procedure {procedure.id!r} appears twice")
                continue
            seen.add(procedure.id)
            procedures.append(procedure)
    if validator.errors:
        raise DataErrors(validator.errors)
    return Catalogue(tuple(procedures), path)


@lru_cache(maxsize=8)
def load_catalogue(path: Path | str | None = None, today: dt.date | None = None) -> Catalogue:
    """The validated catalogue, loaded once per path (default `reference/procedures.yml`).

    Raises:
        DataFileError: the file is missing or is not YAML (with the line when known).
        DataErrors: the file breaks the format; every problem found, each with its line.
    """
    return parse_catalogue(path or DEFAULT_PROCEDURES_PATH, today)


# --------------------------------------------------------------------------------------------
# Freshness report (scripts/check_sources.py; later the console)
# --------------------------------------------------------------------------------------------


def stale_cases(
    catalogue: Catalogue, today: dt.date, months: int = REVIEW_AFTER_MONTHS
) -> list[Case]:
    """The cases whose facts were checked more than `months` months before `today`, oldest first."""
    cases = [c for c in catalogue.cases() if is_older_than(c.checked_on, today, months)]
    return sorted(cases, key=lambda c: (c.checked_on, c.procedure_id, c.id))


def citizen_links(catalogue: Catalogue) -> list[tuple[str, str]]:
    """Every address a citizen is sent to, as (where in the file, URL), without repeats."""
    seen: set[tuple[str, str]] = set()
    links: list[tuple[str, str]] = []

    def add(where: str, url: str | None) -> None:
        if url and (where, url) not in seen:
            seen.add((where, url))
            links.append((where, url))

    for procedure in catalogue:
        add(f"{procedure.id} link", procedure.link)
        for case in procedure.cases:
            if case.link != procedure.link:
                add(f"{procedure.id}.{case.id} link", case.link)
            add(f"{procedure.id}.{case.id} online.url", case.online.url)
    return links


def link_problems(catalogue: Catalogue) -> list[tuple[str, str, str]]:
    """Citizen links not on an official domain, or still on a moved one: (where, URL, problem)."""
    problems = []
    for where, url in citizen_links(catalogue):
        host = urlsplit(url).hostname or ""
        if not any(host == d or host.endswith("." + d) for d in OFFICIAL_DOMAINS):
            problems.append((where, url, "not an official site"))
        elif is_old_domain(url):
            problems.append((where, url, "old domain: use https://www.service-public.gouv.fr/"))
    return problems
