"""The procedures catalogue: file validation, free-text matching, answers, case selection."""

import datetime as dt
import textwrap

import pytest

from franceservices.data_errors import DataErrors, DataFileError
from franceservices.documents.extract import extract_answers
from franceservices.documents.loader import DEFAULT_PROCEDURES_PATH, load_catalogue, parse_catalogue
from franceservices.documents.model import INFERRED, Catalogue
from franceservices.text.normalize import normalize
from franceservices.text.typos import damerau_levenshtein

TODAY = dt.date(2026, 12, 2)


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return parse_catalogue(DEFAULT_PROCEDURES_PATH, today=TODAY)


# --------------------------------------------------------------------------------------------
# The shipped file
# --------------------------------------------------------------------------------------------


def test_shipped_file_loads_with_the_expected_procedures(catalogue):
    ids = {p.id for p in catalogue}
    assert ids >= {
        "id_card",
        "passport",
        "driving_licence",
        "vehicle_registration",
        "income_tax",
        "rsa",
        "activity_bonus",
        "housing_benefit",
        "health_cover",
        "health_card",
        "pension",
        "job_seeker_registration",
        "energy_voucher",
        "apa",
        "rsa_support",
    }


def test_load_catalogue_is_cached():
    assert load_catalogue() is load_catalogue()


def test_every_case_has_documents_source_and_checked_on_date(catalogue):
    for case in catalogue.cases():
        assert case.documents, case.id
        assert case.sources and all(s.startswith(("http://", "https://")) for s in case.sources)
        assert isinstance(case.checked_on, dt.date) and case.checked_on <= TODAY
        assert case.link.startswith("https://")


@pytest.mark.parametrize(
    ("procedure_id", "cases"),
    [
        ("id_card", {"adult_first", "adult_renewal", "adult_loss", "adult_theft", "minor"}),
        ("passport", {"adult_first", "adult_renewal", "adult_loss", "adult_theft", "minor"}),
        ("driving_licence", {"loss", "theft", "damaged", "renewal", "exchange"}),
        ("vehicle_registration", {"owner_change", "address_change"}),
        ("income_tax", {"first_return", "annual_return", "online_account", "withholding"}),
    ],
)
def test_required_cases_are_present(catalogue, procedure_id, cases):
    assert {c.id for c in catalogue.get(procedure_id).cases} == cases


def test_inferred_facts_are_kept_as_inferred(catalogue):
    # The reference marks the licence renewal and the MDIE documents as INFÉRÉ.
    renewal = catalogue.get("driving_licence").case("renewal")
    assert all(d.confidence == INFERRED for d in renewal.documents)
    follow_up = catalogue.get("rsa_support").case("follow_up")
    assert all(d.to_check for d in follow_up.documents)
    assert not follow_up.where.to_check  # the permanence itself is confirmed


# --------------------------------------------------------------------------------------------
# Validation: one malformed file per kind of error, each with file, line and reason
# --------------------------------------------------------------------------------------------

VALID = """\
procedures:
  - id: id_card
    title: "Carte d'identité"
    operator: "Mairie"
    check_with: "votre mairie"
    link: https://www.service-public.fr/particuliers/vosdroits/N358
    keywords: [carte d'identite, cni]
    questions:
      - id: situation
        text: "Quelle est votre situation ?"
        choices:
          - value: loss
            label: "Perte"
            words: [perdu*]
          - value: theft
            label: "Vol"
    cases:
      - id: loss
        when: {situation: loss}
        where: "En mairie"
        documents: ["Photo"]
        fees: ["Timbre fiscal de 25 €"]
        online: {possible: partly, text: "Pré-demande en ligne.", url: https://ants.gouv.fr}
        sources: [https://example.org/f1344]
        checked_on: 2022-04-25
      - id: theft
        when: {situation: theft}
        where: "En mairie"
        documents: ["Déclaration de vol"]
        online: {possible: no, text: "Non."}
        sources: [https://example.org/f1759]
        checked_on: 2022-04-25
"""


def _load(tmp_path, text):
    path = tmp_path / "procedures.yml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return parse_catalogue(path, today=TODAY)


