"""The visio offer (reference/visio_offer.yml, franceservices/booking/offer.py): validation with
lines, and when an organisation can be met at a place on a day."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from franceservices.booking.offer import DEFAULT_OFFER_PATH, booth_key, merge, place_of_booth
from franceservices.booking.offer_file import load_offer
from franceservices.data_errors import DataErrors

T = dt.time
OPENING = ((T(9), T(12)), (T(14), T(17)))
WEDNESDAY = dt.date(2026, 12, 9)
THURSDAY = dt.date(2026, 12, 10)

GOOD = """\
places:
  - place: "desk:346"
    booths: 2
    appointment_minutes: 45
    hours: opening
    closed:
      - {from: "2026-12-24", to: "2026-12-31", reason: "fermeture de fin d'année"}
    organisations:
      - operator: caf
        weekdays: [mercredi]
        hours: [["09:00", "12:00"]]
      - operator: cpam
        weekdays: [mardi, jeudi]
  - place: "desk:350"
    hours:
      jeudi: [["14:00", "16:00"]]
    organisations:
      - {operator: carsat, weekdays: [jeudi]}
  - place: "bus:avesnois"
    organisations:
      - {operator: caf, weekdays: [lundi]}
absences:
  - {place: "desk:346", operator: cpam, date: "2026-12-10", reason: "conseiller en congé"}
extra_slots:
  - {place: "desk:346", operator: msa, date: "2026-12-12", hours: [["09:00", "11:00"]],
     reason: "permanence exceptionnelle"}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "visio_offer.yml"
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(tmp_path: Path, text: str) -> list[tuple[int | None, str]]:
    with pytest.raises(DataErrors) as caught:
        load_offer(write(tmp_path, text))
    return [(e.line, e.reason) for e in caught.value.errors]


def test_the_shipped_offer_names_only_the_departement_places_and_no_invented_organisation():
    offer = load_offer(DEFAULT_OFFER_PATH)
    assert set(offer.places) == {
        "desk:346",  # Hondschoote
        "desk:350",  # Le Cateau-Cambrésis
        "desk:353",  # Bruay-sur-l'Escaut
        "bus:avesnois",
        "bus:cambresis",
        "bus:douaisis",
        "bus:flandres",
    }
    # No source says which organisation comes when: staff fill it, nothing is offered meanwhile.
    assert offer.operators() == set()
    assert offer.places_for("caf") == []


def test_a_valid_offer(tmp_path):
    offer = load_offer(write(tmp_path, GOOD))
    desk = offer.place("desk:346")
    assert desk.booths == 2 and desk.booth_keys() == ("desk:346", "desk:346/2")
    assert desk.appointment == dt.timedelta(minutes=45)
    assert offer.place("desk:350").appointment == dt.timedelta(minutes=30)  # policy default
    assert [p.key for p in offer.places_for("caf")] == ["desk:346", "bus:avesnois"]
    assert [p.key for p in offer.places_for("msa")] == ["desk:346"]  # an extra slot only
    assert offer.places_for("dgfip") == []


def test_an_organisation_comes_only_on_its_days_and_hours(tmp_path):
    offer = load_offer(write(tmp_path, GOOD))
    assert offer.periods("desk:346", "caf", WEDNESDAY, OPENING) == ((T(9), T(12)),)
    assert offer.periods("desk:346", "caf", THURSDAY, OPENING) == ()
    assert offer.periods("desk:346", "cpam", dt.date(2026, 12, 8), OPENING) == OPENING
    # hours of the desk's own visio week, inside its opening
    assert offer.periods("desk:350", "carsat", THURSDAY, OPENING) == ((T(14), T(16)),)
    assert offer.periods("desk:350", "carsat", THURSDAY, ((T(9), T(15)),)) == ((T(14), T(15)),)
    # any organisation (None): the union
    assert offer.periods("desk:346", None, WEDNESDAY, OPENING) == ((T(9), T(12)),)


