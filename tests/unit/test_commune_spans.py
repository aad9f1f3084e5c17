"""The commune span matcher: a commune found inside a citizen's sentence, typed as people type."""

import csv
from pathlib import Path

import pytest

from actions.calendar import ActionShowNextVisit
from actions.fallback import ActionHandleFallback
from bench.spelling import TARGET_RIGHT, TARGET_WRONG, load_set, score
from franceservices.data_errors import DataErrors, DataFileError
from franceservices.paths import REFERENCE_DIR
from franceservices.places.commune_spans import get_span_matcher, phonetic_key, resolve_in_sentence
from franceservices.places.communes import load_communes
from franceservices.places.stop_words import STOP_WORDS_FILE, load_stop_words
from tests.unit.test_actions import run, tracker

SPELLING_DIR = Path(__file__).resolve().parent.parent / "spelling"
NAMES = [c.name for c in load_communes().all()]


# -- phonetic key ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Bousie", "Bousies"),  # silent final s
        ("Haussi", "Haussy"),  # y / i
        ("Neuvily", "Neuvilly"),  # doubled consonant
        ("Bambeke", "Bambecque"),  # k / cque, three edits apart
        ("Kilem", "Killem"),  # k / c... and doubled l
        ("Esquelbek", "Esquelbecq"),  # cq / k
        ("Rexpoede", "Rexpoëde"),  # diaeresis dropped
        ("Hasebrouk", "Hazebrouck"),  # z / s, ck / k
        ("Wormout", "Wormhout"),  # silent h, final t
        ("Steenvorde", "Steenvoorde"),  # oo / o
        ("Ferriere la grand", "Ferrière-la-Grande"),  # final e
    ],
)
def test_spellings_that_sound_alike_share_a_key(typed, name):
    assert phonetic_key(typed) == phonetic_key(name)


@pytest.mark.parametrize(
    ("a", "b"), [("Bavay", "Bachy"), ("Trélon", "Thiant"), ("Thiennes", "Thiant"), ("Hem", "Ham")]
)
def test_different_sounds_keep_different_keys(a, b):
    assert phonetic_key(a) != phonetic_key(b)


# -- the matcher ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "code", "span"),
    [
        ("qd passe le bus a bousie svp", "59099", "bousie"),
        ("prochain passage du bus a lendrecies", "59331", "lendrecies"),
        ("le bus passe quand a Le Quesnoy ?", "59481", "le quesnoy"),
        ("j habite au quesnoy qd passe le bus", "59481", "quesnoy"),
        ("bus a st hilaire lez cambrai", "59533", "saint hilaire lez cambrai"),
        ("bonjour quand vient le camion bleu a bambeke", "59046", "bambeke"),
        ("kilem c quand", "59326", "kilem"),
        ("le bus a hazebrou", "59295", "hazebrou"),  # cut short
        ("le bus a eth demain", "59217", "eth"),  # a 3-letter name after "a"
        ("haussi demain", "59289", "haussi"),
    ],
)
def test_commune_inside_a_sentence(sentence, code, span):
    match = get_span_matcher().match(sentence)
    assert match.resolution.status == "found"
    assert match.resolution.commune.insee == code
    assert match.span == span
    assert match.candidates[0][0].insee == code and 0 < match.score <= 1


def test_bus_is_never_the_commune_bus():
    """'bus' is Bus (Pas-de-Calais) for the resolver's dictionary, never in a question."""
    for sentence in ("prochain passage du bus a ...", "quand passe le bus", "le bus du jour"):
        resolution = resolve_in_sentence(sentence)
        assert resolution.status == "unknown" and resolution.candidates == ()


def test_a_place_outside_the_nord_is_not_taken_for_a_part_of_a_nord_name():
    resolution = resolve_in_sentence("a quelle heure le bus a loos en gohelle demain")
    assert resolution.status == "outside_nord" and resolution.department == "Pas-de-Calais"


def test_the_nord_beats_a_neighbouring_homonym():
    assert resolve_in_sentence("le bus a st amand quand").commune.name == "Saint-Amand-les-Eaux"


def test_close_candidates_are_asked_with_their_span():
    match = get_span_matcher().match("le bus passe a avesnes quand")
    assert match.resolution.status == "ambiguous" and match.span == "avesnes"
    assert [c.name for c in match.resolution.candidates] == [
        "Avesnes-sur-Helpe",
        "Avesnes-les-Aubert",
        "Avesnes-le-Sec",
    ]
    assert len({score for _, score in match.candidates}) == 1


def test_two_communes_named_are_asked():
    resolution = resolve_in_sentence("je vis a lille mais je travaille a roubaix")
    assert resolution.status == "ambiguous"
    assert {c.name for c in resolution.candidates} == {"Lille", "Roubaix"}


def test_postcode_and_misspelt_name():
    assert resolve_in_sentence("59550 landrcies").commune.name == "Landrecies"
    assert resolve_in_sentence("le bus a landrcie 59550 svp").commune.name == "Landrecies"


