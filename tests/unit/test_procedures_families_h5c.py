"""Procedure families added by H5c from stored sources (social housing and Dalo, the CPAM death
benefit, MaPrimeRénov', child support through the CAF's Aripa; a minor's travel authorisation,
the hosting certificate, the Pacs, a duplicate family record book, the PreParE, the collège grant;
the driving-licence registration, the complément familial, a signature certification, the ARS,
a change of first name).

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
    assert matches[0].id == expected_id, [p.id for p in matches]
    procedure = matches[0]
    case = procedure.case_for(extract_answers(procedure, sentence))
    return {ch: render_documents(case, ch, today=TODAY) for ch in ("web", "sms")}


@pytest.mark.parametrize(
    ("sentence", "procedure_id", "web_fact", "sms_fact"),
    [
        ("comment faire une demande de logement social", "social_housing",
         "aucun frais de dossier", "aucun frais de dossier"),
        ("dossier hlm il faut quels papiers", "social_housing",
         "avant-dernière année", "avant-dernière année"),
        ("je veux faire un recours dalo", "housing_right_appeal",
         "cerfa 15036", "cerfa 15036"),
        ("mon mari est mort, comment toucher le capital deces", "death_benefit",
         "S3180", "S3180"),
        ("aide maprimerenov pour changer ma chaudiere", "energy_renovation_grant",
         "revenu fiscal de référence", "revenu fiscal de référence"),
        ("mon ex ne paie plus la pension alimentaire", "child_support",
         "titre exécutoire", "3238"),
        ("mon fils part seul en voyage scolaire, autorisation de sortie du territoire",
         "minor_travel_authorisation", "cerfa 15646", "cerfa 15646"),
        ("comment faire une attestation d'accueil pour ma mere", "hosting_certificate",
         "30 €", "30 €"),
        ("on veut faire un pacs, quels documents", "civil_partnership",
         "cerfa 15725", "cerfa 15725"),
        ("j'ai perdu mon livret de famille", "family_record_book",
         "titulaires du livret", "titulaire du livret"),
        ("je prends un congé parental, la caf paie quoi", "parental_leave_benefit",
         "cerfa 12324", "cerfa 12324"),
        ("comment demander la bourse de college", "school_grant",
         "ÉduConnect", "ÉduConnect"),
        ("comment faire mon inscription au permis en candidat libre", "licence_registration",
         "e-photo", "e-photo"),
        ("ma fille a 18 ans elle veut passer le permis il faut quoi", "licence_registration",
         "ASSR2", "ASSR2"),
        ("est-ce que j'ai droit au complément familial avec 3 enfants",
         "large_family_supplement", "plus de 3 ans", "impots"),
        ("ou faire legaliser une signature", "signature_certification",
         "devant l'agent", "devant l'agent"),
        ("mon fils a 17 ans, comment toucher l'allocation de rentree scolaire",
         "school_year_allowance", "toujours scolarisé", "scolarité sur caf.fr"),
        ("je veux changer de prenom quels papiers", "first_name_change",
         "cerfa 16233", "cerfa 16233"),
    ],
)  # fmt: skip
def test_family_answer_shows_the_sourced_fact(
    catalogue, sentence, procedure_id, web_fact, sms_fact
):
    answers = _answer(catalogue, sentence, procedure_id)
    assert web_fact in answers["web"]
    assert sms_fact in answers["sms"]


def test_dalo_answer_says_its_facts_are_old(catalogue):
    # The Dalo fiche copies read show "Vérifié le 13/05/2022": the answer must say so.
    answers = _answer(catalogue, "recours dalo", "housing_right_appeal")
    assert "plus d'un an" in answers["web"]
    assert "plus d'1 an" in answers["sms"]


def test_dalo_is_not_the_justice_conciliator(catalogue):
    # "médiation" is a conciliator keyword; the Dalo commission is a longer phrase and wins.
    assert catalogue.match("saisir la commission de médiation pour un logement")[0].id == (
        "housing_right_appeal"
    )


@pytest.mark.parametrize(
    "sentence",
    [
        "j'ai pas reçu mon courrier",  # "pas" is one letter from "pacs"
        "comment ça va se passer",
        "c la caf pr mon dossier",  # "c la" is one letter from "clca"
        "abonnement de bus scolaire pour mon fils, quels documents",  # bus, not bourse
        "comment demander la bourse de college",  # "demander la" is not "demande hlm"
    ],
)
def test_short_words_do_not_fall_into_the_new_procedures(catalogue, sentence):
    found = [p.id for p in catalogue.match(sentence)]
    assert "civil_partnership" not in found
    assert "parental_leave_benefit" not in found
    assert "social_housing" not in found
    if "bourse" not in sentence:
        assert "school_grant" not in found


def test_losing_the_licence_is_not_the_registration(catalogue):
    # "permis" alone stays with the existing driving-licence procedure (loss, theft, renewal...).
    assert catalogue.match("j'ai perdu mon permis de conduire")[0].id == "driving_licence"