def test_absence_closure_holiday_and_extra_slot(tmp_path):
    offer = load_offer(write(tmp_path, GOOD))
    assert offer.periods("desk:346", "cpam", THURSDAY, OPENING) == ()  # advisor away
    assert offer.absence("desk:346", "cpam", THURSDAY).reason == "conseiller en congé"
    assert offer.periods("desk:346", "cpam", dt.date(2026, 12, 29), OPENING) == ()  # closed
    assert offer.place("desk:346").closure_on(dt.date(2026, 12, 31)).reason.startswith("ferm")
    assert offer.periods("desk:346", "cpam", dt.date(2026, 12, 25), OPENING) == ()  # holiday
    saturday = dt.date(2026, 12, 12)
    # the desk is closed on Saturdays: staff open it for the exceptional slot
    assert offer.periods("desk:346", "msa", saturday, ()) == ((T(9), T(11)),)
    assert offer.periods("desk:346", "caf", saturday, ()) == ()
    # a bus offers nothing without a visit that day (no opening)
    assert offer.periods("bus:avesnois", "caf", dt.date(2026, 12, 7), ()) == ()


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('places:\n  - place: "desk:2445"\n', 2, "n'est pas gérée par le Département"),  # Fourmies
        ('places:\n  - place: "desk:999999"\n', 2, "n'est pas une France services fixe"),
        (
            'places:\n  - place: "desk:345"\n',
            2,
            "n'est pas une France services fixe",
        ),  # the Avesnois bus's base
        ('places:\n  - place: "bus:lune"\n', 2, "n'est pas un bus de tours.yml"),
        ('places:\n  - place: "boat:1"\n', 2, "doit être 'desk:<id_fs>' ou 'bus:<id de tournée>'"),
        ('places:\n  - place: "desk:346"\n    booths: 0\n', 3, "booths 0 doit être entre 1 et 10"),
        (
            'places:\n  - place: "desk:346"\n    organisations:\n      - operator: kaf\n'
            "        weekdays: [lundi]\n",
            4,
            "organisme 'kaf' inconnu",
        ),
        (
            'places:\n  - place: "desk:346"\n    organisations:\n      - operator: caf\n'
            "        weekdays: [lundy]\n",
            5,
            "jour 'lundy' inconnu",
        ),
        (
            'places:\n  - place: "desk:346"\n    organisations:\n      - operator: caf\n',
            4,
            "weekdays doit être une liste non vide",
        ),
        (
            'places:\n  - place: "desk:346"\n    organisations:\n      - operator: kaf\n',
            4,
            "desk:346 : organisme : weekdays doit être une liste non vide",  # never 'None :'
        ),
        (
            'places:\n  - place: "desk:346"\n    organisations:\n      - operator: caf\n'
            '        weekdays: [lundi]\n        hours: [["12:00", "09:00"]]\n',
            6,
            "finit avant de commencer",
        ),
        (
            'places:\n  - place: "desk:346"\n    closed:\n'
            '      - {from: "2026-12-24", to: "2026-12-20", reason: "x"}\n',
            4,
            "'to' 2026-12-20 est avant 2026-12-24",
        ),
        (
            'places:\n  - place: "desk:346"\n  - place: "desk:346"\n',
            3,
            "est listé deux fois (déjà listé ligne 2)",
        ),
        ('places:\n  - place: "desk:346"\n    colour: blue\n', 3, "champ 'colour' inconnu"),
        (
            'places:\n  - place: "bus:avesnois"\n    hours:\n      lundi: [["09:00", "10:00"]]\n',
            3,
            "les horaires visio d'un bus sont ceux de ses passages",
        ),
        (
            'places: []\nabsences:\n  - {place: "desk:346", operator: caf, date: "2026-12-10",'
            ' reason: "x"}\n',
            3,
            "n'est pas un lieu de 'places:'",
        ),
        (
            'places:\n  - place: "desk:346"\nextra_slots:\n  - {place: "desk:346", operator: caf,'
            ' date: "2026-12-25", hours: [["09:00", "10:00"]], reason: "x"}\n',
            4,
            "le 2026-12-25 est un jour férié",
        ),
        (
            'places:\n  - place: "desk:346"\nabsences:\n  - {place: "desk:346", operator: caf,'
            ' date: "2026-02-30", reason: "x"}\n',
            4,
            "n'existe pas",
        ),
    ],
)
def test_mistakes_are_refused_with_their_line(tmp_path, text, line, words):
    found = errors_of(tmp_path, text)
    assert any(words in reason and where == line for where, reason in found), found


def test_every_mistake_of_one_file_is_reported_at_once(tmp_path):
    text = (
        'places:\n  - place: "desk:2445"\n  - place: "desk:346"\n    booths: 99\n'
        "    organisations:\n      - {operator: kaf, weekdays: [lundi]}\n"
    )
    assert [line for line, _ in errors_of(tmp_path, text)] == [2, 4, 6]


def test_booth_keys_and_merge():
    assert booth_key("desk:346", 1) == "desk:346" and booth_key("desk:346", 3) == "desk:346/3"
    assert place_of_booth("desk:346/3") == ("desk:346", 3)
    assert place_of_booth("bus:avesnois") == ("bus:avesnois", 1)
    assert merge([(T(14), T(15)), (T(9), T(10)), (T(10), T(11))]) == (
        (T(9), T(11)),
        (T(14), T(15)),
    )


def test_validate_data_checks_the_offer(tmp_path):
    import shutil

    from scripts.validate_data import validate_all

    ref = Path(DEFAULT_OFFER_PATH).parent
    copy = tmp_path / "reference"
    shutil.copytree(ref, copy)
    assert validate_all(copy) == []
    (copy / "visio_offer.yml").write_text('places:\n  - place: "desk:2445"\n', encoding="utf-8")
    problems = validate_all(copy)
    assert [(p.path.name, p.line) for p in problems] == [("visio_offer.yml", 2)]


def test_the_offer_in_use_follows_the_file_and_keeps_the_last_valid_one(tmp_path, caplog):
    import os

    from franceservices.booking.offer import get_offer

    path = write(tmp_path, 'places:\n  - place: "desk:346"\n')
    assert get_offer(path).places_for("caf") == []
    path.write_text(
        'places:\n  - place: "desk:346"\n    organisations:\n'
        "      - {operator: caf, weekdays: [mercredi]}\n",
        encoding="utf-8",
    )
    os.utime(path, ns=(1, 1_000_000_000_000))  # a new modification time, whatever the clock
    assert [p.key for p in get_offer(path).places_for("caf")] == ["desk:346"]
    path.write_text('places:\n  - place: "desk:2445"\n', encoding="utf-8")  # refused
    os.utime(path, ns=(1, 2_000_000_000_000))
    assert [p.key for p in get_offer(path).places_for("caf")] == ["desk:346"]  # the last valid
    assert "keeping the previous offer" in caplog.text
    fresh = tmp_path / "never_valid"
    fresh.mkdir()
    with pytest.raises(DataErrors):  # invalid and nothing valid before: refused
        get_offer(write(fresh, "places: 3\n"))
