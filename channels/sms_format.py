"""SMS text rules, knowing nothing of Rasa or Twilio: encoding, segments, cutting, numbered choices.

The length rule (what one answer may cost):
- An answer is sent as ONE Twilio message of at most `MAX_SEGMENTS` (3) segments. The phone
  reassembles the segments of a concatenated SMS into one message, in order, even old ones; three
  separate SMS could arrive out of order.
- A message that only uses the GSM-7 alphabet holds 160 characters in a single segment, or 153 per
  segment once concatenated (the 7 others carry the reassembly header); the characters of the
  GSM-7 extension table (€ [ ] { } ~ ^ | \\) count twice. Accented letters é è à ù É Ç are GSM-7;
  ê â î ô û ë ï ç œ are not: a single one of them switches the whole message to UCS-2, 70
  characters in a single segment, 67 per concatenated segment (an emoji counts twice). Three
  segments therefore hold 459 GSM-7 characters, or only 201 in UCS-2.
- Typographic punctuation that has a plain equivalent (’ « » … – and non-breaking spaces) is
  replaced first, so it never forces UCS-2. Accents are kept by default (correct French);
  `fold_accents=True` also folds the remaining non-GSM letters (ê -> e, ç -> c).
- When the answer does not fit, it is cut after the last whole sentence that fits (after a word
  when a single sentence is too long), and the message ends with an ellipsis and
  `texts.SMS_MORE_POINTER` ("Écrivez SUITE pour la suite."). The rest is sent, with the same rule,
  when the citizen writes SUITE.
"""

from __future__ import annotations

import re

from channels import texts
from franceservices.text.gsm7 import GSM7_EXTENSION, is_gsm7, strip_accent
from franceservices.text.normalize import fold

MAX_SEGMENTS = 3

GSM7_SINGLE, GSM7_CONCAT = 160, 153
UCS2_SINGLE, UCS2_CONCAT = 70, 67

# Typographic characters with a plain GSM-7 equivalent that keeps the meaning.
_TYPOGRAPHY = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "\u02bc": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2026": "...",
        "\u2013": "-",
        "\u2014": "-",
        "\u2011": "-",
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
        "\u0153": "oe",
        "\u0152": "OE",
        "\t": " ",
    }
)

# A sentence ends with . ! ? … or : followed by spaces, or at a line break.
_SENTENCE_BREAK = re.compile(r"((?<=[.!?\u2026:])[ ]+|[ ]*\n[\s]*)")

# "1", " 2 ", "2.", "2)", "le 2", "Le 2 !", "n°2", "numéro 2", "choix 2".
_CHOICE_REPLY = re.compile(
    r"^\s*(?:(?:le|la|l'|choix|r[ée]ponse|num[ée]ro|n°|no\.?)\s*)?(\d{1,2})\s*[.)!]?\s*$",
    re.IGNORECASE,
)


def _fold_char(ch: str) -> str:
    return ch if is_gsm7(ch) else strip_accent(ch) or ch


def normalise_for_sms(text: str, fold_accents: bool = False) -> str:
    """Plain punctuation, no trailing spaces, at most one blank line; optionally fold accents."""
    text = text.translate(_TYPOGRAPHY)
    if fold_accents:
        text = "".join(_fold_char(ch) for ch in text)
    lines = [line.strip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def _units(text: str) -> tuple[list[int], bool]:
    gsm = is_gsm7(text)
    if gsm:
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text], True
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text], False


def segment_count(text: str) -> int:
    """How many SMS segments Twilio will bill for this body (escape pairs and surrogate pairs
    are never split across two segments, as the phones require)."""
    units, gsm = _units(text)
    single, concat = (GSM7_SINGLE, GSM7_CONCAT) if gsm else (UCS2_SINGLE, UCS2_CONCAT)
    if sum(units) <= single:
        return 1
    segments, used = 1, 0
    for unit in units:
        if used + unit > concat:
            segments, used = segments + 1, 0
        used += unit
    return segments


def _with_pointer(prefix: str) -> str:
    ellipsis = "..." if is_gsm7(prefix) else "\u2026"
    return f"{prefix} {ellipsis}\n{texts.SMS_MORE_POINTER}"


def _pieces(text: str) -> list[tuple[str, str]]:
    """Split into (separator_before, sentence) pairs, keeping each line break as it was."""
    parts = _SENTENCE_BREAK.split(text)
    pieces = [("", parts[0])]
    for i in range(1, len(parts) - 1, 2):
        separator = "\n" if "\n" in parts[i] else " "
        pieces.append((separator, parts[i + 1]))
    return [(sep, sentence) for sep, sentence in pieces if sentence]


def split_for_sms(text: str, max_segments: int = MAX_SEGMENTS) -> tuple[str, str]:
    """Return (what to send now, what is left for SUITE) under the rule of this module.

    `text` should already be normalised. The rest is "" when everything fits.
    """
    text = text.strip()
    if segment_count(text) <= max_segments:
        return text, ""

    def fits(prefix: str) -> bool:
        return segment_count(_with_pointer(prefix)) <= max_segments

    pieces = _pieces(text)
    prefix, used = "", 0
    for separator, sentence in pieces:
        candidate = f"{prefix}{separator}{sentence}" if prefix else sentence
        if not fits(candidate):
            break
        prefix, used = candidate, used + 1

    if used:
        rest = "".join(sep + sentence for sep, sentence in pieces[used:]).strip()
        return _with_pointer(prefix), rest

    # The first sentence alone is too long: cut it after a word (or, for a giant word, anywhere).
    first = pieces[0][1]
    words = first.split(" ")
    cut = 0
    for count in range(1, len(words) + 1):
        if not fits(" ".join(words[:count])):
            break
        cut = count
    if cut:
        head = " ".join(words[:cut])
    else:
        head = first[:1]
        while len(head) < len(first) and fits(first[: len(head) + 1]):
            head = first[: len(head) + 1]
    rest = text[len(head) :].strip()
    return _with_pointer(head), rest


def clean_title(title: str) -> str:
    """A button title as it reads inside a sentence: no trailing ? ! . : or spaces."""
    return title.strip().rstrip("?!.:; ").strip()


def choices_line(titles: list[str], first_number: int = 1) -> str:
    """'Répondez 1 pour X, 2 pour Y.' for the titles, numbered from `first_number`."""
    items = [
        texts.SMS_CHOICE_ITEM.format(number=first_number + i, title=clean_title(title))
        for i, title in enumerate(titles)
    ]
    joined = texts.SMS_CHOICES_SEPARATOR.join(items)
    return f"{texts.SMS_CHOICES_INTRO} {joined}{texts.SMS_CHOICES_END}"


def parse_choice(text: str | None) -> int | None:
    """The number a reply picks ("2", " 2 ", "2.", "le 2"), or None if it is not just a number."""
    if not text:
        return None
    match = _CHOICE_REPLY.match(text)
    return int(match.group(1)) if match else None


def keyword(text: str | None) -> str:
    """The message as a keyword: upper case, no accents, no surrounding spaces or final . or !.

    "Arrêt." -> "ARRET", " stop " -> "STOP"; the caller compares with its keyword sets, so a
    keyword only counts when it is alone in the message.
    """
    if not text:
        return ""
    stripped = text.strip().rstrip(".!").strip()
    return re.sub(r"\s+", " ", fold(stripped)).upper()
