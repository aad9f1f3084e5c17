"""Rendering the catalogue per channel: web, SMS (GSM-7, 3 segments), Messenger (2,000 chars)."""

import datetime as dt

import pytest

from franceservices.documents.extract import parse_numbered_choice
from franceservices.documents.loader import DEFAULT_PROCEDURES_PATH, parse_catalogue
from franceservices.documents.model import Case, Fact, Online
from franceservices.documents.render import (
    CHANNELS,
    MESSENGER_MAX_CHARS,
    SMS_MAX_SEPTETS,
    channel_for,
    render_documents,
    render_fees,
    render_online,
    render_question,
    render_where,
)
from franceservices.text.gsm7 import gsm7_length, is_gsm7, to_gsm7

TODAY = dt.date(2026, 12, 2)
CATALOGUE = parse_catalogue(DEFAULT_PROCEDURES_PATH, today=TODAY)
ALL_CASES = list(CATALOGUE.cases())
ALL_QUESTIONS = [q for p in CATALOGUE for q in p.questions]


def _case(procedure_id: str, case_id: str) -> Case:
    return CATALOGUE.get(procedure_id).case(case_id)


def _fact_wordings(fact: Fact) -> set[str]:
    return {fact.text, fact.sms} - {None}


# --------------------------------------------------------------------------------------------
# Every case, every channel
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: f"{c.procedure_id}.{c.id}")
def test_every_case_renders_within_the_limits_of_every_channel(case):
    web = render_documents(case, "web")
    assert case.link in web
    assert "•" in web
    for document in case.documents:
        assert document.text in web

    sms = render_documents(case, "sms")
    assert is_gsm7(sms), sms
    assert gsm7_length(sms) <= SMS_MAX_SEPTETS, (gsm7_length(sms), sms)
    assert case.link in sms

    messenger = render_documents(case, "messenger")
    assert len(messenger) <= MESSENGER_MAX_CHARS
    assert case.link in messenger


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: f"{c.procedure_id}.{c.id}")
def test_sms_never_cuts_a_document(case):
    sms = render_documents(case, "sms")
    bullets = [line for line in sms.splitlines() if line.startswith("- ")]
    assert len(bullets) == len(case.documents)


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: f"{c.procedure_id}.{c.id}")
@pytest.mark.parametrize("channel", CHANNELS)
def test_follow_ups_render_for_every_case(case, channel):
    for render in (render_fees, render_online, render_where):
        text = render(case, channel)
        assert text.strip()
        if channel == "sms":
            assert is_gsm7(text) and gsm7_length(text) <= SMS_MAX_SEPTETS


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: f"{c.procedure_id}.{c.id}")
def test_inferred_facts_are_never_stated_as_certain(case):
    web = render_documents(case, "web")
    for fact in [*case.documents, *case.fees, *case.notes, case.where, case.online.fact]:
        if not fact.to_check:
            continue
        needle = fact.text.rstrip(".")[1:]  # the first letter may be lowered after "Où :"
        line = next(line for line in web.splitlines() if needle in line)
        assert "vérifier" in line or "Liste à vérifier" in web, line
    if any(f.to_check for f in [*case.documents, *case.fees, *case.notes, case.where]):
        assert f"auprès de {case.check_with}" in web


# --------------------------------------------------------------------------------------------
# Web
# --------------------------------------------------------------------------------------------


def test_web_block_of_an_identity_card_loss():
    web = render_documents(_case("id_card", "adult_loss"), "web")
    lines = web.splitlines()
    assert lines[0] == "Carte d'identité – perte (adulte)"
    assert lines[1] == "Papiers à prévoir :"
    assert "• 1 photo d'identité de moins de 6 mois, aux normes" in lines
    assert "Prix : timbre fiscal de 25 €, à acheter en ligne" in lines
    assert any(line.startswith("Où : dans une mairie équipée") for line in lines)
    assert lines[-1] == (
        "Plus d'infos : https://www.service-public.gouv.fr/particuliers/vosdroits/N358"
        " (informations relevées le 25 avril 2022)"
    )


def test_secondary_fee_is_shown_with_a_caution():
    web = render_documents(_case("passport", "adult_first"), "web")
    assert "Prix : timbre fiscal de 86 € pour un adulte (montant à vérifier)" in web


