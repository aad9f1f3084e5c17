import datetime as dt
from dataclasses import dataclass

import pytest

from franceservices.booking.offer import (
    Absence,
    Closure,
    ExtraSlot,
    Organisation,
    VisioOffer,
    VisioPlace,
)
from franceservices.booking.visio_slots import (
    Place,
    Slot,
    UnknownCommune,
    find_slot,
    nearest_help,
    parse_slot_token,
    place_key,
    propose_slots,
    split_place_key,
)
from franceservices.calendar.engine import TourCalendar
from franceservices.calendar.model import Cancellation, HourProfile, Stop, Tour
from franceservices.dates.clock import PARIS
from franceservices.places.desks import Desk, DeskRepository
from franceservices.policy import get_policy

UTC = dt.timezone.utc
T = dt.time
AM_PM = ((T(9, 30), T(12, 30)), (T(13, 30), T(16, 0)))
PROFILE = HourProfile("itinerant", {0: AM_PM, 1: AM_PM, 2: AM_PM, 3: AM_PM, 4: ((T(9), T(13)),)})
DESK_HOURS = ((T(9), T(12)), (T(14), T(17)))


def stop(insee, commune, week, weekday, lat, lon):
    return Stop("t1", insee, commune, week, weekday, f"mairie de {commune}", lat=lat, lon=lon)


STOPS = (
    stop("59001", "Aville", 1, 0, 50.00, 4.00),  # 1st Monday
    stop("59002", "Beville", 2, 4, 50.05, 4.05),  # 2nd Friday (morning only)
    stop("59004", "Deville", 3, 0, 50.03, 3.98),  # 3rd Monday (Easter Monday 2025-04-21)
)
TOUR = Tour(
    "t1", "Bus France services de Test", "Aville", "03 00 00 00 01", "t@x.fr", PROFILE, STOPS
)


def make_calendar(cancellations=()):
    return TourCalendar([TOUR], cancellations)


def make_desk(id="900", lat=50.01, lon=4.01, hours=None, kind="fixed"):
    week = {i: DESK_HOURS for i in range(5)} | {5: (), 6: ()}
    return Desk(
        id=id,
        name=f"France services {id}",
        kind=kind,
        operator="Département du Nord",
        address="1 rue X",
        postcode="59000",
        commune="Deskville",
        insee="59900",
        lat=lat,
        lon=lon,
        phone="03 00 00 00 02",
        email="d@x.fr",
        hours=hours or week,
        appointment=True,
        run_by_departement=True,
    )


@dataclass
class FakeCommune:
    insee: str
    name: str
    lat: float
    lon: float


class FakeCommunes:
    def __init__(self):
        self._c = {
            "59001": FakeCommune("59001", "Aville", 50.00, 4.00),
            "59002": FakeCommune("59002", "Beville", 50.05, 4.05),
            "59003": FakeCommune("59003", "Ceville", 50.02, 4.03),  # no bus stop
            "59999": FakeCommune("59999", "Loinville", 51.0, 2.5),  # > 20 km from any stop
        }

    def get(self, insee):
        return self._c.get(insee)


def paris(*args):
    return dt.datetime(*args, tzinfo=PARIS)


EVERY_DAY = frozenset(range(7))
HALF_HOUR = dt.timedelta(minutes=30)


def visio_place(key, orgs=(("caf", EVERY_DAY, None),), booths=1, hours=None, closures=()):
    kind, _, id = key.partition(":")
    organisations = tuple(Organisation(op, frozenset(days), h) for op, days, h in orgs)
    return VisioPlace(key, kind, id, booths, HALF_HOUR, hours, tuple(closures), organisations)


def make_offer(*places, absences=(), extras=()):
    """An offer where the CAF is met at the test bus and desk whenever they are open, unless
    other places are given."""
    places = places or (visio_place("bus:t1"), visio_place("desk:900"))
    return VisioOffer(places, absences, extras)


