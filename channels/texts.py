"""The French texts the channels themselves send, outside the dialogue.

Everything the assistant *says* lives in domain.yml. These few texts belong to the transport, not
to the dialogue: they answer STOP/START at the door, before Rasa sees the message, or they frame
the bot's own answer for SMS (numbered choices, "write SUITE"). They are kept here, in one place,
so that a reviewer of the wording finds them all. Short, vouvoiement, plain words; no typographic
characters outside the GSM-7 alphabet (an SMS with a single "«" or "’" costs twice as much).

Nothing is read at import: the texts that carry the domain's contact numbers are functions that
read domain.yml on their first call and keep the result (`web_rate_limited`).
"""

from functools import cache
from pathlib import Path

DOMAIN_FILE = Path(__file__).resolve().parent.parent / "domain.yml"

# The texts themselves are domain.yml responses (`utter_channel_*`), read through
# franceservices/wording.py on first use (never at import time): `texts.SMS_OPTED_OUT` ...
_RESPONSES = {
    # Answer to STOP / ARRET / STOPALL / UNSUBSCRIBE... (sent once, then nothing more is sent).
    "SMS_OPTED_OUT": "utter_channel_sms_opted_out",
    # Answer to START / DEMARRER after an opt-out.
    "SMS_OPTED_IN": "utter_channel_sms_opted_in",
    # Numbered choices that replace the buttons in an SMS: "Répondez 1 pour X, 2 pour Y."
    "SMS_CHOICES_INTRO": "utter_channel_sms_choices_intro",
    "SMS_CHOICE_ITEM": "utter_channel_sms_choice_item",
    "SMS_CHOICES_SEPARATOR": "utter_channel_sms_choices_separator",
    "SMS_CHOICES_END": "utter_channel_sms_choices_end",
    # Ends an SMS cut because the answer was too long; the citizen writes SUITE to read the rest.
    "SMS_MORE_POINTER": "utter_channel_sms_more_pointer",
    # Web (REST, socket.io): too many messages in a short time (channels/limits.py).
    "WEB_RATE_LIMITED_START": "utter_channel_web_rate_limited",
}


def __getattr__(name: str) -> str:
    """`texts.SMS_OPTED_OUT` and the others: the domain.yml response's text (SMS variant)."""
    if name in _RESPONSES:
        from franceservices import wording

        return wording.template(_RESPONSES[name], "sms")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Who to call, when the channel answers without the dialogue: the initial value of the domain's
# `human_contact` slot (its numbers are checked against the reference data by
# tests/unit/test_domain.py); this constant only if domain.yml cannot be read.
FALLBACK_CONTACT = (
    "Appelez une France Services du Département, du lundi au vendredi : "
    "Bruay-sur-l'Escaut 03 59 73 27 00, Hondschoote 03 59 73 41 80, "
    "Le Cateau-Cambrésis 03 59 73 39 00."
)


def human_contact(domain_file: Path = DOMAIN_FILE) -> str:
    """The domain's default `human_contact` (FALLBACK_CONTACT if unreadable)."""
    from franceservices import wording

    try:
        contact = wording.slot_initial_value("human_contact", path=domain_file)
    except wording.WordingError:
        contact = None
    return contact if isinstance(contact, str) else FALLBACK_CONTACT


@cache
def web_rate_limited() -> str:
    """The answer to a web client over its rate limit, with the domain's contact numbers.

    Read once (the channels call it when they start, so that no handler reads the file)."""
    from franceservices import wording

    return f"{wording.template(_RESPONSES['WEB_RATE_LIMITED_START'], 'web')} {human_contact()}"
