"""Procedure families added from stored sources (civil status, elections, census, address,
licence points, justice, vote by proxy, residence permit, FranceConnect).

Each test loads the shipped catalogue, matches a sentence as a citizen types it, picks the case
and checks that a fact read in the source shows in the answer on the web and by SMS.
"""

import datetime as dt

import pytest

from franceservices.documents.extract import extract_answers
from franceservices.documents.loader import load_catalogue
from franceservices.documents.render import render_documents

TODAY = dt.date(2026, 12, 2)


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def _answer(catalogue, sentence: str, expected_id: str) -> dict[str, str]:
    matches = catalogue.match(sentence)
    assert matches, sentence
    assert matches[0].id == expected_id
    procedure = matches[0]
    case = procedure.case_for(extract_answers(procedure, sentence))
    return {ch: render_documents(case, ch, today=TODAY) for ch in ("web", "sms")}


@pytest.mark.parametrize(
    ("sentence", "procedure_id", "web_fact", "sms_fact"),
    [
        ("je voudrais un acte de naissance pour mon dossier", "birth_certificate",
         "nom et prénoms de vos parents", "noms des parents"),
        ("il me faut un extrait d'acte de mariage", "marriage_certificate",
         "mairie du lieu du mariage", "mairie du lieu du mariage"),
        ("copie acte de deces de mon pere", "death_certificate",
         "dernier domicile du défunt", "dernier domicile"),
        ("comment m'inscrire sur les listes electorales", "electoral_roll",
         "12669", "12669"),
        ("mon fils a 16 ans, recensement citoyen", "citizen_census",
         "livret de famille des parents", "livret de famille"),
        ("je demenage, changement d'adresse en ligne", "address_change",
         "numéro de formule", "formule"),
        ("combien il me reste de points sur mon permis", "licence_points",
         "Télépoints", "Télépoints"),
        ("demande d'extrait de casier judiciaire", "criminal_record",
         "10071", "10071"),
        ("demande d'aide juridictionnelle pour le tribunal", "legal_aid",
         "16146", "16146"),
        ("conflit avec mon voisin, je veux un conciliateur", "justice_conciliator",
         "gratuit", "gratuit"),
        ("je veux voter par procuration", "vote_proxy",
         "6 caractères", "6 caractères"),
        ("renouveler mon titre de sejour", "residence_permit",
         "ANEF", "ANEF"),
        ("comment me connecter avec france connect", "franceconnect",
         "ameli.fr", "ameli"),
        ("creer mon identite numerique la poste", "franceconnect",
         "postier", "séjour > 5 ans"),
    ],
)  # fmt: skip
def test_family_answer_shows_the_sourced_fact(
    catalogue, sentence, procedure_id, web_fact, sms_fact
):
    answers = _answer(catalogue, sentence, procedure_id)
    assert web_fact in answers["web"]
    assert sms_fact in answers["sms"]


def test_vehicle_address_change_still_goes_to_the_carte_grise(catalogue):
    assert catalogue.match("j'ai déménagé il faut changer l'adresse de ma carte grise")[0].id == (
        "vehicle_registration"
    )


def test_points_question_does_not_fall_into_the_licence_loss_cases(catalogue):
    assert catalogue.match("je voudrais connaitre mon solde de points du permis")[0].id == (
        "licence_points"
    )
