"""Write tests/spelling/generated.csv: citizen sentences naming a commune with typing errors.

Run: `.venv/bin/python -m tests.spelling.generate` (seeded: the same file every time). The
sentences put the commune of every stop of the four tours (reference/tours.yml) and communes
outside the tours inside a question, typed with the errors people make: no accents, no hyphens,
no article, "st" for Saint, a letter dropped, doubled, swapped or struck next to the right key
(AZERTY), a sound spelt another way (c/k/qu, y/i, ph/f, ss/s), final letters missing, a name cut
short. A variant that spells another commune's name exactly is left out (its label would lie).
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import yaml

from franceservices.places.communes import load_communes
from franceservices.text.normalize import normalize

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUT = HERE / "generated.csv"
SEED = 13
OTHER_COMMUNES = 90

TEMPLATES = (
    "quand passe le bus a {c}",
    "qd passe le bus a {c} svp",
    "prochain passage du bus a {c}",
    "le camion bleu vient quand a {c}",
    "bonjour je voudrais savoir quand le bus passe a {c}",
    "c quand le prochain bus a {c}",
    "le bus france services sera a {c} quel jour",
    "j habite {c} quand passe le bus",
    "je suis de {c}, le bus passe quand ?",
    "{c} prochain passage",
    "bus {c} date",
    "a quelle heure le bus a {c} demain",
    "il passe quand le bus sur {c}",
    "le bus est a {c} quel jour du mois",
    "bjr le bus vient a {c} cette semaine ?",
    "ou est la france services la plus proche de {c}",
    "est ce que le bus passe a {c} en mai",
    "{c} svp",
    "mon village c est {c}",
    "horaires du bus a {c}",
)

AZERTY_ROWS = ("azertyuiop", "qsdfghjklm", "wxcvbn")
SOUND_SWAPS = (
    ("qu", "k"),
    ("ck", "k"),
    ("cq", "k"),
    ("c", "k"),
    ("k", "c"),
    ("y", "i"),
    ("i", "y"),
    ("ph", "f"),
    ("ss", "s"),
    ("ll", "l"),
    ("tt", "t"),
    ("ee", "e"),
    ("oe", "ou"),
    ("z", "s"),
    ("s", "z"),
    ("au", "o"),
    ("eau", "o"),
)


def _neighbours(letter: str) -> str:
    for row in AZERTY_ROWS:
        at = row.find(letter)
        if at >= 0:
            return row[max(0, at - 1) : at] + row[at + 1 : at + 2]
    return ""


def _letter_positions(word: str) -> list[int]:
    return [i for i, ch in enumerate(word) if ch.isalpha()]


def typo(word: str, rng: random.Random) -> str:
    """One typing error at a random letter (never the first one: people see it)."""
    spots = _letter_positions(word)[1:]
    if not spots:
        return word
    i = rng.choice(spots)
    kind = rng.choice(("drop", "double", "swap", "neighbour"))
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "double":
        return word[: i + 1] + word[i] + word[i + 1 :]
    if kind == "swap" and i + 1 < len(word) and word[i + 1].isalpha():
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    near = _neighbours(word[i])
    return word[:i] + rng.choice(near) + word[i + 1 :] if near else word


def sound(word: str, rng: random.Random) -> str:
    options = [(a, b) for a, b in SOUND_SWAPS if a in word[1:]]
    if not options:
        return typo(word, rng)
    a, b = rng.choice(options)
    at = word.find(a, 1)
    return word[:at] + b + word[at + len(a) :]


def drop_final(word: str, rng: random.Random) -> str:
    return word[:-1] if len(word) > 5 and word[-1] in "sxtde" else typo(word, rng)


def cut_short(word: str, rng: random.Random) -> str:
    """The end of the last word left out ("hazebrou"), never a whole word."""
    head, sep, last = word.replace("-", " ").rpartition(" ")
    keep = max(4 if sep else 7, int(len(last) * 0.7))
    if len(last) - keep < 2:
        return drop_final(word, rng)
    return word[: len(head) + len(sep) + keep]


def plain(name: str, rng: random.Random) -> str:
    """The name as typed on a phone: no accents, maybe no hyphens, article or capital."""
    text = normalize(name)
    words = text.split()
    if len(words) > 1 and words[0] in ("le", "la", "les") and rng.random() < 0.3:
        words = words[1:]
    if words and words[0] in ("saint", "sainte") and rng.random() < 0.6:
        words[0] = "st" if words[0] == "saint" else "ste"
    joined = " ".join(words)
    if rng.random() < 0.3 and len(words) > 1:
        joined = "-".join(words)
    if rng.random() < 0.2:
        joined = joined.capitalize()
    return joined


def spelled(name: str, rng: random.Random) -> tuple[str, str]:
    text = plain(name, rng)
    operation = rng.choice(("typo", "typo", "sound", "drop_final", "cut_short", "two", "none"))
    if operation == "none":
        return text, "no accents"
    if operation == "two":
        if len(text.replace(" ", "")) < 8:
            return typo(text, rng), "typo"
        return typo(typo(text, rng), rng), "two typos"
    function = {"typo": typo, "sound": sound, "drop_final": drop_final, "cut_short": cut_short}
    return function[operation](text, rng), operation.replace("_", " ")


NO_COMMUNE = (
    "quand passe le bus",
    "qd passe le bus svp",
    "prochain passage du bus",
    "le camion bleu vient quand",
    "c quand le prochain bus",
    "ou est le bus demain",
    "le bus passe quel jour du mois",
    "bonjour je voudrais savoir quand passe le bus pres de chez moi",
    "a quelle heure ouvre la mairie",
    "je voudrais un rendez vous pour ma carte grise",
    "le bus france services passe ou cette semaine",
    "horaires du bus demain matin",
    "merci beaucoup bonne journee",
    "il passe quand le prochain bus svp",
    "j ai besoin d aide pour mes impots",
    "bjr c pour un dossier caf",
    "le bus est ou aujourd hui",
    "quel jour le bus passe dans mon village",
    "est ce que le bus passe en mai",
    "ou se trouve la france services la plus proche",
)
NEIGHBOUR_PLACES = 40


def _without_nord_commune(rng: random.Random, nord_names: set[str]) -> list[tuple[str, str, str]]:
    """Questions naming no commune, or a commune of a neighbouring department spelt right.

    A neighbouring name within one or two letters of a Nord name, or that is the first words
    of one ("peronne": Péronne-en-Mélantois), is left out: the assistant prefers the Nord there
    by design, so its label would be a matter of opinion.
    """
    from franceservices.places.communes import load_outside
    from franceservices.text.typos import allowed_typos, damerau_levenshtein

    rows = [(sentence, "none", "no commune") for sentence in NO_COMMUNE]
    places = [p for p in load_outside().places if p.department in ("62", "02", "80")]
    places = [p for p in places if p.population >= 2000]
    picked = 0
    for place in rng.sample(places, len(places)):
        compact = normalize(place.name).replace(" ", "")
        if any(name.startswith(compact) for name in nord_names) or any(
            damerau_levenshtein(compact, name, allowed_typos(len(name)) + 1)
            <= allowed_typos(len(name)) + 1
            for name in nord_names
        ):
            continue
        template = rng.choice(TEMPLATES)
        rows.append((template.format(c=normalize(place.name)), "none", "neighbouring department"))
        picked += 1
        if picked == NEIGHBOUR_PLACES:
            break
    return rows


def main() -> None:
    rng = random.Random(SEED)
    repo = load_communes()
    names = {normalize(c.name).replace(" ", "") for c in repo.all()}
    tours = yaml.safe_load((ROOT / "reference" / "tours.yml").read_text(encoding="utf-8"))
    tour_codes = sorted({stop["code_insee"] for t in tours["tours"] for stop in t["stops"]})
    others = [c.insee for c in repo.all() if c.insee not in tour_codes]
    codes = tour_codes * 3 + rng.sample(others, OTHER_COMMUNES)
    rows = []
    for code in codes:
        commune = repo.get(code)
        for _ in range(5):
            variant, note = spelled(commune.name, rng)
            compact = normalize(variant).replace(" ", "")
            if compact not in names or compact == normalize(commune.name).replace(" ", ""):
                break
        else:
            continue
        template = rng.choice(TEMPLATES)
        where = "tour" if code in tour_codes else "outside tours"
        rows.append((template.format(c=variant), code, f"{where}; {note}"))
    rows += _without_nord_commune(rng, names)
    with OUT.open("w", encoding="utf-8", newline="") as f:
        f.write("# Generated by tests/spelling/generate.py (seed 13); do not edit by hand.\n")
        writer = csv.writer(f)
        writer.writerow(("sentence", "expected", "note"))
        writer.writerows(rows)
    print(f"{len(rows)} sentences written to {OUT}")


if __name__ == "__main__":
    main()
