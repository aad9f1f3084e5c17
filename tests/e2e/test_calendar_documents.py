"""Calendar and documents conversations with the real servers (REST channel).

The servers run on the real clock: each expected answer is computed with the project's calendar
and documents code at the moment of the question (before and after it, so a question asked across
a change of day or of visit still has one right answer), rendered with domain.yml's response, and
compared with the whole text the assistant sent. Each test also checks facts read from
reference/ (commune, place, phone, documents), which the rendering cannot invent.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache

import pytest
import yaml

from franceservices.calendar import answers as calendar_answers
from franceservices.calendar.tours import get_calendar
from franceservices.dates.clock import paris_now
from franceservices.dates.french_dates import parse_date_fr
from franceservices.documents.answers import documents, find_procedure, follow_up, render_documents
from franceservices.documents.loader import load_catalogue
from franceservices.documents.render import channel_for
from franceservices.places.communes import load_communes
from franceservices.replies import Answer
from scripts.env import PROJECT_DIR

pytestmark = pytest.mark.e2e
# format_date_fr's output: "mardi 8 décembre", "mercredi 1er janvier".
MONTHS = "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
DATE = re.compile(rf"\b(lundi|mardi|mercredi|jeudi|vendredi) (1er|[12]?\d|3[01]) ({MONTHS})\b")
# French hours: "de 9 h 30 à 12 h 30 et de 13 h 30 à 16 h 30".
PERIOD = r"de ([01]?\d|2[0-3]) h( [0-5]\d)? à ([01]?\d|2[0-3]) h( [0-5]\d)?"
HOURS = re.compile(rf"{PERIOD}((, | et ){PERIOD})*")
WEB = channel_for("rest")


@cache
def domain_texts() -> dict[str, str]:
    """Each response's text for the web (the variant with neither a channel nor a condition:
    a slot-conditioned variant, such as utter_ask_reminder_contact's SMS one, is not it)."""
    domain = yaml.safe_load((PROJECT_DIR / "domain.yml").read_text(encoding="utf-8"))
    texts = {}
    for name, variants in domain["responses"].items():
        plain = [v for v in variants if "channel" not in v and "condition" not in v]
        assert len(plain) == 1, f"{name}: one web variant expected, the test cannot pick"
        texts[name] = plain[0]["text"]
    return texts


def render(answer: Answer) -> str:
    """The text the REST channel sends for an Answer (one message per reply, joined)."""
    return "\n".join(domain_texts()[r.response].format(**r.params) for r in answer.replies)


def ask(conversation, text: str, expected) -> str:
    """Say `text`; the reply must be `expected(now)` for a `now` taken just before or after."""
    before = render(expected(paris_now()))
    said = conversation.say_text(text)
    after = render(expected(paris_now()))
    assert said in (before, after), f"said:\n{said}\nexpected:\n{after}"
    return said


@cache
def stops() -> dict[str, dict]:
    """The tour stops of reference/tours.yml by commune name, with their tour's phone."""
    tours = yaml.safe_load((PROJECT_DIR / "reference" / "tours.yml").read_text(encoding="utf-8"))
    return {
        stop["commune"]: {**stop, "phone": tour["phone"]}
        for tour in tours["tours"]
        for stop in tour["stops"]
    }


def commune(insee: str):
    return load_communes().get(insee)


TRELON, SIN_LE_NOBLE = "59601", "59569"


def day_confirmed(name: str) -> bool:
    """Whether the stop's day is published (the project's one rule, `Stop.day_confirmed`)."""
    return next(s for s in get_calendar().stops() if s.commune == name).day_confirmed


def assert_next_visit_text(text: str, name: str) -> None:
    """What a next-visit answer must say, whatever the day: read from reference/tours.yml."""
    stop = stops()[name]
    if day_confirmed(name):
        today = f"Le bus France Services est à {name} aujourd'hui, "
        assert text.startswith((f"Prochain passage du bus France Services à {name} : ", today))
        assert f"Téléphone du bus : {stop['phone']}." in text
    else:
        # A planned day is told as planned, never promised (issue 15).
        today = f"Le bus France Services est prévu à {name} aujourd'hui, "
        assert text.startswith(
            (f"Prochain passage prévu du bus France Services à {name} : ", today)
        )
        assert f"à confirmer au {stop['phone']} (téléphone du bus)" in text
    if not text.startswith(today):
        assert DATE.search(text.splitlines()[0]), text
    assert HOURS.search(text.splitlines()[0]), text
    assert f"Lieu : {stop['place']}." in text


