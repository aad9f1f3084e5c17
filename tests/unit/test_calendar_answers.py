"""What the assistant answers about the buses and desks, with an injected `now` (Paris time)."""

import datetime as dt

import pytest

from franceservices.calendar import answers as ca
from franceservices.calendar.tours import get_calendar
from franceservices.dates.clock import PARIS
from franceservices.dates.french_dates import parse_date_fr

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
    assert answer.responses == ["utter_calendar_next_visit_unconfirmed"]  # a pilot day
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
    assert during.responses == ["utter_calendar_visit_today_unconfirmed"]
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
    # The first stop that day is Cousolre, whose day (a Wednesday) was published.
    assert calendar.stops()[0].tour_id == stops[0].tour_id and stops[0].commune == "Cousolre"
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
    assert answer.responses == [
        "utter_calendar_no_visit_in_range",
        "utter_calendar_next_visit_unconfirmed",
    ]
    assert answer.replies[1].params["date"] == "lundi 4 janvier"
    in_january = parse_date_fr("en janvier", dt.date(2026, 11, 27))
    answer = ca.next_visit(calendar, trelon, at(2026, 11, 27, 10), in_january)
    assert answer.responses == ["utter_calendar_next_visit_unconfirmed"]
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
    assert answer.responses == [
        "utter_calendar_not_served_unconfirmed",  # Orchies and Roost-Warendin: pilot days
        "utter_calendar_nearest_desk",
    ]
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
    assert friday.responses == ["utter_calendar_location_unconfirmed"]  # four pilot days
    lines = friday.replies[0].params["visits"].splitlines()
    assert len(lines) == 4 and all(line.startswith("- vendredi 4 décembre") for line in lines)
    # Saturday: nobody; the next day with visits is given.
    saturday = parse_date_fr("samedi", dt.date(2026, 12, 4))
    answer = ca.bus_location(calendar, at(2026, 12, 4, 8), saturday, None)
    assert answer.responses == [
        "utter_calendar_location_none",
        "utter_calendar_location_next_day_unconfirmed",
    ]
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


# -- confirmed and planned days (issue 15) -----------------------------------------------------
# Only the stops whose day was published are confirmed (reference/tours.yml, day_source); the
# other days are a pilot plan and are told as planned, "à confirmer" with the bus's phone.


@pytest.fixture(scope="module")
def nlg():
    """Rasa's own response generator over the project's domain.yml."""
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain

    from franceservices.paths import PROJECT_DIR

    domain = Domain.load(str(PROJECT_DIR / "domain.yml"))
    return domain, TemplatedNaturalLanguageGenerator(domain.responses)


def render(nlg, reply, channel: str) -> str:
    """The text Rasa sends for `reply` through `channel` ("rest", "twilio", "facebook")."""
    import asyncio

    from rasa.shared.core.trackers import DialogueStateTracker

    domain, generator = nlg
    tracker = DialogueStateTracker.from_events("citizen", [], domain.slots)
    message = asyncio.run(generator.generate(reply.response, tracker, channel, **reply.params))
    assert message is not None, f"{reply.response} is not in domain.yml"
    return message["text"]


def sms_ok(text: str) -> bool:
    """The SMS channel's size rule: at most 3 segments, before it cuts with SUITE."""
    from channels.sms_format import segment_count

    return segment_count(text) <= 3


def test_a_planned_day_is_told_as_planned_in_every_channel(calendar, nlg):
    answer = ca.next_visit(calendar, commune("trelon"), at(2026, 11, 27, 10))
    (reply,) = answer.replies
    web = render(nlg, reply, "rest")
    assert web == (
        "Prochain passage prévu du bus France Services à Trélon : lundi 7 décembre, "
        "de 9 h 30 à 12 h 30 et de 13 h 30 à 16 h, date à confirmer au 03 59 73 18 20 "
        "(téléphone du bus).\n"
        "Lieu : devant la mairie, 1 place Jean-Jaurès, 59132 Trélon."
    )
    assert render(nlg, reply, "facebook") == web  # Messenger reads the web wording
    sms = render(nlg, reply, "twilio")
    assert sms == (
        "Bus France Services à Trélon : prévu le lundi 7 décembre, de 9 h 30 à 12 h 30 et de "
        "13 h 30 à 16 h, date à confirmer au 03 59 73 18 20. "
        "Lieu : devant la mairie, 1 place Jean-Jaurès, 59132 Trélon."
    )
    assert sms_ok(sms) and len(sms) < len(web)


def test_a_published_day_is_told_as_before(calendar, nlg):
    answer = ca.next_visit(calendar, commune("cambrai"), at(2026, 11, 27, 10))
    (reply,) = answer.replies
    assert reply.response == "utter_calendar_next_visit"
    expected = (
        "Prochain passage du bus France Services à Cambrai : mercredi 2 décembre, "
        "de 10 h à 12 h et de 14 h à 17 h.\n"
        "Lieu : quartier Amérique.\n"
        "Téléphone du bus : 03 59 73 18 30."
    )
    for channel in ("rest", "twilio", "facebook"):
        text = render(nlg, reply, channel)
        assert text == expected and "confirmer" not in text and "prévu" not in text
    assert sms_ok(expected)