def test_single_inferred_fact_names_whom_to_ask():
    web = render_documents(_case("passport", "minor"), "web")
    assert "• L'enfant doit être présent (à vérifier auprès de votre mairie)." in web


def test_inferred_document_list_gets_one_caution_line():
    sms = render_documents(_case("driving_licence", "exchange"), "sms")
    assert "Liste à vérifier auprès de l'ANTS ou de votre France Services." in sms
    assert "- Traduction officielle\n" in sms


def test_unknown_channel_is_refused():
    with pytest.raises(ValueError, match="unknown channel"):
        render_documents(_case("rsa", "application"), "fax")


# --------------------------------------------------------------------------------------------
# SMS
# --------------------------------------------------------------------------------------------


def test_sms_uses_gsm7_characters_only():
    sms = render_documents(_case("vehicle_registration", "owner_change"), "sms")
    assert "•" not in sms and "«" not in sms and "–" not in sms
    assert sms.startswith("Carte grise - changement de propriétaire")


def test_sms_drops_notes_before_anything_else():
    case = _case("pension", "application")
    assert "À savoir" in render_documents(case, "web")
    sms = render_documents(case, "sms")
    assert "savoir" not in sms
    assert "Où : " in sms  # "where" survives when dropping notes is enough


def test_long_case_is_shortened_but_keeps_every_document_and_the_link():
    case = _case("rsa", "application")
    sms = render_documents(case, "sms")
    assert gsm7_length(sms) <= SMS_MAX_SEPTETS
    assert sms.count("\n- ") == 12
    assert sms.endswith("Infos : https://www.caf.fr")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Pièce d'identité", "Pièce d'identité"),  # è and é are GSM-7
        ("Vous êtes hébergé", "Vous etes hébergé"),
        ("œuvre • « guillemets » – tiret", 'oeuvre - "guillemets" - tiret'),
        ("reçu", "recu"),
        ("cerfa n° 14011", "cerfa no 14011"),
        ("35 × 45 mm", "35 x 45 mm"),
    ],
)
def test_to_gsm7(text, expected):
    assert to_gsm7(text) == expected
    assert is_gsm7(to_gsm7(text))


def test_is_gsm7_and_length():
    assert is_gsm7("Timbre fiscal de 25 €")
    assert gsm7_length("25 €") == 5  # the euro sign is an escape: two septets
    assert not is_gsm7("• puce")
    assert not is_gsm7("cœur")
    assert not is_gsm7("être")


# --------------------------------------------------------------------------------------------
# Questions
# --------------------------------------------------------------------------------------------


def test_web_question_has_buttons_with_payloads():
    question = CATALOGUE.get("id_card").question("for_whom")
    text, buttons = render_question(question, "web")
    assert text == question.text
    assert buttons == [
        {"title": "Pour un adulte", "payload": '/inform{"for_whom":"adult"}'},
        {"title": "Pour un enfant", "payload": '/inform{"for_whom":"minor"}'},
    ]


def test_sms_question_numbers_the_choices():
    question = CATALOGUE.get("id_card").question("situation")
    text, buttons = render_question(question, "sms")
    assert buttons == []
    assert text.splitlines()[1:] == [
        "1. Première demande",
        "2. Renouvellement",
        "3. Perte",
        "4. Vol",
        "Répondez 1, 2, 3 ou 4.",
    ]
    assert is_gsm7(text)


def test_sms_question_with_two_choices():
    text, _ = render_question(CATALOGUE.get("health_card").question("situation"), "sms")
    assert text.endswith("Répondez 1 ou 2.")


def test_messenger_question_numbers_choices_beyond_three():
    few, many = (
        CATALOGUE.get("id_card").question("for_whom"),
        CATALOGUE.get("driving_licence").question("situation"),
    )
    assert len(render_question(few, "messenger")[1]) == 2
    text, buttons = render_question(many, "messenger")
    assert buttons == [] and "5. Permis étranger" in text


