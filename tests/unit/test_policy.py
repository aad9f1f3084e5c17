"""reference/policy.yml: its values, and every mistake refused with its line."""

import datetime as dt
from pathlib import Path

import pytest

from franceservices.data_errors import DataErrors
from franceservices.policy import DEFAULT_POLICY_PATH, BookingPolicy, get_policy, load_policy

GOOD = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yml"
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(tmp_path: Path, text: str) -> list[tuple[int | None, str]]:
    with pytest.raises(DataErrors) as caught:
        load_policy(write(tmp_path, text))
    return [(e.line, e.reason) for e in caught.value.errors]


def line_of(text: str, needle: str) -> int:
    """The first line holding `needle` outside the header's comments."""
    lines = enumerate(text.splitlines(), 1)
    return next(i for i, line in lines if needle in line and not line.lstrip().startswith("#"))


def test_the_reference_policy_holds_the_service_numbers():
    policy = get_policy()
    assert policy.booking.retention_days == 31
    assert policy.booking.retention_text == "1 mois"
    assert policy.booking.reminder_hour == dt.time(10, 0)
    assert policy.visio.slot_length == dt.timedelta(minutes=30)
    assert policy.visio.min_lead_time == dt.timedelta(hours=2)
    assert policy.visio.max_bus_distance_km == 20.0
    assert "service-public.gouv.fr" in policy.links.official_domains
    assert policy.links.old_domains == ("service-public.fr",)
    assert (policy.links.review_after_months, policy.links.outdated_after_months) == (6, 12)
    assert policy.abbreviations.communes["st"] == "saint"
    assert ("rendez-vous", "RDV") in policy.abbreviations.documents


@pytest.mark.parametrize(
    ("days", "text"), [(31, "1 mois"), (62, "2 mois"), (45, "45 jours"), (1, "1 jour")]
)
def test_retention_is_told_in_months_or_days(days, text):
    assert BookingPolicy(days, dt.time(10)).retention_text == text


def test_a_wrong_number_is_refused_with_its_line(tmp_path):
    bad = GOOD.replace("retention_days: 31", "retention_days: un mois")
    assert errors_of(tmp_path, bad) == [
        (
            line_of(bad, "retention_days:"),
            "booking.retention_days: 'un mois' must be a whole number from 1 to 366",
        )
    ]


def test_an_unquoted_or_impossible_hour_is_refused(tmp_path):
    for value in ('"25:00"', '"10h"', "600"):
        bad = GOOD.replace('reminder_hour: "10:00"', f"reminder_hour: {value}")
        [(line, reason)] = errors_of(tmp_path, bad)
        assert line == line_of(bad, "reminder_hour:")
        assert reason.startswith("booking.reminder_hour:") and '"HH:MM"' in reason


def test_unknown_and_missing_fields_are_reported(tmp_path):
    bad = GOOD.replace("  slot_minutes: 30\n", "  slot_length: 30\n")
    found = errors_of(tmp_path, bad)
    assert (
        line_of(bad, "slot_length"),
        "visio: unknown field 'slot_length' (allowed: slot_minutes, min_lead_minutes, "
        "max_bus_distance_km)",
    ) in found
    assert any(reason == "visio: missing field 'slot_minutes'" for _, reason in found)


def test_a_missing_section_is_reported(tmp_path):
    bad = GOOD.replace("booking:\n", "bookings:\n")
    reasons = [reason for _, reason in errors_of(tmp_path, bad)]
    assert "missing section 'booking'" in reasons
    assert any(r.startswith("unknown section 'bookings'") for r in reasons)


def test_a_link_domain_must_be_a_bare_lowercase_domain(tmp_path):
    bad = GOOD.replace("    - caf.fr\n", "    - https://caf.fr/\n")
    [(line, reason)] = errors_of(tmp_path, bad)
    assert line == line_of(bad, "https://caf.fr/")
    assert "'https://caf.fr/' is not a domain name" in reason


def test_an_old_domain_must_be_official(tmp_path):
    bad = GOOD.replace("  old_domains:\n    - service-public.fr", "  old_domains:\n    - impots.fr")
    [(_, reason)] = errors_of(tmp_path, bad)
    assert reason.startswith("links.old_domains: 'impots.fr' must also be in official_domains")


def test_citizens_are_not_warned_before_staff_recheck(tmp_path):
    bad = GOOD.replace("outdated_after_months: 12", "outdated_after_months: 3")
    [(line, reason)] = errors_of(tmp_path, bad)
    assert line == line_of(bad, "outdated_after_months")
    assert "must not be below review_after_months (6)" in reason


def test_abbreviations_are_checked(tmp_path):
    bad = GOOD.replace("    st: saint\n", "    St: Saint\n").replace(
        '["certificat", "certif."]', '["certificat(", "certif."]'
    )
    found = errors_of(tmp_path, bad)
    assert [line for line, _ in found] == [line_of(bad, "St: Saint"), line_of(bad, "certificat(")]
    assert "must be two lowercase words" in found[0][1]
    assert "'certificat(' is not a valid pattern" in found[1][1]


def test_a_yaml_syntax_error_names_its_line(tmp_path):
    bad = GOOD.replace("  slot_minutes: 30", "  slot_minutes: [30")
    [(line, reason)] = errors_of(tmp_path, bad)
    assert reason.startswith("YAML syntax error") and line is not None


def test_validate_data_checks_the_policy_file(tmp_path):
    import shutil

    from franceservices.paths import REFERENCE_DIR
    from scripts.validate_data import validate_all

    for source in REFERENCE_DIR.iterdir():
        if source.is_file():
            shutil.copy(source, tmp_path / source.name)
    assert validate_all(tmp_path) == []
    bad = GOOD.replace("max_bus_distance_km: 20", "max_bus_distance_km: -5")
    write(tmp_path, bad)
    assert [(e.path.name, e.line) for e in validate_all(tmp_path)] == [
        ("policy.yml", line_of(bad, "max_bus_distance_km:"))
    ]
