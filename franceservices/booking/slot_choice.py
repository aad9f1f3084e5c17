"""Which of the proposed slots a person chose, from what they typed.

The booking form lists a few slots (buttons on the web, numbered lines by SMS). People answer with
the button, its number, an ordinal ("le deuxième", "le dernier"), or the slot itself in their own
words: "mercredi à 9 h 30", "celui de lundi", "le 7 à 10h", "jeudi aprem", "10/12 à 11h".

`choose_slot` reads the answer against the proposals only (never the calendar): a weekday, a day of
the month, a month, an hour and a part of the day, each narrowing the proposals; an ordinal or a
number alone picks by position. The result says whether one slot, several or none fit, so the form
can ask "which one?" instead of guessing. No Rasa import.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from franceservices.booking.visio_slots import parse_slot_token
from franceservices.dates.clock import to_paris
from franceservices.text.french import MONTHS_FR, WEEKDAYS_FR
from franceservices.text.normalize import normalize
from franceservices.text.ordinals import CARDINALS, ORDINALS

_WEEKDAYS = {normalize(name): i for i, name in enumerate(WEEKDAYS_FR)}
_MONTHS = {normalize(name): i for i, name in enumerate(MONTHS_FR, start=1)}
# "un"/"une" are articles far more often than numbers ("un rendez-vous le matin").
_NUMBER_WORDS = {w: n for w, n in CARDINALS.items() if " " not in w and n > 1}
_LAST = frozenset({"dernier", "derniere"})
_NOON = frozenset({"midi"})
_MORNING = frozenset({"matin", "matinee"})
_AFTERNOON = ("apres midi", "aprem", "apm", "aprems")

# "9 h 30", "9h", "14 heures", "14:00", "9 h 30 min": normalize parts digits from letters.
_TIME_RE = re.compile(r"\b([01]?\d|2[0-3]) ?(?:h|heures?|:) ?([0-5]\d)?(?: ?min)?\b")
# "à 9", "a 14" (no "h"): an hour only within the day's opening hours, so "le 7 à 10" keeps 7.
_AT_HOUR_RE = re.compile(r"\ba ([7-9]|1\d)\b(?! ?(?:/|[a-z]))")
_DAY_MONTH_RE = re.compile(r"\b([0-3]?\d) ?/ ?([01]?\d)(?: ?/ ?\d{2,4})?\b")
_WORD_RE = re.compile(r"[a-z]+|\d+")


@dataclass(frozen=True)
class SlotChoice:
    """What an answer designates among the proposals.

    Attributes:
        token: the chosen slot's token when exactly one fits, else None.
        candidates: the tokens that fit when several do (the person is asked which), else ().
    """

    token: str | None = None
    candidates: tuple[str, ...] = ()

    @property
    def several(self) -> bool:
        return len(self.candidates) > 1


@dataclass
class _Wanted:
    weekday: int | None = None
    day: int | None = None
    month: int | None = None
    hour: int | None = None
    minute: int | None = None
    after_noon: bool | None = None
    position: int | None = None  # 1-based; -1 for the last one
    said_anything: bool = False


def _weekday_of(word: str) -> int | None:
    """ "lundi", and the 3-letter SMS forms that start one weekday only ("mer", "jeu", "ven")."""
    if word in _WEEKDAYS:
        return _WEEKDAYS[word]
    if len(word) >= 3:
        found = [i for name, i in _WEEKDAYS.items() if name.startswith(word)]
        if len(found) == 1 and word not in _MONTHS:
            return found[0]
    return None


def _read(text: str) -> _Wanted:
    norm = normalize(text or "", keep=":/")
    wanted = _Wanted()
    for match in list(_TIME_RE.finditer(norm))[:1]:
        wanted.hour = int(match.group(1))
        wanted.minute = int(match.group(2)) if match.group(2) else None
        norm = norm[: match.start()] + " " + norm[match.end() :]
    if wanted.hour is None and (match := _AT_HOUR_RE.search(norm)):
        wanted.hour = int(match.group(1))
        norm = norm[: match.start()] + " " + norm[match.end() :]
    if match := _DAY_MONTH_RE.search(norm):
        wanted.day, wanted.month = int(match.group(1)), int(match.group(2))
        norm = norm[: match.start()] + " " + norm[match.end() :]
    words = _WORD_RE.findall(norm.replace(":", " ").replace("/", " "))
    joined = " ".join(words)
    if any(part in joined for part in _AFTERNOON):
        wanted.after_noon = True
    elif any(word in _MORNING for word in words):
        wanted.after_noon = False
    if wanted.after_noon is None and wanted.hour is None and any(w in _NOON for w in words):
        wanted.hour, wanted.minute = 12, 0
    numbers: list[tuple[int, bool]] = []  # (value, is an ordinal word or "2eme")
    for i, word in enumerate(words):
        following = words[i + 1] if i + 1 < len(words) else ""
        if (weekday := _weekday_of(word)) is not None:
            wanted.weekday = weekday
        elif word in _MONTHS:
            wanted.month = _MONTHS[word]
        elif word in _LAST:
            wanted.position = -1
        elif word.isdigit():
            ordinal = following in ("e", "eme", "er", "ere", "ieme")
            numbers.append((int(word), ordinal))
        elif word in ORDINALS:
            numbers.append((ORDINALS[word], True))
        elif word in _NUMBER_WORDS:
            numbers.append((_NUMBER_WORDS[word], False))
    dated = wanted.weekday is not None or wanted.month is not None or wanted.hour is not None
    for value, ordinal in numbers[:1]:
        if ordinal and not dated:
            wanted.position = value
        elif dated or wanted.day is not None:
            wanted.day = wanted.day or value
        else:
            wanted.position = value  # "2", "le 3": the number of the line; "le 7" when 7 > n
    wanted.said_anything = (
        dated or wanted.day is not None or wanted.position is not None
    ) or wanted.after_noon is not None
    return wanted


def choose_slot(text: str, token: str | None, proposals: Sequence[str]) -> SlotChoice:
    """The proposed slot(s) an answer designates: a button's token, "2", "le deuxième",
    "mercredi à 9 h 30", "celui de lundi", "le 7 à 10h".

    A number alone is the line's number ("3" picks the third); when it is larger than the
    number of proposals it is read as a day of the month ("le 7"). Returns SlotChoice() when
    the answer designates none of `proposals`.
    """
    proposals = list(proposals)
    if token:
        return SlotChoice(token) if token in proposals else SlotChoice()
    wanted = _read(text)
    if not wanted.said_anything or not proposals:
        return SlotChoice()
    pos = wanted.position
    only_position = (
        wanted.weekday is None
        and wanted.day is None
        and wanted.month is None
        and wanted.hour is None
        and wanted.after_noon is None
    )
    if pos is not None and only_position:
        if pos == -1:
            return SlotChoice(proposals[-1])
        if 1 <= pos <= len(proposals):
            return SlotChoice(proposals[pos - 1])
        wanted.day, wanted.position, pos = pos, None, None  # "le 7": the 7th of the month
    fitting = [t for t in proposals if _fits(t, wanted, exact_minute=True)]
    if not fitting and wanted.hour is not None and wanted.minute is None:
        fitting = [t for t in proposals if _fits(t, wanted, exact_minute=False)]
    if pos is not None and fitting:  # "le premier lundi", "le dernier de mardi"
        if pos == -1:
            return SlotChoice(fitting[-1])
        return SlotChoice(fitting[pos - 1]) if 1 <= pos <= len(fitting) else SlotChoice()
    if len(fitting) == 1:
        return SlotChoice(fitting[0])
    return SlotChoice(None, tuple(fitting)) if fitting else SlotChoice()


def _fits(token: str, wanted: _Wanted, exact_minute: bool) -> bool:
    try:
        _, start = parse_slot_token(token)
    except ValueError:
        return False
    local = to_paris(start)
    if wanted.weekday is not None and local.weekday() != wanted.weekday:
        return False
    if wanted.day is not None and local.day != wanted.day:
        return False
    if wanted.month is not None and local.month != wanted.month:
        return False
    if wanted.after_noon is not None and (local.hour >= 12) != wanted.after_noon:
        return False
    if wanted.hour is not None:
        hour = wanted.hour
        if hour < 7 and wanted.after_noon is not False:
            hour += 12  # "à 2 h" in the afternoon: 14 h (no slot opens before 7 h)
        if local.hour != hour:
            return False
        minute = wanted.minute if wanted.minute is not None else 0
        if exact_minute and local.minute != minute:
            return False
    return True