@pytest.mark.parametrize("question", ALL_QUESTIONS, ids=lambda q: q.id)
@pytest.mark.parametrize("channel", CHANNELS)
def test_every_question_renders(question, channel):
    text, buttons = render_question(question, channel)
    assert text
    for button in buttons:
        assert len(button["title"]) <= 20
    if channel == "sms":
        assert is_gsm7(text) and gsm7_length(text) <= 160


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("1", "first"),
        (" 3 ", "loss"),
        ("le 2", "renewal"),
        ("4.", "theft"),
        ("réponse 4", "theft"),
        ("deux", "renewal"),
        ("Perte", "loss"),
        ("renouvelement", "renewal"),
        ("j'ai perdu ma carte", "loss"),
        ("vol", "theft"),
        ("5", None),
        ("0", None),
        ("je ne sais pas", None),
        ("", None),
    ],
)
def test_parse_numbered_choice(reply, expected):
    question = CATALOGUE.get("id_card").question("situation")
    assert parse_numbered_choice(reply, question) == expected


@pytest.mark.parametrize("question", ALL_QUESTIONS, ids=lambda q: q.id)
def test_every_numbered_choice_reads_back(question):
    for index, choice in enumerate(question.choices, start=1):
        assert parse_numbered_choice(str(index), question) == choice.value
        assert parse_numbered_choice(choice.label, question) == choice.value


# --------------------------------------------------------------------------------------------
# Follow-ups and helpers
# --------------------------------------------------------------------------------------------


def test_render_fees_without_fees():
    assert render_fees(_case("rsa", "application"), "web") == (
        "Prix : nos fiches n'indiquent pas de frais pour cette démarche."
    )


def test_render_online_and_where():
    case = _case("vehicle_registration", "address_change")
    assert render_online(case, "web") == (
        "Sur internet : oui. Toute la démarche se fait en ligne. https://ants.gouv.fr"
    )
    assert render_where(case, "sms").startswith(
        "Où : sur internet, sur le site de l'ANTS, ou chez un"
    )
    follow_up = _case("rsa_support", "follow_up")
    assert render_online(follow_up, "web") == (
        "Sur internet : non. Le suivi se fait en rendez-vous"
        " (à vérifier auprès de votre France Services)."
    )


def test_render_online_inferred_fact_names_whom_to_ask():
    case = _case("driving_licence", "renewal")
    assert "(à vérifier auprès de l'ANTS ou de votre France Services)" in render_online(case, "web")


def test_rendering_a_hand_made_case():
    case = Case(
        procedure_id="demo",
        procedure_title="Démo",
        id="only",
        title=None,
        when={},
        where=Fact("Au guichet France Services."),
        documents=(Fact("Pièce d'identité"), Fact("RIB", "inferred")),
        fees=(Fact("Gratuit", "secondary"),),
        online=Online("no", Fact("Non.")),
        notes=(),
        sources=("https://example.org",),
        checked_on=dt.date(2024, 3, 1),
        link="https://www.service-public.fr",
        check_with="la CAF",
    )
    web = render_documents(case, "web")
    assert web.splitlines()[0] == "Démo"
    assert "• RIB (à vérifier auprès de la CAF)" in web
    assert "Prix : gratuit" in web.splitlines()  # no digit: no "montant à vérifier"
    assert web.endswith("(informations relevées le 1er mars 2024)")


@pytest.mark.parametrize(
    ("rasa_channel", "expected"),
    [
        ("twilio", "sms"),
        ("facebook", "messenger"),
        ("socketio", "web"),
        ("rest", "web"),
        (None, "web"),
    ],
)
def test_channel_for(rasa_channel, expected):
    assert channel_for(rasa_channel) == expected


# --------------------------------------------------------------------------------------------
# Corrections of issue 14, each read on the source named in reference/SOURCES.md
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case_id", "fiche"), [("loss", "F1727"), ("theft", "F1450")], ids=["loss", "theft"]
)
def test_driving_licence_loss_and_theft_link_to_their_own_fiche(case_id, fiche):
    case = _case("driving_licence", case_id)
    assert case.link == f"https://www.service-public.gouv.fr/particuliers/vosdroits/{fiche}"
    assert "F34118" not in render_documents(case, "web")
    assert case.checked_on.year >= 2023


def test_driving_licence_theft_says_the_receipt_lets_you_drive_2_months_in_france():
    web = render_documents(_case("driving_licence", "theft"), "web")
    assert "conduire pendant 2 mois, en France seulement" in web
    assert "à vérifier" not in web.split("Où :")[0]  # the documents are confirmed now


def test_carte_grise_address_change_can_be_done_by_a_licensed_professional():
    case = _case("vehicle_registration", "address_change")
    web = render_documents(case, "web")
    assert "Uniquement sur internet" not in web
    assert "professionnel de l'automobile habilité" in render_where(case, "web")


