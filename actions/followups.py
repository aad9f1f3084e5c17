"""Follow-up questions whose meaning depends on the subject ("c'est où ?")."""

from __future__ import annotations

from rasa_sdk import Action

from actions.calendar import AWAIT_BUS, commune_or_problem
from actions.dispatch import channel_of, send
from franceservices.calendar import answers as calendar_answers
from franceservices.calendar.tours import get_calendar
from franceservices.dates.clock import paris_now
from franceservices.documents import answers as documents_answers
from franceservices.documents.loader import load_catalogue
from franceservices.documents.render import channel_for


class ActionAnswerWhere(Action):
    """Where the bus stops, where the desk is, or where a procedure is done.

    For a procedure done at a France Services desk or in the bus, it adds when the bus next comes
    to the person's commune (or asks for the commune to say so).
    """

    def name(self) -> str:
        return "action_answer_where"

    async def run(self, dispatcher, tracker, domain):
        topic = tracker.get_slot("topic")
        if topic == "documents":
            answer = documents_answers.follow_up(
                load_catalogue(),
                channel_for(channel_of(tracker)),
                "where",
                tracker.get_slot("procedure_id"),
                tracker.get_slot("procedure_answers"),
            )
            events = send(dispatcher, answer)
            if answer.responses != ["utter_documents_where"]:
                return events
            commune, _ = calendar_answers.find_commune([], tracker.get_slot("commune_insee"))
            if commune is None:
                return events + send(dispatcher, calendar_answers.commune_problem(None, AWAIT_BUS))
            nearby = calendar_answers.next_visit(get_calendar(), commune, paris_now())
            nearby.slots["topic"] = "documents"  # the conversation is still about the procedure
            return events + send(dispatcher, nearby)
        commune, problem = commune_or_problem(tracker, AWAIT_BUS)
        if problem is not None:
            return send(dispatcher, problem)
        if topic == "desk":
            return send(dispatcher, calendar_answers.desk_info(commune, paris_now()))
        answer = calendar_answers.visit_detail(get_calendar(), commune, paris_now(), "place")
        return send(dispatcher, answer)