def propose(
    target="59001", now=None, taken=(), n=6, cancellations=(), desks=None, offer=None,
    operator="caf", **kw,
):  # fmt: skip
    return propose_slots(
        target,
        operator,
        now or paris(2025, 3, 3, 8, 0),
        taken,
        n,
        calendar=make_calendar(cancellations),
        desks=desks or DeskRepository([make_desk()]),
        communes=FakeCommunes(),
        offer=offer or make_offer(),
        **kw,
    )


def starts(slots, key=None):
    return [s.start for s in slots if key is None or s.place_key == key]


BUS, DESK = "bus:t1", "desk:900"


# -- places and tokens ------------------------------------------------------------------------


def test_place_key_and_split():
    assert place_key("bus", "t1") == "bus:t1"
    assert split_place_key("desk:346") == ("desk", "346")
    assert Place("desk", "346", "FS", "1 rue", "03").key == "desk:346"
    with pytest.raises(ValueError):
        place_key("boat", "x")
    with pytest.raises(ValueError):
        split_place_key("desk346")


def test_slot_token_round_trip_and_equality():
    slot = Slot(DESK, paris(2025, 3, 3, 9), paris(2025, 3, 3, 9, 30), place=None)
    key = parse_slot_token(slot.token)
    assert key == slot.key
    assert key[1].tzinfo is not None
    # a slot equals the same instant expressed in UTC (the store gives UTC datetimes)
    assert (DESK, dt.datetime(2025, 3, 3, 8, 0, tzinfo=UTC)) == slot.key
    with pytest.raises(ValueError):
        parse_slot_token("desk:900@2025-03-03T09:00:00")  # naive
    with pytest.raises(ValueError):
        parse_slot_token("nothing")


# -- proposals ---------------------------------------------------------------------------------


def test_served_commune_gets_bus_and_desk_balanced_earliest_first():
    slots = propose()
    assert [s.place_key for s in slots].count(BUS) == 3
    assert [s.place_key for s in slots].count(DESK) == 3
    assert starts(slots) == sorted(starts(slots))
    bus = [s for s in slots if s.place_key == BUS]
    # Monday 3 March 2025 is the 1st Monday; now 08:00 + 2 h lead -> first slot 10:00
    assert starts(bus)[:2] == [paris(2025, 3, 3, 10), paris(2025, 3, 3, 10, 30)]
    # at most two a day: the third one is on the next visit, 1st Monday of April
    assert starts(bus)[2] == paris(2025, 4, 7, 9, 30)
    assert bus[0].place.commune == "Aville" and bus[0].place.distance_km == 0.0
    assert bus[0].place.address == "mairie de Aville"
    assert all(s.end - s.start == dt.timedelta(minutes=30) for s in slots)


def test_minimum_lead_time_is_respected():
    now = paris(2025, 3, 3, 9, 10)
    slots = propose(now=now, n=20)
    assert min(starts(slots)) >= now + get_policy().visio.min_lead_time
    assert starts(slots, BUS)[0] == paris(2025, 3, 3, 11, 30)


def test_zero_lead_time_offers_the_next_half_hour_but_never_the_past():
    slots = propose(now=paris(2025, 3, 3, 9, 40), min_lead=dt.timedelta(0))
    assert starts(slots, BUS)[0] == paris(2025, 3, 3, 10)


def test_slots_stay_inside_opening_periods():
    slots = propose(now=paris(2025, 3, 2, 8), n=200, per_day=100)
    for slot in slots:
        local = slot.start.astimezone(PARIS)
        periods = DESK_HOURS if slot.place_key == DESK else PROFILE.periods(local.weekday())
        assert any(
            dt.datetime.combine(local.date(), a, tzinfo=PARIS) <= local
            and slot.end <= dt.datetime.combine(local.date(), b, tzinfo=PARIS)
            for a, b in periods
        ), slot
    bus_day = [s.start.time() for s in slots if s.place_key == BUS and s.start.day == 3]
    assert bus_day[0] == T(9, 30) and bus_day[-1] == T(15, 30)
    assert T(12, 30) not in bus_day and T(13, 0) not in bus_day and T(13, 30) in bus_day


