"""Understand the French date expressions citizens type: "demain", "lundi pro", "le 15/01"...

`parse_date_fr(text, today)` finds the first date expression in a message and returns a
`DateQuery`: a single day or a range (start..end, both included) with a canonical French label,
or None when the text holds no date. A date that does not exist ("31/02", "le 45") gives a
`DateQuery` with `invalid=True` and a `reason` code, so the bot can say politely that the date
does not exist instead of ignoring it.

Conventions (the bot asks about the buses' future visits, so ambiguity leans forward):
- "lundi" / "ce lundi": the coming Monday, today included; "lundi prochain" / "lundi pro": the
  first Monday strictly after today; "lundi en huit": one week after that; "lundi dernier": the
  last Monday strictly before today;
- "cette semaine": today to Sunday; "la semaine prochaine": Monday to Sunday of next week;
  "ce week-end": the coming Saturday and Sunday;
- "ce mois-ci": today to the end of the month; "le mois prochain" / "le mois d'après": the whole
  next month; "en janvier": the next January, or the rest of this one when we are in it;
- "le 15": the next 15th, today included (a month without that day is skipped: "le 31" said in
  November is 31 December); "15/01", "15 janvier": the next 15 January, today included; a year
  given ("15/01/2027", "3 décembre 2026", "15/01/27") is taken as is;
- "dans 3 jours" adds days; "dans huit jours" / "dans quinze jours" are the French idioms for
  one and two weeks (7 and 14 days).
Numbers may be written in words ("premier", "quinze", "vingt et un"), "1er" is the first, and
accents, capitals and SMS spellings ("dmain", "apres demain", "auj", "lundi pro") are accepted.
Plain module: no Rasa import.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from franceservices.calendar.model import add_months
from franceservices.text.french import MONTHS_FR, WEEKDAYS_FR
from franceservices.text.normalize import fold, normalize
from franceservices.text.ordinals import CARDINALS, ORDINALS

# Reason codes of an invalid date, for the bot to choose its words.
DAY_OUT_OF_RANGE = "day_out_of_range"  # "le 45", "32 janvier": no month has that day
MONTH_OUT_OF_RANGE = "month_out_of_range"  # "15/13"
NO_SUCH_DAY_IN_MONTH = "no_such_day_in_month"  # "31/02", "31 avril", "29/02/2027"
WEEKDAY_MISMATCH = "weekday_mismatch"  # "lundi 8 décembre 2026" (a Tuesday)


@dataclass(frozen=True)
class DateQuery:
    """A date or a range of dates understood in a message.

    Attributes:
        start: first day (None only for an invalid date that has no day at all).
        end: last day, included (equal to `start` for a single day).
        label: canonical French words for what was understood ("demain", "lundi prochain",
            "15 janvier", "la semaine prochaine"); for an invalid date, the date as typed
            normalised ("31 février").
        part_of_day: "matin", "après-midi" or "soir" when the text says so, else None.
        invalid: the text names a date that does not exist.
        reason: why it is invalid (one of the module's reason codes), else None.
        matched: the normalised piece of text that was understood.
    """

    start: dt.date | None
    end: dt.date | None
    label: str
    part_of_day: str | None = None
    invalid: bool = False
    reason: str | None = None
    matched: str = ""

    @property
    def is_range(self) -> bool:
        return self.start is not None and self.end is not None and self.end != self.start

    def days(self) -> list[dt.date]:
        """Every day of the range (empty for an invalid date)."""
        if self.invalid or self.start is None or self.end is None:
            return []
        return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def contains(self, day: dt.date) -> bool:
        return not self.invalid and self.start is not None and self.start <= day <= self.end


# --------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------

_WEEKDAYS = {name: i for i, name in enumerate(WEEKDAYS_FR)}

_MONTH_WORDS: dict[str, int] = {}
for _i, _name in enumerate(
    (
        "janvier janv jan",
        "fevrier fevr fev",
        "mars",
        "avril avr",
        "mai",
        "juin",
        "juillet juil",
        "aout",
        "septembre sept",
        "octobre oct",
        "novembre nov",
        "decembre dec",
    ),
    start=1,
):
    for _word in _name.split():
        _MONTH_WORDS[_word] = _i

_FULL_MONTHS = frozenset(
    "janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre".split()
)
_NUMBER_WORDS = {**CARDINALS, "premier": ORDINALS["premier"]}

# Longest first so "vingt et un" wins over "vingt".
_NUMWORD = "|".join(sorted((re.escape(w) for w in _NUMBER_WORDS), key=len, reverse=True))
_DAYNUM = rf"(?:(\d{{1,2}})(?:er|ere|e|eme)?|({_NUMWORD}))"
_MONTH = "|".join(sorted(_MONTH_WORDS, key=len, reverse=True))
_WEEKDAY = "|".join(WEEKDAYS_FR)
_NEXT = r"(?:prochaine?|pro|proch|prochin|qui vient|suivante?|d apres)"

_TODAY = r"(?:aujourd hui|aujourdhui|auj|ajd|ajourd hui|aujour d hui|ojd|aujd)"
_TOMORROW = r"(?:demain|dmain|dem1|2main|demin)"
_AFTER = r"(?:apres|aprs|apre|apr)"

_PART_MORNING = re.compile(r"\b(?:matin|matinee)\b")
_PART_AFTERNOON = re.compile(r"\b(?:apres midi|apresmidi|aprem|apm|aprèm)\b")
_PART_EVENING = re.compile(r"\b(?:soir|soiree)\b")


def _normalize(text: str) -> str:
    """Lowercase, no accents, apostrophes and hyphens as spaces, separators kept in dates."""
    text = fold(text)
    # 15.01.2027, 15-01-2027 and 2026-12-08 -> slashes; "9.30" (a time) is left alone.
    text = re.sub(
        r"\b(\d{1,2})[.\-](\d{1,2})[.\-](\d{2}|\d{4})\b|\b(\d{4})-(\d{1,2})-(\d{1,2})\b",
        lambda m: "/".join(g for g in m.groups() if g),
        text,
    )
    return normalize(text, keep="/", split_numbers=False)


def _number(digits: str | None, words: str | None) -> int:
    if digits is not None:
        return int(digits)
    return _NUMBER_WORDS[words or ""]


def _day_label(day: int, month: int, year: int | None = None) -> str:
    text = f"{'1er' if day == 1 else day} {MONTHS_FR[month - 1]}"
    return f"{text} {year}" if year is not None else text


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _invalid(label: str, reason: str, matched: str, start: dt.date | None = None) -> DateQuery:
    return DateQuery(start, start, label, invalid=True, reason=reason, matched=matched)


def _next_day_month(today: dt.date, day: int, month: int) -> dt.date | None:
    """The next `day`/`month` on or after today (None if it never exists, e.g. 30/02)."""
    for year in range(today.year, today.year + 9):
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def _two_digit_year(year: int) -> int:
    return 2000 + year if year < 100 else year


# --------------------------------------------------------------------------------------------
# Recognisers, tried in order; each returns a DateQuery or None.
# --------------------------------------------------------------------------------------------


def _full_numeric(text: str, today: dt.date) -> DateQuery | None:
    """ISO "2026-12-08" (normalised to 2026/12/08), "15/01/2027", "15/01/27", "15/01"."""
    match = re.search(r"\b(\d{4})/(\d{1,2})/(\d{1,2})\b", text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        return _absolute(day, month, year, match.group(0), today)
    match = re.search(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?\b", text)
    if match:
        day, month = int(match.group(1)), int(match.group(2))
        year = _two_digit_year(int(match.group(3))) if match.group(3) else None
        return _absolute(day, month, year, match.group(0), today)
    return None


def _absolute(
    day: int, month: int, year: int | None, matched: str, today: dt.date, weekday: int | None = None
) -> DateQuery:
    if not 1 <= month <= 12:
        return _invalid(f"{day}/{month}", MONTH_OUT_OF_RANGE, matched)
    label = _day_label(day, month, year)
    if not 1 <= day <= 31:
        return _invalid(label, DAY_OUT_OF_RANGE, matched)
    if year is not None:
        try:
            found = dt.date(year, month, day)
        except ValueError:
            return _invalid(label, NO_SUCH_DAY_IN_MONTH, matched)
    else:
        if day > calendar.monthrange(2024, month)[1]:  # 2024: leap year, longest February
            return _invalid(label, NO_SUCH_DAY_IN_MONTH, matched)
        found = _next_day_month(today, day, month)
        if found is None:  # pragma: no cover - every valid day/month recurs within 8 years
            return _invalid(label, NO_SUCH_DAY_IN_MONTH, matched)
    if weekday is not None and found.weekday() != weekday:
        return _invalid(f"{WEEKDAYS_FR[weekday]} {label}", WEEKDAY_MISMATCH, matched, start=found)
    full_label = f"{WEEKDAYS_FR[weekday]} {label}" if weekday is not None else label
    return DateQuery(found, found, full_label, matched=matched)


def _day_month_words(text: str, today: dt.date) -> DateQuery | None:
    """ "15 janvier", "le 1er mars 2027", "mardi 8 decembre", "premier janvier"."""
    pattern = rf"\b(?:({_WEEKDAY}) )?(?:le )?{_DAYNUM} ({_MONTH})\b(?: (\d{{4}}))?"
    match = re.search(pattern, text)
    if not match:
        return None
    if match.group(3) and match.group(4) == "sept":
        return None  # "le dix sept": the number seventeen, not "dix" + September
    weekday = _WEEKDAYS[match.group(1)] if match.group(1) else None
    day = _number(match.group(2), match.group(3))
    month = _MONTH_WORDS[match.group(4)]
    year = int(match.group(5)) if match.group(5) else None
    return _absolute(day, month, year, match.group(0), today, weekday)


def _relative_day(text: str, today: dt.date) -> DateQuery | None:
    table = (
        (rf"\b{_AFTER} {_TOMORROW}\b|\bapres2main\b", 2, "après-demain"),
        (r"\bavant hier\b", -2, "avant-hier"),
        (rf"\b{_TOMORROW}\b", 1, "demain"),
        (r"\bhier\b", -1, "hier"),
        (rf"\b{_TODAY}\b", 0, "aujourd'hui"),
        (r"\bce matin\b", 0, "ce matin"),
        (r"\b(?:cet|cette) (?:apres midi|aprem|apm)\b", 0, "cet après-midi"),
        (r"\bce soir\b", 0, "ce soir"),
    )
    for pattern, offset, label in table:
        match = re.search(pattern, text)
        if match:
            day = today + dt.timedelta(days=offset)
            return DateQuery(day, day, label, matched=match.group(0))
    match = re.search(rf"\bdans (\d{{1,3}}|{_NUMWORD}) (jours?|semaines?|mois)\b", text)
    if match:
        count = int(match.group(1)) if match.group(1).isdigit() else _NUMBER_WORDS[match.group(1)]
        unit = match.group(2)
        if unit.startswith("jour"):
            days = {8: 7, 15: 14}.get(count, count)  # "huit jours" = a week, "quinze" = two
            day = today + dt.timedelta(days=days)
            return DateQuery(day, day, f"dans {count} jours", matched=match.group(0))
        if unit.startswith("semaine"):
            monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=count)
            label = f"dans {count} semaine{'s' if count > 1 else ''}"
            return DateQuery(monday, monday + dt.timedelta(days=6), label, matched=match.group(0))
        year, month = add_months(today.year, today.month, count)
        return DateQuery(
            dt.date(year, month, 1),
            _month_end(year, month),
            f"dans {count} mois",
            matched=match.group(0),
        )
    return None


def _weekday(text: str, today: dt.date) -> DateQuery | None:
    match = re.search(
        rf"\b(?:ce |cette )?({_WEEKDAY})(?: ({_NEXT}|en huit|dernier|de la semaine ({_NEXT})"
        rf"|de cette semaine))?\b",
        text,
    )
    if not match:
        return None
    weekday = _WEEKDAYS[match.group(1)]
    qualifier = match.group(2) or ""
    name = WEEKDAYS_FR[weekday]
    ahead = (weekday - today.weekday()) % 7
    if qualifier.startswith("de la semaine"):
        monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=1)
        day, label = monday + dt.timedelta(days=weekday), f"{name} de la semaine prochaine"
    elif qualifier == "de cette semaine":
        day = today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=weekday)
        label = f"{name} de cette semaine"
    elif qualifier == "dernier":
        back = (today.weekday() - weekday) % 7 or 7
        day, label = today - dt.timedelta(days=back), f"{name} dernier"
    elif qualifier == "en huit":
        day, label = today + dt.timedelta(days=(ahead or 7) + 7), f"{name} en huit"
    elif qualifier:
        day, label = today + dt.timedelta(days=ahead or 7), f"{name} prochain"
    else:
        day, label = today + dt.timedelta(days=ahead), name
    return DateQuery(day, day, label, matched=match.group(0))


def _week(text: str, today: dt.date) -> DateQuery | None:
    monday = today - dt.timedelta(days=today.weekday())
    match = re.search(rf"\b(?:la )?(?:semaine|sem) (?:{_NEXT})\b|\bla semaine d apres\b", text)
    if match:
        start = monday + dt.timedelta(weeks=1)
        return DateQuery(
            start, start + dt.timedelta(days=6), "la semaine prochaine", matched=match.group(0)
        )
    match = re.search(r"\b(?:cette|cet|ce) (?:semaine|sem)\b", text)
    if match:
        return DateQuery(
            today, monday + dt.timedelta(days=6), "cette semaine", matched=match.group(0)
        )
    match = re.search(r"\b(?:ce )?(?:week end|weekend)\b|\bce we\b", text)
    if match:
        saturday = monday + dt.timedelta(days=5)
        start = max(saturday, today)
        return DateQuery(
            start, monday + dt.timedelta(days=6), "ce week-end", matched=match.group(0)
        )
    return None


def _month(text: str, today: dt.date) -> DateQuery | None:
    match = re.search(rf"\b(?:le )?mois (?:{_NEXT})\b", text)
    if match:
        year, month = add_months(today.year, today.month, 1)
        return DateQuery(
            dt.date(year, month, 1),
            _month_end(year, month),
            "le mois prochain",
            matched=match.group(0),
        )
    match = re.search(r"\bce mois(?: ci)?\b|\bmois ci\b", text)
    if match:
        return DateQuery(
            today, _month_end(today.year, today.month), "ce mois-ci", matched=match.group(0)
        )
    match = re.search(
        rf"\b(?:en |au mois de |au mois d |mois de |mois d )?({_MONTH})(?: (\d{{4}}))?\b", text
    )
    if match and (
        match.group(1) in _FULL_MONTHS or match.group(0) != match.group(1) or match.group(2)
    ):
        # An abbreviation alone ("sept", "dec") is too likely another word: it needs "en" or a year.
        month = _MONTH_WORDS[match.group(1)]
        year = int(match.group(2)) if match.group(2) else None
        if year is None:
            year = today.year if month >= today.month else today.year + 1
        start = dt.date(year, month, 1)
        if (year, month) == (today.year, today.month):
            start = today
        label = f"en {MONTHS_FR[month - 1]}" + (f" {match.group(2)}" if match.group(2) else "")
        return DateQuery(start, _month_end(year, month), label, matched=match.group(0))
    return None


def _day_only(text: str, today: dt.date) -> DateQuery | None:
    """ "le 15", "le 1er", "le premier", "le 45" (invalid): the next such day of a month."""
    match = re.search(
        rf"\b(?:le|du|ce|au|jusqu au) {_DAYNUM}\b(?! ?(?:h\b|heures?|min|km|euros?|ans|eme|%))",
        text,
    )
    if not match:
        return None
    day = _number(match.group(1), match.group(2))
    label = f"le {'1er' if day == 1 else day}"
    if not 1 <= day <= 31:
        return _invalid(label, DAY_OUT_OF_RANGE, match.group(0))
    year, month = today.year, today.month
    for _ in range(13):
        if day <= calendar.monthrange(year, month)[1]:
            found = dt.date(year, month, day)
            if found >= today:
                return DateQuery(found, found, label, matched=match.group(0))
        year, month = add_months(year, month, 1)
    return None  # pragma: no cover - a day 1..31 always comes back within a year


_RECOGNISERS = (
    _full_numeric,
    _day_month_words,
    _relative_day,
    _week,  # before _weekday: "lundi de la semaine prochaine" is handled there, "semaine pro" here
    _weekday,
    _month,
    _day_only,
)


def parse_date_fr(text: str, today: dt.date) -> DateQuery | None:
    """Find the first French date expression in `text`, relative to `today` (Paris date).

    Returns:
        A `DateQuery` (check `invalid` first), or None when the text holds no date.
    """
    norm = _normalize(text)
    if not norm:
        return None
    if re.search(rf"\b{_WEEKDAY}\b", norm) and re.search(r"\bsemaine\b", norm):
        query = _weekday(norm, today)  # "mardi de la semaine prochaine"
        if query is not None and "semaine" in query.label:
            return _with_part(query, norm)
    for recogniser in _RECOGNISERS:
        query = recogniser(norm, today)
        if query is not None:
            return _with_part(query, norm)
    return None


def _with_part(query: DateQuery, norm: str) -> DateQuery:
    part = None
    if query.label == "ce matin" or _PART_MORNING.search(norm):
        part = "matin"
    elif query.label == "cet après-midi" or _PART_AFTERNOON.search(norm):
        part = "après-midi"
    elif query.label == "ce soir" or _PART_EVENING.search(norm):
        part = "soir"
    if part is None:
        return query
    return DateQuery(
        query.start, query.end, query.label, part, query.invalid, query.reason, query.matched
    )