def test_bus_question_with_the_commune(conversation):
    text = ask(
        conversation,
        "quand passe le bus à Trélon ?",
        lambda now: calendar_answers.next_visit(get_calendar(), commune(TRELON), now),
    )
    assert_next_visit_text(text, "Trélon")
    assert "03 59 73 18 20" in text  # the Avesnois bus


def test_bus_question_then_commune_then_follow_ups(conversation):
    asked = conversation.say_text("quand passe le bus ?")
    assert asked == domain_texts()["utter_calendar_ask_commune"]
    sin = commune(SIN_LE_NOBLE)
    first = ask(
        conversation,
        "sin le noble",
        lambda now: calendar_answers.next_visit(get_calendar(), sin, now),
    )
    assert_next_visit_text(first, "Sin-le-Noble")
    assert "03 59 73 18 31" in first
    more = ask(
        conversation,
        "et le mois d'après ?",
        lambda now: calendar_answers.more_visits(get_calendar(), sin, now, 1),
    )
    if day_confirmed("Sin-le-Noble"):
        assert more.startswith("Les passages suivants du bus à Sin-le-Noble :\n")
    else:
        assert more.startswith(
            "Les passages suivants prévus du bus à Sin-le-Noble, dates à confirmer au "
            "03 59 73 18 31 (téléphone du bus) :\n"
        )
    lines = [line for line in more.splitlines() if line.startswith("- ")]
    assert len(lines) == 3 and all(DATE.search(x) and HOURS.search(x) for x in lines), more
    place = ask(
        conversation,
        "c'est où exactement ?",
        lambda now: calendar_answers.visit_detail(get_calendar(), sin, now, "place"),
    )
    assert place == f"À Sin-le-Noble, le bus s'arrête ici : {stops()['Sin-le-Noble']['place']}."
    hours = ask(
        conversation,
        "à quelle heure ?",
        lambda now: calendar_answers.visit_detail(get_calendar(), sin, now, "time"),
    )
    first_line = hours.splitlines()[0]
    if day_confirmed("Sin-le-Noble"):
        pattern = rf"Le {DATE.pattern}, le bus est à Sin-le-Noble {HOURS.pattern}\."
    else:
        pattern = (
            rf"Le {DATE.pattern}, le bus est prévu à Sin-le-Noble {HOURS.pattern}, "
            r"date à confirmer au 03 59 73 18 31\."
        )
    assert re.fullmatch(pattern, first_line), first_line
    # The hours of the visit just announced (first answer), with its date.
    assert DATE.search(first_line).group(0) in first or "aujourd'hui" in first
    assert HOURS.search(first_line).group(0) in first


def test_ambiguous_commune_offers_buttons_that_work(conversation):
    messages = conversation.say("quand passe le bus à avesnes")
    assert messages[0]["text"] == domain_texts()["utter_calendar_commune_ambiguous"].format(
        query="avesnes"
    )
    buttons = [b for m in messages for b in m.get("buttons", [])]
    titles = [b["title"] for b in buttons]
    assert "Avesnes-sur-Helpe (59440)" in titles and "Avesnes-le-Comte (62810)" not in titles
    payload = next(b["payload"] for b in buttons if b["title"] == "Avesnes-sur-Helpe (59440)")
    helpe = commune("59036")
    assert helpe.name == "Avesnes-sur-Helpe"
    text = ask(
        conversation,
        payload,
        lambda now: calendar_answers.next_visit(get_calendar(), helpe, now),
    )
    assert text.startswith(
        "Le bus France Services ne s'arrête pas à Avesnes-sur-Helpe. Les arrêts les plus proches"
    )
    assert "La France Services la plus proche est à " in text


def test_commune_outside_the_nord(conversation):
    text = conversation.say_text("quand passe le bus à Arras ?")
    assert text == domain_texts()["utter_calendar_commune_outside"].format(
        place="Arras", department="Pas-de-Calais"
    )