def test_friday_bus_is_morning_only():
    # 2nd Friday of March 2025 = 14 March, Beville
    slots = propose("59002", now=paris(2025, 3, 10, 8), n=100, per_day=100)
    friday = [s for s in slots if s.place_key == BUS and s.start.date() == dt.date(2025, 3, 14)]
    assert friday, "the Friday visit must be offered"
    assert friday[0].start == paris(2025, 3, 14, 9)
    assert max(s.end for s in friday) == paris(2025, 3, 14, 13)
    assert all(s.start.hour < 13 for s in friday)


def test_after_closing_time_moves_to_the_next_opening():
    slots = propose(now=paris(2025, 3, 3, 16, 30))
    assert starts(slots, BUS)[0] == paris(2025, 4, 7, 9, 30)
    assert starts(slots, DESK)[0] == paris(2025, 3, 4, 9)


def test_public_holiday_gives_no_slot():
    # Easter Monday 2025-04-21: the 3rd-Monday visit of Deville is cancelled, the desk closed
    slots = propose("59001", now=paris(2025, 4, 18, 18), n=100, per_day=100)
    assert not [s for s in slots if s.start.date() == dt.date(2025, 4, 21)]
    deville = propose_slots(
        (50.03, 3.98),  # at Deville: its stop is the nearest
        "caf",
        paris(2025, 4, 18, 18),
        n=4,
        calendar=make_calendar(),
        desks=DeskRepository([make_desk()]),
        offer=make_offer(),
    )
    # Deville's 3rd-Monday visit of April is cancelled: the next one is 19 May
    assert starts(deville, BUS)[0] == paris(2025, 5, 19, 9, 30)
    # 1 May 2025 (Thursday) and 8 May: no desk slot
    may = propose(now=paris(2025, 4, 30, 18), n=40, per_day=100)
    days = {s.start.date() for s in may if s.place_key == DESK}
    assert dt.date(2025, 5, 1) not in days and dt.date(2025, 5, 2) in days


def test_cancelled_visit_is_skipped():
    cancelled = Cancellation("t1", "59001", dt.date(2025, 4, 7), "panne du bus")
    slots = propose(now=paris(2025, 3, 20, 8), cancellations=[cancelled])
    assert starts(slots, BUS)[0] == paris(2025, 5, 5, 9, 30)
    whole_tour = Cancellation("t1", None, dt.date(2025, 4, 7), "grève")
    slots = propose(now=paris(2025, 3, 20, 8), cancellations=[whole_tour])
    assert starts(slots, BUS)[0] == paris(2025, 5, 5, 9, 30)


def test_taken_slots_are_skipped_whatever_their_time_zone():
    taken = {
        (BUS, paris(2025, 3, 3, 10)),
        (BUS, dt.datetime(2025, 3, 3, 9, 30, tzinfo=UTC)),  # 10:30 Paris, as the store returns
        (DESK, paris(2025, 3, 3, 10)),
    }
    slots = propose(taken=taken)
    assert starts(slots, BUS)[:2] == [paris(2025, 3, 3, 11), paris(2025, 3, 3, 11, 30)]
    assert starts(slots, DESK)[0] == paris(2025, 3, 3, 10, 30)
    assert not {s.key for s in slots} & taken


def test_all_taken_on_a_day_moves_on():
    day = [paris(2025, 3, 3, h, m) for h in range(9, 17) for m in (0, 30)]
    taken = {(BUS, t) for t in day}
    slots = propose(taken=taken)
    assert starts(slots, BUS)[0] == paris(2025, 4, 7, 9, 30)


def test_unserved_commune_gets_the_nearest_stop():
    slots = propose("59003")
    bus = [s for s in slots if s.place_key == BUS]
    assert bus and bus[0].place.commune in {"Aville", "Beville", "Deville"}
    assert bus[0].place.distance_km > 0


def test_position_instead_of_commune():
    slots = propose((50.0001, 4.0001))
    assert {s.place_key for s in slots} == {BUS, DESK}


