"""Staff's calendar changes laid over tours.yml: applied in order, validated like the file."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from ruamel.yaml import YAML

from franceservices.calendar.changes import (
    KINDS,
    AddVisit,
    CancelDay,
    CancelVisit,
    ChangeError,
    ChangeRefused,
    ConfirmStopDay,
    ReplaceStops,
    SetStopDay,
    SetStopHours,
    SetStopPlace,
    apply_changes,
    change_from_payload,
    overlay,
    parse_hours,
    read_base,
)
from franceservices.calendar.tours import load_tours
from franceservices.data_errors import DataErrors
from franceservices.dates.clock import PARIS
from franceservices.places.communes import load_communes

TRELON = "59601"  # avesnois, week 1 Monday: 2026-12-07
ETROEUNGT = "59218"  # avesnois, week 1 Tuesday: 2026-12-01
CARTIGNIES = "59134"  # avesnois, week 2 Tuesday: 2026-12-08
NOW = dt.datetime(2026, 11, 30, 8, 0, tzinfo=PARIS)


@pytest.fixture(scope="module")
def base():
    return read_base()


@pytest.fixture(scope="module")
def communes():
    return load_communes()


def visit_on(calendar, insee, day):
    return next(v for v in calendar.visits_on(day) if v.insee == insee)


def file_reasons(base, tmp_path, section, entry):
    """What the validator says when the same entry is written by hand in a copy of tours.yml."""
    root = copy.deepcopy(base)
    root["exceptions"][section].append(entry)
    path = tmp_path / "tours.yml"
    with path.open("w", encoding="utf-8") as handle:
        YAML(typ="rt").dump(root, handle)
    with pytest.raises(DataErrors) as caught:
        load_tours(path)
    return tuple(e.reason for e in caught.value.errors)


def test_no_change_is_the_file(base, communes):
    result = apply_changes(base, [], communes)
    assert result.applied == ()
    assert visit_on(result.calendar, TRELON, dt.date(2026, 12, 7)).status == "scheduled"


def test_cancel_one_visit(base, communes):
    before = copy.deepcopy(base)
    change = CancelVisit("avesnois", TRELON, dt.date(2026, 12, 7), "panne du bus")
    result = apply_changes(base, [change], communes)
    visits = result.calendar.next_visits(TRELON, NOW, 1)
    assert [(v.date, v.status, v.reason) for v in visits] == [
        (dt.date(2026, 12, 7), "cancelled", "panne du bus"),
        (dt.date(2027, 1, 4), "scheduled", None),
    ]
    # The other stops of the bus that day: Trélon is its only one; Étrœungt the next day is kept.
    assert visit_on(result.calendar, ETROEUNGT, dt.date(2026, 12, 1)).status == "scheduled"
    assert base == before, "the base tree is left unchanged"


def test_cancel_a_whole_day(base, communes):
    day = dt.date(2026, 12, 8)
    result = apply_changes(base, [CancelDay("avesnois", day, "grève")], communes)
    on_day = result.calendar.visits_on(day)
    avesnois = [v for v in on_day if v.tour_id == "avesnois"]
    assert avesnois and all(v.status == "cancelled" and v.reason == "grève" for v in avesnois)
    assert any(v.tour_id != "avesnois" and v.status == "scheduled" for v in on_day)


def test_add_a_catch_up_visit(base, communes):
    day = dt.date(2026, 12, 29)  # a 5th Tuesday: no regular visit
    change = AddVisit(
        "avesnois", TRELON, day, "salle des fêtes", "rattrapage", (("09:30", "12:00"),)
    )
    result = apply_changes(base, [change], communes)
    added = visit_on(result.calendar, TRELON, day)
    assert (added.status, added.place, added.reason) == ("added", "salle des fêtes", "rattrapage")
    assert added.periods == ((dt.time(9, 30), dt.time(12, 0)),)
    assert added.day_confirmed


def test_refusals_carry_the_files_own_messages(base, communes, tmp_path):
    holiday = AddVisit("avesnois", TRELON, dt.date(2026, 12, 25), "mairie", "rattrapage")
    with pytest.raises(ChangeRefused) as caught:
        apply_changes(base, [holiday], communes)
    assert caught.value.reasons == file_reasons(
        base,
        tmp_path,
        "added",
        {
            "tour": "avesnois",
            "code_insee": TRELON,
            "date": "2026-12-25",
            "place": "mairie",
            "reason": "rattrapage",
        },
    )
    assert "jour férié" in caught.value.reasons[0]
    wrong_day = CancelVisit("avesnois", TRELON, dt.date(2026, 12, 8), "panne")
    with pytest.raises(ChangeRefused) as caught:
        apply_changes(base, [wrong_day], communes)
    assert caught.value.reasons == file_reasons(
        base,
        tmp_path,
        "cancelled",
        {"tour": "avesnois", "code_insee": TRELON, "date": "2026-12-08", "reason": "panne"},
    )
    assert "pas de passage régulier le 2026-12-08" in caught.value.reasons[0]


def test_changes_apply_in_order(base, communes):
    day = dt.date(2026, 12, 7)
    catch_up = AddVisit("avesnois", ETROEUNGT, day, "mairie", "échange de jour")
    with pytest.raises(ChangeRefused) as caught:
        apply_changes(base, [catch_up], communes)
    assert "déjà à Trélon" in str(caught.value)
    cancel = CancelVisit("avesnois", TRELON, day, "échange de jour")
    result = apply_changes(base, [cancel, catch_up], communes)
    assert [v.status for v in result.calendar.visits_on(day) if v.tour_id == "avesnois"] == [
        "cancelled",
        "added",
    ]
    with pytest.raises(ChangeRefused) as caught:
        apply_changes(base, [cancel, catch_up, cancel], communes)
    assert caught.value.index == 2
    assert caught.value.reasons == ("passage annulé : la même annulation est écrite deux fois",)


def test_overlay_leaves_out_what_no_longer_fits(base, communes):
    good = CancelVisit("avesnois", TRELON, dt.date(2026, 12, 7), "panne")
    bad = CancelVisit("avesnois", TRELON, dt.date(2026, 12, 9), "panne")
    later = ConfirmStopDay("avesnois", ETROEUNGT)
    result = overlay(base, [good, bad, later], communes)
    assert result.applied == (good, later)
    assert [(r.change, r.index) for r in result.refused] == [(bad, 1)]
    assert visit_on(result.calendar, TRELON, dt.date(2026, 12, 7)).is_cancelled
    assert visit_on(result.calendar, ETROEUNGT, dt.date(2026, 12, 1)).day_confirmed


def test_stop_place_and_hours(base, communes):
    place = SetStopPlace("avesnois", TRELON, "parking de la salle des sports, 59132 Trélon")
    hours = SetStopHours("avesnois", TRELON, (("10:00", "12:00"), ("13:00", "15:30")))
    result = apply_changes(base, [place, hours], communes)
    visit = visit_on(result.calendar, TRELON, dt.date(2026, 12, 7))
    assert visit.place == "parking de la salle des sports, 59132 Trélon"
    assert visit.periods == ((dt.time(10), dt.time(12)), (dt.time(13), dt.time(15, 30)))
    back = apply_changes(base, [hours, SetStopHours("avesnois", TRELON, None)], communes)
    assert visit_on(back.calendar, TRELON, dt.date(2026, 12, 7)).periods[0][0] == dt.time(9, 30)
    with pytest.raises(ChangeRefused) as caught:
        apply_changes(base, [SetStopHours("avesnois", TRELON, (("12:00", "09:00"),))], communes)
    assert "finit avant de commencer" in caught.value.reasons[0]


def test_stop_day_clash_and_swap(base, communes):
    to_tuesday = SetStopDay("avesnois", TRELON, 1, 1)  # Étrœungt's day
    with pytest.raises(ChangeRefused) as caught:
        apply_changes(base, [to_tuesday], communes)
    assert "un bus ne peut pas être dans deux communes à la fois" in caught.value.reasons[0]
    swap = SetStopDay("avesnois", TRELON, 1, 1, swap=True)
    result = apply_changes(base, [swap], communes)
    assert visit_on(result.calendar, TRELON, dt.date(2026, 12, 1)).day_confirmed
    assert visit_on(result.calendar, ETROEUNGT, dt.date(2026, 12, 7)).status == "scheduled"


def test_confirm_a_day(base, communes):
    day = dt.date(2026, 12, 7)
    assert not visit_on(apply_changes(base, [], communes).calendar, TRELON, day).day_confirmed
    result = apply_changes(base, [ConfirmStopDay("avesnois", TRELON)], communes)
    assert visit_on(result.calendar, TRELON, day).day_confirmed


def test_unknown_stop_or_tour_is_refused(base, communes):
    with pytest.raises(ChangeRefused) as caught:
        apply_changes(base, [ConfirmStopDay("avesnois", "59350")], communes)
    assert caught.value.reasons == ("la commune 59350 n'est pas un arrêt de la tournée avesnois",)
    with pytest.raises(ChangeRefused) as caught:
        apply_changes(base, [SetStopPlace("nowhere", TRELON, "x")], communes)
    assert caught.value.reasons == ("tournée 'nowhere' inconnue",)


@pytest.mark.parametrize(
    "change",
    [
        CancelVisit("avesnois", TRELON, dt.date(2026, 12, 7), "panne"),
        CancelDay("avesnois", dt.date(2026, 12, 8), "grève"),
        AddVisit("avesnois", TRELON, dt.date(2026, 12, 29), "mairie", "r", (("09:30", "12:00"),)),
        AddVisit("avesnois", TRELON, dt.date(2026, 12, 29), "mairie", "r"),
        AddVisit("avesnois", TRELON, dt.date(2026, 12, 29), "", "r"),
        SetStopPlace("avesnois", TRELON, "ici"),
        SetStopHours("avesnois", TRELON, None),
        SetStopDay("avesnois", TRELON, 2, 3, swap=True),
        ConfirmStopDay("avesnois", TRELON),
        ReplaceStops.of(
            "avesnois",
            [
                {
                    "commune": "Trélon",
                    "code_insee": TRELON,
                    "week": 1,
                    "weekday": "lundi",
                    "place": "mairie",
                    "market_day": ["mardi", "vendredi"],
                    "hours": [["09:30", "12:00"]],
                },
            ],
        ),
    ],
)
def test_payload_round_trip(change):
    assert change.kind in KINDS
    assert change_from_payload(change.kind, change.payload()) == change


@pytest.mark.parametrize(
    ("kind", "payload", "message"),
    [
        ("explode", {}, "type de modification 'explode' inconnu"),
        ("cancel_day", {"tour": "avesnois", "reason": "x"}, "champ 'date' manquant"),
        (
            "cancel_day",
            {"tour": "a", "date": "2026-13-01", "reason": "x"},
            "date '2026-13-01' mal écrite",
        ),
        (
            "cancel_day",
            {"tour": "a", "date": "2026-12-01", "reason": " "},
            "il faut un texte non vide",
        ),
        ("confirm_day", {"tour": "a", "insee": "1", "color": "red"}, "champ(s) inconnu(s) color"),
        (
            "stop_day",
            {"tour": "a", "insee": "1", "week": 5, "weekday": 0},
            "la semaine 5 n'est pas 1, 2, 3 ou 4",
        ),
        (
            "stop_day",
            {"tour": "a", "insee": "1", "week": 1, "weekday": 5},
            "le jour 5 n'est pas de 0 (lundi) à 4 (vendredi)",
        ),
    ],
)
def test_malformed_payloads(kind, payload, message):
    with pytest.raises(ChangeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        change_from_payload(kind, payload)


def test_parse_hours_as_typed():
    assert parse_hours("09:00-12:00, 14:00 – 16:30") == (("09:00", "12:00"), ("14:00", "16:30"))
    for typed in ("", "9h-12h", "09:00"):
        with pytest.raises(ChangeError):
            parse_hours(typed)


AVESNES = "59036"  # Avesnes-sur-Helpe: not a stop of the avesnois bus


def _stops(base, tour="avesnois"):
    """The tour's stops as plain dicts (what an import or a form gives)."""
    tour_node = next(t for t in base["tours"] if t["id"] == tour)
    return [
        {k: (list(v) if isinstance(v, list) else v) for k, v in stop.items()}
        for stop in tour_node["stops"]
    ]


