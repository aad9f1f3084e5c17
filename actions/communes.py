"""The communes of the Nord, and turning what a person types into one of them.

`CommuneRepository` loads and validates `reference/communes_nord.csv`. `CommuneResolver` maps free
text ("le cateau", "st amand", "je suis de bavay", "59360", "arras") to a `Resolution`:

1. A postcode in the text decides first: outside 59 it is `outside_nord` (department from its first
   digits); in the Nord it gives the communes of that postcode, narrowed by any name also typed.
2. The name is matched in tiers, the first tier that matches wins:
   A. the full official name, article included ("le cateau cambresis", "lecateaucambresis");
   B. a *partial* name: the name without its article or its small words ("cateau cambresis",
      "villeneuve ascq"), or the first words of the name ("le cateau", "st amand", "avesnes");
   C. a correctly spelt commune *outside* the Nord ("arras", "paris") or a department name;
   D. a word inside a Nord name ("cambresis", "amand les eaux");
   E. a typo of a Nord name or of the first words of one (Damerau-Levenshtein, tolerance growing
      with the length: 0 under 4 letters, 1 up to 7, 2 up to 12, then 3);
   F. a typo of a commune of a neighbouring department (Aisne, Pas-de-Calais, Somme, Oise).
   A partial name of the Nord (tier B) is preferred to an exact homonym outside it (tier C): the
   assistant serves the Nord, so "st amand" is Saint-Amand-les-Eaux, not the village of
   Saint-Amand in the Pas-de-Calais.
3. When a tier yields several communes, the most populous one is chosen only if it is clearly the
   one people mean: at least `DOMINANCE_RATIO` (10) times as populous as the next one ("marcq" is
   Marcq-en-Barœul, 39,000 inhabitants, not Marcq-en-Ostrevent, 1,600). Otherwise the answer is
   `ambiguous` with the candidates, most populous first ("avesnes": Avesnes-sur-Helpe 4,500,
   Avesnes-les-Aubert 3,500, Avesnes-le-Sec 1,500).
4. Words around the name ("à", "je suis de", "mon village c'est", "merci") are stripped first; "au"
   and "du" become the article "le" ("j'habite au Quesnoy"). Failing that, each run of up to five
   words of a short sentence is tried ("bavay je crois").
"""

from __future__ import annotations

import csv
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from actions.data_errors import DataErrors, DataFileError
from actions.paths import REFERENCE_DIR

T = TypeVar("T")

COMMUNES_FILE = "communes_nord.csv"
OUTSIDE_FILE = "communes_france_hors_nord.csv"
DEPARTMENTS_FILE = "departements.csv"

NORD_CODE = "59"
# Departments bordering the Nord: homonyms there are preferred, and their names are typo-matched.
NEIGHBOUR_DEPARTMENTS = ("62", "02", "80", "60")

# Generous bounding box of the Nord (its town halls lie in 49.99..51.08 N, 2.10..4.21 E).
LAT_RANGE = (49.90, 51.15)
LON_RANGE = (2.00, 4.30)

DOMINANCE_RATIO = 10
"""A candidate among several is taken alone only if this many times as populous as the next."""

MAX_WINDOW_TOKENS = 30
"""Longer messages are not searched word by word (a name is not hidden in a 5,000-char text)."""

_COMMUNE_COLUMNS = (
    "code_insee",
    "nom",
    "codes_postaux",
    "latitude",
    "longitude",
    "population",
    "epci",
    "mairie_adresse",
)

