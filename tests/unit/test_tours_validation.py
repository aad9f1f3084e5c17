"""Validation of tours.yml: each mistake staff can make is refused with its file, line and reason.

Each test writes a small bad file to tmp_path (a valid base with one change) and checks the
`DataFileError` that points at it.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from franceservices.calendar.tours import load_tours
from franceservices.data_errors import DataErrors, DataFileError
from franceservices.places.communes import load_communes

BASE = textwrap.dedent(
    """\
    hours:
      itinerant:
        lundi: [["09:30", "12:30"], ["13:30", "16:00"]]
        mardi: [["09:30", "12:30"], ["13:30", "16:00"]]
        mercredi: [["09:30", "12:30"], ["13:30", "16:00"]]
        jeudi: [["09:30", "12:30"], ["13:30", "16:00"]]
        vendredi: [["09:00", "13:00"]]
        market_day_morning_until: "13:00"
    tours:
      - id: bleu
        name: "Bus bleu"
        base: "Avesnes-sur-Helpe"
        phone: "03 59 73 18 20"
        email: "bleu@example.org"
        hours: itinerant
        stops:
          - commune: "Trélon"
            code_insee: "59601"
            week: 1
            weekday: lundi
            place: "devant la mairie"
          - commune: "Cousolre"
            code_insee: "59157"
            week: 2
            weekday: mercredi
            place: "kiosque"
    exceptions:
      cancelled:
        - tour: bleu
          commune: "Trélon"
          code_insee: "59601"
          date: 2026-12-07
          reason: "panne"
      added:
        - tour: bleu
          commune: "Trélon"
          code_insee: "59601"
          date: 2026-12-08
          reason: "rattrapage"
    """
)


@pytest.fixture(scope="module")
def communes():
    return load_communes()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tours.yml"
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the `occurrence`-th line containing `needle`."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    return hits[occurrence - 1]


def replace(old: str, new: str, text: str = BASE, count: int = 1) -> str:
    assert old in text, old
    return text.replace(old, new, count)


def drop_line(needle: str, text: str = BASE, occurrence: int = 1) -> str:
    lines = text.splitlines(keepends=True)
    del lines[line_of(text, needle, occurrence) - 1]
    return "".join(lines)


def errors_of(tmp_path: Path, text: str, communes) -> list[DataFileError]:
    path = write(tmp_path, text)
    with pytest.raises(DataErrors) as info:
        load_tours(path, communes)
    for error in info.value.errors:
        assert error.path == path
    return info.value.errors


def assert_error(tmp_path, communes, text, line: int, *reason_parts: str) -> DataFileError:
    errors = errors_of(tmp_path, text, communes)
    for error in errors:
        if all(part in error.reason for part in reason_parts):
            assert error.line == line, f"{error} (expected line {line})"
            assert str(error).startswith(f"{tmp_path / 'tours.yml'}:{line}: ")
            return error
    raise AssertionError(f"no error with {reason_parts}; got {[str(e) for e in errors]}")


def test_base_is_valid(tmp_path, communes):
    cal = load_tours(write(tmp_path, BASE), communes)
    assert [s.commune for s in cal.tour_communes("bleu")] == ["Trélon", "Cousolre"]


# -- communes -----------------------------------------------------------------------------------


def test_unknown_insee_code(tmp_path, communes):
    text = replace('code_insee: "59157"', 'code_insee: "59999"')
    error = assert_error(
        tmp_path, communes, text, line_of(text, "59999"), "code INSEE '59999' inconnu"
    )
    assert "le code de Cousolre est 59157" in error.reason


def test_insee_code_not_matching_the_name(tmp_path, communes):
    text = replace('code_insee: "59157"', 'code_insee: "59053"')
    assert_error(
        tmp_path,
        communes,
        text,
        line_of(text, "59053"),
        "59053 est celui de 'Bavay', pas de 'Cousolre'",
    )


def test_name_compared_without_accents_or_case(tmp_path, communes):
    text = replace('commune: "Trélon"', 'commune: "TRELON"')
    load_tours(write(tmp_path, text), communes)  # no error


def test_missing_insee_code_suggests_it(tmp_path, communes):
    text = drop_line('code_insee: "59157"')
    error = assert_error(
        tmp_path,
        communes,
        text,
        line_of(text, 'commune: "Cousolre"'),
        "champ 'code_insee' manquant",
    )
    assert "59157" in error.reason


# -- stops --------------------------------------------------------------------------------------


def test_two_stops_on_the_same_slot(tmp_path, communes):
    text = replace("week: 2\n        weekday: mercredi", "week: 1\n        weekday: lundi")
    assert_error(
        tmp_path,
        communes,
        text,
        line_of(text, 'commune: "Cousolre"'),
        "s'arrête déjà à Trélon",
        "le lundi de la semaine 1",
    )


@pytest.mark.parametrize("week", ["5", "0", '"deux"'])
def test_week_outside_1_to_4(tmp_path, communes, week):
    text = replace("week: 2", f"week: {week}")
    assert_error(tmp_path, communes, text, line_of(text, f"week: {week}"), "n'est pas 1, 2, 3 ou 4")


def test_unknown_weekday_in_a_stop(tmp_path, communes):
    text = replace("weekday: mercredi", "weekday: mercrdi")
    assert_error(tmp_path, communes, text, line_of(text, "mercrdi"), "jour 'mercrdi' inconnu")


def test_stop_on_a_weekday_without_hours(tmp_path, communes):
    text = replace("weekday: mercredi", "weekday: samedi")
    assert_error(tmp_path, communes, text, line_of(text, "samedi"), "n'a pas d'horaires le samedi")


def test_missing_stop_field(tmp_path, communes):
    text = drop_line('place: "kiosque"')
    assert_error(
        tmp_path, communes, text, line_of(text, 'commune: "Cousolre"'), "champ 'place' manquant"
    )


def test_unknown_field_is_a_typo(tmp_path, communes):
    text = replace("weekday: mercredi", "weekday: mercredi\n        markt_day: mercredi")
    assert_error(tmp_path, communes, text, line_of(text, "markt_day"), "champ 'markt_day' inconnu")


def test_bad_market_day(tmp_path, communes):
    text = replace("weekday: mercredi", "weekday: mercredi\n        market_day: demain")
    assert_error(
        tmp_path, communes, text, line_of(text, "market_day: demain"), "jour 'demain' inconnu"
    )


def test_bad_day_source(tmp_path, communes):
    text = replace('place: "kiosque"', 'place: "kiosque"\n        day_source: presse')
    assert_error(tmp_path, communes, text, line_of(text, "presse"), "day_source doit être")


# -- hours --------------------------------------------------------------------------------------


def test_malformed_hours(tmp_path, communes):
    text = replace('lundi: [["09:30"', 'lundi: [["9h30"')
    assert_error(tmp_path, communes, text, line_of(text, "9h30"), "heure '9h30' mal écrite")


def test_hour_that_does_not_exist(tmp_path, communes):
    text = replace('["13:30", "16:00"]]\n    mardi', '["13:30", "25:00"]]\n    mardi')
    assert_error(tmp_path, communes, text, line_of(text, "25:00"), "'25:00' n'existe pas")


def test_period_ending_before_it_starts(tmp_path, communes):
    text = replace('vendredi: [["09:00", "13:00"]]', 'vendredi: [["13:00", "09:00"]]')
    assert_error(tmp_path, communes, text, line_of(text, "vendredi:"), "finit avant de commencer")


def test_overlapping_periods(tmp_path, communes):
    text = replace('mardi: [["09:30", "12:30"]', 'mardi: [["09:30", "14:00"]')
    assert_error(tmp_path, communes, text, line_of(text, "mardi:"), "se chevauchent")


def test_unknown_weekday_in_a_profile(tmp_path, communes):
    text = replace("    jeudi:", "    jeudy:")
    assert_error(tmp_path, communes, text, line_of(text, "jeudy"), "jour 'jeudy' inconnu")


def test_unquoted_sexagesimal_time(tmp_path, communes):
    text = replace('market_day_morning_until: "13:00"', "market_day_morning_until: 780")
    assert_error(
        tmp_path, communes, text, line_of(text, "780"), "doit être écrite entre guillemets"
    )


def test_unknown_hours_profile(tmp_path, communes):
    text = replace("hours: itinerant", "hours: itinerrant")
    assert_error(
        tmp_path,
        communes,
        text,
        line_of(text, "itinerrant"),
        "profil d'horaires 'itinerrant' inconnu",
    )


# -- tours --------------------------------------------------------------------------------------


def test_duplicate_tour_id(tmp_path, communes):
    second = (
        "  - id: bleu\n"
        '    name: "Bus bis"\n'
        '    base: "x"\n'
        '    phone: "x"\n'
        '    email: "x"\n'
        "    hours: itinerant\n"
        "    stops:\n"
        '      - {commune: "Bavay", code_insee: "59053", week: 4, weekday: lundi, place: "p"}\n'
    )
    text = replace("exceptions:", second + "exceptions:")
    assert_error(
        tmp_path,
        communes,
        text,
        line_of(text, "id: bleu", 2),
        "id de tournée 'bleu' en double",
        "ligne 10",
    )


def test_missing_tour_field(tmp_path, communes):
    text = drop_line("phone:")
    assert_error(tmp_path, communes, text, line_of(text, "id: bleu"), "champ 'phone' manquant")


def test_missing_top_level_section(tmp_path, communes):
    text = BASE.split("tours:")[0]
    assert_error(tmp_path, communes, text, 1, "champ de premier niveau 'tours' manquant")


# -- exceptions ---------------------------------------------------------------------------------


def test_unknown_tour_in_an_exception(tmp_path, communes):
    text = replace("- tour: bleu", "- tour: blue")
    assert_error(tmp_path, communes, text, line_of(text, "tour: blue"), "tournée 'blue' inconnue")


def test_exception_date_that_does_not_exist(tmp_path, communes):
    text = replace("date: 2026-12-07", "date: 2026-02-31")
    assert_error(tmp_path, communes, text, line_of(text, "2026-02-31"), "2026-02-31 n'existe pas")


def test_exception_date_malformed(tmp_path, communes):
    text = replace("date: 2026-12-07", "date: 07/12/2026")
    assert_error(tmp_path, communes, text, line_of(text, "07/12/2026"), "il faut AAAA-MM-JJ")


def test_cancellation_on_a_day_without_that_visit(tmp_path, communes):
    text = replace("date: 2026-12-07", "date: 2026-12-14")
    error = assert_error(
        tmp_path,
        communes,
        text,
        line_of(text, "2026-12-14"),
        "pas de passage régulier le 2026-12-14",
    )
    assert "2026-12-07" in error.reason  # the hint gives that month's real date


def test_cancellation_of_a_commune_not_on_the_tour(tmp_path, communes):
    text = replace(
        'commune: "Trélon"\n      code_insee: "59601"\n      date: 2026-12-07',
        'commune: "Bavay"\n      code_insee: "59053"\n      date: 2026-12-07',
    )
    assert_error(
        tmp_path, communes, text, line_of(text, "59053"), "Bavay n'est pas un arrêt de la tournée"
    )


def test_whole_tour_cancellation_on_a_day_without_visits(tmp_path, communes):
    text = replace(
        '- tour: bleu\n      commune: "Trélon"\n      code_insee: "59601"\n      date: 2026-12-07',
        "- tour: bleu\n      date: 2026-12-29",
    )
    assert_error(
        tmp_path,
        communes,
        text,
        line_of(text, "2026-12-29"),
        "la tournée bleu n'a pas de passage régulier",
    )


def test_duplicate_cancellation(tmp_path, communes):
    entry = '    - tour: bleu\n      commune: "Trélon"\n      code_insee: "59601"\n'
    entry += '      date: 2026-12-07\n      reason: "panne"\n'
    text = replace("  added:", entry + "  added:")
    assert_error(tmp_path, communes, text, line_of(text, "- tour: bleu", 2), "écrite deux fois")


def test_missing_exception_reason(tmp_path, communes):
    text = drop_line('reason: "panne"')
    assert_error(tmp_path, communes, text, line_of(text, "- tour: bleu"), "champ 'reason' manquant")


def test_added_visit_outside_hours(tmp_path, communes):
    text = replace(
        'reason: "rattrapage"', 'reason: "rattrapage"\n      hours: [["08:00", "12:00"]]'
    )
    assert_error(
        tmp_path,
        communes,
        text,
        line_of(text, '"08:00"'),
        "en dehors des heures de service",
        "09:00-16:00",
    )


def test_added_visit_on_a_weekend(tmp_path, communes):
    text = replace("date: 2026-12-08", "date: 2026-12-12")
    assert_error(
        tmp_path, communes, text, line_of(text, "2026-12-12"), "un samedi, en dehors des horaires"
    )


def test_added_visit_on_a_public_holiday(tmp_path, communes):
    text = replace("date: 2026-12-08", "date: 2026-12-25")
    assert_error(tmp_path, communes, text, line_of(text, "2026-12-25"), "jour férié (Noël)")


def test_added_visit_overlapping_a_regular_visit(tmp_path, communes):
    text = replace("date: 2026-12-08", "date: 2026-12-09")  # Cousolre's 2nd Wednesday
    assert_error(
        tmp_path, communes, text, line_of(text, "2026-12-09"), "déjà à Cousolre le 2026-12-09"
    )


def test_added_visit_replacing_a_cancelled_visit_is_fine(tmp_path, communes):
    text = replace("date: 2026-12-08", "date: 2026-12-07")  # the day Trélon is cancelled
    cal = load_tours(write(tmp_path, text), communes)
    assert [v.status for v in cal.visits_on(__import__("datetime").date(2026, 12, 7))] == [
        "cancelled",
        "added",
    ]


def test_added_visit_elsewhere_needs_a_place(tmp_path, communes):
    text = replace(
        'commune: "Trélon"\n      code_insee: "59601"\n      date: 2026-12-08',
        'commune: "Bavay"\n      code_insee: "59053"\n      date: 2026-12-08',
    )
    assert_error(
        tmp_path, communes, text, line_of(text, "- tour: bleu", 2), "champ 'place' manquant"
    )


def test_added_visit_on_a_whole_tour_cancellation_day(tmp_path, communes):
    text = replace(
        '      commune: "Trélon"\n      code_insee: "59601"\n      date: 2026-12-07\n',
        "      date: 2026-12-07\n",
    )
    text = replace("date: 2026-12-08", "date: 2026-12-07", text)
    assert_error(
        tmp_path, communes, text, line_of(text, "- tour: bleu", 2), "toute la tournée est annulée"
    )


# -- YAML itself and reporting ------------------------------------------------------------------


def test_yaml_syntax_error(tmp_path, communes):
    text = replace('place: "kiosque"', 'place: "kiosque')
    errors = errors_of(tmp_path, text, communes)
    assert len(errors) == 1 and "YAML syntax error" in errors[0].reason
    assert errors[0].line is not None and errors[0].line >= line_of(text, '"kiosque')


def test_duplicate_key(tmp_path, communes):
    text = replace("week: 2", "week: 2\n        week: 3")
    assert_error(tmp_path, communes, text, line_of(text, "week: 3"), "YAML syntax error")


def test_every_error_is_reported_in_line_order(tmp_path, communes):
    text = replace('lundi: [["09:30"', 'lundi: [["9h30"')
    text = replace('code_insee: "59157"', 'code_insee: "59999"', text)
    text = replace("date: 2026-12-07", "date: 2026-13-01", text)
    errors = errors_of(tmp_path, text, communes)
    reasons = [e.reason for e in errors]
    assert any("9h30" in r for r in reasons)
    assert any("59999" in r for r in reasons)
    assert any("2026-13-01" in r for r in reasons)
    assert [e.line for e in errors] == sorted(e.line for e in errors)
    # One bad stop does not hide the tour from its exceptions (no cascade of "unknown tour").
    assert not any("tournée" in r and "inconnue" in r for r in reasons)


def test_missing_file(tmp_path, communes):
    with pytest.raises(DataErrors) as info:
        load_tours(tmp_path / "nope.yml", communes)
    assert "cannot read" in info.value.errors[0].reason


def test_real_reference_file_has_no_error(communes):
    load_tours(communes=communes)


# -- scripts/validate_data.py -------------------------------------------------------------------


def test_validate_data_reports_file_line_reason_and_exit_code(tmp_path, capsys, monkeypatch):
    import shutil

    from franceservices.paths import REFERENCE_DIR
    from scripts import validate_data

    # procedures.yml, operators.yml, policy.yml and visio_offer.yml have their own modules and
    # tests; only the tour side is checked here.
    monkeypatch.setattr(validate_data, "_validate_yaml_files", lambda ref: [])
    monkeypatch.setattr(validate_data, "_validate_offer", lambda ref, desks, calendar: [])

    for csv in REFERENCE_DIR.glob("*.csv"):
        shutil.copy(csv, tmp_path / csv.name)
    text = replace('code_insee: "59157"', 'code_insee: "59999"')
    write(tmp_path, text)
    errors = validate_data.validate_all(tmp_path)
    assert [(e.path.name, e.line) for e in errors] == [("tours.yml", line_of(text, "59999"))]
    assert validate_data.main(["--reference-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"tours.yml:{line_of(text, '59999')}: tournée 'bleu', arrêt Cousolre : code INSEE" in err

    write(tmp_path, BASE)
    assert validate_data.validate_all(tmp_path) == []
    assert validate_data.main(["--reference-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Reference data valid: 648 communes") and "1 tours with 2 stops" in out


def test_validate_data_on_the_real_reference_dir():
    from scripts.validate_data import validate_all

    assert [e for e in validate_all() if e.path.name == "tours.yml"] == []
