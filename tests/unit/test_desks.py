import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from franceservices.data_errors import DataFileError
from franceservices.dates.clock import PARIS
from franceservices.places.desks import (
    Desk,
    DeskRepository,
    is_open,
    load_desks,
    next_opening,
    opening_periods,
    parse_hours,
)

UTC = dt.timezone.utc
HEADER = (
    "id_fs,nom,type,porteur,adresse,complement_adresse,code_postal,commune,insee_com,latitude,"
    "longitude,telephone,mail,h_lundi,h_mardi,h_mercredi,h_jeudi,h_vendredi,h_samedi,prise_rdv\n"
)
HOURS = "09:00 - 12:00 / 14:00 - 17:00"
GOOD_ROW = (
    f"1,FS Test,fixe,Département du Nord,1 rue X,,59122,Hondschoote,59309,50.97,2.57,"
    f"03 00 00 00 00,a@b.fr,{HOURS},{HOURS},{HOURS},{HOURS},09:00 - 13:00 / 14:00 - 16:00,,Non\n"
)


@pytest.fixture(scope="module")
def hondschoote() -> Desk:
    # Mon-Thu 9-12 / 14-17, Fri 9-13 / 14-16, closed at the weekend.
    return load_desks().get("346")


def paris(*args):
    return dt.datetime(*args, tzinfo=PARIS)


# -- the real file --------------------------------------------------------------------------


def test_real_file_loads():
    repo = load_desks()
    assert len(repo.all()) == 52
    assert len(repo.fixed()) == 45
    assert all(desk.kind == "fixed" for desk in repo.fixed())
    bus = repo.get("345")
    assert bus.kind == "itinerant" and bus.run_by_departement and bus.appointment
    assert repo.get("nope") is None


def test_desk_fields(hondschoote):
    assert hondschoote.name == "France services Hondschoote"
    assert hondschoote.insee == "59309"
    assert hondschoote.postcode == "59122"
    assert hondschoote.operator == "Département du Nord"
    assert hondschoote.run_by_departement
    assert not hondschoote.appointment
    assert hondschoote.hours[4] == ((dt.time(9), dt.time(13)), (dt.time(14), dt.time(16)))
    assert hondschoote.hours[5] == () and hondschoote.hours[6] == ()
    assert hash(hondschoote)  # frozen and hashable despite the hours dict


def test_address_includes_complement():
    assert load_desks().get("348").address == "Bureau de Poste, 9 Rue Georges Clémenceau"


def test_nearest_fixed_excludes_buses():
    avesnes = (50.1233, 3.9308)  # the Avesnois bus base
    ranked = load_desks().nearest_fixed(*avesnes, n=3)
    assert len(ranked) == 3
    assert all(desk.kind == "fixed" for desk, _ in ranked)
    assert ranked[0][0].commune == "Avesnes-sur-Helpe"
    assert ranked[0][1] < 1 and ranked[0][1] <= ranked[1][1] <= ranked[2][1]


# -- opening hours --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (paris(2026, 11, 10, 9, 0), True),  # Tuesday, opening minute
        (paris(2026, 11, 10, 11, 59), True),
        (paris(2026, 11, 10, 12, 0), False),  # lunch break starts
        (paris(2026, 11, 10, 8, 59), False),
        (paris(2026, 11, 10, 16, 59), True),
        (paris(2026, 11, 10, 17, 0), False),
        (paris(2026, 11, 11, 10, 0), False),  # Wednesday 11 November: armistice, closed
        (paris(2026, 11, 13, 12, 30), True),  # Friday: morning until 13:00
        (paris(2026, 11, 13, 13, 30), False),
        (paris(2026, 11, 13, 15, 30), True),  # Friday afternoon 14-16
        (paris(2026, 11, 13, 16, 30), False),  # Friday closes at 16:00, not 17:00
        (paris(2026, 11, 14, 10, 0), False),  # Saturday
        (paris(2026, 11, 15, 10, 0), False),  # Sunday
    ],
)
def test_is_open(hondschoote, moment, expected):
    assert is_open(hondschoote, moment) is expected


def test_utc_moment_is_converted_to_paris(hondschoote):
    # 07:30 UTC on a winter Tuesday is 08:30 in Paris: closed; 08:00 UTC is 09:00: open.
    assert not is_open(hondschoote, dt.datetime(2026, 11, 10, 7, 30, tzinfo=UTC))
    assert is_open(hondschoote, dt.datetime(2026, 11, 10, 8, 0, tzinfo=UTC))
    # Summer time: 07:00 UTC is 09:00 in Paris.
    assert is_open(hondschoote, dt.datetime(2026, 6, 9, 7, 0, tzinfo=UTC))
    assert is_open(hondschoote, dt.datetime(2026, 6, 9, 7, 0, tzinfo=ZoneInfo("UTC")))


def test_utc_date_near_midnight_is_the_paris_date(hondschoote):
    # Sunday 15 Nov 23:30 UTC is Monday 16 Nov 00:30 in Paris: the next opening is Monday 9:00.
    sunday_night_utc = dt.datetime(2026, 11, 15, 23, 30, tzinfo=UTC)
    assert next_opening(hondschoote, sunday_night_utc) == paris(2026, 11, 16, 9, 0)


def test_dst_change_weekend(hondschoote):
    # Clocks go forward on Sunday 29 March 2026; Monday 30 opens at 9:00 summer time (07:00 UTC).
    saturday = dt.datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    opening = next_opening(hondschoote, saturday)
    assert opening == paris(2026, 3, 30, 9, 0)
    assert opening.astimezone(UTC).hour == 7
    # Clocks go back on Sunday 25 October 2026; Monday 26 opens at 08:00 UTC.
    assert next_opening(hondschoote, paris(2026, 10, 25, 2, 30)).astimezone(UTC).hour == 8


