"""French date expressions, always against an injected `today`."""

from __future__ import annotations

import datetime as dt

import pytest

from franceservices.dates.french_dates import (
    DAY_OUT_OF_RANGE,
    MONTH_OUT_OF_RANGE,
    NO_SUCH_DAY_IN_MONTH,
    WEEKDAY_MISMATCH,
    DateQuery,
    parse_date_fr,
)

D = dt.date
FRIDAY = D(2026, 11, 27)  # a Friday
MONDAY = D(2026, 11, 30)  # a Monday, last day of the month
NEW_YEAR_EVE = D(2026, 12, 31)  # a Thursday


def parse(text: str, today: dt.date = FRIDAY) -> DateQuery:
    query = parse_date_fr(text, today)
    assert query is not None, text
    return query


def span(text: str, today: dt.date = FRIDAY) -> tuple[dt.date | None, dt.date | None]:
    query = parse(text, today)
    assert not query.invalid, query
    return query.start, query.end


@pytest.mark.parametrize(
    ("text", "expected", "label"),
    [
        ("aujourd'hui", D(2026, 11, 27), "aujourd'hui"),
        ("Aujourd’hui", D(2026, 11, 27), "aujourd'hui"),
        ("auj", D(2026, 11, 27), "aujourd'hui"),
        ("ce matin", D(2026, 11, 27), "ce matin"),
        ("ce soir", D(2026, 11, 27), "ce soir"),
        ("cet aprem", D(2026, 11, 27), "cet après-midi"),
        ("demain", D(2026, 11, 28), "demain"),
        ("DEMAIN ?", D(2026, 11, 28), "demain"),
        ("dmain", D(2026, 11, 28), "demain"),
        ("dem1", D(2026, 11, 28), "demain"),
        ("après-demain", D(2026, 11, 29), "après-demain"),
        ("apres demain", D(2026, 11, 29), "après-demain"),
        ("apres dmain", D(2026, 11, 29), "après-demain"),
        ("hier", D(2026, 11, 26), "hier"),
        ("avant-hier", D(2026, 11, 25), "avant-hier"),
        ("dans 3 jours", D(2026, 11, 30), "dans 3 jours"),
        ("dans huit jours", D(2026, 12, 4), "dans 8 jours"),
        ("dans quinze jours", D(2026, 12, 11), "dans 15 jours"),
    ],
)
def test_relative_days(text, expected, label):
    query = parse(text)
    assert (query.start, query.end, query.label) == (expected, expected, label)
    assert not query.is_range


@pytest.mark.parametrize(
    ("text", "today", "expected", "label"),
    [
        ("lundi", FRIDAY, D(2026, 11, 30), "lundi"),
        ("vendredi", FRIDAY, D(2026, 11, 27), "vendredi"),  # today counts
        ("ce vendredi", FRIDAY, D(2026, 11, 27), "vendredi"),
        ("lundi", MONDAY, D(2026, 11, 30), "lundi"),
        ("lundi prochain", MONDAY, D(2026, 12, 7), "lundi prochain"),
        ("lundi prochain", FRIDAY, D(2026, 11, 30), "lundi prochain"),
        ("vendredi prochain", FRIDAY, D(2026, 12, 4), "vendredi prochain"),
        ("lundi pro", FRIDAY, D(2026, 11, 30), "lundi prochain"),
        ("Lundi qui vient", FRIDAY, D(2026, 11, 30), "lundi prochain"),
        ("lundi en huit", FRIDAY, D(2026, 12, 7), "lundi en huit"),
        ("mardi dernier", FRIDAY, D(2026, 11, 24), "mardi dernier"),
        ("mercredi de la semaine prochaine", FRIDAY, D(2026, 12, 2), None),
        ("jeudi", NEW_YEAR_EVE, D(2026, 12, 31), "jeudi"),
        ("vendredi", NEW_YEAR_EVE, D(2027, 1, 1), "vendredi"),  # across the year
    ],
)
def test_weekdays(text, today, expected, label):
    query = parse(text, today)
    assert (query.start, query.end) == (expected, expected)
    if label is not None:
        assert query.label == label


