"""Issue 13: a name that is a name (not "oui", not a sentence), as people answer the question
"À quel nom dois-je noter le rendez-vous ?" on the web and by SMS."""

from __future__ import annotations

from pathlib import Path

import pytest

from franceservices.booking.names import load_name_words, person_name
from franceservices.data_errors import DataErrors, DataFileError


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Marie Martin", "Marie Martin"),
        ("marie martin", "marie martin"),
        ("je m'appelle Marie Martin", "Marie Martin"),
        ("Je m’appelle Jean-Pierre Lefebvre", "Jean-Pierre Lefebvre"),
        ("c'est Dupont", "Dupont"),
        ("cest dupont merci", "dupont"),
        ("mon nom est Françoise d'Hondt", "Françoise d'Hondt"),
        ("Mme Vandewalle", "Vandewalle"),
        ("oui c'est au nom de Karim Benali", "Karim Benali"),
        ("Martin, Marie.", "Martin Marie"),
        ("de Villiers", "de Villiers"),
        ("Jean Le Goff svp", "Jean Le Goff"),
        ("moi c'est Zoë Müller", "Zoë Müller"),
        ("Van Damme", "Van Damme"),
    ],
)
def test_a_name_is_kept(text, name):
    assert person_name(text) == name


@pytest.mark.parametrize(
    "text",
    [
        "oui",
        "Oui",
        "ok",
        "d'accord",
        "non",
        "non laissez tomber",
        "je ne sais pas",
        "pourquoi vous voulez mon nom ?",
        "c'est quoi les papiers pour la carte grise",
        "je voudrais parler à un conseiller",
        "mon nom",
        "merci",
        "Marie Martin 06 12 34 56 78",
        "je suis pas sûr de vouloir donner mon nom",
        "@@@",
        "",
    ],
)
def test_what_is_not_a_name_is_refused(text):
    assert person_name(text) is None


def test_the_shipped_word_file_loads():
    words = load_name_words()
    assert "oui" in words.not_names and "je m appelle" in words.introductions
    assert not {"de", "du", "le", "la", "van", "d"} & words.not_names  # particles of names


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("introductions: [je suis]\nendings: [merci]\nnot_names: [Oui]\n", "not written"),
        ("introductions: [je suis]\nendings: [merci]\nnot_names: [oui, oui]\n", "twice"),
        ("introductions: [je suis]\nendings: [merci]\nnot_names: [je sais]\n", "one word a line"),
        ("introductions: [je suis]\nendings: [merci]\n", "not_names: a list"),
        ("introductions: [a]\nendings: [b]\nnot_names: [c]\nother: [d]\n", "unknown section"),
    ],
)
def test_a_bad_word_file_is_refused_with_its_line(tmp_path: Path, content, reason):
    path = tmp_path / "name_words.yml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises((DataFileError, DataErrors)) as caught:
        load_name_words(path)
    assert reason in str(caught.value)


def test_validate_data_checks_the_name_words_file(tmp_path):
    import shutil

    from franceservices.paths import REFERENCE_DIR
    from scripts.validate_data import validate_all

    for source in REFERENCE_DIR.iterdir():
        if source.is_file():
            shutil.copy(source, tmp_path / source.name)
    assert validate_all(tmp_path) == []
    (tmp_path / "name_words.yml").write_text(
        (REFERENCE_DIR / "name_words.yml").read_text(encoding="utf-8") + "\nsurnames: [dupont]\n",
        encoding="utf-8",
    )
    problems = [(e.path.name, e.reason) for e in validate_all(tmp_path)]
    assert problems == [("name_words.yml", "unknown section 'surnames'")]
