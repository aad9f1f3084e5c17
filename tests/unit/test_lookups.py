from scripts.make_lookups import TARGET, forms, render


def test_committed_lookup_table_matches_the_communes_file():
    assert TARGET.read_text(encoding="utf-8") == render(), "run `make lookups`"


def test_forms_cover_accents_and_hyphens():
    assert forms("Étrœungt") == ["Étrœungt", "etroeungt"]
    assert forms("Sin-le-Noble") == ["Sin-le-Noble", "sin-le-noble", "sin le noble"]
