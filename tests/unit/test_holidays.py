import datetime as dt

import pytest

from franceservices.dates.holidays import french_holidays, holiday_name, is_holiday

# Table of ../shared/reference/jours_feries.md (2025 and 2026 confirmed, 2027 computed).
EXPECTED = {
    2025: [
        "01-01",
        "04-21",
        "05-01",
        "05-08",
        "05-29",
        "06-09",
        "07-14",
        "08-15",
        "11-01",
        "11-11",
        "12-25",
    ],
    2026: [
        "01-01",
        "04-06",
        "05-01",
        "05-08",
        "05-14",
        "05-25",
        "07-14",
        "08-15",
        "11-01",
        "11-11",
        "12-25",
    ],
    2027: [
        "01-01",
        "03-29",
        "05-01",
        "05-08",
        "05-06",
        "05-17",
        "07-14",
        "08-15",
        "11-01",
        "11-11",
        "12-25",
    ],
}


@pytest.mark.parametrize("year", sorted(EXPECTED))
def test_holidays_match_the_published_table(year):
    expected = {dt.date.fromisoformat(f"{year}-{md}") for md in EXPECTED[year]}
    assert set(french_holidays(year)) == expected


def test_alsace_moselle_days_are_not_holidays_in_the_nord():
    assert not is_holiday(dt.date(2026, 4, 3))  # Good Friday
    assert not is_holiday(dt.date(2026, 12, 26))


def test_names_are_french():
    assert holiday_name(dt.date(2026, 11, 11)) == "armistice de 1918"
    assert holiday_name(dt.date(2026, 4, 6)) == "lundi de Pâques"
    assert holiday_name(dt.date(2026, 11, 12)) is None
