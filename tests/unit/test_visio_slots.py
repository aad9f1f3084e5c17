import datetime as dt
from dataclasses import dataclass

import pytest

from actions.clock import PARIS
from actions.data_errors import DataErrors
from actions.desks import Desk, DeskRepository
from actions.tours import Cancellation, HourProfile, Stop, Tour, TourCalendar
from actions.visio_slots import (
    MIN_LEAD_TIME,
    Place,
    Slot,
    UnknownCommune,
    find_slot,
    load_operators,
    parse_operators,
    parse_slot_token,
    place_key,
    propose_slots,
    split_place_key,
)

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


def propose(target="59001", now=None, taken=(), n=6, cancellations=(), desks=None, **kw):
    return propose_slots(
        target,
        now or paris(2025, 3, 3, 8, 0),
        taken,
        n,
        calendar=make_calendar(cancellations),
        desks=desks or DeskRepository([make_desk()]),
        communes=FakeCommunes(),
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
    assert min(starts(slots)) >= now + MIN_LEAD_TIME
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
        paris(2025, 4, 18, 18),
        n=4,
        calendar=make_calendar(),
        desks=DeskRepository([make_desk()]),
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


def test_far_commune_gets_only_the_desk():
    slots = propose("59999")
    assert {s.place_key for s in slots} == {DESK}
    assert len(slots) == 6


def test_nearest_fixed_desk_is_chosen():
    desks = DeskRepository(
        [make_desk("901", lat=50.5, lon=3.0), make_desk("902", lat=50.0, lon=4.0)]
        + [make_desk("903", lat=50.0, lon=4.0, kind="itinerant")]
    )
    slots = propose(desks=desks)
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
    slots = propose_slots("59601", paris(2025, 3, 3, 8))  # Trélon, a stop of the Avesnois bus
    assert {s.place_key.split(":")[0] for s in slots} == {"bus", "desk"}
    assert all(s.place is not None and s.place.name for s in slots)


# -- find_slot (re-check a chosen slot) --------------------------------------------------------


def check(key, now=None, taken=(), cancellations=()):
    return find_slot(
        key,
        now or paris(2025, 3, 1, 8),
        taken,
        calendar=make_calendar(cancellations),
        desks=DeskRepository([make_desk()]),
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


# -- operators ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("la caf", "caf"),
        ("CAF", "caf"),
        ("les allocations familiales", "caf"),
        ("mes impôts", "dgfip"),
        ("les impots", "dgfip"),
        ("pôle emploi", "france_travail"),
        ("Pole-Emploi", "france_travail"),
        ("France Travail", "france_travail"),
        ("la sécu", "cpam"),
        ("la sécurité sociale", "cpam"),
        ("CPAM", "cpam"),
        ("la carsat pour ma retraite", "carsat"),
        ("ma retraite complémentaire", "agirc_arrco"),
        ("la MSA", "msa"),
        ("la préfecture pour ma carte grise", "ants"),
        ("DGFiP", "dgfip"),
    ],
)
def test_operator_matching(text, expected):
    op = load_operators().match(text)
    assert op is not None and op.id == expected


@pytest.mark.parametrize("text", ["un café", "bonjour", "", "caféine"])
def test_operator_no_match(text):
    assert load_operators().match(text) is None


def test_operator_ambiguous_gives_all():
    ops = load_operators()
    assert ops.match("la caf et les impôts") is None
    assert [o.id for o in ops.matches("la caf et les impôts")] == ["caf", "dgfip"]


def test_operators_file_is_valid_and_complete():
    ops = load_operators()
    ids = {o.id for o in ops.all()}
    assert {"caf", "cpam", "carsat", "msa", "france_travail", "dgfip", "ants"} <= ids
    assert all(o.name and o.source for o in ops.all())
    assert ops.get("caf").name.startswith("la CAF")


def test_operators_file_errors(tmp_path):
    path = tmp_path / "operators.yml"
    path.write_text(
        "operators:\n"
        "  - id: caf\n    name: CAF\n    aliases: [allocs]\n    source: x\n"
        "  - id: caf\n    name: Autre\n    aliases: [autre]\n    source: x\n"
        "  - id: dgfip\n    name: Impots\n    aliases: [allocs, ab]\n    source: x\n"
        "  - id: Bad-Id\n    name: X\n    aliases: [xyz]\n    source: x\n"
        "  - id: msa\n    name: MSA\n    aliases: [msa]\n    colour: red\n",
        encoding="utf-8",
    )
    with pytest.raises(DataErrors) as info:
        parse_operators(path)
    reasons = "\n".join(str(e) for e in info.value.errors)
    assert "duplicate id 'caf'" in reasons
    assert "already names caf" in reasons
    assert "shorter than 3 letters" in reasons
    assert "Bad-Id" in reasons
    assert "unknown field(s): colour" in reasons and "missing field(s): source" in reasons
    assert all(e.line is not None for e in info.value.errors)


def test_operators_file_not_yaml(tmp_path):
    path = tmp_path / "operators.yml"
    path.write_text("operators: [\n", encoding="utf-8")
    with pytest.raises(DataErrors):
        parse_operators(path)
    path.write_text("other: 1\n", encoding="utf-8")
    with pytest.raises(DataErrors):
        parse_operators(path)
