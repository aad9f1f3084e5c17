"""The words around and inside French place names, as people type them.

Shared by the commune resolver (a name typed alone) and the span matcher (a name in a sentence):
articles and small words dropped or changed inside names ("Villeneuve d'Ascq" / "Villeneuve
Ascq"), "st" for "saint", the words said around a name ("je suis de", "merci"), and the postcode
pattern. Every table here works on `normalize`d words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from franceservices.policy import get_policy
from franceservices.text.normalize import normalize


def expand_abbreviations(tokens: Sequence[str]) -> list[str]:
    """`normalize`d words with the abbreviations people type in names ("st") written out.

    The table is reference/policy.yml's `abbreviations.communes`, read on first use.
    """
    table = get_policy().abbreviations.communes
    return [table.get(token, token) for token in tokens]


ARTICLES = frozenset({"le", "la", "les", "l"})
# Small words that people drop or change inside names ("Villeneuve d'Ascq" / "Villeneuve Ascq",
# "Saint-André-lez-Lille" / "Saint-André-les-Lille").
SMALL_WORDS = ARTICLES | frozenset(
    {"de", "du", "des", "d", "en", "sur", "sous", "lez", "aux", "au", "a", "et"}
)
# Words said around a commune name; stripped from the start (and the polite ones from the end).
LEADING_FILLERS = frozenset(
    """
    je j suis etre habite habites habitons habitez habitent vis vit vivons vivez reside residons
    residez resident residente habitant habitante originaire viens vient venons venez vais va
    moi mon ma mes notre nos votre vos ville village commune bourg quartier secteur coin region
    c ce cest est s agit il y sommes on nous bonjour bonsoir salut hello coucou oui ben bah euh
    alors voila donc ici pres vers cote dans a au aux de du des d chez pour en sur the i live in
    from city town mairie commune habitation adresse ah
    """.split()
)
TRAILING_FILLERS = frozenset(
    """
    merci beaucoup svp stp s il vous plait please thanks voila bien cordialement bonne journee je
    crois pense normalement exactement
    """.split()
)
PLACE_PREPOSITIONS = frozenset(
    {"a", "au", "aux", "de", "d", "du", "des", "vers", "pres", "sur", "en"}
)
# Words too common in names to identify one alone (tier D).
WEAK_WORDS = frozenset({"saint", "sainte", "nord"})
# "au" = "à le", "du" = "de le", "aux" = "à les", "des" = "de les".
CONTRACTED_ARTICLES = {"au": "le", "du": "le", "aux": "les", "des": "les"}

POSTCODE_RE = re.compile(r"(?<!\d)(\d{5}|\d{2} \d{3})(?!\d)")


def name_tokens(text: str) -> list[str]:
    """Normalised words with "st"/"ste" expanded to "saint"/"sainte"."""
    return expand_abbreviations(normalize(text).split())


def core_words(tokens: Sequence[str]) -> list[str]:
    """The words of a name without its articles and small words ("villeneuve ascq")."""
    return [tok for tok in tokens if tok not in SMALL_WORDS]


def compact(tokens: Sequence[str]) -> str:
    """The words joined, the form names are compared in ("lecateaucambresis")."""
    return "".join(tokens)


def strip_fillers(tokens: list[str]) -> list[str]:
    """Drop the words around a name; a leading "au"/"du" becomes the article "le"."""
    start = 0
    article = None
    while start < len(tokens) - 1 and tokens[start] in LEADING_FILLERS:
        article = CONTRACTED_ARTICLES.get(tokens[start])
        start += 1
    end = len(tokens)
    while end > start + 1 and tokens[end - 1] in TRAILING_FILLERS:
        end -= 1
    stripped = tokens[start:end]
    if article and stripped and stripped[0] not in ARTICLES:
        stripped = [article, *stripped]
    return stripped