def test_far_commune_gets_nothing_beyond_the_policy_radius():
    # Issue 18: a desk farther than the policy's radius is not "within reach" either (the old
    # test offered the nearest desk at any distance).
    assert propose("59999") == []
    far_desk = DeskRepository([make_desk(lat=50.3, lon=4.4)])  # about 40 km from Aville
    slots = propose("59001", desks=far_desk)
    assert {s.place_key for s in slots} == {BUS}


def test_nearest_fixed_desk_is_chosen():
    desks = DeskRepository(
        [make_desk("901", lat=50.5, lon=3.0), make_desk("902", lat=50.0, lon=4.0)]
        + [make_desk("903", lat=50.0, lon=4.0, kind="itinerant")]
    )
    offer = make_offer(
        visio_place("bus:t1"), visio_place("desk:901"), visio_place("desk:902"),
        visio_place("desk:903"),
    )  # fmt: skip
    slots = propose(desks=desks, offer=offer)
    # 901 is 80 km away, 903 is a bus's base: only the near fixed desk
    assert {s.place_key for s in slots if s.place_key.startswith("desk")} == {"desk:902"}


def test_unknown_commune_and_n_zero():
    with pytest.raises(UnknownCommune):
        propose("12345")
    assert propose(n=0) == []


def test_dst_spring_forward():
    # DST starts Sunday 30 March 2025: Monday 31 March 09:00 Paris is 07:00 UTC
    slots = propose(now=paris(2025, 3, 29, 12))
    first = starts(slots, DESK)[0]
    assert first == paris(2025, 3, 31, 9)
    assert first.utcoffset() == dt.timedelta(hours=2)
    assert first.astimezone(UTC).hour == 7
    # now given in UTC on the Saturday night (already Sunday in Paris) works the same
    slots = propose(now=dt.datetime(2025, 3, 29, 23, 30, tzinfo=UTC))
    assert starts(slots, DESK)[0] == paris(2025, 3, 31, 9)


def test_dst_fall_back():
    # DST ends Sunday 26 October 2025: Monday 27 October 09:00 Paris is 08:00 UTC
    slots = propose(now=paris(2025, 10, 25, 12))
    first = starts(slots, DESK)[0]
    assert first.astimezone(UTC) == dt.datetime(2025, 10, 27, 8, tzinfo=UTC)
    assert all(s.end - s.start == dt.timedelta(minutes=30) for s in slots)


def test_naive_now_is_paris_time():
    aware = propose(now=paris(2025, 3, 3, 8))
    naive = propose(now=dt.datetime(2025, 3, 3, 8))
    assert [s.key for s in aware] == [s.key for s in naive]


def test_real_reference_files_smoke():
    # The shipped offer names no organisation (no source says which comes when): nothing is
    # proposed, never an invented slot (the old test expected bus and desk slots for anyone).
    assert propose_slots("59601", "caf", paris(2025, 3, 3, 8)) == []  # Trélon
    # With the CAF on the Avesnois bus, Trélon (one of its stops) gets the bus's visits only:
    # the Département's desks offering visio are all farther than the radius.
    offer = VisioOffer(
        [visio_place("bus:avesnois"), visio_place("desk:350"), visio_place("desk:346")]
    )
    slots = propose_slots("59601", "caf", paris(2025, 3, 3, 8), offer=offer)
    assert slots and {s.place_key for s in slots} == {"bus:avesnois"}
    assert all(s.place.commune == "Trélon" and s.place.distance_km == 0.0 for s in slots)


# -- find_slot (re-check a chosen slot) --------------------------------------------------------


def check(key, now=None, taken=(), cancellations=(), offer=None, operator="caf"):
    return find_slot(
        key,
        now or paris(2025, 3, 1, 8),
        taken,
        operator=operator,
        calendar=make_calendar(cancellations),
        desks=DeskRepository([make_desk()]),
        offer=offer or make_offer(),
    )


def test_find_slot_accepts_a_proposed_slot():
    for slot in propose(now=paris(2025, 3, 1, 8)):
        found = check(parse_slot_token(slot.token))
        assert found == slot and found.place is not None