def test_postcode_alone_keeps_the_resolver_answer():
    assert resolve_in_sentence("59360").status == "ambiguous"
    assert resolve_in_sentence("62000").department == "Pas-de-Calais"


def test_any_text_is_answered():
    for text in ("", "   ", "🙂", "blabla " * 700, "x" * 5000, None):
        assert resolve_in_sentence(text).status in ("unknown", "outside_nord")


# -- stop list (reference/commune_stop_words.txt) -------------------------------------------


def test_real_stop_list_loads_and_has_the_words_of_the_questions():
    words = load_stop_words(REFERENCE_DIR / STOP_WORDS_FILE, NAMES)
    assert {"bus", "passage", "prochain", "mairie", "quand", "jour", "demain"} <= words


def test_stop_list_refuses_a_commune_name_a_duplicate_and_a_bad_word(tmp_path):
    path = tmp_path / "stop.txt"
    path.write_text("# comment\nbus\ncroix\nbus\nQuand\n", encoding="utf-8")
    with pytest.raises(DataErrors) as caught:
        load_stop_words(path, NAMES)
    assert [(e.line, e.path) for e in caught.value.errors] == [(3, path), (4, path), (5, path)]
    assert "name of a commune of the Nord" in caught.value.errors[0].reason
    assert "duplicate word 'bus' (first on line 2)" in caught.value.errors[1].reason
    with pytest.raises(DataFileError, match="file not found"):
        load_stop_words(tmp_path / "nope.txt")
    (tmp_path / "empty.txt").write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="no word in file"):
        load_stop_words(tmp_path / "empty.txt")


# -- the labelled spelling set ----------------------------------------------------------------


def test_spelling_set_is_large_enough_and_outside_training_data():
    rows = load_set(SPELLING_DIR)
    assert len(rows) >= 400
    assert sum(1 for _, _, source in rows if source == "handwritten.csv") >= 100
    assert {expected for _, expected, _ in rows} >= {"none", "ambiguous"}
    codes = {c.insee for c in load_communes().all()}
    assert all(e in codes or e in ("none", "ambiguous") for _, e, _ in rows)


def test_generated_set_is_what_the_script_writes(tmp_path, monkeypatch):
    from tests.spelling import generate

    monkeypatch.setattr(generate, "OUT", tmp_path / "generated.csv")
    generate.main()
    committed = (SPELLING_DIR / "generated.csv").read_text(encoding="utf-8")
    assert (tmp_path / "generated.csv").read_text(encoding="utf-8") == committed


def test_spelling_set_meets_the_targets():
    rows = load_set(SPELLING_DIR)
    counts, failures = score(rows)
    wrong = [f for f in failures if f[0] == "wrong"]
    assert counts["wrong"] / len(rows) <= TARGET_WRONG, wrong
    assert counts["right"] / len(rows) >= TARGET_RIGHT, failures


def test_every_tour_commune_is_in_the_spelling_set():
    import yaml

    tours = yaml.safe_load((REFERENCE_DIR / "tours.yml").read_text(encoding="utf-8"))
    tour_codes = {stop["code_insee"] for t in tours["tours"] for stop in t["stops"]}
    with (SPELLING_DIR / "generated.csv").open(encoding="utf-8") as f:
        expected = {r["expected"] for r in csv.DictReader(x for x in f if not x.startswith("#"))}
    assert tour_codes <= expected


# -- wired into the actions -----------------------------------------------------------------


def test_next_visit_finds_a_misspelt_commune_in_the_sentence():
    """No entity from NLU (DIET missed it): the sentence itself names Bousies."""
    trk = tracker("qd passe le bus a bousie svp", "ask_bus_visit")
    responses, messages, _ = run(ActionShowNextVisit(), trk)
    assert messages[-1].get("commune") == "Bousies", responses


def test_next_visit_with_postcode_and_misspelt_name():
    trk = tracker("prochain passage du bus 59550 landrcies", "ask_bus_visit")
    _, messages, slots = run(ActionShowNextVisit(), trk)
    assert messages[0]["commune"] == "Landrecies" and slots["commune_insee"] == "59331"


def test_next_visit_asks_with_buttons_between_close_candidates():
    trk = tracker("le bus passe quand a avesne", "ask_bus_visit")
    responses, messages, _ = run(ActionShowNextVisit(), trk)
    assert responses == ["utter_calendar_commune_ambiguous"]
    assert len(messages[0]["buttons"]) == 3


def test_next_visit_never_takes_bus_for_a_commune():
    trk = tracker("prochain passage du bus a ...", "ask_bus_visit")
    responses, _, _ = run(ActionShowNextVisit(), trk)
    assert responses == ["utter_calendar_ask_commune"]


def test_fallback_finds_a_misspelt_commune_in_a_short_message():
    responses, messages, _ = run(ActionHandleFallback(), tracker("bus a kilem svp", "nlu_fallback"))
    assert messages[0].get("commune") == "Killem", responses
