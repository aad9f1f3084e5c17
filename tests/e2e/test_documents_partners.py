"""Documents for one case of every France Services partner, through the REST channel (issue 14).

Each conversation is typed as people type (typos, no accents, SMS style; none copied from the
NLU training or test sets), answers the assistant's questions when it asks them, and the final
answer is checked against reference/procedures.yml read through the documents loader: the
case's title, every document, the link and the date the facts were read, as the answer shows
them, and who to ask when a fact is only inferred. The cases no source covers yet get the
honest "pas encore" with who knows and a person, never another case's list.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
import yaml

from franceservices import wording
from franceservices.dates.clock import paris_today
from franceservices.documents.extract import not_covered_case
from franceservices.documents.freshness import is_outdated
from franceservices.documents.loader import load_catalogue
from franceservices.documents.model import Case
from franceservices.documents.render import render_documents
from franceservices.text.french import MONTHS_FR
from scripts.env import PROJECT_DIR
from tests.e2e.test_calendar_documents import WEB, domain_texts

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Partner:
    """One partner's conversation: what the person types, the case it must end on."""

    partner: str
    procedure_id: str
    said: tuple[str, ...]
    """The first message, then the replies to the assistant's questions, in order."""
    answers: dict[str, str] = field(default_factory=dict)
    """The answers that pick the case in reference/procedures.yml (none: a single case)."""
    names: str | None = None
    """A word the answer must contain for that partner (the MSA for a farmer)."""


PARTNERS = [
    Partner(
        "CAF",
        "housing_benefit",
        ("bjr je veux faire une demande d apl pour mon appart il faut koi comme papier",),
    ),
    Partner(
        "CPAM",
        "health_card",
        ("carte vital svp comment on fait", "jen ai jamais eu"),
        {"situation": "first"},
    ),
    Partner(
        "Assurance retraite",
        "survivor_pension",
        ("mon mari est decede je voudrais la reversion de sa retraite qu est ce qu il faut",),
    ),
    Partner(
        "MSA",
        "activity_bonus",
        ("je suis exploitant agricole a la msa, je peux avoir la prime dactivite ? il faut quoi",),
        names="MSA",
    ),
    Partner(
        "France Travail",
        "job_seeker_registration",
        ("comment on s inscrit a pole emploi svp j ai perdu mon boulot",),
    ),
    Partner(
        "Finances publiques",
        "income_tax",
        ("jdois declarer mes impots pour la 1ere fois",),
        {"need": "first_return"},
    ),
    Partner(
        "ANTS (ministère de l'Intérieur)",
        "driving_licence",
        ("il me faut quoi pour refaire le permis", "on me l a volé avec mon sac"),
        {"situation": "theft"},
    ),
    Partner(
        "Préfecture (ANEF)",
        "residence_permit",
        ("je dois renouveler mon titre de sejour",),
    ),
    Partner(
        "Justice",
        "criminal_record",
        ("il me faut un extrait de casier judiciaire pour un travail",),
    ),
    Partner(
        "La Poste",
        "franceconnect",
        ("comment creer l'identite numerique la poste",),
        {"need": "digital_id"},
        names="La Poste",
    ),
    Partner(
        "Département du Nord",
        "apa",
        ("ma mere a 85 ans elle a besoin d aide a la maison pour l apa il faut quoi",),
    ),
    Partner(
        "MDPH du Nord",
        "disabled_adult_allowance",
        ("je veux demander l aah a la mdph quels documents",),
    ),
    Partner("Mairie (état civil)", "birth_certificate", ("il me faut un acte de naissance",)),
    Partner(
        "État (chèque énergie)",
        "energy_voucher",
        ("j ai pas recu mon cheque energie cette annee",),
    ),
]


def french_day(day: dt.date) -> str:
    """ "1er mars 2025", "27 novembre 2026": how the answer writes the date the facts were read."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {MONTHS_FR[day.month - 1]} {day.year}"


def source_line(case: Case, today: dt.date) -> str:
    """The last line: the link and the date read, with the warning once a year old."""
    texts = domain_texts()
    if is_outdated(case, today):
        return texts["utter_documents_source_outdated"].format(
            date=french_day(case.checked_on), link=case.link
        )
    return texts["utter_documents_source"].format(link=case.link, date=french_day(case.checked_on))


def human_contact() -> str:
    """The default way to a person, the slot the channels fill (domain.yml)."""
    domain = yaml.safe_load((PROJECT_DIR / "domain.yml").read_text(encoding="utf-8"))
    return domain["slots"]["human_contact"]["initial_value"]


@pytest.mark.parametrize("partner", PARTNERS, ids=[p.partner for p in PARTNERS])
def test_one_case_of_every_partner(conversation, partner):
    procedure = load_catalogue().get(partner.procedure_id)
    case = procedure.case_for(partner.answers)
    questions = {q.text: q for q in procedure.questions}
    messages = conversation.say(partner.said[0])
    for reply in partner.said[1:]:
        # A question of this procedure, with its buttons as reference/procedures.yml gives them.
        assert len(messages) == 1 and messages[0]["text"] in questions, messages
        question = questions[messages[0]["text"]]
        assert [b["title"] for b in messages[0]["buttons"]] == [c.label for c in question.choices]
        messages = conversation.say(reply)
    before = paris_today()
    assert len(messages) == 1, messages
    text = messages[0]["text"]
    after = paris_today()
    assert text in {render_documents(case, WEB, today=d) for d in (before, after)}, text
    lines = text.splitlines()
    assert lines[0] == case.full_title and lines[1] == "Papiers à prévoir :", text
    for document in case.documents:
        assert any(line.startswith(f"• {document.text}") for line in lines), document.text
    assert lines[-1] in {source_line(case, d) for d in (before, after)}, lines[-1]
    facts = [case.where, *case.documents, *case.fees, case.online.fact, *case.notes]
    if any(f.to_check for f in facts):  # who knows, for what the source did not say
        assert case.check_with in text
    if partner.names:
        assert partner.names in text


UNSOURCED = [
    (
        "vehicle_registration",
        "jai vendu ma voiture, qu est ce que je dois faire pour la carte grise",
    ),
    ("vehicle_registration", "g perdu ma carte grise il me faut un duplicata"),
    (
        "residence_permit",
        "je suis arrivé en france je veux faire ma premiere demande de titre de sejour",
    ),
    ("pension", "je veux partir en retraite anticipee pour carriere longue quels papiers"),
]


@pytest.mark.parametrize(("procedure_id", "said"), UNSOURCED, ids=[u[1][:30] for u in UNSOURCED])
def test_a_case_no_source_covers_says_so_and_gives_who_knows(conversation, procedure_id, said):
    procedure = load_catalogue().get(procedure_id)
    uncovered = not_covered_case(procedure, said)
    assert uncovered is not None, "reference/procedures.yml lists no such case"
    text = conversation.say_text(said)
    expected = wording.text(
        "utter_documents_case_unknown",
        WEB,
        procedure=procedure.title,
        case=uncovered.title,
        check_with=procedure.check_with,
        link=procedure.link,
    )
    person = domain_texts()["utter_ask_human"].format(human_contact=human_contact())
    assert text == f"{expected}\n{person}"
    # No list of another case, and nothing kept to price one afterwards.
    assert "Papiers à prévoir" not in text
    fees = conversation.say_text("et ca coute combien ?")
    assert fees == domain_texts()["utter_documents_fees_no_procedure"]