def test_find_slot_refuses_stale_choices():
    assert check((BUS, paris(2025, 3, 3, 10))) is not None
    assert check((BUS, paris(2025, 3, 3, 10, 15))) is None  # off the grid
    assert check((BUS, paris(2025, 3, 4, 10))) is None  # no visit that day
    assert check((BUS, paris(2025, 3, 3, 10)), taken={(BUS, paris(2025, 3, 3, 10))}) is None
    assert check((BUS, paris(2025, 3, 3, 10)), now=paris(2025, 3, 3, 9)) is None  # too soon
    cancelled = [Cancellation("t1", "59001", dt.date(2025, 3, 3), "panne")]
    assert check((BUS, paris(2025, 3, 3, 10)), cancellations=cancelled) is None
    assert check((DESK, paris(2025, 5, 1, 9))) is None  # 1 May
    assert check((DESK, paris(2025, 3, 3, 12))) is None  # lunch break
    assert check(("desk:nope", paris(2025, 3, 3, 9))) is None


# -- only the offer's slots (issue 18) -----------------------------------------------------------


def test_nothing_is_proposed_for_an_organisation_the_offer_does_not_have():
    assert propose(operator="dgfip") == []
    assert propose(offer=VisioOffer([])) == []
    assert check((DESK, paris(2025, 3, 3, 10)), operator="dgfip") is None


def test_an_organisation_on_some_days_only():
    offer = make_offer(
        visio_place("desk:900", orgs=[("caf", {2}, ((T(9), T(12)),)), ("cpam", {0, 1}, None)])
    )
    caf = propose(offer=offer, n=20, per_day=20)
    assert caf and {s.start.weekday() for s in caf} == {2}  # Wednesdays
    assert all(T(9) <= s.start.time() and s.end.time() <= T(12) for s in caf)
    cpam = propose(offer=offer, operator="cpam", n=20, per_day=20)
    assert {s.start.weekday() for s in cpam} == {0, 1}
    assert check((DESK, paris(2025, 3, 5, 9)), offer=offer) is not None  # a Wednesday
    assert check((DESK, paris(2025, 3, 4, 9)), offer=offer) is None  # Tuesday: no CAF
    assert check((DESK, paris(2025, 3, 4, 9)), offer=offer, operator="cpam") is not None
    assert check((DESK, paris(2025, 3, 4, 9)), offer=offer, operator=None) is not None


def test_a_full_booth_offers_nothing_a_second_booth_does():
    day = [paris(2025, 3, 3, h, m) for h in range(9, 17) for m in (0, 30)]
    one = make_offer(visio_place("desk:900"))
    full = {(DESK, t) for t in day}
    slots = propose(offer=one, taken=full)
    assert slots and all(s.start.date() > dt.date(2025, 3, 3) for s in slots)
    two = make_offer(visio_place("desk:900", booths=2))
    slots = propose(offer=two, taken=full)
    assert starts(slots, "desk:900/2")[0] == paris(2025, 3, 3, 10)
    assert check(("desk:900/2", paris(2025, 3, 3, 10)), offer=two, taken=full) is not None
    assert check(("desk:900/3", paris(2025, 3, 3, 10)), offer=two) is None  # no third booth
    both = full | {("desk:900/2", t) for t in day}
    assert all(s.start.date() > dt.date(2025, 3, 3) for s in propose(offer=two, taken=both))


def test_an_appointment_overlapping_a_held_one_is_held():
    place = VisioPlace("desk:900", "desk", "900", 1, dt.timedelta(minutes=45), None, (),
                       (Organisation("caf", EVERY_DAY),))  # fmt: skip
    taken = {(DESK, paris(2025, 3, 3, 10, 15))}  # booked under another grid
    slots = propose(offer=make_offer(place), taken=taken, n=20, per_day=20)
    monday = starts([s for s in slots if s.start.date() == dt.date(2025, 3, 3)])
    assert paris(2025, 3, 3, 10, 30) not in monday and paris(2025, 3, 3, 11, 15) in monday
    assert check((DESK, paris(2025, 3, 3, 9, 45)), offer=make_offer(place), taken=taken) is None