_ARTICLES = frozenset({"le", "la", "les", "l"})
# Small words that people drop or change inside names ("Villeneuve d'Ascq" / "Villeneuve Ascq",
# "Saint-André-lez-Lille" / "Saint-André-les-Lille").
_SMALL_WORDS = _ARTICLES | frozenset(
    {"de", "du", "des", "d", "en", "sur", "sous", "lez", "aux", "au", "a", "et"}
)
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
# Words said around a commune name; stripped from the start (and the polite ones from the end).
_LEADING_FILLERS = frozenset(
    """
    je j suis etre habite habites habitons habitez habitent vis vit vivons vivez reside residons
    residez resident residente habitant habitante originaire viens vient venons venez vais va
    moi mon ma mes notre nos votre vos ville village commune bourg quartier secteur coin region
    c ce cest est s agit il y sommes on nous bonjour bonsoir salut hello coucou oui ben bah euh
    alors voila donc ici pres vers cote dans a au aux de du des d chez pour en sur the i live in
    from city town mairie commune habitation adresse ah
    """.split()
)
_TRAILING_FILLERS = frozenset(
    """
    merci beaucoup svp stp s il vous plait please thanks voila bien cordialement bonne journee je
    crois pense normalement exactement
    """.split()
)
_PLACE_PREPOSITIONS = frozenset(
    {"a", "au", "aux", "de", "d", "du", "des", "vers", "pres", "sur", "en"}
)
# Words too common in names to identify one alone (tier D).
_WEAK_WORDS = frozenset({"saint", "sainte", "nord"})
# "au" = "à le", "du" = "de le", "aux" = "à les", "des" = "de les".
_CONTRACTED_ARTICLES = {"au": "le", "du": "le", "aux": "les", "des": "les"}

_POSTCODE_RE = re.compile(r"(?<!\d)(\d{5}|\d{2} \d{3})(?!\d)")
_INSEE_RE = re.compile(r"^59\d{3}$")
_POSTCODE_FORMAT_RE = re.compile(r"^\d{5}$")


# --------------------------------------------------------------------------------------------
# Text normalisation and edit distance
# --------------------------------------------------------------------------------------------

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_NON_ALNUM_RE = re.compile(r"[^a-z0-9]+")


def normalize(text: str) -> str:
    """Return the one comparison form of a text, used everywhere.

    Lowercase, accents stripped, œ -> oe, apostrophes, hyphens and any other punctuation or symbol
    (emoji included) -> space, spaces collapsed: "L'Étrœungt-Saint" -> "l etroeungt saint".
    """
    text = text.translate(_LIGATURES).lower()
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.translate(_LIGATURES)  # NFKD may reveal new ligatures from compatibility forms
    return _NON_ALNUM_RE.sub(" ", text).strip()


def _tokens(text: str) -> list[str]:
    """Normalised words with "st"/"ste" expanded to "saint"/"sainte"."""
    return [_ABBREVIATIONS.get(tok, tok) for tok in normalize(text).split()]


def _core(tokens: Sequence[str]) -> list[str]:
    return [tok for tok in tokens if tok not in _SMALL_WORDS]