@pytest.mark.parametrize(
    ("text", "today", "start", "end", "label"),
    [
        ("la semaine prochaine", FRIDAY, D(2026, 11, 30), D(2026, 12, 6), "la semaine prochaine"),
        ("semaine pro", FRIDAY, D(2026, 11, 30), D(2026, 12, 6), "la semaine prochaine"),
        ("la semaine d'après", FRIDAY, D(2026, 11, 30), D(2026, 12, 6), "la semaine prochaine"),
        ("la semaine prochaine", NEW_YEAR_EVE, D(2027, 1, 4), D(2027, 1, 10), None),
        ("cette semaine", FRIDAY, D(2026, 11, 27), D(2026, 11, 29), "cette semaine"),
        ("cette semaine", MONDAY, D(2026, 11, 30), D(2026, 12, 6), "cette semaine"),
        ("ce week-end", FRIDAY, D(2026, 11, 28), D(2026, 11, 29), "ce week-end"),
        ("dans 2 semaines", FRIDAY, D(2026, 12, 7), D(2026, 12, 13), "dans 2 semaines"),
        ("ce mois-ci", FRIDAY, D(2026, 11, 27), D(2026, 11, 30), "ce mois-ci"),
        ("ce mois ci", MONDAY, D(2026, 11, 30), D(2026, 11, 30), "ce mois-ci"),
        ("le mois prochain", FRIDAY, D(2026, 12, 1), D(2026, 12, 31), "le mois prochain"),
        ("le mois d'après", FRIDAY, D(2026, 12, 1), D(2026, 12, 31), "le mois prochain"),
        ("le mois prochain", NEW_YEAR_EVE, D(2027, 1, 1), D(2027, 1, 31), "le mois prochain"),
        ("mois pro", D(2027, 1, 31), D(2027, 2, 1), D(2027, 2, 28), "le mois prochain"),
        ("en janvier", FRIDAY, D(2027, 1, 1), D(2027, 1, 31), "en janvier"),
        ("au mois de février", FRIDAY, D(2027, 2, 1), D(2027, 2, 28), "en février"),
        ("en novembre", FRIDAY, D(2026, 11, 27), D(2026, 11, 30), "en novembre"),
        ("en decembre", FRIDAY, D(2026, 12, 1), D(2026, 12, 31), "en décembre"),
        ("janvier 2028", FRIDAY, D(2028, 1, 1), D(2028, 1, 31), "en janvier 2028"),
        ("dans 2 mois", FRIDAY, D(2027, 1, 1), D(2027, 1, 31), "dans 2 mois"),
    ],
)
def test_ranges(text, today, start, end, label):
    query = parse(text, today)
    assert (query.start, query.end) == (start, end)
    assert query.is_range == (start != end)
    if label is not None:
        assert query.label == label


