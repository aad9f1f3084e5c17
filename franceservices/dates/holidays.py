"""French public holidays (Code du travail, art. L3133-1), computed rather than listed by hand.

The Nord is not in Alsace-Moselle: Good Friday and 26 December are not holidays here.
Easter comes from python-dateutil's Gregorian computus.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from dateutil.easter import easter


@lru_cache(maxsize=64)
def french_holidays(year: int) -> dict[dt.date, str]:
    """Return the eleven public holidays of `year`, mapped to their French name."""
    easter_sunday = easter(year)
    return {
        dt.date(year, 1, 1): "jour de l'An",
        easter_sunday + dt.timedelta(days=1): "lundi de Pâques",
        dt.date(year, 5, 1): "fête du Travail",
        dt.date(year, 5, 8): "Victoire 1945",
        easter_sunday + dt.timedelta(days=39): "Ascension",
        easter_sunday + dt.timedelta(days=50): "lundi de Pentecôte",
        dt.date(year, 7, 14): "fête nationale",
        dt.date(year, 8, 15): "Assomption",
        dt.date(year, 11, 1): "Toussaint",
        dt.date(year, 11, 11): "armistice de 1918",
        dt.date(year, 12, 25): "Noël",
    }


def holiday_name(day: dt.date) -> str | None:
    """Return the French name of the public holiday on `day`, or None on an ordinary day."""
    return french_holidays(day.year).get(day)


def is_holiday(day: dt.date) -> bool:
    """Tell whether `day` is a French public holiday."""
    return day in french_holidays(day.year)
