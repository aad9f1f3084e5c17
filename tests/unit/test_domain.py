"""Checks of domain.yml that Rasa's own validator does not make."""

import csv
import re
from pathlib import Path

from ruamel.yaml import YAML

PROJECT = Path(__file__).resolve().parents[2]
DOMAIN = YAML(typ="safe").load((PROJECT / "domain.yml").read_text(encoding="utf-8"))
PHONE = re.compile(r"0\d(?: \d\d){4}")


def desk_phones() -> dict[str, str]:
    with (PROJECT / "reference" / "france_services_nord.csv").open(encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return {row["telephone"]: row["nom"] for row in rows}


def test_default_human_contact_numbers_are_real_desks():
    text = DOMAIN["slots"]["human_contact"]["initial_value"]
    numbers = PHONE.findall(text)
    assert len(numbers) == 3
    known = desk_phones()
    assert all(number in known for number in numbers), numbers


def test_every_response_is_french_and_uses_vous():
    for name, variants in DOMAIN["responses"].items():
        for variant in variants:
            text = variant.get("text", "")
            assert text.strip(), name
            assert not re.search(r"\b(tu|ton|ta|tes|toi)\b", text, re.IGNORECASE), name


def test_greeting_discloses_an_automatic_assistant():
    for variant in DOMAIN["responses"]["utter_greet"]:
        assert "assistant automatique" in variant["text"]
        assert "pas une personne" in variant["text"]


# Placeholders that actions fill with `dispatcher.utter_message(response=..., name=value)`.
ACTION_FILLED = {
    # franceservices/calendar/answers.py
    "line", "time",
    "commune", "date", "hours", "place", "phone", "holiday", "reason", "period", "visits",
    "stops", "distance", "desk_name", "desk_address", "desk_hours", "desk_phone", "query",
    "department", "tour", "count", "communes", "until", "next_opening",
    # franceservices/documents/answers.py
    "question", "documents", "details", "procedure", "case",
    # franceservices/documents/render.py, through franceservices/wording.py
    "title", "text", "check_with", "link", "number", "label", "first", "last",
    # actions/booking.py, handoff/app.py
    "code", "operator",
    # actions/booking.py, actions/handoff.py: the retention notices, from franceservices/policy.py
    "retention",
}  # fmt: skip


def test_placeholders_are_slots_or_filled_by_actions():
    slots = set(DOMAIN["slots"])
    unknown = {
        (name, placeholder)
        for name, variants in DOMAIN["responses"].items()
        for variant in variants
        for placeholder in re.findall(r"{(\w+)}", variant.get("text", ""))
        if placeholder not in slots | ACTION_FILLED
    }
    assert not unknown
