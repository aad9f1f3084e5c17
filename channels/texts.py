"""The French texts the channels themselves send, outside the dialogue.

Everything the assistant *says* lives in domain.yml. These few texts belong to the transport, not
to the dialogue: they answer STOP/START at the door, before Rasa sees the message, or they frame
the bot's own answer for SMS (numbered choices, "write SUITE"). They are kept here, in one place,
so that a reviewer of the wording finds them all. Short, vouvoiement, plain words; no typographic
characters outside the GSM-7 alphabet (an SMS with a single "«" or "’" costs twice as much).
"""

from pathlib import Path

DOMAIN_FILE = Path(__file__).resolve().parent.parent / "domain.yml"

# Answer to STOP / ARRET / STOPALL / UNSUBSCRIBE... (sent once, then nothing more is sent).
SMS_OPTED_OUT = "Vous ne recevrez plus de messages. Écrivez START pour reprendre."

# Answer to START / DEMARRER after an opt-out.
SMS_OPTED_IN = "C'est noté, vous recevrez à nouveau nos messages. Écrivez votre question."

# Numbered choices that replace the buttons in an SMS: "Répondez 1 pour X, 2 pour Y."
SMS_CHOICES_INTRO = "Répondez"
SMS_CHOICE_ITEM = "{number} pour {title}"
SMS_CHOICES_SEPARATOR = ", "
SMS_CHOICES_END = "."

# Ends an SMS cut because the answer was too long; the citizen writes SUITE to read the rest.
SMS_MORE_POINTER = "Écrivez SUITE pour la suite."

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
    try:
        import yaml

        domain = yaml.safe_load(domain_file.read_text(encoding="utf-8"))
        contact = domain["slots"]["human_contact"]["initial_value"]
    except (OSError, KeyError, TypeError, ValueError, ImportError):
        contact = None
    return contact if isinstance(contact, str) else FALLBACK_CONTACT


# Web (REST, socket.io): a conversation or an address sent too many messages in a short time
# (channels/limits.py). Nothing is lost: the person writes again a minute later, or calls.
WEB_RATE_LIMITED = (
    "Vous avez envoyé beaucoup de messages en peu de temps. "
    "Merci d'attendre une minute, puis d'écrire à nouveau. " + human_contact()
)
