"""What the assistant answers about the buses and desks, with an injected `now` (Paris time)."""

import datetime as dt

import pytest

from actions import calendar_answers as ca
from actions.clock import PARIS
from actions.dates_fr import parse_date_fr
from actions.tours import get_calendar

UTC = dt.timezone.utc


@pytest.fixture(scope="module")
def calendar():
    return get_calendar()


def at(*args, tz=PARIS):
    return dt.datetime(*args, tzinfo=tz)


def commune(text):
    found, resolution = ca.find_commune([text])
    assert found is not None, resolution
    return found


def test_next_visit_gives_date_hours_place_and_phone(calendar):
    answer = ca.next_visit(calendar, commune("trelon"), at(2026, 11, 27, 10))
    assert answer.responses == ["utter_calendar_next_visit"]
    params = answer.replies[0].params
    assert params["date"] == "lundi 7 décembre"  # 1st Monday of December 2026
    assert params["hours"] == "de 9 h 30 à 12 h 30 et de 13 h 30 à 16 h"
    assert "mairie" in params["place"]
    assert params["phone"] == "03 59 73 18 20"
    assert answer.slots["commune_insee"] == "59601"
    assert answer.slots["topic"] == "calendar"


def test_a_visit_today_counts_until_closing_time(calendar):
    # Trélon: 1st Monday. Monday 7 December 2026 at 15:00 the bus is still there.
    during = ca.next_visit(calendar, commune("trelon"), at(2026, 12, 7, 15))
    assert during.responses == ["utter_calendar_visit_today"]
    after = ca.next_visit(calendar, commune("trelon"), at(2026, 12, 7, 16, 1))
    assert after.replies[0].params["date"] == "lundi 4 janvier"


def test_server_clock_in_utc_is_read_in_paris_time(calendar):
    # 15:30 UTC on 7 December is 16:30 in Paris: the visit is over.
    answer = ca.next_visit(calendar, commune("trelon"), at(2026, 12, 7, 15, 30, tz=UTC))
    assert answer.replies[0].params["date"] == "lundi 4 janvier"


def test_a_holiday_is_said_before_the_next_visit(calendar):
    # Sains-du-Nord: 1st Wednesday? find a stop on 11 November 2026 (2nd Wednesday).
    stops = [v for v in calendar.visits_on(dt.date(2026, 11, 11))]
    assert stops, "the pilot calendar has a stop on the 2nd Wednesday"
    insee = stops[0].insee
    found, _ = ca.find_commune([], insee)
    answer = ca.next_visit(calendar, found, at(2026, 11, 2, 9))
    assert answer.responses[:2] == ["utter_calendar_cancelled_holiday", "utter_calendar_next_visit"]
    assert answer.replies[0].params == {
        "date": "mercredi 11 novembre",
        "holiday": "armistice de 1918",
    }
    assert answer.replies[1].params["date"] == "mercredi 9 décembre"


def test_market_day_morning_runs_until_13h(calendar):
    answer = ca.next_visit(calendar, commune("flers en escrebieux"), at(2026, 11, 27, 10))
    assert answer.responses == ["utter_calendar_next_visit", "utter_calendar_market_day"]
    assert answer.replies[0].params["date"] == "vendredi 11 décembre"
    assert answer.replies[0].params["hours"] == "de 9 h à 13 h"


def test_asked_month_without_a_visit_says_so_then_gives_the_next(calendar):
    trelon = commune("trelon")
    when = parse_date_fr("le 15 décembre", dt.date(2026, 11, 27))
    answer = ca.next_visit(calendar, trelon, at(2026, 11, 27, 10), when)
    assert answer.responses == ["utter_calendar_no_visit_in_range", "utter_calendar_next_visit"]
    assert answer.replies[1].params["date"] == "lundi 4 janvier"
    in_january = parse_date_fr("en janvier", dt.date(2026, 11, 27))
    answer = ca.next_visit(calendar, trelon, at(2026, 11, 27, 10), in_january)
    assert answer.responses == ["utter_calendar_next_visit"]
    assert answer.replies[0].params["date"] == "lundi 4 janvier"


def test_an_impossible_date_is_refused_politely(calendar):
    when = parse_date_fr("le 31/02", dt.date(2026, 11, 27))
    answer = ca.next_visit(calendar, commune("trelon"), at(2026, 11, 27, 10), when)
    assert answer.responses == ["utter_calendar_date_invalid"]


def test_more_visits_gives_the_three_following(calendar):
    answer = ca.more_visits(calendar, commune("trelon"), at(2026, 11, 27, 10), 1)
    visits = answer.replies[0].params["visits"].splitlines()
    assert [v.split(",")[0] for v in visits] == [
        "- lundi 4 janvier",
        "- lundi 1er février",
        "- lundi 1er mars",
    ]
    assert answer.slots["visits_shown"] == 4
    again = ca.more_visits(calendar, commune("trelon"), at(2026, 11, 27, 10), 4)
    assert again.replies[0].params["visits"].startswith("- lundi 5 avril")