def _errors(tmp_path, text) -> list[DataFileError]:
    with pytest.raises((DataErrors, DataFileError)) as info:
        _load(tmp_path, text)
    error = info.value
    errors = error.errors if isinstance(error, DataErrors) else [error]
    for e in errors:
        assert e.path.name == "procedures.yml"
    return errors


def _line_of(text: str, needle: str, occurrence: int = 1) -> int:
    lines = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    return lines[occurrence - 1]


def test_valid_minimal_file_loads(tmp_path):
    catalogue = _load(tmp_path, VALID)
    assert catalogue.get("id_card").case_for({"situation": "theft"}).id == "theft"


def _single_error(tmp_path, text, reason_part, line):
    errors = _errors(tmp_path, text)
    matching = [e for e in errors if reason_part in e.reason]
    assert matching, [str(e) for e in errors]
    assert matching[0].line == line, str(matching[0])
    return matching[0]


def test_unknown_key_is_refused(tmp_path):
    text = VALID.replace(
        '        where: "En mairie"\n', '        where: "En mairie"\n        wehre: x\n', 1
    )
    _single_error(tmp_path, text, "unknown key 'wehre'", _line_of(text, "wehre"))


def test_case_without_documents_is_refused(tmp_path):
    text = VALID.replace('        documents: ["Photo"]\n', "        documents: []\n")
    _single_error(
        tmp_path, text, "'documents' must be a non-empty list", _line_of(text, "documents: []")
    )


def test_case_without_sources_is_refused(tmp_path):
    text = VALID.replace("        sources: [https://example.org/f1344]\n", "")
    _single_error(tmp_path, text, "has no 'sources'", _line_of(text, "- id: loss"))


def test_source_must_be_http_url(tmp_path):
    text = VALID.replace("https://example.org/f1344", "www.example.org/f1344")
    _single_error(tmp_path, text, "is not an http(s) URL", _line_of(text, "www.example.org"))


def test_link_must_be_an_official_site(tmp_path):
    text = VALID.replace(
        "link: https://www.service-public.fr/particuliers/vosdroits/N358",
        "link: https://www.cartegriseminute.fr",
    )
    _single_error(tmp_path, text, "is not an official site", _line_of(text, "cartegriseminute"))


def test_checked_on_must_be_an_iso_date(tmp_path):
    text = VALID.replace("checked_on: 2022-04-25", "checked_on: 25/04/2022", 1)
    _single_error(tmp_path, text, "is not an ISO date", _line_of(text, "25/04/2022"))


def test_checked_on_in_the_future_is_refused(tmp_path):
    text = VALID.replace("checked_on: 2022-04-25", "checked_on: 2027-01-01", 1)
    _single_error(tmp_path, text, "is in the future", _line_of(text, "2027-01-01"))


def test_missing_checked_on_is_refused(tmp_path):
    text = VALID.replace("        checked_on: 2022-04-25\n", "", 1)
    _single_error(tmp_path, text, "has no 'checked_on'", _line_of(text, "- id: loss"))


def test_when_with_unknown_value_is_refused(tmp_path):
    text = VALID.replace("when: {situation: loss}", "when: {situation: lost}")
    _single_error(tmp_path, text, "unknown value(s) ['lost']", _line_of(text, "situation: lost"))


def test_when_with_unknown_question_is_refused(tmp_path):
    text = VALID.replace("when: {situation: loss}", "when: {for_whom: adult}")
    _single_error(tmp_path, text, "unknown question 'for_whom'", _line_of(text, "for_whom"))


def test_answers_without_a_case_are_refused(tmp_path):
    text = VALID.replace("when: {situation: theft}", "when: {situation: loss}")
    errors = _errors(tmp_path, text)
    reasons = " | ".join(e.reason for e in errors)
    assert "no case for situation=theft" in reasons
    assert "cases loss, theft overlap for situation=loss" in reasons
    overlap = next(e for e in errors if "overlap" in e.reason)
    assert overlap.line == _line_of(text, "- id: theft")


def test_duplicate_procedure_id_is_refused(tmp_path):
    procedure = VALID.split("procedures:\n", 1)[1]
    second = procedure.replace("carte d'identite, cni", "autre")
    text = VALID + second
    _single_error(
        tmp_path, text, "procedure 'id_card' appears twice", _line_of(text, "- id: id_card", 2)
    )


