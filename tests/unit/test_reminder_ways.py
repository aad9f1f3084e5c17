"""How a person answers "Comment voulez-vous être prévenu ?" (reminder_form, issue 15): the words
of each way come from reference/reminder_ways.yml, validated at load with the file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from franceservices.booking.reminder_ways import WAYS, load_reminder_ways, way_in
from franceservices.data_errors import DataErrors, DataFileError
from franceservices.paths import REFERENCE_DIR

GOOD = "sms: [sms, texto]\nemail: [mail, courriel]\nagenda: [agenda]\n"


def test_a_good_file_loads(tmp_path: Path):
    path = tmp_path / "reminder_ways.yml"
    path.write_text(GOOD, encoding="utf-8")
    words = load_reminder_ways(path)
    assert words == {
        "sms": frozenset({"sms", "texto"}),
        "email": frozenset({"mail", "courriel"}),
        "agenda": frozenset({"agenda"}),
    }


def test_the_shipped_file_loads_with_every_way():
    words = load_reminder_ways()
    assert set(words) == set(WAYS) == {"sms", "email", "agenda"}
    assert "texto" in words["sms"] and "courriel" in words["email"]


@pytest.mark.parametrize(
    ("content", "line", "reason"),
    [
        ("sms: [sms]\nemail: [Mail]\nagenda: [agenda]\n", 2, "not written normalised"),
        ("sms: [sms]\nemail: [e mail]\nagenda: [agenda]\n", 2, "one word a line"),
        ("sms:\n  - sms\n  - sms\nemail: [mail]\nagenda: [agenda]\n", 3, "twice"),
        ("sms: [sms, tel]\nemail: [mail]\nagenda: [tel]\n", 3, "'tel' already under sms"),
        ("sms: [sms]\nemail: [mail]\n", None, "agenda: a list of words is needed"),
        ("sms: [sms]\nemail: []\nagenda: [agenda]\n", None, "email: a list of words"),
        ("sms: [sms]\nemail: [mail]\nagenda: [agenda]\nfax: [fax]\n", 4, "unknown way 'fax'"),
        ("sms: [sms]\nemail: [mail]\nagenda: [3]\n", 3, "not written normalised"),
        ("- sms\n", None, "expected the ways sms, email, agenda"),
        ("sms: [sms\n", 2, "not valid YAML"),  # the parser stops at the end, line 2
    ],
)
def test_a_bad_file_is_refused_with_its_line(tmp_path: Path, content, line, reason):
    path = tmp_path / "reminder_ways.yml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises((DataFileError, DataErrors)) as caught:
        load_reminder_ways(path)
    errors = caught.value.errors if isinstance(caught.value, DataErrors) else [caught.value]
    assert [(e.path, e.line) for e in errors if reason in e.reason] == [(path, line)], errors


def test_a_missing_file_is_refused(tmp_path: Path):
    with pytest.raises(DataFileError, match="file not found"):
        load_reminder_ways(tmp_path / "reminder_ways.yml")


@pytest.mark.parametrize(
    ("text", "way"),
    [
        ("par courriel", "email"),
        ("Par E-mail s'il vous plaît", "email"),
        ("un texto", "sms"),
        ("par SMS", "sms"),
        ("sur mon téléphone", "sms"),
        ("Dans mon agenda", "agenda"),
        ("le calendrier", "agenda"),
        ("sms ou mail", None),  # two ways: asked again
        ("je ne sais pas", None),
        ("", None),
    ],
)
def test_typed_answers(text, way):
    assert way_in(text) == way


def test_the_answer_uses_the_given_words():
    words = {"sms": frozenset({"pigeon"}), "email": frozenset({"mail"}), "agenda": frozenset()}
    assert way_in("par pigeon", words) == "sms"
    assert way_in("par texto", words) is None


def test_validate_data_checks_the_reminder_ways_file(tmp_path: Path):
    from scripts.validate_data import validate_all

    for source in REFERENCE_DIR.iterdir():
        if source.is_file():
            shutil.copy(source, tmp_path / source.name)
    assert validate_all(tmp_path) == []
    (tmp_path / "reminder_ways.yml").write_text(
        (REFERENCE_DIR / "reminder_ways.yml").read_text(encoding="utf-8") + "fax: [fax]\n",
        encoding="utf-8",
    )
    problems = [(e.path.name, e.reason) for e in validate_all(tmp_path)]
    assert problems == [("reminder_ways.yml", "unknown way 'fax' (the ways: sms, email, agenda)")]
