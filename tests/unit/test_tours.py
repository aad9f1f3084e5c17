"""The tour calendar engine: month arithmetic, holidays, exceptions, closing times, time zones.

A small fixture calendar (written to tmp_path) keeps these tests independent of the staff's edits
to reference/tours.yml; one test checks that the real file loads. Times are injected, never read
from the clock.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from franceservices.calendar.engine import TourCalendar
from franceservices.calendar.model import (
    STATUS_ADDED,
    STATUS_CANCELLED,
    STATUS_CANCELLED_HOLIDAY,
    STATUS_SCHEDULED,
    add_months,
    apply_market_day,
    nth_weekday,
    week_of_month,
)
from franceservices.calendar.tours import load_tours
from franceservices.dates.clock import PARIS
from franceservices.places.communes import distance_km, load_communes

UTC = dt.timezone.utc
T = dt.time

FIXTURE = textwrap.dedent(
    """\
    hours:
      itinerant:
        lundi: [["09:30", "12:30"], ["13:30", "16:00"]]
        mardi: [["09:30", "12:30"], ["13:30", "16:00"]]
        mercredi: [["09:30", "12:30"], ["13:30", "16:00"]]
        jeudi: [["09:30", "12:30"], ["13:30", "16:00"]]
        vendredi: [["09:00", "13:00"]]
        market_day_morning_until: "13:00"
        market_day_afternoon_from: "14:00"
      cambresis:
        lundi: [["10:00", "12:00"], ["14:00", "17:00"]]
        mardi: [["10:00", "12:00"], ["14:00", "17:00"]]
        mercredi: [["10:00", "12:00"], ["14:00", "17:00"]]
        jeudi: [["10:00", "12:00"], ["14:00", "17:00"]]
        vendredi: [["10:00", "12:00"], ["14:00", "17:00"]]
        market_day_morning_until: "13:00"
    tours:
      - id: bleu
        name: "Bus bleu"
        base: "Avesnes-sur-Helpe"
        phone: "03 59 73 18 20"
        email: "bleu@example.org"
        since: 2020-01-21
        hours: itinerant
        stops:
          - {commune: "Trélon", code_insee: "59601", week: 1, weekday: lundi, place: "mairie"}
          - {commune: "Dourlers", code_insee: "59181", week: 1, weekday: jeudi, place: "mairie"}
          - {commune: "Cousolre", code_insee: "59157", week: 2, weekday: mercredi, place: "kiosque"}
          - {commune: "Prisches", code_insee: "59474", week: 2, weekday: jeudi, place: "mairie"}
          - commune: "Flers-en-Escrebieux"
            code_insee: "59234"
            week: 2
            weekday: vendredi
            place: "face au marché"
            market_day: vendredi
          - commune: "Bavay"
            code_insee: "59053"
            week: 4
            weekday: lundi
            place: "Place Charles-de-Gaulle"
            market_day: lundi
          - {commune: "Maroilles", code_insee: "59384", week: 4, weekday: vendredi, place: "mairie"}
      - id: vert
        name: "Bus vert"
        base: "Viesly"
        phone: "03 59 73 18 30"
        email: "vert@example.org"
        hours: cambresis
        stops:
          - {commune: "Trélon", code_insee: "59601", week: 3, weekday: mardi, place: "église"}
          - commune: "Cambrai"
            code_insee: "59122"
            week: 1
            weekday: mercredi
            place: "quartier Amérique"
            market_day: [mercredi, samedi]
    exceptions:
      cancelled:
        - {tour: bleu, commune: "Trélon", code_insee: "59601", date: 2026-12-07, reason: "panne"}
        - {tour: bleu, date: 2027-01-04, reason: "grève"}
      added:
        - tour: bleu
          commune: "Trélon"
          code_insee: "59601"
          date: 2026-12-08
          hours: [["09:30", "12:30"]]
          reason: "rattrapage"
        - tour: bleu
          commune: "Avesnes-sur-Helpe"
          code_insee: "59036"
          date: 2026-12-18
          place: "forum de l'emploi"
          reason: "forum"
    """
)

TRELON, DOURLERS, COUSOLRE, PRISCHES = "59601", "59181", "59157", "59474"
FLERS, BAVAY, MAROILLES, CAMBRAI = "59234", "59053", "59384", "59122"


def paris(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


@pytest.fixture(scope="module")
def cal(tmp_path_factory: pytest.TempPathFactory) -> TourCalendar:
    path = tmp_path_factory.mktemp("tours") / "tours.yml"
    path.write_text(FIXTURE, encoding="utf-8")
    return load_tours(path, load_communes())


def dates(visits) -> list[tuple[dt.date, str]]:
    return [(v.date, v.status) for v in visits]


# -- month arithmetic ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "month", "weekday", "n", "expected"),
    [
        (2026, 11, 2, 2, dt.date(2026, 11, 11)),  # 2nd Wednesday of Nov 2026: armistice
        (2026, 12, 0, 1, dt.date(2026, 12, 7)),
        (2027, 2, 6, 4, dt.date(2027, 2, 28)),  # month end of a 28-day February
        (2026, 3, 0, 5, dt.date(2026, 3, 30)),
        (2024, 2, 3, 5, dt.date(2024, 2, 29)),  # leap day is the 5th Thursday
    ],
)
def test_nth_weekday(year, month, weekday, n, expected):
    assert nth_weekday(year, month, weekday, n) == expected


def test_nth_weekday_fifth_may_not_exist():
    with pytest.raises(ValueError):
        nth_weekday(2027, 2, 0, 5)  # February 2027 has four Mondays


def test_week_of_month_and_add_months_across_years():
    days = (1, 7, 8, 28, 29, 31)
    assert [week_of_month(dt.date(2026, 12, d)) for d in days] == [1, 1, 2, 4, 5, 5]
    assert add_months(2026, 11, 2) == (2027, 1)
    assert add_months(2026, 12, 1) == (2027, 1)
    assert add_months(2027, 1, -1) == (2026, 12)


def test_apply_market_day_shifts_morning_and_afternoon():
    day = ((T(9, 30), T(12, 30)), (T(13, 30), T(16, 0)))
    assert apply_market_day(day, T(13, 0), T(14, 0)) == ((T(9, 30), T(13, 0)), (T(14, 0), T(16, 0)))
    assert apply_market_day(day, T(13, 0)) == ((T(9, 30), T(13, 0)), (T(13, 30), T(16, 0)))
    friday = ((T(9, 0), T(13, 0)),)
    assert apply_market_day(friday, T(13, 0), T(14, 0)) == friday
    afternoon_only = ((T(14, 0), T(17, 0)),)
    assert apply_market_day(afternoon_only, T(13, 0)) == afternoon_only


# -- next visits --------------------------------------------------------------------------------


def test_next_visit_is_the_nth_weekday_of_the_month(cal):
    visits = cal.next_visits(DOURLERS, paris(2026, 11, 27, 10), n=3)
    assert dates(visits) == [
        (dt.date(2026, 12, 3), STATUS_SCHEDULED),
        (dt.date(2027, 1, 7), STATUS_SCHEDULED),  # year change
        (dt.date(2027, 2, 4), STATUS_SCHEDULED),
    ]
    first = visits[0]
    assert first.tour.id == "bleu" and first.place == "mairie" and first.commune == "Dourlers"
    assert first.periods == ((T(9, 30), T(12, 30)), (T(13, 30), T(16, 0)))
    assert first.stop is not None and first.stop.week == 1


def test_eleventh_of_november_is_cancelled_and_reported(cal):
    visits = cal.next_visits(COUSOLRE, paris(2026, 11, 2, 9), n=1)
    assert dates(visits) == [
        (dt.date(2026, 11, 11), STATUS_CANCELLED_HOLIDAY),
        (dt.date(2026, 12, 9), STATUS_SCHEDULED),
    ]
    assert visits[0].reason == "armistice de 1918"
    assert visits[0].is_cancelled and not visits[1].is_cancelled


def test_cancelled_visits_can_be_left_out(cal):
    visits = cal.next_visits(COUSOLRE, paris(2026, 11, 2, 9), n=1, include_cancelled=False)
    assert dates(visits) == [(dt.date(2026, 12, 9), STATUS_SCHEDULED)]


def test_easter_monday_cancels_a_first_monday(cal):
    visits = cal.next_visits(TRELON, paris(2026, 4, 1, 9), n=1)
    assert visits[0].date == dt.date(2026, 4, 6)
    assert visits[0].status == STATUS_CANCELLED_HOLIDAY
    assert visits[0].reason == "lundi de Pâques"
    # Trélon is also on the green bus (3rd Tuesday): that visit comes next.
    assert (visits[1].date, visits[1].tour.id) == (dt.date(2026, 4, 21), "vert")


def test_ascension_cancels_a_second_thursday(cal):
    visits = cal.next_visits(PRISCHES, paris(2026, 5, 1, 9), n=1)
    assert dates(visits) == [
        (dt.date(2026, 5, 14), STATUS_CANCELLED_HOLIDAY),
        (dt.date(2026, 6, 11), STATUS_SCHEDULED),
    ]
    assert visits[0].reason == "Ascension"


def test_exception_cancellation_and_added_visit(cal):
    visits = cal.next_visits(TRELON, paris(2026, 12, 1, 9), n=3)
    assert [(v.date, v.status, v.tour.id, v.reason) for v in visits] == [
        (dt.date(2026, 12, 7), STATUS_CANCELLED, "bleu", "panne"),
        (dt.date(2026, 12, 8), STATUS_ADDED, "bleu", "rattrapage"),
        (dt.date(2026, 12, 15), STATUS_SCHEDULED, "vert", None),
        (dt.date(2027, 1, 4), STATUS_CANCELLED, "bleu", "grève"),  # whole tour on strike
        (dt.date(2027, 1, 19), STATUS_SCHEDULED, "vert", None),
    ]
    added = visits[1]
    assert added.periods == ((T(9, 30), T(12, 30)),)
    assert added.place == "mairie"  # the stop's place when none is given


def test_added_visit_to_a_commune_not_on_the_tour(cal):
    avesnes = "59036"
    assert not cal.is_served(avesnes)
    visits = cal.next_visits(avesnes, paris(2026, 12, 1, 9), n=2)
    assert dates(visits) == [(dt.date(2026, 12, 18), STATUS_ADDED)]  # nothing else, ever
    assert visits[0].place == "forum de l'emploi"
    assert visits[0].periods == ((T(9, 0), T(13, 0)),)  # a Friday: profile hours


def test_visit_today_counts_until_closing_time(cal):
    before_close = cal.next_visits(DOURLERS, paris(2026, 12, 3, 15, 59), n=1)
    assert before_close[0].date == dt.date(2026, 12, 3)
    between_periods = cal.next_visits(DOURLERS, paris(2026, 12, 3, 13, 0), n=1)
    assert between_periods[0].date == dt.date(2026, 12, 3)


def test_after_closing_time_the_next_visit_is_next_month(cal):
    visits = cal.next_visits(DOURLERS, paris(2026, 12, 3, 16, 30), n=1)
    assert dates(visits) == [(dt.date(2027, 1, 7), STATUS_SCHEDULED)]
    exactly_closing = cal.next_visits(DOURLERS, paris(2026, 12, 3, 16, 0), n=1)
    assert exactly_closing[0].date == dt.date(2027, 1, 7)


def test_utc_now_is_converted_to_paris(cal):
    # 15:30 UTC in December is 16:30 in Paris: the 09:30-16:00 visit is over.
    visits = cal.next_visits(DOURLERS, dt.datetime(2026, 12, 3, 15, 30, tzinfo=UTC), n=1)
    assert visits[0].date == dt.date(2027, 1, 7)


def test_utc_late_evening_is_already_tomorrow_in_paris(cal):
    now = dt.datetime(2026, 12, 2, 23, 30, tzinfo=UTC)  # Thursday 3 December, 00:30 in Paris
    assert [v.commune for v in cal.visits_today(now)] == ["Dourlers"]
    assert cal.next_visits(DOURLERS, now, n=1)[0].date == dt.date(2026, 12, 3)


def test_dst_end_week_uses_winter_offset(cal):
    # Clocks went back on Sunday 25 October 2026; Monday 26 is Bavay's 4th Monday (market day).
    open_ = cal.next_visits(BAVAY, dt.datetime(2026, 10, 26, 14, 30, tzinfo=UTC), n=1)
    assert open_[0].date == dt.date(2026, 10, 26)  # 15:30 Paris, open until 16:00
    closed = cal.next_visits(BAVAY, dt.datetime(2026, 10, 26, 15, 5, tzinfo=UTC), n=1)
    assert closed[0].date == dt.date(2026, 11, 23)
    assert open_[0].closes_at.utcoffset() == dt.timedelta(hours=1)


def test_dst_start_week_uses_summer_offset(cal):
    # Clocks went forward on Sunday 29 March 2026; Thursday 2 April is Dourlers' 1st Thursday.
    open_ = cal.next_visits(DOURLERS, dt.datetime(2026, 4, 2, 13, 30, tzinfo=UTC), n=1)
    assert open_[0].date == dt.date(2026, 4, 2)  # 15:30 Paris
    closed = cal.next_visits(DOURLERS, dt.datetime(2026, 4, 2, 14, 5, tzinfo=UTC), n=1)
    assert closed[0].date == dt.date(2026, 5, 7)  # 16:05 Paris
    assert open_[0].opens_at == dt.datetime(2026, 4, 2, 7, 30, tzinfo=UTC)


def test_market_day_morning_runs_until_13(cal):
    visit = cal.next_visits(BAVAY, paris(2026, 12, 1, 9), n=1)[0]
    assert visit.date == dt.date(2026, 12, 28) and visit.market_day
    assert visit.periods == ((T(9, 30), T(13, 0)), (T(14, 0), T(16, 0)))


def test_market_day_on_a_friday_keeps_the_friday_morning(cal):
    visit = cal.next_visits(FLERS, paris(2026, 12, 1, 9), n=1)[0]
    assert visit.date == dt.date(2026, 12, 11) and visit.market_day
    assert visit.periods == ((T(9, 0), T(13, 0)),)


def test_market_day_on_cambresis_profile(cal):
    visit = cal.next_visits(CAMBRAI, paris(2026, 12, 1, 9), n=1)[0]
    assert visit.date == dt.date(2026, 12, 2) and visit.market_day
    assert visit.periods == ((T(10, 0), T(13, 0)), (T(14, 0), T(17, 0)))


def test_no_visit_on_fifth_weekdays(cal):
    fifth_friday = dt.date(2027, 1, 29)
    assert week_of_month(fifth_friday) == 5
    assert cal.visits_on(fifth_friday) == []
    visits = cal.next_visits(MAROILLES, paris(2027, 1, 23, 9), n=2)
    assert [v.date for v in visits] == [dt.date(2027, 2, 26), dt.date(2027, 3, 26)]


def test_month_end_fourth_weekday(cal):
    # February 2027: the 4th Monday is the 22nd, the 4th Friday the 26th (28-day month).
    assert [v.date for v in cal.next_visits(BAVAY, paris(2027, 2, 1, 9), n=1)] == [
        dt.date(2027, 2, 22)
    ]
    # From 30 November (a 5th Monday) the next 4th Monday is 28 December.
    assert [v.date for v in cal.next_visits(BAVAY, paris(2026, 11, 30, 9), n=1)] == [
        dt.date(2026, 12, 28)
    ]


def test_since_date_hides_visits_before_the_tour_started(tmp_path):
    text = FIXTURE.replace("since: 2020-01-21", "since: 2027-03-01")
    path = tmp_path / "tours.yml"
    path.write_text(text.split("exceptions:")[0], encoding="utf-8")
    cal = load_tours(path, load_communes())
    assert cal.next_visits(DOURLERS, paris(2026, 12, 1, 9), n=1)[0].date == dt.date(2027, 3, 4)
    assert cal.visits_on(dt.date(2026, 12, 3)) == []


def test_n_zero_and_unserved_commune(cal):
    assert cal.next_visits(DOURLERS, paris(2026, 12, 1, 9), n=0) == []
    assert cal.next_visits("59350", paris(2026, 12, 1, 9), n=1) == []  # Lille


# -- where are the buses ------------------------------------------------------------------------


def test_visits_on_a_date(cal):
    visits = cal.visits_on(dt.date(2026, 12, 2))  # 1st Wednesday
    assert [(v.tour.id, v.commune, v.status) for v in visits] == [
        ("vert", "Cambrai", STATUS_SCHEDULED)
    ]
    holiday = cal.visits_on(dt.date(2026, 11, 11))
    assert [(v.commune, v.status) for v in holiday] == [("Cousolre", STATUS_CANCELLED_HOLIDAY)]
    assert cal.visits_on(dt.date(2026, 11, 11), include_cancelled=False) == []


def test_visits_on_includes_added_and_whole_tour_cancellations(cal):
    assert [(v.commune, v.status) for v in cal.visits_on(dt.date(2026, 12, 8))] == [
        ("Trélon", STATUS_ADDED)
    ]
    assert [(v.commune, v.status, v.reason) for v in cal.visits_on(dt.date(2027, 1, 4))] == [
        ("Trélon", STATUS_CANCELLED, "grève")
    ]
    assert cal.visits_on(dt.date(2026, 12, 5)) == []  # a Saturday


def test_tour_communes_serving_and_is_served(cal):
    assert [s.commune for s in cal.tour_communes("vert")] == ["Cambrai", "Trélon"]
    assert [t.id for t in cal.tours_serving(TRELON)] == ["bleu", "vert"]
    assert cal.is_served(COUSOLRE) and not cal.is_served("59350")
    with pytest.raises(KeyError):
        cal.tour_communes("rouge")


def test_nearest_stops(cal):
    avesnes = load_communes().get("59036")
    nearest = cal.nearest_stops(avesnes.lat, avesnes.lon, n=2)
    assert [s.commune for s, _ in nearest] == ["Dourlers", "Maroilles"]
    assert nearest[0][1] == pytest.approx(
        distance_km(avesnes.lat, avesnes.lon, nearest[0][0].lat, nearest[0][0].lon)
    )
    assert nearest[0][1] < nearest[1][1] < 15
    # A commune on two tours appears once; the citizen's own commune can be left out.
    trelon = load_communes().get(TRELON)
    around = cal.nearest_stops(trelon.lat, trelon.lon, n=9)
    assert len(around) == len({s.insee for s, _ in around}) == 8
    assert around[0][0].insee == TRELON and around[0][1] == pytest.approx(0)
    excluded = cal.nearest_stops(trelon.lat, trelon.lon, n=1, exclude_insee=TRELON)
    assert excluded[0][0].insee != TRELON


# -- the real file ------------------------------------------------------------------------------


def test_real_reference_file_loads():
    cal = load_tours()
    assert sorted(cal.tours) == ["avesnois", "cambresis", "douaisis", "flandres"]
    assert all(len(t.stops) == 20 for t in cal.tours.values())
    # 11 November 2026 is the 2nd Wednesday: the four buses' visits that day are cancelled.
    cancelled = cal.visits_on(dt.date(2026, 11, 11))
    assert len(cancelled) == 4
    assert all(v.status == STATUS_CANCELLED_HOLIDAY for v in cancelled)


def test_real_file_flers_market_friday():
    cal = load_tours()
    visit = cal.next_visits(FLERS, paris(2026, 12, 1, 9), n=1)[0]
    assert visit.market_day and visit.date.weekday() == 4


def test_reference_path_is_project_relative():
    from franceservices.calendar.tours import DEFAULT_TOURS_PATH

    assert DEFAULT_TOURS_PATH == Path(__file__).resolve().parents[2] / "reference" / "tours.yml"


def test_get_calendar_reloads_an_edited_file_and_keeps_the_last_valid_one(tmp_path, caplog):
    import os

    from franceservices.calendar.tours import get_calendar
    from franceservices.data_errors import DataErrors

    path = tmp_path / "tours.yml"
    path.write_text(FIXTURE, encoding="utf-8")
    first = get_calendar(path)
    assert get_calendar(path) is first  # not reloaded while unchanged

    path.write_text(FIXTURE.replace('place: "kiosque"', 'place: "salle des fêtes"'), "utf-8")
    os.utime(path, ns=(1, 2_000_000_000_000_000_000))
    second = get_calendar(path)
    assert second is not first
    assert [s.place for s in second.stops() if s.insee == COUSOLRE] == ["salle des fêtes"]

    path.write_text(FIXTURE.replace("week: 2", "week: 7", 1), "utf-8")
    os.utime(path, ns=(1, 3_000_000_000_000_000_000))
    assert get_calendar(path) is second  # the typo is logged, citizens keep the valid calendar
    assert "keeping the previous calendar" in caplog.text and "semaine 7" in caplog.text

    fresh = tmp_path / "fresh.yml"
    fresh.write_text(FIXTURE.replace("week: 2", "week: 7", 1), "utf-8")
    with pytest.raises(DataErrors):
        get_calendar(fresh)  # nothing valid to fall back on


# -- confirmed or only planned days -------------------------------------------------------------


def test_only_a_published_or_official_day_is_confirmed(tmp_path):
    text = FIXTURE.replace('place: "kiosque"}', 'place: "kiosque", day_source: public source}')
    text = text.replace(
        'week: 2, weekday: jeudi, place: "mairie"}',
        'week: 2, weekday: jeudi, place: "mairie", day_source: official}',
    )
    text = text.replace(
        'week: 1, weekday: jeudi, place: "mairie"}',
        'week: 1, weekday: jeudi, place: "mairie", day_source: pilot}',
    )
    path = tmp_path / "tours.yml"
    path.write_text(text, encoding="utf-8")
    cal = load_tours(path, load_communes())
    confirmed = {s.insee: s.day_confirmed for s in cal.tour_communes("bleu")}
    assert confirmed[COUSOLRE] and confirmed[PRISCHES]
    assert not confirmed[DOURLERS]  # day_source: pilot
    assert not confirmed[TRELON]  # no day_source: a pilot day
    cousolre = cal.next_visits(COUSOLRE, paris(2026, 12, 1, 9), 1)[0]
    assert cousolre.day_confirmed
    # Trélon: the regular visit (bus vert, 3rd Tuesday) is planned; the visit staff added on
    # 8 December is a date they set, like the forum in a commune that is no stop.
    trelon = {v.date: v for v in cal.next_visits(TRELON, paris(2026, 12, 8, 8), 2)}
    assert trelon[dt.date(2026, 12, 8)].status == STATUS_ADDED
    assert trelon[dt.date(2026, 12, 8)].day_confirmed
    assert not trelon[dt.date(2026, 12, 15)].day_confirmed
    (forum,) = cal.next_visits("59036", paris(2026, 12, 1, 9), 1)
    assert forum.stop is None and forum.day_confirmed


def test_real_file_confirms_only_the_published_days():
    cal = load_tours()
    confirmed = sorted(s.commune for s in cal.stops() if s.day_confirmed)
    assert confirmed == [
        "Avesnes-les-Aubert",
        "Cambrai",
        "Cousolre",
        "Flers-en-Escrebieux",
        "Gommegnies",
        "Montigny-en-Ostrevent",
    ]
    assert not any(s.day_confirmed for s in cal.tour_communes("flandres"))


def test_the_file_header_documents_the_confirmed_days():
    from franceservices.calendar.tours import DEFAULT_TOURS_PATH

    header = DEFAULT_TOURS_PATH.read_text(encoding="utf-8").split("\nhours:")[0]
    assert "day_source" in header and "official" in header and "à confirmer" in header