def test_duplicate_case_id_is_refused(tmp_path):
    text = VALID.replace("      - id: theft\n", "      - id: loss\n")
    _single_error(tmp_path, text, "case 'loss' appears twice", _line_of(text, "- id: loss", 2))


def test_keyword_shared_by_two_procedures_is_refused(tmp_path):
    procedure = VALID.split("procedures:\n", 1)[1].replace("id: id_card", "id: passport")
    procedure = procedure.replace("carte d'identite, cni", "passeport, CNI")
    text = VALID + procedure
    _single_error(
        tmp_path,
        text,
        "keyword 'CNI' is already used by 'id_card'",
        _line_of(text, "passeport, CNI"),
    )


def test_bad_identifier_is_refused(tmp_path):
    text = VALID.replace("id: id_card", "id: Carte-Identite")
    _single_error(tmp_path, text, "must be snake_case", _line_of(text, "Carte-Identite"))


def test_bad_confidence_is_refused(tmp_path):
    text = VALID.replace('documents: ["Photo"]', 'documents: [{text: "Photo", confidence: sure}]')
    _single_error(tmp_path, text, "confidence 'sure'", _line_of(text, "confidence: sure"))


def test_button_label_too_long_for_messenger_is_refused(tmp_path):
    text = VALID.replace('label: "Perte"', 'label: "Perte de la carte d\'identité"')
    _single_error(tmp_path, text, "longer than 20 characters", _line_of(text, "Perte de la carte"))


def test_online_url_required_when_possible(tmp_path):
    text = VALID.replace(
        'online: {possible: partly, text: "Pré-demande en ligne.", url: https://ants.gouv.fr}',
        'online: {possible: yes, text: "En ligne."}',
    )
    _single_error(tmp_path, text, "online.url is needed", _line_of(text, "possible: yes"))


def test_online_mode_must_be_known(tmp_path):
    text = VALID.replace("possible: no", "possible: maybe")
    _single_error(tmp_path, text, "online.possible 'maybe'", _line_of(text, "maybe"))


def test_case_too_long_for_sms_is_refused(tmp_path):
    long_docs = ", ".join(
        f'"Document numéro {i} avec une longue condition à lire"' for i in range(12)
    )
    text = VALID.replace('documents: ["Photo"]', f"documents: [{long_docs}]")
    _single_error(tmp_path, text, "characters in SMS even shortened", _line_of(text, "- id: loss"))


def test_question_with_one_choice_is_refused(tmp_path):
    text = VALID.replace('          - value: theft\n            label: "Vol"\n', "")
    errors = _errors(tmp_path, text)
    assert any("needs at least 2 choices" in e.reason for e in errors)
    assert next(e for e in errors if "2 choices" in e.reason).line == _line_of(text, "choices:")


def test_duplicate_yaml_key_is_refused_with_its_line(tmp_path):
    text = VALID.replace(
        '    title: "Carte d\'identité"\n', '    title: "Carte d\'identité"\n    title: "CNI"\n'
    )
    errors = _errors(tmp_path, text)
    assert errors[0].line == _line_of(text, 'title: "CNI"')
    assert "not valid YAML" in errors[0].reason


def test_invalid_yaml_is_refused_with_its_line(tmp_path):
    text = VALID.replace('documents: ["Photo"]', 'documents: ["Photo"')
    errors = _errors(tmp_path, text)
    assert "not valid YAML" in errors[0].reason
    assert errors[0].line is not None


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(DataFileError, match="file not found"):
        parse_catalogue(tmp_path / "nope.yml", today=TODAY)


def test_every_problem_is_reported_at_once(tmp_path):
    text = VALID.replace("wehre", "").replace('where: "En mairie"', "wehre: x", 2)
    errors = _errors(tmp_path, text)
    assert len([e for e in errors if "unknown key 'wehre'" in e.reason]) == 2


# --------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("passeport", "passport", 1),
        ("impots", "ipmots", 1),  # transposition
        ("carte", "carte", 0),
        ("", "abc", 3),
        ("grise", "grisse", 1),
        ("kitten", "sitting", 3),
    ],
)
def test_damerau_levenshtein(a, b, distance):
    assert damerau_levenshtein(a, b) == distance


def test_damerau_levenshtein_stops_early():
    assert damerau_levenshtein("abcdefgh", "zzzzzzzz", max_distance=2) == 3