def test_desk_open_or_closed(conversation):
    text = ask(
        conversation,
        "la france services de Hondschoote est ouverte ?",
        lambda now: calendar_answers.desk_info(commune("59309"), now),
    )
    assert text.startswith("France services Hondschoote (")
    assert "\nC'est ouvert en ce moment, jusqu'à " in text or "\nC'est fermé en ce moment." in text


def test_where_is_the_bus_tomorrow(conversation):
    said = "où sera le bus demain ?"
    text = ask(
        conversation,
        said,
        lambda now: calendar_answers.bus_location(
            get_calendar(), now, parse_date_fr(said, now.date()), None
        ),
    )
    tomorrow = get_calendar().visits_on(paris_now().date() + dt.timedelta(days=1))
    if any(not v.is_cancelled for v in tomorrow):
        # Published days first; planned ones alone get their own heading (issue 15).
        assert text.startswith(
            (
                "Voici où sont les bus France Services :\n- ",
                "Passages prévus des bus France Services, dates à confirmer au numéro du bus "
                "indiqué :\n- ",
            )
        ), text
        for visit in tomorrow:
            if not visit.is_cancelled:
                assert f" : {visit.commune}, " in text and f"({visit.place})" in text
    else:  # a Saturday, a Sunday, a public holiday: where the buses go next
        assert text.startswith(("Aucun bus France Services ne passe le ", "Le ")), text
        assert "Prochain jour de passage, le " in text


def test_documents_with_a_question_then_fees(conversation):
    catalogue = load_catalogue()
    card = catalogue.get("id_card")
    first = "je dois refaire ma carte d'identité"
    found = find_procedure(catalogue, ["carte d'identité", first], None)
    assert [p.id for p in found] == ["id_card"]
    # 1. For whom? (buttons on the web)
    messages = conversation.say(first)
    expected = documents(catalogue, WEB, found, None, None, first, {}, None, True)
    assert [m["text"] for m in messages] == [render(expected)]
    assert messages[0]["text"] == card.questions[0].text
    assert [b["title"] for b in messages[0]["buttons"]] == ["Pour un adulte", "Pour un enfant"]
    # 2. "for me": an adult; then which situation.
    situation = conversation.say("c'est pour moi")
    assert [m["text"] for m in situation] == ["Quelle est votre situation ?"]
    assert [b["title"] for b in situation[0]["buttons"]] == [
        "Première demande",
        "Renouvellement",
        "Perte",
        "Vol",
    ]
    # 3. "lost": the list of an adult's loss, every document of reference/procedures.yml.
    text = conversation.say_text("je l'ai perdue")
    answers = {"for_whom": "adult", "situation": "loss"}
    case = card.case_for(answers)
    listed = follow_up(catalogue, WEB, "fees", "id_card", answers)  # same case, fees rendered
    expected = render(Answer().say("utter_documents_list", documents=render_documents(case, WEB)))
    # Exact but for the last line, the source link, whose wording depends on the date of the
    # facts (a warning once they are a year old, given by the action's date).
    assert text.splitlines()[:-1] == expected.splitlines()[:-1]
    assert text.splitlines()[-1].endswith(
        (card.link, f"{card.link} (informations relevées le 25 avril 2022)")
    )
    assert text.startswith("Carte d'identité – perte (adulte)\nPapiers à prévoir :\n")
    for document in case.documents:
        assert f"• {document.text}\n" in text
    assert card.link in text  # the link of reference/procedures.yml
    # 4. Fees of that case.
    fees = conversation.say_text("combien ça coûte ?")
    assert fees == render(listed)
    assert "Prix : timbre fiscal de 25 €, à acheter en ligne" in fees


def test_the_assistant_keeps_answering_after_bad_input(conversation):
    assert conversation.say_text("") == domain_texts()["utter_empty_message"]
    assert conversation.say_text("🙂") == domain_texts()["utter_no_words"]
    text = ask(
        conversation,
        "quand passe le bus à Trélon ?",
        lambda now: calendar_answers.next_visit(get_calendar(), commune(TRELON), now),
    )
    assert_next_visit_text(text, "Trélon")
