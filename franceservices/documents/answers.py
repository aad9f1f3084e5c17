"""What to answer about the documents to bring: plain logic, no Rasa import.

Works on the catalogue of reference/procedures.yml (franceservices/documents/loader.py):
finds the procedure, asks only the questions needed to pick the case, then gives the list of
documents, the fees, whether it can be done online and where, each rendered for the person's
channel.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from franceservices import wording
from franceservices.documents.extract import (
    extract_answers,
    not_covered_case,
    parse_numbered_choice,
)
from franceservices.documents.model import Case, Catalogue, Procedure
from franceservices.documents.render import (
    render_documents,
    render_fees,
    render_online,
    render_question,
    render_where,
)
from franceservices.replies import Answer

AWAIT_PROCEDURE = "procedure"
AWAIT_CASE = "procedure_case"
ANSWER_INTENT = "inform_case"
MAX_PROCEDURE_BUTTONS = 5


def procedure_button(procedure: Procedure) -> dict[str, str]:
    return {
        "title": procedure.title,
        "payload": f'/ask_documents{{"procedure_id": "{procedure.id}"}}',
    }


def find_procedure(
    catalogue: Catalogue, texts: list[str], procedure_id: str | None = None
) -> list[Procedure]:
    """Procedures designated by a button id, else by the first text that names one."""
    if procedure_id:
        try:
            return [catalogue.get(procedure_id)]
        except KeyError:
            pass
    for text in texts:
        if text and text.strip():
            found = catalogue.match(text)
            if found:
                return found
    return []


def collect_answers(
    procedure: Procedure,
    previous: Mapping[str, Any] | None,
    text: str,
    entities: Mapping[str, str],
    awaiting: str | None,
) -> dict[str, str]:
    """Answers so far: previous ones, then buttons (entities), then what the text says.

    A bare "1" or "2" is read against the question the assistant asked last (SMS numbering).
    """
    answers = {k: v for k, v in (previous or {}).items() if isinstance(v, str)}
    pending = procedure.missing_question(answers) if awaiting == AWAIT_CASE else None
    for question in procedure.questions:
        value = entities.get(question.id)
        if value and question.choice(value) is not None:
            answers[question.id] = value
    if text:
        answers.update({k: v for k, v in extract_answers(procedure, text).items() if k})
        if pending is not None and pending.id not in answers:
            value = parse_numbered_choice(text, pending)
            if value is not None:
                answers[pending.id] = value
    return answers


def documents(
    catalogue: Catalogue,
    channel: str,
    found: list[Procedure],
    current_id: str | None,
    previous_answers: Mapping[str, Any] | None,
    text: str,
    entities: Mapping[str, str],
    awaiting: str | None,
    named_something: bool,
    today: dt.date | None = None,
) -> Answer:
    """The next step of a documents conversation: ask which procedure, ask a question, or list.

    `found` are the procedures the latest message names; `current_id` the one being discussed.
    `named_something` tells that the person named a procedure the catalogue does not know.
    `today` (given by the action) lets the list say when its facts are more than a year old.
    """
    if len(found) > 1:
        buttons = [procedure_button(p) for p in found[:MAX_PROCEDURE_BUTTONS]]
        return Answer(slots={"awaiting": AWAIT_PROCEDURE, "topic": "documents"}).say(
            "utter_documents_choose_procedure", buttons
        )
    if found:
        procedure = found[0]
        if procedure.id != current_id:
            previous_answers = {}
    elif current_id:
        procedure = catalogue.get(current_id)
    elif named_something:
        return Answer(slots={"awaiting": None}).say("utter_documents_unknown_procedure")
    else:
        return Answer(slots={"awaiting": AWAIT_PROCEDURE, "topic": "documents"}).say(
            "utter_documents_ask_procedure"
        )
    uncovered = not_covered_case(procedure, text) if text else None
    if uncovered is not None:
        # No source read for that case: another case's list would be a wrong answer. Nothing is
        # kept for a follow-up, so "combien ça coûte ?" cannot price another case either.
        said = wording.text(
            "utter_documents_case_unknown",
            channel,
            procedure=procedure.title,
            case=uncovered.title,
            check_with=procedure.check_with,
            link=procedure.link,
        )
        slots = {"procedure_id": None, "procedure_answers": None, "awaiting": None}
        return (
            Answer(slots=slots).say("utter_documents_list", documents=said).say("utter_ask_human")
        )
    answers = collect_answers(procedure, previous_answers, text, entities, awaiting)
    slots: dict[str, Any] = {
        "procedure_id": procedure.id,
        "procedure_answers": answers,
        "topic": "documents",
    }
    question = procedure.missing_question(answers)
    if question is not None:
        text_, buttons = render_question(question, channel, intent=ANSWER_INTENT)
        return Answer(slots={**slots, "awaiting": AWAIT_CASE}).say(
            "utter_documents_question", buttons, question=text_
        )
    case = procedure.case_for(answers)
    return Answer(slots={**slots, "awaiting": None}).say(
        "utter_documents_list", documents=render_documents(case, channel, today=today)
    )


def current_case(
    catalogue: Catalogue, procedure_id: str | None, answers: Mapping[str, Any] | None
) -> tuple[Procedure | None, Case | None]:
    """The procedure being discussed and its case when the answers pick one."""
    if not procedure_id:
        return None, None
    try:
        procedure = catalogue.get(procedure_id)
    except KeyError:
        return None, None
    if procedure.missing_question(answers or {}) is not None:
        return procedure, None
    return procedure, procedure.case_for(answers or {})


def follow_up(
    catalogue: Catalogue,
    channel: str,
    what: str,
    procedure_id: str | None,
    answers: Mapping[str, Any] | None,
) -> Answer:
    """Fees ("fees"), online ("online") or where ("where") for the procedure being discussed."""
    procedure, case = current_case(catalogue, procedure_id, answers)
    if procedure is None:
        return Answer().say(f"utter_documents_{what}_no_procedure")
    if case is None:
        question = procedure.missing_question(answers or {})
        text_, buttons = render_question(question, channel, intent=ANSWER_INTENT)
        return Answer(slots={"awaiting": AWAIT_CASE}).say(
            "utter_documents_question", buttons, question=text_
        )
    render = {"fees": render_fees, "online": render_online, "where": render_where}[what]
    return Answer(slots={"topic": "documents"}).say(
        f"utter_documents_{what}", details=render(case, channel), procedure=case.full_title
    )