def damerau_levenshtein(a: str, b: str, max_distance: int | None = None) -> int:
    """Edit distance counting insertions, deletions, substitutions and adjacent transpositions.

    This is the "optimal string alignment" form of Damerau-Levenshtein (a substring is not edited
    twice), which is what typing errors need. With `max_distance`, only a diagonal band is
    computed and any result above it is returned as `max_distance + 1`.
    """
    if a == b:
        return 0
    cap = max_distance if max_distance is not None else max(len(a), len(b))
    if abs(len(a) - len(b)) > cap:
        return cap + 1
    big = cap + 1
    prev_prev: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [big] * len(b)
        lo = max(1, i - cap)
        hi = min(len(b), i + cap)
        ai = a[i - 1]
        row_min = current[0] if lo == 1 else big
        for j in range(lo, hi + 1):
            cost = 0 if ai == b[j - 1] else 1
            value = min(prev[j] + 1, current[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ai == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, prev_prev[j - 2] + 1)
            current[j] = value
            row_min = min(row_min, value)
        if row_min > cap:
            return big
        prev_prev, prev = prev, current
    return min(prev[len(b)], big)


def allowed_typos(length: int) -> int:
    """Edit distance tolerated for a name of `length` letters (without spaces)."""
    if length < 4:
        return 0
    if length <= 7:
        return 1
    if length <= 12:
        return 2
    return 3


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in km, used town hall to town hall."""
    radius = 6371.0088
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * radius * math.asin(min(1.0, math.sqrt(h)))


# --------------------------------------------------------------------------------------------
# Reference data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Commune:
    """A commune of the Nord, from `reference/communes_nord.csv`."""

    insee: str
    name: str  # official name with its article, e.g. "Le Cateau-Cambrésis"
    postcodes: tuple[str, ...]
    lat: float
    lon: float
    population: int
    epci: str
    townhall_address: str


def read_reference_csv(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Read a CSV whose first lines may be `#` comments; return header and (line, row) pairs.

    Raises:
        DataFileError: the file is missing, empty or not UTF-8.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataFileError(path, None, "file not found") from None
    except UnicodeDecodeError as exc:
        raise DataFileError(path, None, f"not UTF-8 text ({exc.reason})") from None
    lines = text.splitlines(keepends=True)
    skipped = 0
    while skipped < len(lines) and lines[skipped].lstrip().startswith("#"):
        skipped += 1
    reader = csv.reader(lines[skipped:])
    header = next(reader, None)
    if header is None:
        raise DataFileError(path, None, "no header line")
    header = [name.strip() for name in header]
    rows: list[tuple[int, dict[str, str]]] = []
    for record in reader:
        line = reader.line_num + skipped
        if not record or all(not field.strip() for field in record):
            continue
        if len(record) != len(header):
            width = f"{len(record)} fields, the header has {len(header)}"
            rows.append((line, {"__width__": width}))
            continue
        rows.append(
            (line, {name: value.strip() for name, value in zip(header, record, strict=True)})
        )
    return header, rows


def check_header(path: Path, header: Sequence[str], required: Sequence[str]) -> None:
    """Refuse a file whose header lacks a required column (line 1 after any comments)."""
    missing = [name for name in required if name not in header]
    if missing:
        raise DataFileError(path, 1, f"missing column(s) in header: {', '.join(missing)}")


def load_records(
    path: Path,
    required: Sequence[str],
    parse: Callable[[dict[str, str]], T],
    key: Callable[[T], str],
    key_label: str,
    noun: str,
) -> list[T]:
    """Read a reference CSV and parse every row, collecting each problem with its line.

    Args:
        path: the file.
        required: columns the header must have.
        parse: builds a record from a row; raises ValueError (the reason) on a bad row.
        key: the record's identifier, which must be unique in the file.
        key_label: the identifier's name in messages ("INSEE code").
        noun: what a record is, for an empty file ("commune").

    Raises:
        DataFileError: one problem, with the file, the line and the reason.
        DataErrors: several problems (each a `DataFileError`), all reported in one pass.
    """
    path = Path(path)
    header, rows = read_reference_csv(path)
    check_header(path, header, required)
    errors: list[DataFileError] = []
    records: list[T] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        if "__width__" in row:
            errors.append(DataFileError(path, line, row["__width__"]))
            continue
        try:
            record = parse(row)
        except ValueError as exc:
            errors.append(DataFileError(path, line, str(exc)))
            continue
        ident = key(record)
        if ident in seen:
            reason = f"duplicate {key_label} {ident} (first on line {seen[ident]})"
            errors.append(DataFileError(path, line, reason))
            continue
        seen[ident] = line
        records.append(record)
    if not rows:
        errors.append(DataFileError(path, None, f"no {noun} in file"))
    raise_collected(errors)
    return records


def raise_collected(errors: list[DataFileError]) -> None:
    """Raise the single error, or all of them together as `DataErrors`."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise DataErrors(errors)


class CommuneRepository:
    """The validated communes of the Nord, by INSEE code and by postcode."""

    def __init__(self, communes: Iterable[Commune]) -> None:
        self._by_insee = {commune.insee: commune for commune in communes}
        self._by_postcode: dict[str, list[Commune]] = {}
        for commune in self._by_insee.values():
            for postcode in commune.postcodes:
                self._by_postcode.setdefault(postcode, []).append(commune)

    @classmethod
    def from_csv(cls, path: Path) -> CommuneRepository:
        """Load and validate the communes file.

        Raises:
            DataFileError: one problem, with the file, the line and the reason.
            DataErrors: several problems (each a `DataFileError`), all reported in one pass.
        """
        communes = load_records(
            path, _COMMUNE_COLUMNS, _parse_commune, lambda c: c.insee, "INSEE code", "commune"
        )
        return cls(communes)

    def get(self, insee: str) -> Commune | None:
        """Return the commune with this INSEE code, or None."""
        return self._by_insee.get(insee)

    def all(self) -> list[Commune]:
        """Return every commune, in INSEE code order."""
        return sorted(self._by_insee.values(), key=lambda commune: commune.insee)

    def by_postcode(self, postcode: str) -> list[Commune]:
        """Return the communes served by this postcode, most populous first."""
        found = self._by_postcode.get(postcode.strip(), [])
        return sorted(found, key=lambda commune: (-commune.population, commune.insee))

    def nearest(
        self, lat: float, lon: float, candidates: Iterable[Commune], n: int
    ) -> list[tuple[Commune, float]]:
        """Return the `n` candidates closest to (lat, lon), with their distance in km."""
        ranked = sorted(
            ((commune, distance_km(lat, lon, commune.lat, commune.lon)) for commune in candidates),
            key=lambda pair: (pair[1], pair[0].insee),
        )
        return ranked[: max(n, 0)]


def _parse_commune(row: dict[str, str]) -> Commune:
    insee = row["code_insee"]
    if not _INSEE_RE.match(insee):
        raise ValueError(f"INSEE code {insee!r} is not 5 characters starting with 59")
    name = row["nom"]
    if not name:
        raise ValueError("empty commune name")
    postcodes = tuple(code.strip() for code in row["codes_postaux"].split(";") if code.strip())
    if not postcodes:
        raise ValueError("no postcode")
    for code in postcodes:
        if not _POSTCODE_FORMAT_RE.match(code):
            raise ValueError(f"postcode {code!r} is not 5 digits")
    lat = _parse_float(row["latitude"], "latitude")
    lon = _parse_float(row["longitude"], "longitude")
    if not LAT_RANGE[0] <= lat <= LAT_RANGE[1]:
        raise ValueError(f"latitude {lat} is outside the Nord ({LAT_RANGE[0]}..{LAT_RANGE[1]})")
    if not LON_RANGE[0] <= lon <= LON_RANGE[1]:
        raise ValueError(f"longitude {lon} is outside the Nord ({LON_RANGE[0]}..{LON_RANGE[1]})")
    try:
        population = int(row["population"] or "0")
    except ValueError:
        raise ValueError(f"population {row['population']!r} is not a whole number") from None
    if population < 0:
        raise ValueError(f"negative population {population}")
    return Commune(
        insee=insee,
        name=name,
        postcodes=postcodes,
        lat=lat,
        lon=lon,
        population=population,
        epci=row["epci"],
        townhall_address=row["mairie_adresse"],
    )


def _parse_float(value: str, what: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{what} {value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{what} {value!r} is not a number")
    return number


@lru_cache(maxsize=1)
def load_communes() -> CommuneRepository:
    """Return the communes of `reference/communes_nord.csv`, loaded and validated once."""
    return CommuneRepository.from_csv(REFERENCE_DIR / COMMUNES_FILE)


@dataclass(frozen=True)
class OutsidePlace:
    """A commune outside the Nord, known only to say where it is."""

    insee: str
    name: str
    department: str  # department code, e.g. "62"
    population: int


class OutsideFrance:
    """The communes of France outside the Nord, and the department names.

    Either part may be empty (tests, or a deployment without the national file): postcodes
    outside the Nord still name their department as long as `departments` is given.
    """

    def __init__(self, places: Iterable[OutsidePlace], departments: dict[str, str]) -> None:
        self.places = tuple(places)
        self.departments = dict(departments)

    @classmethod
    def from_csv(cls, places_path: Path | None, departments_path: Path) -> OutsideFrance:
        """Load `departements.csv` and, when given, `communes_france_hors_nord.csv`."""
        departments_path = Path(departments_path)
        header, rows = read_reference_csv(departments_path)
        check_header(departments_path, header, ("code", "name"))
        errors: list[DataFileError] = []
        departments: dict[str, str] = {}
        for line, row in rows:
            if "__width__" in row:
                errors.append(DataFileError(departments_path, line, row["__width__"]))
            elif not re.match(r"^(\d{2}|2[AB]|97\d)$", row["code"]) or not row["name"]:
                reason = "bad department code or empty name"
                errors.append(DataFileError(departments_path, line, reason))
            else:
                departments[row["code"]] = row["name"]
        places: list[OutsidePlace] = []
        if places_path is not None:
            places_path = Path(places_path)
            header, rows = read_reference_csv(places_path)
            check_header(places_path, header, ("insee", "name", "departement", "population"))
            for line, row in rows:
                if "__width__" in row:
                    errors.append(DataFileError(places_path, line, row["__width__"]))
                elif row["departement"] not in departments or not row["name"]:
                    reason = "unknown department or empty name"
                    errors.append(DataFileError(places_path, line, reason))
                elif not row["population"].isdigit():
                    errors.append(DataFileError(places_path, line, "population is not a number"))
                else:
                    population = int(row["population"])
                    places.append(
                        OutsidePlace(row["insee"], row["name"], row["departement"], population)
                    )
        raise_collected(errors)
        return cls(places, departments)

    def department_of_postcode(self, postcode: str) -> str | None:
        """Return the department code of a French postcode, or None when it is not French."""
        if postcode.startswith("97"):
            code = postcode[:3]
        elif postcode.startswith("20"):  # Corsica: 200xx-201xx Corse-du-Sud, the rest Haute-Corse
            code = "2A" if postcode[:3] in ("200", "201") else "2B"
        else:
            code = postcode[:2]
        return code if code in self.departments else None


@lru_cache(maxsize=1)
def load_outside() -> OutsideFrance:
    """Return the communes outside the Nord and the department names, loaded once."""
    return OutsideFrance.from_csv(REFERENCE_DIR / OUTSIDE_FILE, REFERENCE_DIR / DEPARTMENTS_FILE)


# --------------------------------------------------------------------------------------------
# Resolver
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resolution:
    """What a text designates.

    status: "found" (one commune), "ambiguous" (two or more candidates, most populous first),
    "unknown" (candidates may hold up to 3 suggestions) or "outside_nord" (no candidate; the
    department and place name are given when known).
    """

    status: str
    candidates: tuple[Commune, ...]
    query: str
    department: str | None = None
    outside_name: str | None = None

    @property
    def commune(self) -> Commune | None:
        """The commune when found, else None."""
        return self.candidates[0] if self.status == "found" else None


class _FuzzyIndex:
    """Keys searchable by edit distance, pre-filtered by length and shared letter pairs.

    Each edit changes at most three padded letter pairs (a transposition), so a key within
    distance k of the query shares at least `pairs(query) - 3k` of the query's pairs.
    """

    def __init__(self) -> None:
        self._keys: list[str] = []
        self._payloads: list[set] = []
        self._ids: dict[str, int] = {}
        self._postings: dict[str, list[int]] = {}

    @staticmethod
    def _pairs(key: str) -> set[str]:
        padded = f"^{key}$"
        return {padded[i : i + 2] for i in range(len(padded) - 1)}

    def add(self, key: str, payload: object) -> None:
        if not key:
            return
        index = self._ids.get(key)
        if index is None:
            index = len(self._keys)
            self._ids[key] = index
            self._keys.append(key)
            self._payloads.append(set())
            for pair in self._pairs(key):
                self._postings.setdefault(pair, []).append(index)
        self._payloads[index].add(payload)

    def search(self, query: str, max_distance: int) -> tuple[int, set]:
        """Return (best distance, payloads at that distance); (max_distance + 1, set()) if none."""
        pairs = self._pairs(query)
        need = max(1, len(pairs) - 3 * max_distance)
        counts: dict[int, int] = {}
        for pair in pairs:
            for index in self._postings.get(pair, ()):
                counts[index] = counts.get(index, 0) + 1
        best = max_distance + 1
        found: set = set()
        for index, shared in counts.items():
            if shared < need:
                continue
            key = self._keys[index]
            if abs(len(key) - len(query)) > best:
                continue
            distance = damerau_levenshtein(query, key, best)
            if distance < best:
                best, found = distance, set(self._payloads[index])
            elif distance == best and distance <= max_distance:
                found |= self._payloads[index]
        return best, found


def _compact(tokens: Sequence[str]) -> str:
    return "".join(tokens)


class CommuneResolver:
    """Turn free text into a commune of the Nord (see the module docstring for the rules)."""

    def __init__(self, repo: CommuneRepository, outside: OutsideFrance | None = None) -> None:
        self.repo = repo
        if outside is None:
            outside = OutsideFrance((), _load_departments_only())
        self.outside = outside
        self._exact: dict[str, set[str]] = {}
        self._partial: dict[str, set[str]] = {}
        self._words: dict[str, set[str]] = {}
        self._core_words: dict[str, frozenset[str]] = {}
        self._fuzzy = _FuzzyIndex()
        for commune in repo.all():
            self._index_commune(commune)
        self._outside_exact: dict[str, list[OutsidePlace]] = {}
        self._outside_fuzzy = _FuzzyIndex()
        for place in outside.places:
            tokens = _tokens(place.name)
            for key in {_compact(tokens), _compact(_core(tokens))}:
                self._outside_exact.setdefault(key, []).append(place)
            if place.department in NEIGHBOUR_DEPARTMENTS:
                self._outside_fuzzy.add(_compact(tokens), place)
        self._department_names = {
            _compact(_core(_tokens(name))): code
            for code, name in outside.departments.items()
            if code != NORD_CODE
        }

    def _index_commune(self, commune: Commune) -> None:
        tokens = _tokens(commune.name)
        without_article = tokens[1:] if len(tokens) > 1 and tokens[0] in _ARTICLES else tokens
        core = _core(tokens) or tokens
        self._exact.setdefault(_compact(tokens), set()).add(commune.insee)
        self._fuzzy.add(_compact(tokens), commune.insee)
        for variant in (tokens, without_article, core):
            for end in range(1, len(variant) + 1):
                key = _compact(variant[:end])
                if end == len(variant) and variant is tokens:
                    continue  # the full name is tier A
                if variant[end - 1] in _SMALL_WORDS:
                    continue  # "saint amand les" is not a way to say a name
                self._partial.setdefault(key, set()).add(commune.insee)
                if len(key) >= 5:
                    self._fuzzy.add(key, commune.insee)
        self._core_words[commune.insee] = frozenset(core)
        for word in core:
            if len(word) >= 4 and word not in _WEAK_WORDS:
                self._words.setdefault(word, set()).add(commune.insee)

    # -- public API ------------------------------------------------------------------------

    def resolve(self, text: str) -> Resolution:
        """Return what `text` designates (never raises on any string)."""
        query = text if isinstance(text, str) else ""
        normalized = normalize(query)
        if not normalized:
            return Resolution("unknown", (), query)
        postcode_match = _POSTCODE_RE.search(normalized)
        if postcode_match:
            postcode = postcode_match.group(1).replace(" ", "")
            before, after = normalized[: postcode_match.start()], normalized[postcode_match.end() :]
            rest = f"{before} {after}".strip()
            return self._resolve_postcode(query, postcode, rest)
        return self._resolve_name(query, [_ABBREVIATIONS.get(t, t) for t in normalized.split()])

    # -- postcodes -------------------------------------------------------------------------

    def _resolve_postcode(self, query: str, postcode: str, rest: str) -> Resolution:
        by_name = self._resolve_name(query, _tokens(rest)) if rest else None
        if not postcode.startswith(NORD_CODE):
            department = self.outside.department_of_postcode(postcode)
            if department is None:  # not a French postcode: maybe a name was given too
                if by_name is not None and by_name.status != "unknown":
                    return by_name
                return Resolution("unknown", (), query)
            outside_name = None
            if (
                by_name is not None
                and by_name.status == "outside_nord"
                and by_name.department == (self.outside.departments[department])
            ):
                outside_name = by_name.outside_name
            return Resolution(
                "outside_nord", (), query, self.outside.departments[department], outside_name
            )
        communes = self.repo.by_postcode(postcode)
        if not communes and self.repo.get(postcode) is not None:
            communes = [self.repo.get(postcode)]  # staff sometimes type the INSEE code
        if by_name is not None and by_name.status in ("found", "ambiguous"):
            narrowed = [c for c in by_name.candidates if c in communes]
            if len(narrowed) == 1:
                return Resolution("found", (narrowed[0],), query)
            if len(narrowed) > 1:
                return Resolution("ambiguous", tuple(narrowed), query)
            if by_name.status == "found" or not communes:
                return by_name  # a name spelt out is more reliable than five digits
        if not communes:
            return Resolution("unknown", (), query)
        return self._decide(query, communes, use_dominance=False)

    # -- names -----------------------------------------------------------------------------

    def _resolve_name(self, query: str, tokens: list[str]) -> Resolution:
        if not tokens:
            return Resolution("unknown", (), query)
        # A: the whole text is a full official name.
        found = self._exact.get(_compact(tokens))
        if found:
            return self._decide_codes(query, found)
        stripped = _strip_fillers(tokens)
        if not stripped or all(tok in _SMALL_WORDS or tok in _LEADING_FILLERS for tok in stripped):
            return Resolution("unknown", (), query)
        # A and B on the name without the words around it.
        result = self._match_nord(query, stripped)
        if result is not None:
            return result
        key = _compact(stripped)
        max_distance = allowed_typos(len(key)) if len(key) <= 40 else 0
        # C: a place outside the Nord, unless a typo of a larger Nord commune is likelier
        # ("marolles" is Maroilles, 1,400 inhabitants, not Marolles in the Oise, 680).
        outside = self._match_outside(query, stripped)
        if outside is not None:
            resolution, population = outside
            if max_distance:
                _, codes = self._fuzzy.search(key, max_distance)
                if codes:
                    nord = self._decide_codes(query, codes)
                    if nord.candidates[0].population > population:
                        return nord
            return resolution
        # D: words inside a Nord name.
        core = _core(stripped)
        if core and all(len(word) >= 4 for word in core):
            sets = [self._words.get(word) for word in core]
            if all(sets):
                codes = set.intersection(*sets)
                if codes:
                    return self._decide_codes(query, codes)
        if max_distance:
            # E: typos of a Nord name.
            _, codes = self._fuzzy.search(key, max_distance)
            if codes:
                return self._decide_codes(query, codes)
            # F: typos of a commune just across the border.
            _, places = self._outside_fuzzy.search(key, max_distance)
            if places:
                return self._outside(query, list(places))[0]
        # A name among other words ("bavay je crois").
        if len(tokens) <= MAX_WINDOW_TOKENS:
            result = self._match_windows(query, tokens)
            if result is not None:
                return result
        # Nothing close enough: offer the nearest spellings as suggestions.
        if 5 <= len(key) <= 40:
            _, codes = self._fuzzy.search(key, allowed_typos(len(key)) + 1)
            if codes and len(codes) <= 3:
                return Resolution("unknown", self._sorted(codes), query)
        return Resolution("unknown", (), query)

    def _match_nord(
        self, query: str, tokens: list[str], partial: bool = True, core: bool = True
    ) -> Resolution | None:
        """Tier A, then B (unless `partial` is False; by the core words only if `core`)."""
        key = _compact(tokens)
        found = self._exact.get(key)
        if found:
            return self._decide_codes(query, found)
        if partial and len(key) >= 3:
            codes = set(self._partial.get(key, ()))
            core_key = _compact(_core(tokens))
            if core and len(core_key) >= 3:
                codes |= self._partial.get(core_key, set())
            if codes:
                return self._decide_codes(query, codes)
        return None

    def match_outside(self, query: str, tokens: list[str]) -> tuple[Resolution, int] | None:
        """Tier C alone, for callers that search a sentence (`actions.commune_spans`)."""
        return self._match_outside(query, [_ABBREVIATIONS.get(t, t) for t in tokens])

    def _match_outside(self, query: str, tokens: list[str]) -> tuple[Resolution, int] | None:
        """Tier C: a commune outside the Nord or a department, with its population."""
        key = _compact(tokens)
        core_key = _compact(_core(tokens))
        places = self._outside_exact.get(key) or self._outside_exact.get(core_key)
        if places:
            return self._outside(query, places)
        department = self._department_names.get(core_key)
        if department is not None:
            resolution = Resolution("outside_nord", (), query, self.outside.departments[department])
            return resolution, 10**9
        return None

    def _match_windows(self, query: str, tokens: list[str]) -> Resolution | None:
        """Tiers A to C on each run of up to five words, longest runs first."""
        for size in range(min(5, len(tokens)), 0, -1):
            results = []
            for start in range(len(tokens) - size + 1):
                window = tokens[start : start + size]
                if all(tok in _SMALL_WORDS or tok in _LEADING_FILLERS for tok in window):
                    continue
                if window[0] in _SMALL_WORDS - _ARTICLES or window[-1] in _SMALL_WORDS:
                    continue
                key = _compact(window)
                before = tokens[start - 1] if start > 0 else ""
                preceded = before in _PLACE_PREPOSITIONS
                result = None
                if before in _CONTRACTED_ARTICLES and window[0] not in _ARTICLES:
                    found = self._exact.get(_CONTRACTED_ARTICLES[before] + key)
                    result = self._decide_codes(query, found) if found else None
                # In a sentence a lone common word ("bus") must not pass for a place: a short
                # partial name, or a place outside the Nord not introduced by "à"/"de", is not
                # taken; nor is "le grand" the start of "Grand-Fort-Philippe".
                if result is None:
                    result = self._match_nord(
                        query,
                        window,
                        partial=len(window) > 1 or len(key) >= 6,
                        core=window[0] not in _ARTICLES,
                    )
                if result is None and preceded:
                    outside = self._match_outside(query, window)
                    result = outside[0] if outside else None
                if result is not None:
                    results.append(result)
            if results:
                nord = [r for r in results if r.status in ("found", "ambiguous")]
                if not nord:
                    return results[0]
                codes = {c.insee for r in nord for c in r.candidates}
                if len(nord) == 1 or len(codes) == 1:
                    return nord[0]
                return Resolution("ambiguous", self._sorted(codes), query)
        return None

    # -- decisions -------------------------------------------------------------------------

    def _sorted(self, codes: Iterable[str]) -> tuple[Commune, ...]:
        communes = [self.repo.get(code) for code in codes]
        return tuple(sorted((c for c in communes if c), key=lambda c: (-c.population, c.insee)))

    def _decide_codes(self, query: str, codes: Iterable[str]) -> Resolution:
        return self._decide(query, self._sorted(codes), use_dominance=True)

    def _decide(self, query: str, communes: Sequence[Commune], use_dominance: bool) -> Resolution:
        ranked = tuple(sorted(communes, key=lambda c: (-c.population, c.insee)))
        if len(ranked) == 1:
            return Resolution("found", ranked, query)
        if use_dominance and ranked[0].population >= DOMINANCE_RATIO * max(ranked[1].population, 1):
            return Resolution("found", ranked[:1], query)
        return Resolution("ambiguous", ranked, query)

    def _outside(self, query: str, places: Sequence[OutsidePlace]) -> tuple[Resolution, int]:
        """One place outside the Nord, with its population.

        A neighbouring department's place is preferred; among several, the department is named
        only when one place is clearly dominant (`DOMINANCE_RATIO`).
        """
        near = [p for p in places if p.department in NEIGHBOUR_DEPARTMENTS]
        pool = sorted(near or places, key=lambda p: (-p.population, p.insee))
        place = pool[0]
        if len(pool) == 1 or place.population >= DOMINANCE_RATIO * max(pool[1].population, 1):
            department = self.outside.departments.get(place.department)
        else:
            department = None
        return Resolution("outside_nord", (), query, department, place.name), place.population


def _strip_fillers(tokens: list[str]) -> list[str]:
    """Drop the words around a name; a leading "au"/"du" becomes the article "le"."""
    start = 0
    article = None
    while start < len(tokens) - 1 and tokens[start] in _LEADING_FILLERS:
        article = _CONTRACTED_ARTICLES.get(tokens[start])
        start += 1
    end = len(tokens)
    while end > start + 1 and tokens[end - 1] in _TRAILING_FILLERS:
        end -= 1
    stripped = tokens[start:end]
    if article and stripped and stripped[0] not in _ARTICLES:
        stripped = [article, *stripped]
    return stripped


@lru_cache(maxsize=1)
def _load_departments_only() -> dict[str, str]:
    return OutsideFrance.from_csv(None, REFERENCE_DIR / DEPARTMENTS_FILE).departments


@lru_cache(maxsize=1)
def get_resolver() -> CommuneResolver:
    """Return the resolver over the Nord's communes and the rest of France, built once."""
    return CommuneResolver(load_communes(), load_outside())
