"""The French texts the channels themselves send, outside the dialogue.

Everything the assistant *says* lives in domain.yml. These few texts belong to the transport, not
to the dialogue: they answer STOP/START at the door, before Rasa sees the message, or they frame
the bot's own answer for SMS (numbered choices, "write SUITE"). They are kept here, in one place,
so that a reviewer of the wording finds them all. Short, vouvoiement, plain words; no typographic
characters outside the GSM-7 alphabet (an SMS with a single "«" or "’" costs twice as much).
"""

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

# Web (REST, socket.io): a conversation or an address sent too many messages in a short time
# (channels/limits.py). Nothing is lost: the person writes again a minute later.
WEB_RATE_LIMITED = (
    "Vous avez envoyé beaucoup de messages en peu de temps. "
    "Merci d'attendre une minute, puis d'écrire à nouveau."
)
