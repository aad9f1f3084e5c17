import csv
from pathlib import Path

import pytest

from franceservices.data_errors import DataErrors, DataFileError
from franceservices.paths import REFERENCE_DIR
from franceservices.places.commune_resolver import CommuneResolver, get_resolver
from franceservices.places.communes import (
    Commune,
    CommuneRepository,
    OutsideFrance,
    OutsidePlace,
    distance_km,
    load_communes,
)
from franceservices.text.normalize import normalize
from franceservices.text.typos import damerau_levenshtein

SPELLINGS_FILE = Path(__file__).parent / "commune_spellings.csv"
HEADER = "code_insee,nom,codes_postaux,latitude,longitude,population,epci,mairie_adresse\n"
GOOD_ROW = '59053,Bavay,59570,50.29859,3.79387,3326,CC du Pays de Mormal,"Place, 59570 Bavay"\n'


def _spellings():
    with SPELLINGS_FILE.open(encoding="utf-8") as f:
        lines = [line for line in f if not line.startswith("#")]
    return [(row["input"], row["expected"], row["note"]) for row in csv.DictReader(lines)]


SPELLINGS = _spellings()

# The 80 stops of the pilot tours (../shared/reference/tours_pilot.yml, copied by value: tests
# must not read outside the project).
TOUR_CODES = (
    "59601",
    "59218",
    "59525",
    "59181",
    "59659",
    "59467",
    "59134",
    "59474",
    "59384",
    "59099",
    "59639",
    "59265",
    "59464",
    "59357",
    "59053",
    "59230",
    "59344",
    "59157",
    "59104",
    "59627",
    "59122",
    "59037",
    "59614",
    "59558",
    "59289",
    "59541",
    "59485",
    "59528",
    "59533",
    "59063",
    "59074",
    "59118",
    "59382",
    "59631",
    "59624",
    "59149",
    "59349",
    "59545",
    "59137",
    "59430",
    "59654",
    "59569",
    "59170",
    "59234",
    "59028",
    "59509",
    "59008",
    "59574",
    "59314",
    "59015",
    "59336",
    "59224",
    "59126",
    "59620",
    "59327",
    "59414",
    "59185",
    "59390",
    "59375",
    "59449",
    "59663",
    "59210",
    "59499",
    "59305",
    "59666",
    "59089",
    "59326",
    "59478",
    "59046",
    "59338",
    "59580",
    "59135",
    "59086",
    "59262",
    "59662",
    "59018",
    "59318",
    "59189",
    "59647",
    "59397",
)


def test_spelling_table_is_large_enough():
    assert len(SPELLINGS) >= 150


@pytest.mark.parametrize(("text", "expected", "note"), SPELLINGS)
def test_resolver_reaches_the_expected_answer(text, expected, note):
    result = get_resolver().resolve(text)
    if expected.isdigit():
        assert result.status == "found", note
        assert result.candidates[0].insee == expected, note
        assert result.commune is result.candidates[0]
    elif expected.startswith("outside_nord:"):
        assert result.status == "outside_nord", note
        assert result.department == expected.split(":", 1)[1], note
        assert result.candidates == ()
    else:
        assert result.status == expected, note
        if expected == "ambiguous":
            assert len(result.candidates) >= 2
            populations = [c.population for c in result.candidates]
            assert populations == sorted(populations, reverse=True)


def test_every_tour_commune_has_at_least_three_spellings():
    counts = {}
    for _, code, _ in SPELLINGS:
        counts[code] = counts.get(code, 0) + 1
    assert len(set(TOUR_CODES)) == 80
    assert all(counts.get(code, 0) >= 3 for code in TOUR_CODES)


def test_ambiguous_avesnes_lists_the_three_avesnes():
    result = get_resolver().resolve("avesnes")
    assert [c.name for c in result.candidates] == [
        "Avesnes-sur-Helpe",
        "Avesnes-les-Aubert",
        "Avesnes-le-Sec",
    ]


def test_postcode_with_several_communes_is_ambiguous():
    result = get_resolver().resolve("59360")
    assert result.status == "ambiguous"
    assert "59136" in {c.insee for c in result.candidates}
    assert all("59360" in c.postcodes for c in result.candidates)


def test_outside_place_gives_its_official_name():
    result = get_resolver().resolve("arras")
    assert (result.status, result.department, result.outside_name) == (
        "outside_nord",
        "Pas-de-Calais",
        "Arras",
    )


def test_outside_postcode_and_name():
    result = get_resolver().resolve("62000 Arras")
    assert (result.department, result.outside_name) == ("Pas-de-Calais", "Arras")


def test_a_very_long_text_is_unknown():
    assert get_resolver().resolve("blabla " * 700).status == "unknown"