def test_naive_moment_is_taken_as_paris(hondschoote):
    assert is_open(hondschoote, dt.datetime(2026, 11, 10, 9, 30))


def test_opening_periods(hondschoote):
    assert opening_periods(hondschoote, dt.date(2026, 11, 13)) == (
        (dt.time(9), dt.time(13)),
        (dt.time(14), dt.time(16)),
    )
    assert opening_periods(hondschoote, dt.date(2026, 11, 11)) == ()  # holiday
    assert opening_periods(hondschoote, dt.date(2026, 11, 14)) == ()  # Saturday
    assert opening_periods(hondschoote, dt.date(2026, 12, 25)) == ()  # Christmas, a Friday


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (paris(2026, 11, 10, 10, 0), paris(2026, 11, 10, 10, 0)),  # open: now
        (paris(2026, 11, 10, 12, 30), paris(2026, 11, 10, 14, 0)),  # lunch: this afternoon
        (paris(2026, 11, 10, 17, 30), paris(2026, 11, 12, 9, 0)),  # Wed 11 Nov is a holiday
        (paris(2026, 11, 13, 16, 0), paris(2026, 11, 16, 9, 0)),  # Friday after closing
        (paris(2026, 11, 14, 10, 0), paris(2026, 11, 16, 9, 0)),  # Saturday
        (paris(2026, 12, 24, 18, 0), paris(2026, 12, 28, 9, 0)),  # Christmas Friday closed
    ],
)
def test_next_opening(hondschoote, now, expected):
    assert next_opening(hondschoote, now) == expected


def test_next_opening_none_when_never_open(tmp_path):
    row = "9,Closed,fixe,Commune,1 rue X,,59122,Hondschoote,59309,50.97,2.57,,,,,,,,,Non\n"
    path = tmp_path / "desks.csv"
    path.write_text(HEADER + row, encoding="utf-8")
    desk = DeskRepository.from_csv(path).get("9")
    assert next_opening(desk, paris(2026, 11, 10, 10, 0)) is None
    assert not desk.run_by_departement


# -- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ()),
        ("09:00 - 12:00", ((dt.time(9), dt.time(12)),)),
        (
            "08:45 - 12:00 / 13:30 - 16:00",
            ((dt.time(8, 45), dt.time(12)), (dt.time(13, 30), dt.time(16))),
        ),
    ],
)
def test_parse_hours(text, expected):
    assert parse_hours(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "9:00 - 12:00",
        "09:00-12:00",
        "09h00 - 12h00",
        "09:00 - 12:00 /14:00 - 17:00",
        "25:00 - 26:00",
        "09:60 - 12:00",
        "12:00 - 09:00",
        "09:00 - 09:00",
        "14:00 - 17:00 / 09:00 - 12:00",
        "09:00 - 13:00 / 12:00 - 17:00",
        "fermé",
    ],
)
def test_parse_hours_refuses_malformed(text):
    with pytest.raises(ValueError):
        parse_hours(text)


def _desk_file(tmp_path, row):
    path = tmp_path / "desks.csv"
    path.write_text("# comment\n" + HEADER + GOOD_ROW + row, encoding="utf-8")
    return path


def test_small_good_file(tmp_path):
    path = tmp_path / "desks.csv"
    path.write_text(HEADER + GOOD_ROW, encoding="utf-8")
    desk = DeskRepository.from_csv(path).get("1")
    assert desk.hours[0] == ((dt.time(9), dt.time(12)), (dt.time(14), dt.time(17)))
    assert desk.run_by_departement


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (("09:00 - 13:00 / 14:00 - 16:00", "9h-12h"), "h_vendredi: hours '9h-12h'"),
        (
            (HOURS + ",", "12:00 - 09:00,"),
            "h_lundi: hours '12:00 - 09:00': '12:00 - 09:00' ends before",
        ),
        (("fixe", "mobile"), "type 'mobile' is not one of"),
        (("59122", "5912"), "postcode '5912' is not 5 digits"),
        (("59309", "62041"), "INSEE code '62041'"),
        (("50.97", "fifty"), "latitude/longitude is not a number"),
        (("2.57", "7.2"), "outside the Nord"),
        ((",Non\n", ",Peut-être\n"), "prise_rdv 'Peut-être' is not Oui or Non"),
        (("FS Test", ""), "empty name"),
        (("1,FS", "2,FS"), None),  # a valid second desk: no error
    ],
)
def test_malformed_desk_names_file_line_and_reason(tmp_path, change, reason):
    old, new = change
    row = GOOD_ROW.replace("1,FS", "2,FS", 1).replace(old, new, 1)
    path = _desk_file(tmp_path, row)
    if reason is None:
        assert len(DeskRepository.from_csv(path).all()) == 2
        return
    with pytest.raises(DataFileError) as caught:
        DeskRepository.from_csv(path)
    assert caught.value.path == path
    assert caught.value.line == 4  # comment, header, good row, faulty row
    assert reason in caught.value.reason


def test_duplicate_desk_id(tmp_path):
    with pytest.raises(DataFileError) as caught:
        DeskRepository.from_csv(_desk_file(tmp_path, GOOD_ROW))
    assert caught.value.line == 4
    assert "duplicate id_fs 1 (first on line 3)" in caught.value.reason


def test_missing_hours_column(tmp_path):
    path = tmp_path / "desks.csv"
    path.write_text(HEADER.replace(",h_samedi", "") + GOOD_ROW, encoding="utf-8")
    with pytest.raises(DataFileError) as caught:
        DeskRepository.from_csv(path)
    assert caught.value.line == 1
    assert "h_samedi" in caught.value.reason
