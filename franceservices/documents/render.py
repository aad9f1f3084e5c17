"""The data-driven block of a documents answer, for each channel.

The web widget, SMS (plain GSM-7 text in at most three segments) and Facebook Messenger (plain
text, 2,000 characters). Every fixed word ("Papiers à prévoir :", "Prix :", "À savoir :",
"Répondez 1, 2 ou 3.", the "à vérifier" marks, the source line) is a `utter_documents_*` response
of `domain.yml`, read through `franceservices.wording` with its channel variant; this module picks
which parts to show and fills them from the case. Lengths are measured on the filled text.

Facts carry the confidence of their source. Inferred facts are never stated as certain: the
rendering adds "(à vérifier auprès de ...)". Fees read on a secondary source get "(montant à
vérifier)". No Rasa import.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from franceservices import wording
from franceservices.documents.freshness import is_outdated
from franceservices.documents.model import (
    ONLINE_NO,
    ONLINE_PARTLY,
    ONLINE_YES,
    SECONDARY,
    Case,
    Fact,
    Question,
)
from franceservices.policy import get_policy
from franceservices.text.french import MONTHS_FR
from franceservices.text.gsm7 import gsm7_length, is_gsm7, to_gsm7

CHANNELS = ("web", "sms", "messenger")

RASA_CHANNELS: Mapping[str, str] = {
    "rest": "web",
    "socketio": "web",
    "twilio": "sms",
    "facebook": "messenger",
}
"""Rasa input channel names mapped to the renderings of this module (anything else: web)."""

SMS_MAX_SEPTETS = 450
"""Three concatenated GSM-7 segments hold 3 x 153 = 459 septets; keep a small margin."""

MESSENGER_MAX_CHARS = 2000
"""Facebook Messenger refuses a text message longer than 2,000 characters."""

BUTTON_LABEL_MAX = 20
"""Facebook Messenger cuts button and quick-reply titles at 20 characters."""

MESSENGER_MAX_BUTTONS = 3
"""Rasa's Messenger channel drops every button when a message has more than three."""

_ONLINE_RESPONSES = {
    ONLINE_YES: "utter_documents_online_yes",
    ONLINE_PARTLY: "utter_documents_online_partly",
    ONLINE_NO: "utter_documents_online_no",
}


def _abbreviate(text: str) -> str:
    """SMS short forms of document words (`abbreviations.documents` of reference/policy.yml)."""
    for pattern, short in get_policy().abbreviations.documents:

        def keep_case(match: re.Match[str], short: str = short) -> str:
            return short[:1].upper() + short[1:] if match.group(0)[:1].isupper() else short

        text = re.sub(pattern, keep_case, text, flags=re.IGNORECASE)
    return text


def _check_channel(channel: str) -> None:
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}: expected one of {CHANNELS}")


def channel_for(input_channel: str | None) -> str:
    """The rendering channel for a Rasa input channel name ("twilio" -> "sms")."""
    return RASA_CHANNELS.get((input_channel or "").lower(), "web")


