"""The documents conversation: which procedure, which case, then the list, per channel."""

import datetime as dt

import pytest

from franceservices.documents import answers as da
from franceservices.documents.loader import load_catalogue


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def step(catalogue, text, slots=None, entities=None, channel="web", entity=None, today=None):
    slots = slots or {}
    found = da.find_procedure(catalogue, [entity or "", text], (entities or {}).get("procedure_id"))
    answer = da.documents(
        catalogue,
        channel,
        found,
        slots.get("procedure_id"),
        slots.get("procedure_answers"),
        text,
        entities or {},
        slots.get("awaiting"),
        named_something=bool(entity),
        today=today,
    )
    return answer, {**slots, **answer.slots}


def test_id_card_asks_for_whom_then_situation_then_lists(catalogue):
    answer, slots = step(catalogue, "je dois refaire ma carte d'identité")
    assert answer.responses == ["utter_documents_question"]
    assert slots["awaiting"] == da.AWAIT_CASE
    first_question = answer.replies[0]
    assert first_question.buttons and all(
        b["payload"].startswith("/inform_case{") for b in first_question.buttons
    )
    # Answer with a button payload for whom, then in words for the situation.
    payload = first_question.buttons[0]["payload"]
    key, value = payload.split("{")[1].rstrip("}").replace('"', "").split(":")
    answer, slots = step(catalogue, "", slots, entities={key: value})
    if answer.responses == ["utter_documents_question"]:
        answer, slots = step(catalogue, "je l'ai perdue", slots)
    assert answer.responses == ["utter_documents_list"]
    text = answer.replies[0].params["documents"]
    assert "photo" in text.lower() and "https://" in text
    assert slots["awaiting"] is None and slots["topic"] == "documents"


def test_answers_in_the_first_message_skip_the_questions(catalogue):
    answer, _ = step(catalogue, "j'ai perdu ma carte d'identité, c'est pour moi")
    assert answer.responses == ["utter_documents_list"]
    assert "25" in answer.replies[0].params["documents"]  # timbre fiscal for a loss


def test_child_id_card_does_not_ask_the_situation(catalogue):
    answer, _ = step(catalogue, "carte d'identité pour mon fils de 12 ans")
    assert answer.responses == ["utter_documents_list"]


def test_a_digit_answers_the_numbered_sms_question(catalogue):
    answer, slots = step(catalogue, "papiers pour la carte grise", channel="sms")
    assert answer.responses == ["utter_documents_question"]
    assert not answer.replies[0].buttons and "1" in answer.replies[0].params["question"]
    answer, slots = step(catalogue, "2", slots, channel="sms")
    assert answer.responses == ["utter_documents_list"]
    assert len(answer.replies[0].params["documents"]) <= 450


def test_several_procedures_ask_which_one(catalogue):
    answer, slots = step(catalogue, "passeport et carte d'identité")
    assert answer.responses == ["utter_documents_choose_procedure"]
    assert {b["payload"] for b in answer.replies[0].buttons} >= {
        '/ask_documents{"procedure_id": "passport"}',
        '/ask_documents{"procedure_id": "id_card"}',
    }


def test_generic_question_asks_the_procedure_and_unknown_one_offers_an_agent(catalogue):
    answer, _ = step(catalogue, "qu'est-ce que je dois apporter")
    assert answer.responses == ["utter_documents_ask_procedure"]
    answer, _ = step(catalogue, "papiers pour un mariage", entity="mariage")
    assert answer.responses == ["utter_documents_unknown_procedure"]


def test_switching_procedure_forgets_the_previous_answers(catalogue):
    _, slots = step(catalogue, "j'ai perdu ma carte d'identité, c'est pour moi")
    answer, slots = step(catalogue, "et pour la carte grise", slots)
    assert slots["procedure_id"] == "vehicle_registration"
    assert answer.responses == ["utter_documents_question"]


def test_follow_ups_fees_online_where(catalogue):
    _, slots = step(catalogue, "j'ai perdu ma carte d'identité, c'est pour moi")
    for what in ("fees", "online", "where"):
        answer = da.follow_up(
            catalogue, "web", what, slots["procedure_id"], slots["procedure_answers"]
        )
        assert answer.responses == [f"utter_documents_{what}"]
        assert answer.replies[0].params["details"]
    fees = da.follow_up(catalogue, "web", "fees", slots["procedure_id"], slots["procedure_answers"])
    assert "25" in fees.replies[0].params["details"]


def test_follow_up_without_procedure_or_with_pending_question(catalogue):
    assert da.follow_up(catalogue, "web", "fees", None, None).responses == [
        "utter_documents_fees_no_procedure"
    ]
    _, slots = step(catalogue, "je dois refaire ma carte d'identité")
    answer = da.follow_up(
        catalogue, "web", "fees", slots["procedure_id"], slots["procedure_answers"]
    )
    assert answer.responses == ["utter_documents_question"]