def test_a_planned_visit_today_and_its_hours_are_to_be_confirmed(calendar, nlg):
    trelon = commune("trelon")
    today = ca.next_visit(calendar, trelon, at(2026, 12, 7, 15)).replies[0]
    assert today.response == "utter_calendar_visit_today_unconfirmed"
    for channel in ("rest", "twilio"):
        text = render(nlg, today, channel)
        assert "prévu à Trélon aujourd'hui" in text and "à confirmer au 03 59 73 18 20" in text
    assert sms_ok(render(nlg, today, "twilio"))
    hours = ca.visit_detail(calendar, trelon, at(2026, 11, 27, 10), "time").replies[0]
    assert render(nlg, hours, "rest") == (
        "Le lundi 7 décembre, le bus est prévu à Trélon de 9 h 30 à 12 h 30 et de 13 h 30 à "
        "16 h, date à confirmer au 03 59 73 18 20."
    )
    cambrai = ca.visit_detail(calendar, commune("cambrai"), at(2026, 11, 27, 10), "time")
    assert cambrai.responses == ["utter_calendar_hours"]


def test_following_visits_of_a_planned_day_are_to_be_confirmed(calendar, nlg):
    planned = ca.more_visits(calendar, commune("trelon"), at(2026, 11, 27, 10), 1)
    assert planned.responses == ["utter_calendar_more_visits_unconfirmed"]
    web = render(nlg, planned.replies[0], "rest")
    assert web.startswith(
        "Les passages suivants prévus du bus à Trélon, dates à confirmer au 03 59 73 18 20 "
        "(téléphone du bus) :\n- lundi 4 janvier, "
    )
    sms = render(nlg, planned.replies[0], "twilio")
    assert "à confirmer au 03 59 73 18 20" in sms and sms_ok(sms)
    published = ca.more_visits(calendar, commune("cambrai"), at(2026, 11, 27, 10), 1)
    assert published.responses == ["utter_calendar_more_visits"]
    assert "confirmer" not in render(nlg, published.replies[0], "twilio")


def test_where_are_the_buses_marks_the_planned_days(calendar, nlg):
    # Wednesday 2 December 2026: Cambrai's day was published, the three others are a pilot plan.
    answer = ca.bus_location(calendar, at(2026, 12, 2, 8), None, None)
    assert answer.responses == ["utter_calendar_location", "utter_calendar_location_unconfirmed"]
    sure = answer.replies[0].params["visits"].splitlines()
    assert sure == [
        "- mercredi 2 décembre : Cambrai, de 10 h à 12 h et de 14 h à 17 h (quartier Amérique)"
    ]
    planned = answer.replies[1].params["visits"].splitlines()
    assert [line.split(" : ")[1].split(",")[0] for line in planned] == [
        "Sains-du-Nord",
        "Dechy",
        "Rexpoëde",
    ]
    # Each planned line ends with the phone of its own bus.
    assert [line.rsplit(", ", 1)[1] for line in planned] == [
        "03 59 73 18 20",
        "03 59 73 18 31",
        "03 59 73 49 50",
    ]
    for channel in ("rest", "twilio"):
        text = render(nlg, answer.replies[1], channel)
        assert "prévus" in text and "à confirmer" in text
        assert "confirmer" not in render(nlg, answer.replies[0], channel)


def test_which_communes_on_a_given_day_marks_the_planned_days(calendar, nlg):
    saturday = parse_date_fr("samedi", dt.date(2026, 12, 4))
    answer = ca.bus_location(calendar, at(2026, 12, 4, 8), saturday, None)
    next_day = answer.replies[1]
    assert next_day.response == "utter_calendar_location_next_day_unconfirmed"
    assert all(
        line.endswith(("20", "30", "31", "50")) for line in next_day.params["visits"].splitlines()
    )
    text = render(nlg, next_day, "rest")
    assert text.startswith("Prochain jour de passage prévu, le lundi 7 décembre, à confirmer")
    # Tuesday 1 December -> the next day with a published visit, Wednesday 2 (Cambrai).
    one_bus = ca.bus_location(
        calendar,
        at(2026, 12, 1, 17),
        parse_date_fr("aujourd'hui", dt.date(2026, 12, 1)),
        "cambresis",
    )
    assert one_bus.responses == ["utter_calendar_location_none", "utter_calendar_location_next_day"]
    assert "confirmer" not in render(nlg, one_bus.replies[1], "twilio")


def test_nearest_stops_of_a_commune_without_bus_mark_the_planned_dates(calendar, nlg):
    answer = ca.next_visit(calendar, commune("lille"), at(2026, 11, 27, 10))
    assert answer.responses[0] == "utter_calendar_not_served_unconfirmed"  # Orchies, Roost-Warendin
    stops = answer.replies[0].params["stops"].splitlines()
    assert stops[1] == "- Roost-Warendin (24 km) : le vendredi 4 décembre, 03 59 73 18 31"
    sms = render(nlg, answer.replies[0], "twilio")
    assert "à confirmer" in sms and sms_ok(sms)


def test_every_planned_response_exists_with_a_short_sms_variant(nlg):
    domain, _ = nlg
    for name in ca.UNCONFIRMED_RESPONSES:
        variants = domain.responses[f"{name}_unconfirmed"]
        assert all("confirmer" in v["text"] for v in variants), name
        assert name in domain.responses, name