def _lower_first(text: str) -> str:
    """ "Gratuit" -> "gratuit" after "Prix :", but "RIB" stays "RIB"."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def _format_checked_on(day: dt.date) -> str:
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {MONTHS_FR[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class _Style:
    """How far a rendering goes to fit: each level gives up something."""

    notes: bool = True
    online: bool = True
    sms_wording: bool = False
    abbreviate: bool = False
    where: bool = True


_SMS_STYLES = (
    _Style(),
    _Style(notes=False),
    _Style(notes=False, online=False),
    _Style(notes=False, online=False, sms_wording=True),
    _Style(notes=False, online=False, sms_wording=True, abbreviate=True),
    _Style(notes=False, online=False, sms_wording=True, abbreviate=True, where=False),
)
_MESSENGER_STYLES = (_Style(), _Style(notes=False), _Style(notes=False, online=False))


def _append(text: str, mark: str) -> str:
    """Put a mark before the final full stop: "sur le site de l'ANTS (à vérifier)."."""
    if text.endswith("."):
        return f"{text[:-1]} {mark}."
    return f"{text} {mark}"


class _Marker:
    """Adds "à vérifier" to inferred facts, never stating them as certain.

    One inferred fact: "(à vérifier auprès de <who>)" inline. Several: a short "(à vérifier)" on
    each and one closing line saying whom to ask. A document list that is inferred as a whole
    gets one line under it instead of a mark on every document.
    """

    def __init__(
        self, channel: str, facts: Iterable[Fact], check_with: str, documents: Iterable[Fact] = ()
    ) -> None:
        documents = tuple(documents)
        self.channel = channel
        self.group_documents = len(documents) > 1 and all(d.to_check for d in documents)
        grouped = set(map(id, documents)) if self.group_documents else set()
        self.count = sum(1 for f in facts if f.to_check and id(f) not in grouped)
        self.grouped = grouped
        self.check_with = check_with

    def _say(self, name: str) -> str:
        return wording.text(name, self.channel, check_with=self.check_with)

    def mark(self, fact: Fact, text: str, is_fee: bool = False) -> str:
        if fact.to_check and id(fact) not in self.grouped:
            if self.count == 1 and not self.group_documents:
                return _append(text, self._say("utter_documents_mark_check_with"))
            return _append(text, self._say("utter_documents_mark_check"))
        if is_fee and fact.confidence == SECONDARY and re.search(r"\d", text):
            return _append(text, self._say("utter_documents_mark_amount"))
        return text

    def documents_line(self) -> str | None:
        if self.group_documents:
            return self._say("utter_documents_list_check_with")
        return None

    def footer(self) -> str | None:
        if self.count > 1 and not self.group_documents:
            return self._say("utter_documents_points_check_with")
        return None


def _wording(fact: Fact, style: _Style) -> str:
    text = fact.sms if (style.sms_wording and fact.sms) else fact.text
    return _abbreviate(text) if style.abbreviate else text


def _online_line(case: Case, channel: str, marker: _Marker, style: _Style) -> str:
    online = case.online
    details = marker.mark(online.fact, _wording(online.fact, style))
    if online.url and online.possible != ONLINE_NO:
        details += f" {online.url}"
    return wording.text(_ONLINE_RESPONSES[online.possible], channel, details=details)


def _fees_line(case: Case, channel: str, marker: _Marker, style: _Style) -> str | None:
    if not case.fees:
        return None
    parts = [marker.mark(f, _lower_first(_wording(f, style)), is_fee=True) for f in case.fees]
    return wording.text("utter_documents_fees_line", channel, details=" ; ".join(parts))


def _where_line(case: Case, channel: str, marker: _Marker, style: _Style) -> str:
    place = marker.mark(case.where, _lower_first(_wording(case.where, style)))
    return wording.text("utter_documents_where_line", channel, place=place)


def _link_line(case: Case, channel: str, style: _Style, outdated: bool) -> str:
    """The footer: the official link, with the date the facts were read (web, Messenger).

    Facts older than the policy's `outdated_after_months` are announced as such on every
    channel, SMS too, so that nobody travels on a list that may have changed.
    """
    if outdated:
        name = "utter_documents_source_outdated"
    elif style.abbreviate:
        name = "utter_documents_source_short"
    else:
        name = "utter_documents_source"
    return wording.text(name, channel, link=case.link, date=_format_checked_on(case.checked_on))


def _compose(case: Case, channel: str, style: _Style, outdated: bool = False) -> str:
    shown: list[Fact] = [*case.documents, *case.fees]
    if style.where:
        shown.append(case.where)
    if style.online:
        shown.append(case.online.fact)
    if style.notes:
        shown.extend(case.notes)
    marker = _Marker(channel, shown, case.check_with, case.documents)

    def item(fact: Fact) -> str:
        return wording.text(
            "utter_documents_item", channel, text=marker.mark(fact, _wording(fact, style))
        )

    heading = "utter_documents_heading_short" if style.abbreviate else "utter_documents_heading"
    lines = [wording.text(heading, channel, title=case.full_title)]
    lines += [item(d) for d in case.documents]
    documents_line = marker.documents_line()
    if documents_line:
        lines.append(documents_line)
    if style.where:
        lines.append(_where_line(case, channel, marker, style))
    fees = _fees_line(case, channel, marker, style)
    if fees:
        lines.append(fees)
    if style.online:
        lines.append(_online_line(case, channel, marker, style))
    if style.notes and case.notes:
        lines.append(wording.text("utter_documents_notes_heading", channel))
        lines += [item(n) for n in case.notes]
    footer = marker.footer()
    if footer:
        lines.append(footer)
    lines.append(_link_line(case, channel, style, outdated))
    return _finish("\n".join(lines), channel)


def fits(text: str, channel: str) -> bool:
    """Whether a filled text fits the channel: GSM-7 within three segments, 2,000 characters."""
    if channel == "sms":
        return is_gsm7(text) and gsm7_length(text) <= SMS_MAX_SEPTETS
    if channel == "messenger":
        return len(text) <= MESSENGER_MAX_CHARS
    return True


def render_documents(case: Case, channel: str, today: dt.date | None = None) -> str:
    """The documents block of a case for a channel.

    With `today` (the caller's date, never read here), a case whose facts are more than
    12 months old ends with "Ces informations ont plus d'un an ... vérifiez-les sur <link>"
    instead of the usual "Plus d'infos : <link> (informations relevées le ...)".

    web: title, "•" list of documents, where, fees, online, notes, source link and its date.
    messenger: the same plain text, notes then the online line dropped past 2,000 characters.
    sms: GSM-7 text within three segments; to fit, drops the notes, then the online line, then
    uses staff's `sms:` wordings, then abbreviates, then drops "where" (a follow-up question gives
    it). A document is never cut; the link is always kept. The loader refuses a case that does
    not fit even then, so the last attempt is returned as is.
    """
    _check_channel(channel)
    outdated = today is not None and is_outdated(case, today)
    if channel == "web":
        return _compose(case, channel, _Style(), outdated)
    return fitted(case, channel, outdated)


def fitted(case: Case, channel: str, outdated: bool) -> str:
    """The fullest rendering of the case that fits SMS or Messenger (else the shortest one)."""
    styles = _SMS_STYLES if channel == "sms" else _MESSENGER_STYLES
    text = ""
    for style in styles:
        text = _compose(case, channel, style, outdated)
        if fits(text, channel):
            return text
    return text


def _finish(text: str, channel: str) -> str:
    return to_gsm7(text) if channel == "sms" else text


def render_fees(case: Case, channel: str) -> str:
    """The price of a case ("Prix : timbre fiscal de 25 €"), or that no price is given."""
    _check_channel(channel)
    marker = _Marker(channel, case.fees, case.check_with)
    line = _fees_line(case, channel, marker, _Style())
    if line is None:
        line = wording.text("utter_documents_fees_none", channel)
    footer = marker.footer()
    return _finish(f"{line}\n{footer}" if footer else line, channel)


def render_online(case: Case, channel: str) -> str:
    """Whether the case can be done on the internet, with the address."""
    _check_channel(channel)
    marker = _Marker(channel, [case.online.fact], case.check_with)
    return _finish(_online_line(case, channel, marker, _Style()), channel)


def render_where(case: Case, channel: str) -> str:
    """Where the case is done."""
    _check_channel(channel)
    marker = _Marker(channel, [case.where], case.check_with)
    return _finish(_where_line(case, channel, marker, _Style()), channel)


def _numbered(question: Question, channel: str) -> str:
    lines = [question.text]
    lines += [
        wording.text("utter_documents_choice", channel, number=i, label=c.label)
        for i, c in enumerate(question.choices, start=1)
    ]
    numbers = [str(i) for i in range(1, len(question.choices) + 1)]
    lines.append(
        wording.text(
            "utter_documents_choices_reply",
            channel,
            first=", ".join(numbers[:-1]),
            last=numbers[-1],
        )
    )
    return "\n".join(lines)


def render_question(
    question: Question, channel: str, intent: str = "inform"
) -> tuple[str, list[dict[str, str]]]:
    """The question's text and buttons for a channel.

    Buttons carry the payload `/<intent>{"<question id>":"<value>"}` (Rasa sets the slot from the
    entity). SMS has no buttons: the choices are numbered in the text ("Répondez 1, 2 ou 3") and
    the reply is read with `parse_numbered_choice`. Messenger gets buttons only up to three
    choices (Rasa drops them all beyond), else the numbered text too.
    """
    _check_channel(channel)
    if channel == "sms":
        return to_gsm7(_numbered(question, channel)), []
    if channel == "messenger" and len(question.choices) > MESSENGER_MAX_BUTTONS:
        return _numbered(question, channel), []
    buttons = [
        {"title": c.label, "payload": f'/{intent}{{"{question.id}":"{c.value}"}}'}
        for c in question.choices
    ]
    return question.text, buttons
