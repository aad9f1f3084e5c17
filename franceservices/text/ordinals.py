"""French number words, cardinal and ordinal, in their `normalize`d form (no accents).

The one table of "premier", "deuxième", "quinze", "vingt et un" ...: the date reader uses it for
"le premier mars" and "quinze janvier", the booking rules for "le deuxième" (the second slot).
"""

from __future__ import annotations

from types import MappingProxyType

_UNITS = {
    "un": 1,
    "une": 1,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "cinq": 5,
    "six": 6,
    "sept": 7,
    "huit": 8,
    "neuf": 9,
    "dix": 10,
    "onze": 11,
    "douze": 12,
    "treize": 13,
    "quatorze": 14,
    "quinze": 15,
    "seize": 16,
    "dix sept": 17,
    "dix huit": 18,
    "dix neuf": 19,
    "vingt": 20,
    "trente": 30,
}


def _cardinals() -> dict[str, int]:
    words = dict(_UNITS)
    for tens, value in (("vingt", 20), ("trente", 30)):
        words[f"{tens} et un"] = value + 1
        words[f"{tens} et une"] = value + 1
        for unit, n in _UNITS.items():
            if 2 <= n <= 9:
                words[f"{tens} {unit}"] = value + n
    words["quarante"] = 40
    words["cinquante"] = 50
    return words


CARDINALS = MappingProxyType(_cardinals())
"""Cardinal number words from "un" to "trente neuf", then "quarante", "cinquante"."""

ORDINALS = MappingProxyType(
    {
        "premier": 1,
        "premiere": 1,
        "second": 2,
        "seconde": 2,
        "deuxieme": 2,
        "troisieme": 3,
        "quatrieme": 4,
        "cinquieme": 5,
        "sixieme": 6,
        "septieme": 7,
        "huitieme": 8,
        "neuvieme": 9,
        "dixieme": 10,
    }
)
"""Ordinal words: "premier" to "dixieme", "second"."""
