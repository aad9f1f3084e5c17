"""Procedure families of issue 14: CAF, CPAM, retirement, France Travail, DGFiP, MDPH, Département.

Each test loads the shipped catalogue, matches a sentence as people type it, picks the case from
the answers in that sentence, and checks that a fact read on the named source reaches the citizen
on the web and in SMS.
"""

import datetime as dt

import pytest

from franceservices.documents.extract import extract_answers
from franceservices.documents.loader import load_catalogue
from franceservices.documents.render import render_documents
from franceservices.text.normalize import normalize

TODAY = dt.date(2026, 12, 2)

# (sentence, procedure, fact shown on the web, fact shown in SMS): the facts come from the
# sources listed in reference/SOURCES.md for each procedure.
FAMILIES = [
    # CAF: F2550 (declaration of pregnancy before the end of the 3rd month)
    (
        "je suis enceinte, quels papiers pour la prime de naissance",
        "birth_grant",
        "avant la fin du 3e mois de grossesse",
        "avant la fin du 3e mois",
    ),
    # CAF: F827 (changes are declared in the online account, "Déclarer un changement")
    (
        "on s'est separes je dois declarer un changement de situation a la caf",
        "caf_change_of_situation",
        "Déclarer un changement",
        "Declarer un changement",
    ),
    # CPAM: Cleiss FAQ (free card, at least 15 days before leaving)
    (
        "je pars en espagne il me faut la carte europeenne d'assurance maladie",
        "european_health_card",
        "Gratuite",
        "Gratuite",
    ),
    # CPAM: F3079 (form cerfa 11573)
    ("dossier ame pour mon mari quels documents", "state_medical_aid", "cerfa 11573", "11573"),
    # CPAM: F10662 (download from the ameli account)
    (
        "il me faut une attestation de droits pour mon employeur",
        "rights_certificate",
        "compte ameli",
        "ameli",
    ),
    # Retirement: Assurance retraite Aspa notice (phone 3960)
    ("le minimum vieillesse pour ma mere", "old_age_minimum", "3960", "3960"),
    # France Travail: actualisation phone line
    ("comment faire mon actualisation pole emploi", "job_seeker_update", "3949", "3949"),
    # DGFiP: F59 document (the property-tax notice)
    ("je dois payer ma taxe fonciere", "property_tax", "avis de taxe foncière", "avis de taxe"),
    # MDPH du Nord FAQ: form cerfa 15692, online on the Portail Nord Autonomie
    ("comment faire une demande d'aah", "disabled_adult_allowance", "cerfa 15692", "15692"),
    (
        "la cmi pour mon fils il faut quoi",
        "mobility_inclusion_card",
        "portail-autonomie.lenord.fr",
        "portail-autonomie.lenord.fr",
    ),
    # Département du Nord: aide sociale requested at the CCAS
    (
        "ma mere rentre en ehpad on peut avoir l'aide sociale a l'hebergement",
        "accommodation_social_aid",
        "CCAS",
        "CCAS",
    ),
]


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(today=TODAY)


@pytest.mark.parametrize(("sentence", "procedure_id", "web_fact", "sms_fact"), FAMILIES)
def test_sentence_reaches_the_procedure_and_its_sourced_fact(
    catalogue, sentence, procedure_id, web_fact, sms_fact
):
    matched = [p.id for p in catalogue.match(sentence)]
    assert matched == [procedure_id]
    procedure = catalogue.get(procedure_id)
    case = procedure.case_for(extract_answers(procedure, sentence))
    assert normalize(web_fact) in normalize(render_documents(case, "web", today=TODAY))
    assert normalize(sms_fact) in normalize(render_documents(case, "sms", today=TODAY))


def test_tax_dispute_picks_the_contest_case_with_its_deadline(catalogue):
    sentence = "je veux contester mon impot il y a une erreur"
    procedure = catalogue.match(sentence)[0]
    assert procedure.id == "tax_payment_dispute"
    case = procedure.case_for(extract_answers(procedure, sentence))
    assert case.id == "contest"
    assert "31 décembre" in render_documents(case, "web", today=TODAY)
    assert normalize("copie de votre avis d'impôt") in normalize(
        render_documents(case, "sms", today=TODAY)
    )


@pytest.mark.parametrize(
    ("sentence", "procedure_id"),
    [
        ("je veux l'apa pour ma mere", "apa"),
        ("declaration d'impot premiere fois", "income_tax"),
        ("je depends de la cpam", None),
        ("comment va se passer la demande de naturalisation", None),
    ],
)
def test_short_new_keywords_do_not_steal_other_questions(catalogue, sentence, procedure_id):
    matched = [p.id for p in catalogue.match(sentence)]
    mine = {
        "european_health_card",
        "old_age_minimum",
        "job_seeker_update",
        "tax_payment_dispute",
        "sick_leave",
        "state_medical_aid",
    }
    assert not set(matched) & mine
    if procedure_id is not None:
        assert matched == [procedure_id]