def test_non_string_is_unknown():
    assert get_resolver().resolve(None).status == "unknown"  # type: ignore[arg-type]


def test_unknown_may_carry_suggestions():
    result = get_resolver().resolve("hasebrouke")  # 3 edits: too far to assume, close to suggest
    assert result.status == "unknown"
    assert [c.name for c in result.candidates] == ["Hazebrouck"]
    assert get_resolver().resolve("xyzzy").candidates == ()


def test_resolver_without_the_national_file_still_names_departments():
    resolver = CommuneResolver(load_communes())
    assert resolver.resolve("62000").department == "Pas-de-Calais"
    assert resolver.resolve("arras").status == "unknown"
    assert resolver.resolve("bavay").candidates[0].insee == "59053"


def test_homonyms_outside_prefer_the_neighbouring_department():
    places = [
        OutsidePlace("14403", "Marolles", "14", 768),
        OutsidePlace("60385", "Marolles", "60", 680),
        OutsidePlace("62741", "Saint-Amand", "62", 122),
    ]
    resolver = CommuneResolver(
        load_communes(),
        OutsideFrance(places, {"14": "Calvados", "60": "Oise", "62": "Pas-de-Calais"}),
    )
    # A correctly spelt village elsewhere loses to a typo of a larger Nord commune...
    assert resolver.resolve("marolles").candidates[0].name == "Maroilles"
    # ...and a partial Nord name beats an exact homonym elsewhere.
    assert resolver.resolve("st amand").candidates[0].name == "Saint-Amand-les-Eaux"


# -- normalisation and distances ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Étrœungt", "etroeungt"),
        ("Marcq-en-Barœul", "marcq en baroeul"),
        ("Villeneuve-d'Ascq", "villeneuve d ascq"),
        ("Villeneuve-d’Ascq", "villeneuve d ascq"),
        ("  LE   CATEAU-Cambrésis !! ", "le cateau cambresis"),
        ("Bray-Dunes 🙂", "bray dunes"),
        ("Æ ß", "ae ss"),
        ("", ""),
    ],
)
def test_normalize(text, expected):
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("bavay", "bavay", 0),
        ("bavay", "bavai", 1),
        ("trelon", "trleon", 1),  # transposition counts once
        ("dunkerque", "dunkerke", 2),
        ("", "abc", 3),
        ("abc", "", 3),
        ("ca", "abc", 3),  # optimal string alignment, not unrestricted Damerau
    ],
)
def test_damerau_levenshtein(a, b, expected):
    assert damerau_levenshtein(a, b) == expected


def test_damerau_levenshtein_cap():
    assert damerau_levenshtein("valenciennes", "xyz", 2) == 3
    assert damerau_levenshtein("armentieres", "armantieres", 2) == 1


def test_distance_km_lille_to_dunkerque():
    assert distance_km(50.6365, 3.0635, 51.0375, 2.3774) == pytest.approx(64, abs=2)
    assert distance_km(50.0, 3.0, 50.0, 3.0) == 0


# -- repository -----------------------------------------------------------------------------


def test_real_file_loads():
    repo = load_communes()
    assert len(repo.all()) == 648
    cateau = repo.get("59136")
    assert isinstance(cateau, Commune)
    assert cateau.name == "Le Cateau-Cambrésis"
    assert "59360" in cateau.postcodes
    assert repo.get("62041") is None
    assert {c.insee for c in repo.by_postcode("59000")} == {"59350"}
    assert repo.by_postcode("99999") == []


def test_nearest():
    repo = load_communes()
    bavay = repo.get("59053")
    ranked = repo.nearest(bavay.lat, bavay.lon, repo.all(), 3)
    assert ranked[0] == (bavay, 0.0)
    assert len(ranked) == 3 and ranked[1][1] <= ranked[2][1]
    assert repo.nearest(bavay.lat, bavay.lon, [], 2) == []


def test_project_never_reads_shared():
    assert "shared" not in str(REFERENCE_DIR)
    text = (REFERENCE_DIR / "SOURCES.md").read_text(encoding="utf-8")
    for name in ("communes_nord.csv", "communes_france_hors_nord.csv", "departements.csv"):
        assert name in text


def _write(tmp_path, body, header=HEADER, name="communes.csv"):
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8")
    return path


