"""The shared text utilities of `franceservices/text/`, tested directly."""

import pytest

from franceservices.text.gsm7 import gsm7_length, is_gsm7, strip_accent, to_gsm7
from franceservices.text.normalize import fold, normalize
from franceservices.text.phones import to_e164
from franceservices.text.typos import FuzzyIndex, allowed_typos, damerau_levenshtein


def test_fold_keeps_punctuation_and_spells_ligatures():
    assert fold("Œuvre d'Été, 15/01") == "oeuvre d'ete, 15/01"
    assert fold("Straße") == "strasse"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("L'Étrœungt-Saint", "l etroeungt saint"),
        ("  Bavay !! 🙂 ", "bavay"),
        ("mon fils de 12ans", "mon fils de 12 ans"),
        ("59000lille", "59000 lille"),
    ],
)
def test_normalize(text, expected):
    assert normalize(text) == expected


def test_normalize_options():
    assert normalize("carte* grise", keep="*") == "carte* grise"
    assert normalize("le 15/01", keep="/") == "le 15/01"
    assert normalize("le 1er", split_numbers=False) == "le 1er"
    assert normalize("le 1er") == "le 1 er"


@pytest.mark.parametrize(
    ("length", "typos"),
    [(1, 0), (3, 0), (4, 1), (7, 1), (8, 2), (12, 2), (13, 3), (30, 3)],
)
def test_allowed_typos_by_length(length, typos):
    assert allowed_typos(length) == typos


def test_damerau_levenshtein_band_gives_the_same_distance():
    assert damerau_levenshtein("armentieres", "armentiere") == 1
    assert damerau_levenshtein("armentieres", "armentiere", 1) == 1
    assert damerau_levenshtein("armentieres", "arras", 2) == 3
    assert damerau_levenshtein("ab", "ba") == 1


def test_fuzzy_index_returns_the_closest_keys_only():
    index = FuzzyIndex()
    index.add("bavay", "59053")
    index.add("bavai", "x")
    index.add("douai", "59178")
    assert index.search("bavay", 1) == (0, {"59053"})
    assert index.search("bavey", 1) == (1, {"59053"})
    assert index.search("zzzzz", 1) == (2, set())


@pytest.mark.parametrize(
    ("phone", "e164"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("+33612345678", "+33612345678"),
        ("+33 (0)3 59 73 41 80", "+33359734180"),
        ("0800 12 34 56", "+33800123456"),  # not for a call-back, but still this phone
        ("0044 7911 123456", "+447911123456"),
        ("+1 415-555-0100", "+14155550100"),
        ("", ""),
        (None, ""),
    ],
)
def test_to_e164(phone, e164):
    assert to_e164(phone) == e164


def test_gsm7_helpers():
    assert strip_accent("ê") == "e"
    assert strip_accent("✓") == ""  # no GSM-7 letter under it
    assert to_gsm7("cœur • être") == "coeur - etre"
    assert is_gsm7("Prix : 25 €") and gsm7_length("25 €") == 5


def test_number_words():
    from franceservices.text.ordinals import CARDINALS, ORDINALS

    assert ORDINALS["deuxieme"] == 2 and ORDINALS["premiere"] == 1 and ORDINALS["second"] == 2
    assert CARDINALS["vingt et un"] == 21 and CARDINALS["trente neuf"] == 39
    assert CARDINALS["dix sept"] == 17 and "premier" not in CARDINALS
