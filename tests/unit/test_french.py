import datetime as dt

import pytest

from franceservices.text.french import (
    MONTHS_FR,
    WEEKDAYS_FR,
    format_date_fr,
    format_distance_km,
    format_periods_fr,
    format_time_fr,
)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (dt.time(9, 0), "9 h"),
        (dt.time(9, 30), "9 h 30"),
        (dt.time(14, 0), "14 h"),
        (dt.time(14, 5), "14 h 05"),
        (dt.time(0, 0), "0 h"),
        (dt.time(16, 15, 59), "16 h 15"),
    ],
)
def test_format_time_fr(moment, expected):
    assert format_time_fr(moment) == expected


def test_format_periods_fr_two_periods():
    periods = ((dt.time(9), dt.time(12)), (dt.time(14), dt.time(17)))
    assert format_periods_fr(periods) == "de 9 h à 12 h et de 14 h à 17 h"


def test_format_periods_fr_one_period():
    assert format_periods_fr([(dt.time(9, 30), dt.time(13))]) == "de 9 h 30 à 13 h"


def test_format_periods_fr_three_periods_uses_commas():
    periods = [
        (dt.time(8), dt.time(10)),
        (dt.time(11), dt.time(12)),
        (dt.time(14), dt.time(16, 15)),
    ]
    assert format_periods_fr(periods) == "de 8 h à 10 h, de 11 h à 12 h et de 14 h à 16 h 15"


def test_format_periods_fr_closed_day_is_empty():
    assert format_periods_fr(()) == ""


@pytest.mark.parametrize(
    ("day", "with_year", "expected"),
    [
        (dt.date(2026, 12, 8), False, "mardi 8 décembre"),
        (dt.date(2026, 12, 8), True, "mardi 8 décembre 2026"),
        (dt.date(2025, 1, 1), False, "mercredi 1er janvier"),
        (dt.date(2026, 8, 15), False, "samedi 15 août"),
        (dt.date(2026, 2, 1), True, "dimanche 1er février 2026"),
    ],
)
def test_format_date_fr(day, with_year, expected):
    assert format_date_fr(day, with_year=with_year) == expected


def test_names_tables():
    assert len(WEEKDAYS_FR) == 7 and WEEKDAYS_FR[0] == "lundi" and WEEKDAYS_FR[6] == "dimanche"
    assert len(MONTHS_FR) == 12 and MONTHS_FR[1] == "février" and MONTHS_FR[11] == "décembre"


@pytest.mark.parametrize(
    ("distance", "expected"),
    [
        (7.0, "7 km"),
        (1.5, "1,5 km"),
        (0.34, "0,3 km"),
        (6.96, "7 km"),
        (9.94, "9,9 km"),
        (12.4, "12 km"),
        (12.6, "13 km"),
        (0.0, "0 km"),
    ],
)
def test_format_distance_km(distance, expected):
    assert format_distance_km(distance) == expected


def test_format_distance_km_refuses_negative():
    with pytest.raises(ValueError):
        format_distance_km(-1)


def test_format_week_hours_groups_consecutive_days():
    from franceservices.text.french import format_week_hours_fr

    t = dt.time
    week = {d: ((t(9), t(12)), (t(14), t(17))) for d in range(4)}
    week[4] = ((t(9), t(13)), (t(14), t(16)))
    assert format_week_hours_fr(week) == (
        "du lundi au jeudi de 9 h à 12 h et de 14 h à 17 h ; "
        "le vendredi de 9 h à 13 h et de 14 h à 16 h"
    )
    assert format_week_hours_fr({1: ((t(10), t(12)),), 2: ((t(10), t(12)),)}) == (
        "le mardi et le mercredi de 10 h à 12 h"
    )
    assert format_week_hours_fr({}) == ""
