"""French formatting of times, dates and distances: the one place that spells them for citizens.

Every response that shows an hour, a day or a distance gets its value from these functions, so
"9 h 30", "mardi 8 décembre" and "1,5 km" look the same everywhere (French typography: a space
around "h", no leading zero, a decimal comma, lowercase day and month names).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

WEEKDAYS_FR: tuple[str, ...] = (
    "lundi",
    "mardi",
    "mercredi",
    "jeudi",
    "vendredi",
    "samedi",
    "dimanche",
)
"""Day names indexed by `date.weekday()` (0 = Monday)."""

MONTHS_FR: tuple[str, ...] = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
"""Month names indexed by `date.month - 1`."""


def format_time_fr(moment: dt.time) -> str:
    """Spell a time the French way: "9 h", "9 h 30", "14 h 05", "0 h" (seconds ignored)."""
    if moment.minute == 0:
        return f"{moment.hour} h"
    return f"{moment.hour} h {moment.minute:02d}"


def format_periods_fr(periods: Iterable[tuple[dt.time, dt.time]]) -> str:
    """Spell opening periods: "de 9 h à 12 h et de 14 h à 17 h".

    Three or more periods are joined with commas and a final "et". No period gives "" so the
    caller chooses its own words for a closed day.
    """
    parts = [f"de {format_time_fr(start)} à {format_time_fr(end)}" for start, end in periods]
    if not parts:
        return ""
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " et " + parts[-1]


def format_date_fr(day: dt.date, with_year: bool = False) -> str:
    """Spell a date: "mardi 8 décembre", "mercredi 1er janvier", optionally with the year."""
    day_number = "1er" if day.day == 1 else str(day.day)
    text = f"{WEEKDAYS_FR[day.weekday()]} {day_number} {MONTHS_FR[day.month - 1]}"
    if with_year:
        text += f" {day.year}"
    return text


def format_distance_km(distance: float) -> str:
    """Spell a road-sign distance: "7 km", "1,5 km", "0,3 km"; whole km from 10 km up.

    Under 10 km one decimal is kept (dropped when it is zero); from 10 km the decimal is noise.
    """
    if distance < 0:
        raise ValueError(f"negative distance: {distance}")
    if distance >= 10:
        return f"{round(distance)} km"
    rounded = round(distance, 1)
    if rounded == int(rounded):
        return f"{int(rounded)} km"
    return f"{rounded:.1f}".replace(".", ",") + " km"


def format_week_hours_fr(hours: Mapping[int, Iterable[tuple[dt.time, dt.time]]]) -> str:
    """Spell weekly hours, grouping consecutive days with the same periods.

    {0..3: 9-12/14-17, 4: 9-13/14-16} -> "du lundi au jeudi de 9 h à 12 h et de 14 h à 17 h ;
    le vendredi de 9 h à 13 h et de 14 h à 16 h". Closed days are left out.
    """
    groups: list[tuple[int, int, tuple]] = []
    for day in range(7):
        periods = tuple(hours.get(day, ()))
        if not periods:
            continue
        if groups and groups[-1][1] == day - 1 and groups[-1][2] == periods:
            groups[-1] = (groups[-1][0], day, periods)
        else:
            groups.append((day, day, periods))
    parts = []
    for first, last, periods in groups:
        if first == last:
            days = f"le {WEEKDAYS_FR[first]}"
        elif last == first + 1:
            days = f"le {WEEKDAYS_FR[first]} et le {WEEKDAYS_FR[last]}"
        else:
            days = f"du {WEEKDAYS_FR[first]} au {WEEKDAYS_FR[last]}"
        parts.append(f"{days} {format_periods_fr(periods)}")
    return " ; ".join(parts)