def test_carte_grise_used_vehicle_gives_the_hauts_de_france_price():
    case = _case("vehicle_registration", "owner_change")
    fees = render_fees(case, "web")
    assert "42 € par cheval fiscal" in fees
    assert "1er mars 2025" in fees
    assert "véhicules propres" in render_documents(case, "web")
    assert "42 €" in render_documents(case, "sms")


def test_c2s_no_longer_asks_for_12_months_of_proofs():
    web = render_documents(_case("health_cover", "application"), "web")
    assert "12 derniers mois" not in web
    assert "récupérés automatiquement" in web
    assert "pension alimentaire" in web


def test_energy_voucher_says_households_not_identified_must_apply():
    case = _case("energy_voucher", "use")
    web = render_documents(case, "web")
    assert "pas de demande" not in web.lower()
    assert "chequeenergie.gouv.fr" in render_where(case, "web")
    assert "point de livraison" in web


def test_france_travail_first_appointment_is_not_systematic_and_rsa_is_automatic():
    web = render_documents(_case("job_seeker_registration", "registration"), "web")
    assert "vous avez un rendez-vous avec un conseiller" not in web
    assert "si vous êtes concerné" in web
    assert "RSA" in web and "automatique" in web


def test_rsa_gives_the_conditions_for_18_to_24_and_for_foreigners():
    web = render_documents(_case("rsa", "application"), "web")
    assert "18 à 24 ans" in web and "2 ans à temps plein" in web
    assert "titre de séjour" in web and "5 ans" in web


@pytest.mark.parametrize("procedure_id", ["id_card", "passport"])
def test_identity_papers_are_asked_for_at_an_equipped_town_hall_not_france_services(
    procedure_id,
):
    for case in CATALOGUE.get(procedure_id).cases:
        where = render_where(case, "web")
        assert "mairie équipée" in where, case.id
        assert "pas à France Services" in where, case.id


def test_identity_card_validity_is_said():
    web = render_documents(_case("id_card", "adult_renewal"), "web")
    assert "valable 10 ans" in web
    assert "5 ans de plus" in web


def test_no_citizen_link_on_the_old_service_public_domain():
    for case in ALL_CASES:
        assert "www.service-public.fr" not in case.link, case.id


# --------------------------------------------------------------------------------------------
# "Older than 12 months": the footer says so, with the link; today is given, not read
# --------------------------------------------------------------------------------------------


def _aged(case: Case, checked_on: dt.date) -> Case:
    import dataclasses

    return dataclasses.replace(case, checked_on=checked_on)


@pytest.mark.parametrize("channel", CHANNELS)
def test_facts_older_than_12_months_are_announced_with_the_link(channel):
    case = _aged(_case("id_card", "adult_first"), dt.date(2025, 11, 30))
    text = render_documents(case, channel, today=dt.date(2026, 12, 1))
    assert case.link in text
    if channel == "sms":
        assert "plus d'1 an, à vérifier" in text
        assert gsm7_length(text) <= SMS_MAX_SEPTETS and is_gsm7(text)
    else:
        assert "Ces informations ont plus d'un an (relevées le 30 novembre 2025)" in text
        assert "informations relevées le" not in text


@pytest.mark.parametrize("channel", CHANNELS)
def test_facts_of_exactly_12_months_keep_the_usual_footer(channel):
    case = _aged(_case("id_card", "adult_first"), dt.date(2025, 12, 1))
    text = render_documents(case, channel, today=dt.date(2026, 12, 1))
    assert "plus d" not in text.replace("Plus d'infos", "").replace("Plus d’infos", "")
    assert case.link in text


def test_without_today_the_footer_is_the_usual_one():
    case = _aged(_case("id_card", "adult_first"), dt.date(2019, 1, 1))
    assert "informations relevées le 1er janvier 2019" in render_documents(case, "web")


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: f"{c.procedure_id}.{c.id}")
def test_every_case_still_fits_an_sms_once_outdated(case):
    sms = render_documents(case, "sms", today=case.checked_on + dt.timedelta(days=800))
    assert "plus d'1 an" in sms
    assert is_gsm7(sms) and gsm7_length(sms) <= SMS_MAX_SEPTETS, (gsm7_length(sms), sms)
