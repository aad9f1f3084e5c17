"""The texts a citizen reads never type a policy number: they are filled from reference/policy.yml.

A number typed in domain.yml ("effacé 1 mois après") would silently disagree with the service the
day staff change the policy; the responses carry a placeholder (`{retention}`) that the actions
fill from `franceservices.policy.get_policy()` instead.
"""

import re
from pathlib import Path

from ruamel.yaml import YAML

from franceservices.policy import get_policy

PROJECT = Path(__file__).resolve().parents[2]
RETENTION_NOTICES = (
    "utter_ask_visio_form_visio_consent",
    "utter_ask_callback_form_callback_contact",
)


def responses() -> dict:
    return YAML(typ="safe").load((PROJECT / "domain.yml").read_text(encoding="utf-8"))["responses"]


def domain_texts() -> list[tuple[str, str]]:
    """Every text a citizen reads: each variant of each response and its button titles."""
    texts = []
    for name, variants in responses().items():
        for variant in variants:
            texts.append((name, variant.get("text", "")))
            texts += [(name, button.get("title", "")) for button in variant.get("buttons", [])]
    return texts


def policy_phrasings() -> list[str]:
    """The ways French text states each policy number ("1 mois", "31 jours", "10 h", "20 km")."""
    policy = get_policy()
    days = policy.booking.retention_days
    hour = policy.booking.reminder_hour
    slot = int(policy.visio.slot_length.total_seconds() // 60)
    lead = int(policy.visio.min_lead_time.total_seconds() // 60)
    km = policy.visio.max_bus_distance_km
    phrasings = [
        policy.booking.retention_text,
        f"{days} jours",
        f"{hour.hour} h" if hour.minute == 0 else f"{hour.hour} h {hour.minute:02d}",
        f"{hour.hour}h{hour.minute:02d}" if hour.minute else f"{hour.hour}h",
        hour.strftime("%H:%M"),
        f"{slot} minutes",
        f"{slot} min",
        f"{km:g} km",
        f"{lead} minutes",
    ]
    if lead % 60 == 0:
        phrasings += [f"{lead // 60} heure", f"{lead // 60} h"]
    return phrasings


def test_no_domain_text_types_a_policy_number():
    typed = [
        (name, phrase)
        for name, text in domain_texts()
        for phrase in policy_phrasings()
        if re.search(rf"(?<![\w{{]){re.escape(phrase)}(?!\w)", text)
    ]
    assert typed == [], "fill these from the policy (a {placeholder}), do not type them"


def test_the_retention_notices_carry_the_policy_placeholder():
    for name in RETENTION_NOTICES:
        texts = [variant["text"] for variant in responses()[name]]
        assert texts and all("{retention}" in text for text in texts), name
