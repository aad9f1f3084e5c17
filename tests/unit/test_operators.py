"""reference/operators.yml: loading, validation and free-text matching of the visio operators."""

import pytest

from franceservices.booking.operators import load_operators, parse_operators
from franceservices.data_errors import DataErrors


@pytest.mark.parametrize(
    "text, expected",
    [
        ("la caf", "caf"),
        ("CAF", "caf"),
        ("les allocations familiales", "caf"),
        ("mes impôts", "dgfip"),
        ("les impots", "dgfip"),
        ("pôle emploi", "france_travail"),
        ("Pole-Emploi", "france_travail"),
        ("France Travail", "france_travail"),
        ("la sécu", "cpam"),
        ("la sécurité sociale", "cpam"),
        ("CPAM", "cpam"),
        ("la carsat pour ma retraite", "carsat"),
        ("ma retraite complémentaire", "agirc_arrco"),
        ("la MSA", "msa"),
        ("la préfecture pour ma carte grise", "ants"),
        ("DGFiP", "dgfip"),
    ],
)
def test_operator_matching(text, expected):
    op = load_operators().match(text)
    assert op is not None and op.id == expected


@pytest.mark.parametrize("text", ["un café", "bonjour", "", "caféine"])
def test_operator_no_match(text):
    assert load_operators().match(text) is None


def test_operator_ambiguous_gives_all():
    ops = load_operators()
    assert ops.match("la caf et les impôts") is None
    assert [o.id for o in ops.matches("la caf et les impôts")] == ["caf", "dgfip"]


def test_operators_file_is_valid_and_complete():
    ops = load_operators()
    ids = {o.id for o in ops.all()}
    assert {"caf", "cpam", "carsat", "msa", "france_travail", "dgfip", "ants"} <= ids
    assert all(o.name and o.source for o in ops.all())
    assert ops.get("caf").name.startswith("la CAF")


def test_operators_file_errors(tmp_path):
    path = tmp_path / "operators.yml"
    path.write_text(
        "operators:\n"
        "  - id: caf\n    name: CAF\n    aliases: [allocs]\n    source: x\n"
        "  - id: caf\n    name: Autre\n    aliases: [autre]\n    source: x\n"
        "  - id: dgfip\n    name: Impots\n    aliases: [allocs, ab]\n    source: x\n"
        "  - id: Bad-Id\n    name: X\n    aliases: [xyz]\n    source: x\n"
        "  - id: msa\n    name: MSA\n    aliases: [msa]\n    colour: red\n",
        encoding="utf-8",
    )
    with pytest.raises(DataErrors) as info:
        parse_operators(path)
    reasons = "\n".join(str(e) for e in info.value.errors)
    assert "duplicate id 'caf'" in reasons
    assert "already names caf" in reasons
    assert "shorter than 3 letters" in reasons
    assert "Bad-Id" in reasons
    assert "unknown field(s): colour" in reasons and "missing field(s): source" in reasons
    assert all(e.line is not None for e in info.value.errors)


def test_operators_file_not_yaml(tmp_path):
    path = tmp_path / "operators.yml"
    path.write_text("operators: [\n", encoding="utf-8")
    with pytest.raises(DataErrors):
        parse_operators(path)
    path.write_text("other: 1\n", encoding="utf-8")
    with pytest.raises(DataErrors):
        parse_operators(path)