def test_easter_monday_visit_is_cancelled_in_the_list(calendar):
    # Trélon is a 1st-Monday stop; Easter Monday 2027 is 29 March (5th Monday): no clash.
    # Use Pentecost Monday 17 May 2027 = 3rd Monday: find the stop on that slot.
    stops = calendar.visits_on(dt.date(2027, 5, 17))
    assert stops and stops[0].status == "cancelled_holiday"
    assert stops[0].reason == "lundi de Pentecôte"


def test_commune_not_served_gets_two_stops_and_nearest_desk(calendar):
    answer = ca.next_visit(calendar, commune("lille"), at(2026, 11, 27, 10))
    assert answer.responses == ["utter_calendar_not_served", "utter_calendar_nearest_desk"]
    stops = answer.replies[0].params["stops"].splitlines()
    assert len(stops) == 2 and all(" km)" in line for line in stops)
    assert "Lille" in answer.replies[1].params["desk_address"]
    assert answer.slots["human_contact"].endswith(answer.replies[1].params["desk_phone"])


@pytest.mark.parametrize(
    ("text", "response"),
    [
        ("avesnes", "utter_calendar_commune_ambiguous"),
        ("arras", "utter_calendar_commune_outside"),
        ("62000", "utter_calendar_commune_outside"),
        ("xyzzy", "utter_calendar_commune_unknown"),
    ],
)
def test_commune_problems(text, response):
    found, resolution = ca.find_commune([text])
    assert found is None
    answer = ca.commune_problem(resolution, "commune_for_bus")
    assert answer.responses == [response]
    assert answer.slots["awaiting"] == "commune_for_bus"


def test_ambiguous_commune_offers_buttons_with_insee_codes():
    _, resolution = ca.find_commune(["avesnes"])
    buttons = ca.commune_problem(resolution, "x").replies[0].buttons
    assert buttons[0]["title"] == "Avesnes-sur-Helpe (59440)"
    assert buttons[0]["payload"] == '/inform_commune{"commune_insee": "59036"}'
    found, _ = ca.find_commune(["ignored"], insee="59036")
    assert found.name == "Avesnes-sur-Helpe"


def test_no_commune_at_all_asks_for_it():
    assert ca.commune_problem(None, "x").responses == ["utter_calendar_ask_commune"]


def test_bus_location_today_and_a_day_without_visits(calendar):
    friday = ca.bus_location(calendar, at(2026, 12, 4, 8), None, None)
    assert friday.responses == ["utter_calendar_location"]
    lines = friday.replies[0].params["visits"].splitlines()
    assert len(lines) == 4 and all(line.startswith("- vendredi 4 décembre") for line in lines)
    # Saturday: nobody; the next day with visits is given.
    saturday = parse_date_fr("samedi", dt.date(2026, 12, 4))
    answer = ca.bus_location(calendar, at(2026, 12, 4, 8), saturday, None)
    assert answer.responses == ["utter_calendar_location_none", "utter_calendar_location_next_day"]
    assert answer.replies[1].params["date"] == "lundi 7 décembre"


def test_bus_location_on_a_holiday_and_for_one_bus(calendar):
    holiday = parse_date_fr("le 11 novembre 2027", dt.date(2026, 12, 1))
    answer = ca.bus_location(calendar, at(2026, 12, 1, 8), holiday, None)
    assert answer.responses[0] == "utter_calendar_location_holiday"
    one = ca.bus_location(calendar, at(2026, 12, 4, 8), None, "douaisis")
    assert len(one.replies[0].params["visits"].splitlines()) == 1


def test_find_tour_and_tour_communes(calendar):
    assert ca.find_tour(calendar, "le bus du Douaisis") == "douaisis"
    assert ca.find_tour(calendar, "le bus") is None
    answer = ca.tour_communes(calendar, "avesnois")
    assert answer.replies[0].params["count"] == 20
    assert "Trélon" in answer.replies[0].params["communes"]
    ask = ca.tour_communes(calendar, None)
    assert ask.responses == ["utter_calendar_choose_tour"]
    assert len(ask.replies[0].buttons) == 4
    by_commune = ca.tour_communes(calendar, None, commune("sin le noble"))
    assert "Douaisis" in by_commune.replies[0].params["tour"]


def test_desk_open_now_and_closed(calendar):
    hondschoote = commune("hondschoote")
    open_ = ca.desk_info(hondschoote, at(2026, 11, 27, 10))  # Friday 10:00
    assert open_.responses == ["utter_desk_info", "utter_desk_open_now"]
    assert open_.replies[0].params["desk_name"] == "France services Hondschoote"
    assert open_.replies[1].params == {"until": "13 h"}
    evening = ca.desk_info(hondschoote, at(2026, 11, 27, 18))
    assert evening.replies[1].params == {"next_opening": "lundi 30 novembre à 9 h"}
    lunch = ca.desk_info(hondschoote, at(2026, 11, 26, 12, 30))
    assert lunch.replies[1].params == {"next_opening": "aujourd'hui à 14 h"}
    holiday_eve = ca.desk_info(hondschoote, at(2026, 11, 10, 18))
    assert holiday_eve.replies[1].params == {"next_opening": "jeudi 12 novembre à 9 h"}