def test_the_store_is_asked_once_for_the_booths_of_the_places_proposed():
    calls = []

    def taken(keys, start, end):
        calls.append((sorted(keys), start, end))
        return {(BUS, paris(2025, 3, 3, 10))}

    two = make_offer(visio_place("bus:t1"), visio_place("desk:900", booths=2))
    slots = propose(offer=two, taken=taken)
    assert [c[0] for c in calls] == [["bus:t1", "desk:900", "desk:900/2"]]
    assert calls[0][2] - calls[0][1] >= dt.timedelta(days=120)
    assert starts(slots, BUS)[0] == paris(2025, 3, 3, 10, 30)


def test_a_closed_day_and_an_absent_advisor_offer_nothing():
    closed = Closure(dt.date(2025, 3, 3), dt.date(2025, 3, 4), "formation")
    offer = make_offer(visio_place("desk:900", closures=[closed]))
    slots = propose(offer=offer, n=20, per_day=20)
    assert min(s.start for s in slots) == paris(2025, 3, 5, 9)
    assert check((DESK, paris(2025, 3, 4, 9)), offer=offer) is None
    away = Absence("desk:900", "caf", dt.date(2025, 3, 3), "congé")
    offer = make_offer(visio_place("desk:900"), absences=[away])
    assert min(s.start for s in propose(offer=offer)).date() == dt.date(2025, 3, 4)
    assert check((DESK, paris(2025, 3, 3, 10)), offer=offer) is None


def test_an_exceptional_slot_is_offered_even_on_a_closed_weekday():
    saturday = dt.date(2025, 3, 8)
    extra = ExtraSlot("desk:900", "msa", saturday, ((T(9), T(10)),), "permanence")
    offer = make_offer(visio_place("desk:900"), extras=[extra])
    slots = propose(offer=offer, operator="msa", n=10)
    assert starts(slots) == [paris(2025, 3, 8, 9), paris(2025, 3, 8, 9, 30)]
    assert check((DESK, paris(2025, 3, 8, 9, 30)), offer=offer, operator="msa") is not None
    assert check((DESK, paris(2025, 3, 8, 9, 30)), offer=offer) is None  # not the CAF


def test_a_bus_day_cancelled_by_the_calendar_offers_nothing():
    # the CAF comes on the bus only on Mondays; Aville's April visit (1st Monday) is cancelled
    # by the calendar (a console change arrives the same way, through get_calendar's overlay)
    offer = make_offer(visio_place("bus:t1", orgs=[("caf", {0}, None)]))
    cancelled = [Cancellation("t1", None, dt.date(2025, 4, 7), "panne du bus")]
    slots = propose(now=paris(2025, 3, 20, 8), offer=offer, cancellations=cancelled)
    assert starts(slots, BUS)[0] == paris(2025, 5, 5, 9, 30)
    assert check((BUS, paris(2025, 4, 7, 9, 30)), offer=offer, cancellations=cancelled) is None
    # Beville's bus comes on Fridays, the CAF does not: nothing at Beville
    assert propose("59002", now=paris(2025, 3, 10, 8), offer=offer, desks=DeskRepository([])) == []


def test_the_nearest_bus_stop_offering_the_organisation_is_chosen():
    # Ceville has no stop; the bus does offer the CAF: its nearest stop within the radius
    slots = propose("59003", offer=make_offer(visio_place("bus:t1")))
    assert slots and slots[0].place.commune in {"Aville", "Beville", "Deville"}
    # a bus without the organisation is no candidate at all
    cpam_only = make_offer(visio_place("bus:t1", orgs=[("cpam", EVERY_DAY, None)]))
    assert propose("59003", offer=cpam_only) == []


def test_nearest_help_is_the_nearest_fixed_desk():
    desks = DeskRepository([make_desk("901", lat=50.5, lon=3.0), make_desk("902")])
    desk, km = nearest_help("59001", desks=desks, communes=FakeCommunes())
    assert desk.id == "902" and km < 5
    with pytest.raises(UnknownCommune):
        nearest_help("12345", desks=desks, communes=FakeCommunes())