@pytest.mark.parametrize(
    ("text", "today", "expected", "label"),
    [
        ("le 15", FRIDAY, D(2026, 12, 15), "le 15"),
        ("le 27", FRIDAY, D(2026, 11, 27), "le 27"),  # today counts
        ("le 28", FRIDAY, D(2026, 11, 28), "le 28"),
        ("le 31", FRIDAY, D(2026, 12, 31), "le 31"),  # November has no 31st
        ("le 30", D(2027, 1, 31), D(2027, 3, 30), "le 30"),  # nor February a 30th
        ("le 1er", FRIDAY, D(2026, 12, 1), "le 1er"),
        ("le premier", FRIDAY, D(2026, 12, 1), "le 1er"),
        ("le dix-sept", FRIDAY, D(2026, 12, 17), "le 17"),
        ("le 2", NEW_YEAR_EVE, D(2027, 1, 2), "le 2"),
        ("le 15/01", FRIDAY, D(2027, 1, 15), "15 janvier"),
        ("15/12", FRIDAY, D(2026, 12, 15), "15 décembre"),
        ("27/11", FRIDAY, D(2026, 11, 27), "27 novembre"),
        ("26/11", FRIDAY, D(2027, 11, 26), "26 novembre"),  # passed this year
        ("15/01/2027", FRIDAY, D(2027, 1, 15), "15 janvier 2027"),
        ("15/01/27", FRIDAY, D(2027, 1, 15), "15 janvier 2027"),
        ("15.01.2027", FRIDAY, D(2027, 1, 15), "15 janvier 2027"),
        ("2026-12-08", FRIDAY, D(2026, 12, 8), "8 décembre 2026"),
        ("15 janvier", FRIDAY, D(2027, 1, 15), "15 janvier"),
        ("le 3 décembre 2026", FRIDAY, D(2026, 12, 3), "3 décembre 2026"),
        ("le 3 decembre", FRIDAY, D(2026, 12, 3), "3 décembre"),
        ("1er janvier", FRIDAY, D(2027, 1, 1), "1er janvier"),
        ("premier mars", FRIDAY, D(2027, 3, 1), "1er mars"),
        ("vingt et un décembre", FRIDAY, D(2026, 12, 21), "21 décembre"),
        ("le trente et un décembre", FRIDAY, D(2026, 12, 31), "31 décembre"),
        ("15 sept", FRIDAY, D(2027, 9, 15), "15 septembre"),
        ("mardi 8 décembre", FRIDAY, D(2026, 12, 8), "mardi 8 décembre"),
        ("29/02", FRIDAY, D(2028, 2, 29), "29 février"),  # next leap year
        ("le bus passe le 11 novembre ?", FRIDAY, D(2027, 11, 11), "11 novembre"),
    ],
)
def test_days_of_month(text, today, expected, label):
    query = parse(text, today)
    assert (query.start, query.end, query.label) == (expected, expected, label)
    assert not query.invalid


@pytest.mark.parametrize(
    ("text", "reason", "label"),
    [
        ("31/02", NO_SUCH_DAY_IN_MONTH, "31 février"),
        ("le 31/04", NO_SUCH_DAY_IN_MONTH, "31 avril"),
        ("31 avril", NO_SUCH_DAY_IN_MONTH, "31 avril"),
        ("29/02/2027", NO_SUCH_DAY_IN_MONTH, "29 février 2027"),
        ("2027-02-29", NO_SUCH_DAY_IN_MONTH, "29 février 2027"),
        ("le 45", DAY_OUT_OF_RANGE, "le 45"),
        ("le 0", DAY_OUT_OF_RANGE, "le 0"),
        ("32 janvier", DAY_OUT_OF_RANGE, "32 janvier"),
        ("15/13", MONTH_OUT_OF_RANGE, "15/13"),
        ("lundi 8 décembre", WEEKDAY_MISMATCH, "lundi 8 décembre"),
    ],
)
def test_impossible_dates_are_flagged(text, reason, label):
    query = parse(text)
    assert query.invalid and query.reason == reason and query.label == label
    assert query.days() == [] and not query.contains(FRIDAY)


def test_weekday_mismatch_still_gives_the_date():
    query = parse("lundi 8 décembre")
    assert query.start == D(2026, 12, 8)  # so the bot can say "le 8 décembre est un mardi"


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("demain matin", "matin"),
        ("lundi après-midi", "après-midi"),
        ("demain aprem", "après-midi"),
        ("ce soir", "soir"),
        ("le 15", None),
    ],
)
def test_part_of_day(text, part):
    assert parse(text).part_of_day == part


def test_days_and_contains_of_a_range():
    query = parse("cette semaine")
    assert query.days() == [D(2026, 11, 27), D(2026, 11, 28), D(2026, 11, 29)]
    assert query.contains(D(2026, 11, 28)) and not query.contains(D(2026, 11, 30))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "quand passe le bus à Trélon ?",
        "c'est pour mon permis",
        "rdv à 9.30",
        "le 15h",
        "j'ai 45 ans",
        "mon code postal est 59132",
        "🚌",
    ],
)
def test_no_date(text):
    assert parse_date_fr(text, FRIDAY) is None


def test_first_expression_in_a_sentence_wins():
    query = parse("Bonjour, est-ce que le camion bleu sera à Bavay demain matin svp")
    assert (query.start, query.label, query.part_of_day) == (D(2026, 11, 28), "demain", "matin")