def test_good_small_file_and_comments(tmp_path):
    path = _write(tmp_path, GOOD_ROW, header="# source: test\n" + HEADER)
    repo = CommuneRepository.from_csv(path)
    assert repo.get("59053").townhall_address == "Place, 59570 Bavay"


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("62041,Arras,62000,50.29,2.78,41019,CU,addr\n", "INSEE code '62041'"),
        ("5905,Bavay,59570,50.29,3.79,3326,CC,addr\n", "INSEE code '5905'"),
        ("59053,,59570,50.29,3.79,3326,CC,addr\n", "empty commune name"),
        ("59053,Bavay,5957,50.29,3.79,3326,CC,addr\n", "postcode '5957' is not 5 digits"),
        ("59053,Bavay,59570;ABCDE,50.29,3.79,3326,CC,addr\n", "postcode 'ABCDE'"),
        ("59053,Bavay,,50.29,3.79,3326,CC,addr\n", "no postcode"),
        ("59053,Bavay,59570,north,3.79,3326,CC,addr\n", "latitude 'north' is not a number"),
        ("59053,Bavay,59570,48.85,3.79,3326,CC,addr\n", "latitude 48.85 is outside the Nord"),
        ("59053,Bavay,59570,50.29,5.5,3326,CC,addr\n", "longitude 5.5 is outside the Nord"),
        ("59053,Bavay,59570,50.29,nan,3326,CC,addr\n", "longitude 'nan' is not a number"),
        ("59053,Bavay,59570,50.29,3.79,many,CC,addr\n", "population 'many'"),
        ("59053,Bavay,59570,50.29,3.79\n", "5 fields, the header has 8"),
    ],
)
def test_malformed_row_names_file_line_and_reason(tmp_path, row, reason):
    path = _write(tmp_path, GOOD_ROW + row)
    with pytest.raises(DataFileError) as caught:
        CommuneRepository.from_csv(path)
    error = caught.value
    assert error.path == path
    assert error.line == 3
    assert reason in error.reason
    assert f"{path}:3" in str(error)


def test_duplicate_code(tmp_path):
    path = _write(tmp_path, GOOD_ROW + GOOD_ROW)
    with pytest.raises(DataFileError) as caught:
        CommuneRepository.from_csv(path)
    assert caught.value.line == 3
    assert "duplicate INSEE code 59053 (first on line 2)" in caught.value.reason


def test_line_numbers_count_comments_and_multiline_fields(tmp_path):
    body = '59001,Abancourt,59268,50.2,3.2,463,CC,"22 Grand\'Rue,\n59268 Abancourt"\n'
    path = _write(
        tmp_path, body + "59002,,59215,50.3,3.3,4447,CA,addr\n", header="# a\n# b\n" + HEADER
    )
    with pytest.raises(DataFileError) as caught:
        CommuneRepository.from_csv(path)
    assert caught.value.line == 6


def test_missing_column(tmp_path):
    path = _write(tmp_path, "59053,Bavay\n", header="code_insee,nom\n")
    with pytest.raises(DataFileError) as caught:
        CommuneRepository.from_csv(path)
    assert caught.value.line == 1
    assert "missing column(s) in header: codes_postaux" in caught.value.reason


def test_several_errors_are_reported_together(tmp_path):
    path = _write(
        tmp_path, "59053,,59570,50.29,3.79,3326,CC,addr\n62041,Arras,62000,50.29,2.78,1,CU,a\n"
    )
    with pytest.raises(DataErrors) as caught:
        CommuneRepository.from_csv(path)
    assert [(e.line, e.path) for e in caught.value.errors] == [(2, path), (3, path)]


def test_empty_and_missing_files(tmp_path):
    with pytest.raises(DataFileError, match="file not found"):
        CommuneRepository.from_csv(tmp_path / "nope.csv")
    with pytest.raises(DataFileError, match="no header line"):
        CommuneRepository.from_csv(_write(tmp_path, "", header=""))
    with pytest.raises(DataFileError, match="no commune in file"):
        CommuneRepository.from_csv(_write(tmp_path, ""))


def test_national_file_is_compact_and_has_no_nord_commune():
    path = REFERENCE_DIR / "communes_france_hors_nord.csv"
    assert path.stat().st_size < 2_000_000
    outside = OutsideFrance.from_csv(path, REFERENCE_DIR / "departements.csv")
    assert len(outside.places) > 30_000
    assert not any(place.department == "59" for place in outside.places)
    assert outside.department_of_postcode("62000") == "62"
    assert outside.department_of_postcode("20200") == "2B"
    assert outside.department_of_postcode("97110") == "971"
    assert outside.department_of_postcode("00100") is None


def test_match_outside_alone_names_a_place_elsewhere_with_its_population():
    resolver = get_resolver()
    resolution, population = resolver.match_outside("st omer", ["st", "omer"])
    assert (resolution.outside_name, resolution.department) == ("Saint-Omer", "Pas-de-Calais")
    assert population > 10_000
    assert resolver.match_outside("bavay", ["bavay"]) is None