def test_normalize():
    assert (
        normalize("J'ai PERDU ma carte d’identité ! (œuvre)")
        == "j ai perdu ma carte d identite oeuvre"
    )
    assert normalize("mon fils de 12ans") == "mon fils de 12 ans"


# --------------------------------------------------------------------------------------------
# Matching free text
# --------------------------------------------------------------------------------------------

PHRASINGS = [
    # identity card
    ("Quels papiers pour refaire ma carte d'identité ?", "id_card"),
    ("je voudrais renouveler ma CNI", "id_card"),
    ("cart d identite perdu", "id_card"),
    ("carte didentité", "id_card"),
    ("c koi les papié pr la cni", "id_card"),
    ("Ma carte nationale d'identité est périmée", "id_card"),
    ("on m'a volé ma carte d'identitée", "id_card"),
    ("carte identite pour mon fils", "id_card"),
    ("Bonjour, je dois faire ma premiere carte d'identiter", "id_card"),
    # passport
    ("passport", "passport"),
    ("je veux faire un passeport pour partir en vacances", "passport"),
    ("passepor perdu", "passport"),
    ("renouvellement passeport", "passport"),
    ("PASSEPORT POUR MA FILLE", "passport"),
    # driving licence
    ("j'ai perdu mon permis de conduire", "driving_licence"),
    ("permi de conduire volé", "driving_licence"),
    ("mon permis est abîmé", "driving_licence"),
    ("échanger mon permis algérien", "driving_licence"),
    ("permis de conduir", "driving_licence"),
    # vehicle registration
    ("carte grise", "vehicle_registration"),
    ("carte grisse", "vehicle_registration"),
    ("cartegrise changement adresse", "vehicle_registration"),
    ("j'ai acheté une voiture d'occasion, comment faire la carte grise ?", "vehicle_registration"),
    ("certificat d'immatriculation", "vehicle_registration"),
    ("carte grize demenagement", "vehicle_registration"),
    # income tax
    ("impot", "income_tax"),
    ("je comprends rien a mes impots", "income_tax"),
    ("déclaration d'impôts", "income_tax"),
    ("comment déclarer mes revenus", "income_tax"),
    ("j'ai pas mon numero fiscal", "income_tax"),
    ("prélèvement à la source", "income_tax"),
    ("créer mon espace particulier", "income_tax"),
    ("ipmots", "income_tax"),
    # CAF: RSA, activity bonus, housing
    ("c quoi les papiers pour le rsa", "rsa"),
    ("demande de RSA", "rsa"),
    ("revenu de solidarité active", "rsa"),
    ("prime d'activité", "activity_bonus"),
    ("prime dactivite", "activity_bonus"),
    ("je veux demander la prime activité", "activity_bonus"),
    ("APL", "housing_benefit"),
    ("aide au logement pour mon appartement", "housing_benefit"),
    ("les apl c quoi les papiers", "housing_benefit"),
    ("allocation logement", "housing_benefit"),
    # CPAM
    ("complémentaire santé solidaire", "health_cover"),
    ("la CSS", "health_cover"),
    ("je voudrais la cmu", "health_cover"),
    ("mutuelle gratuite", "health_cover"),
    ("carte vitale perdue", "health_card"),
    ("j'ai perdu ma carte vital", "health_card"),
    ("carte de sécurité sociale", "health_card"),
    # pension
    ("retraite", "pension"),
    ("je veux partir a la retraitte", "pension"),
    ("demande de retraite quels papiers", "pension"),
    ("la carsat", "pension"),
    # France Travail
    ("m'inscrire à pôle emploi", "job_seeker_registration"),
    ("inscription france travail", "job_seeker_registration"),
    ("je suis au chomage", "job_seeker_registration"),
    ("france travaille", "job_seeker_registration"),
    # energy voucher
    ("chèque énergie", "energy_voucher"),
    ("cheque energie pas recu", "energy_voucher"),
    ("le chéque énergétique", "energy_voucher"),
    # APA and RSA follow-up (Département)
    ("APA pour ma mère", "apa"),
    ("allocation personnalisée d'autonomie", "apa"),
    ("perte d'autonomie de mon père", "apa"),
    ("point relais autonomie", "apa"),
    ("mon référent RSA", "rsa_support"),
    ("suivi du rsa", "rsa_support"),
    ("maison départementale de l'insertion et de l'emploi", "rsa_support"),
]