def test_replace_the_stops_of_a_tour_adds_and_removes_stops(base, communes):
    before = copy.deepcopy(base)
    stops = [s for s in _stops(base) if s["code_insee"] != TRELON]  # Trélon removed
    stops.append(
        {
            "commune": "Avesnes-sur-Helpe",
            "code_insee": AVESNES,
            "week": 1,
            "weekday": "lundi",  # Trélon's day, now free
            "place": "place du Général-Leclerc",
            "market_day": "jeudi",
        }
    )
    change = ReplaceStops.of("avesnois", stops)
    result = apply_changes(base, [change], communes)
    insees = {s.insee for s in result.calendar.tour_communes("avesnois")}
    assert AVESNES in insees and TRELON not in insees
    added = visit_on(result.calendar, AVESNES, dt.date(2026, 12, 7))
    assert added.place == "place du Général-Leclerc" and not added.day_confirmed
    (new_stop,) = result.calendar.stops_in(AVESNES)
    assert new_stop.market_weekdays == {3}
    # the other buses keep their stops; the base tree is left as it was
    assert result.calendar.tour_communes("cambresis") == apply_changes(
        base, [], communes
    ).calendar.tour_communes("cambresis")
    assert base == before
    hash(change)  # stored changes are compared and kept in sets
    # undoing it (leaving it out) gives the file's stops back
    assert TRELON in {
        s.insee for s in overlay(base, [], communes).calendar.tour_communes("avesnois")
    }


def test_replaced_stops_are_refused_with_the_files_own_messages(base, communes, tmp_path):
    stops = _stops(base)
    stops[0]["week"] = 5
    with pytest.raises(ChangeRefused) as caught:
        apply_changes(base, [ReplaceStops.of("avesnois", stops)], communes)
    root = copy.deepcopy(base)
    next(t for t in root["tours"] if t["id"] == "avesnois")["stops"][0]["week"] = 5
    path = tmp_path / "tours.yml"
    with path.open("w", encoding="utf-8") as handle:
        YAML(typ="rt").dump(root, handle)
    with pytest.raises(DataErrors) as by_hand:
        load_tours(path)
    assert caught.value.reasons == tuple(e.reason for e in by_hand.value.errors)
    with pytest.raises(ChangeRefused) as caught:
        apply_changes(base, [ReplaceStops.of("nowhere", stops)], communes)
    with pytest.raises(ChangeError):
        change_from_payload("replace_stops", {"tour": "avesnois", "stops": "Trélon"})
    with pytest.raises(ChangeError):
        change_from_payload("replace_stops", {"tour": "avesnois", "stops": []})