@pytest.mark.parametrize("channel", ["web", "sms", "messenger"])
def test_a_list_older_than_a_year_says_so_with_the_link(catalogue, channel):
    # driving_licence.damaged was last checked on 2019-08-21 (not re-read for issue 14).
    answer, _ = step(catalogue, "mon permis est abimé", channel=channel, today=dt.date(2026, 12, 1))
    assert answer.responses == ["utter_documents_list"]
    text = answer.replies[0].params["documents"]
    assert "https://www.service-public.gouv.fr/particuliers/vosdroits/N530" in text
    assert (
        "plus d'1 an" if channel == "sms" else "plus d'un an (relevées le 21 août 2019)"
    ) in text


def test_a_list_read_this_year_keeps_the_usual_footer(catalogue):
    answer, _ = step(catalogue, "j'ai perdu mon permis", today=dt.date(2026, 12, 1))
    text = answer.replies[0].params["documents"]
    assert "F1727 (informations relevées le 1er décembre 2026)" in text
    assert "plus d'un an" not in text


def test_the_answers_name_the_corrected_facts(catalogue):
    checks = {
        "j'ai perdu mon permis": "service-public.gouv.fr/particuliers/vosdroits/F1727",
        "on m'a volé mon permis": "service-public.gouv.fr/particuliers/vosdroits/F1450",
        "carte grise occasion": "42 € par cheval fiscal",
        "carte grise déménagement": "professionnel de l'automobile habilité",
        "cheque energie": "chequeenergie.gouv.fr",
        "inscription france travail": "si vous êtes concerné",
    }
    for text, fact in checks.items():
        answer, _ = step(catalogue, text, today=dt.date(2026, 12, 1))
        assert answer.responses == ["utter_documents_list"], text
        assert fact in answer.replies[0].params["documents"], text


@pytest.mark.parametrize(
    ("text", "procedure_id"),
    [
        ("j'ai vendu ma voiture, que faire pour la carte grise", "vehicle_registration"),
        ("je vends ma voiture il faut quoi pour la carte grise", "vehicle_registration"),
        ("j'ai perdu ma carte grise, il me faut un duplicata", "vehicle_registration"),
        ("premiere demande de titre de sejour", "residence_permit"),
        ("retraite anticipee pour carriere longue, quels papiers", "pension"),
    ],
)
def test_a_case_without_a_source_is_not_answered_with_another_case(catalogue, text, procedure_id):
    """A seller, a lost registration, a first residence permit, a long career: no source read
    (reference/SOURCES.md), so no list; the answer names the case, who knows, the official link,
    and keeps no procedure for a follow-up ("combien ça coûte ?" must not price another case)."""
    answer, slots = step(catalogue, text)
    assert answer.responses == ["utter_documents_list", "utter_ask_human"], text
    procedure = catalogue.get(procedure_id)
    said = answer.replies[0].params["documents"]
    assert said.startswith(
        f"Je n'ai pas encore la liste des papiers pour ce cas : {procedure.title}, "
    )
    assert any(f", {u.title}.\n" in said for u in procedure.not_covered), said
    assert said.endswith(f"Renseignez-vous auprès de {procedure.check_with} : {procedure.link}")
    assert "Papiers à prévoir" not in said
    assert slots["procedure_id"] is None and slots["awaiting"] is None


def test_the_buyer_of_a_used_car_still_gets_the_list(catalogue):
    answer, _ = step(catalogue, "j'ai acheté une voiture d'occasion, la carte grise ?")
    assert answer.responses == ["utter_documents_list"]
    assert "changement de propriétaire" in answer.replies[0].params["documents"]
    answer, _ = step(catalogue, "je dois renouveler mon titre de séjour")
    assert answer.responses == ["utter_documents_list"]


@pytest.mark.parametrize(
    ("text", "answers"),
    [
        ("jdois declarer mes impots pour la 1ere fois", {"need": "first_return"}),
        ("impots : c'est ma 1re declaration", {"need": "first_return"}),
        ("carte vitale, c'est ma 1ère carte", {"situation": "first"}),
    ],
)
def test_abbreviated_ordinals_answer_like_the_words(catalogue, text, answers):
    """ "1ere", "1re", "1ère" are how people type "première" (the normaliser cuts "1" | "ere")."""
    procedure = da.find_procedure(catalogue, [text])[0]
    assert da.extract_answers(procedure, text) == answers


def test_an_abbreviated_first_residence_permit_is_not_covered(catalogue):
    answer, _ = step(catalogue, "1ere demande de titre de sejour")
    assert answer.responses == ["utter_documents_list", "utter_ask_human"]
    assert "première demande" in answer.replies[0].params["documents"]