@pytest.mark.parametrize(("text", "expected"), PHRASINGS)
def test_match_finds_the_procedure_first(catalogue, text, expected):
    found = catalogue.match(text)
    assert found, text
    assert found[0].id == expected, [p.id for p in found]


def test_there_are_at_least_sixty_phrasings():
    assert len(PHRASINGS) >= 60


@pytest.mark.parametrize(
    "text",
    [
        "bonjour",
        "quels sont vos horaires ?",
        "ça me permet de venir demain ?",
        "où est le bus ?",
        "",
        "merci beaucoup",
    ],
)
def test_match_finds_nothing_in_unrelated_text(catalogue, text):
    assert catalogue.match(text) == []


def test_match_returns_every_procedure_named(catalogue):
    ids = [p.id for p in catalogue.match("passeport et carte d'identité")]
    assert set(ids) == {"passport", "id_card"}


def test_match_drops_a_keyword_inside_a_longer_one(catalogue):
    # "rsa" alone is the CAF application; inside "référent rsa" it is the Département's follow-up.
    assert [p.id for p in catalogue.match("rendez-vous avec mon référent rsa")] == ["rsa_support"]


# --------------------------------------------------------------------------------------------
# Answers already in the text
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("procedure_id", "text", "expected"),
    [
        ("id_card", "j'ai perdu ma carte d'identité", {"situation": "loss"}),
        ("id_card", "pour mon fils de 12 ans", {"for_whom": "minor"}),
        ("id_card", "ma carte est périmée", {"situation": "renewal"}),
        ("id_card", "on m'a volé mon sac avec ma CNI", {"situation": "theft"}),
        (
            "id_card",
            "c'est pour moi, première demande",
            {"for_whom": "adult", "situation": "first"},
        ),
        (
            "id_card",
            "ma fille a 16 ans et a perdu sa carte",
            {"for_whom": "minor", "situation": "loss"},
        ),
        ("id_card", "mon fils de 20 ans", {"for_whom": "adult"}),
        ("id_card", "j'ai 70 ans et je l'ai égarée", {"for_whom": "adult", "situation": "loss"}),
        ("id_card", "carte d'identité périmée depuis 3 ans", {"situation": "renewal"}),
        ("id_card", "perdue ou volée je sais pas", {}),
        ("id_card", "bonjour", {}),
        ("passport", "passeport pour mon bébé", {"for_whom": "minor"}),
        ("driving_licence", "mon permis est tout abîmé", {"situation": "damaged"}),
        ("driving_licence", "échange permis étranger", {"situation": "exchange"}),
        ("vehicle_registration", "je viens de déménager", {"situation": "address_change"}),
        (
            "vehicle_registration",
            "j'ai acheté une voiture d'occasion",
            {"situation": "owner_change"},
        ),
        ("income_tax", "j'ai oublié mon mot de passe impots", {"need": "online_account"}),
        ("income_tax", "ma première déclaration de revenus", {"need": "first_return"}),
        ("income_tax", "je dois déclarer mes revenus", {"need": "annual_return"}),
        ("income_tax", "mon taux de prélèvement", {"need": "withholding"}),
        ("health_card", "on m'a volé ma carte vitale", {"situation": "lost"}),
    ],
)
def test_extract_answers(catalogue, procedure_id, text, expected):
    assert extract_answers(catalogue.get(procedure_id), text) == expected


# --------------------------------------------------------------------------------------------
# Case selection
# --------------------------------------------------------------------------------------------


def test_missing_question_sequence_for_an_adult(catalogue):
    id_card = catalogue.get("id_card")
    answers: dict[str, str] = {}
    assert id_card.missing_question(answers).id == "for_whom"
    answers["for_whom"] = "adult"
    assert id_card.missing_question(answers).id == "situation"
    answers["situation"] = "loss"
    assert id_card.missing_question(answers) is None
    assert id_card.case_for(answers).id == "adult_loss"


def test_minor_is_not_asked_the_situation(catalogue):
    id_card = catalogue.get("id_card")
    assert id_card.missing_question({"for_whom": "minor"}) is None
    assert id_card.case_for({"for_whom": "minor"}).id == "minor"


def test_situation_known_first_still_asks_for_whom(catalogue):
    id_card = catalogue.get("id_card")
    answers = extract_answers(id_card, "j'ai perdu ma carte d'identité")
    assert id_card.missing_question(answers).id == "for_whom"


def test_procedure_without_questions_has_its_case_at_once(catalogue):
    rsa = catalogue.get("rsa")
    assert rsa.missing_question({}) is None
    assert rsa.case_for({}).id == "application"


def test_unknown_answers_and_other_slots_are_ignored(catalogue):
    licence = catalogue.get("driving_licence")
    assert (
        licence.missing_question({"situation": "nonsense", "commune": "Avesnes"}).id == "situation"
    )
    assert licence.case_for({"situation": "theft", "for_whom": "minor"}).id == "theft"


def test_case_for_refuses_incomplete_answers(catalogue):
    with pytest.raises(ValueError, match="ask 'for_whom' first"):
        catalogue.get("passport").case_for({"situation": "loss"})


def test_every_answer_combination_reaches_a_case(catalogue):
    import itertools

    for procedure in catalogue:
        for combo in itertools.product(*(q.values for q in procedure.questions)):
            answers = dict(zip((q.id for q in procedure.questions), combo, strict=True))
            assert procedure.missing_question(answers) is None
            assert procedure.case_for(answers) is not None


def test_both_service_public_domains_are_official_but_a_private_site_is_not(tmp_path):
    new = VALID.replace("www.service-public.fr", "www.service-public.gouv.fr")
    assert _load(tmp_path, new).get("id_card").link.startswith("https://www.service-public.gouv")
    assert _load(tmp_path, VALID).get("id_card").link.startswith("https://www.service-public.fr")
    fake = VALID.replace("www.service-public.fr", "www.service-public-gouv.fr")
    _single_error(tmp_path, fake, "not an official site", _line_of(fake, "link:"))


# --------------------------------------------------------------------------------------------
# Age of the facts: one function, today given by the caller
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "today", "months", "older"),
    [
        (dt.date(2026, 6, 1), dt.date(2026, 12, 1), 6, False),  # exactly 6 months
        (dt.date(2026, 5, 31), dt.date(2026, 12, 1), 6, True),
        (dt.date(2025, 12, 1), dt.date(2026, 12, 1), 12, False),
        (dt.date(2025, 11, 30), dt.date(2026, 12, 1), 12, True),
        (dt.date(2025, 2, 27), dt.date(2025, 8, 31), 6, True),  # 31 Aug - 6 months = 28 Feb
        (dt.date(2025, 2, 28), dt.date(2025, 8, 31), 6, False),
        (dt.date(2024, 2, 29), dt.date(2024, 8, 31), 6, False),  # leap year: 29 Feb
    ],
)
def test_is_older_than_counts_calendar_months(day, today, months, older):
    from franceservices.documents.freshness import is_older_than

    assert is_older_than(day, today, months) is older


def test_stale_cases_and_old_domain_links_of_the_shipped_file():
    from franceservices.documents.freshness import link_problems, stale_cases

    catalogue = parse_catalogue(DEFAULT_PROCEDURES_PATH, today=TODAY)
    stale = {f"{c.procedure_id}.{c.id}" for c in stale_cases(catalogue, TODAY)}
    assert "driving_licence.damaged" in stale  # 2019, not re-read
    assert "driving_licence.loss" not in stale  # read on 2026-12-01
    assert link_problems(catalogue) == []  # every link moved to service-public.gouv.fr


def test_not_covered_cases_load_and_need_a_title_and_words(tmp_path):
    entry = '    not_covered:\n      - title: "duplicata"\n        words: [duplicata]\n'
    text = VALID.replace("    questions:\n", entry + "    questions:\n", 1)
    (uncovered,) = _load(tmp_path, text).get("id_card").not_covered
    assert uncovered.title == "duplicata" and uncovered.patterns == ((("duplicata", False),),)
    empty = text.replace("        words: [duplicata]\n", "        words: []\n")
    _single_error(tmp_path, empty, "'words' must be a non-empty list", _line_of(empty, "words: []"))
    untitled = text.replace('      - title: "duplicata"\n        words', "      - words")
    _single_error(tmp_path, untitled, "title", _line_of(untitled, "- words: [duplicata]"))
