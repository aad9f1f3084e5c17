"""Turning what a person types into a commune of the Nord.

`CommuneResolver` (over the communes of `places.communes`) maps free
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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from franceservices.places.communes import (
    NEIGHBOUR_DEPARTMENTS,
    NORD_CODE,
    Commune,
    CommuneRepository,
    OutsideFrance,
    OutsidePlace,
    load_communes,
    load_departments,
    load_outside,
)
from franceservices.places.place_words import (
    ARTICLES,
    CONTRACTED_ARTICLES,
    LEADING_FILLERS,
    PLACE_PREPOSITIONS,
    POSTCODE_RE,
    SMALL_WORDS,
    WEAK_WORDS,
    compact,
    core_words,
    expand_abbreviations,
    name_tokens,
    strip_fillers,
)
from franceservices.text.normalize import normalize
from franceservices.text.typos import FuzzyIndex, allowed_typos

DOMINANCE_RATIO = 10
"""A candidate among several is taken alone only if this many times as populous as the next."""

MAX_WINDOW_TOKENS = 30
"""Longer messages are not searched word by word (a name is not hidden in a 5,000-char text)."""


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


class CommuneResolver:
    """Turn free text into a commune of the Nord (see the module docstring for the rules)."""

    def __init__(self, repo: CommuneRepository, outside: OutsideFrance | None = None) -> None:
        self.repo = repo
        if outside is None:
            outside = OutsideFrance((), load_departments())
        self.outside = outside
        self._exact: dict[str, set[str]] = {}
        self._partial: dict[str, set[str]] = {}
        self._words: dict[str, set[str]] = {}
        self._core_words: dict[str, frozenset[str]] = {}
        self._fuzzy = FuzzyIndex()
        for commune in repo.all():
            self._index_commune(commune)
        self._outside_exact: dict[str, list[OutsidePlace]] = {}
        self._outside_fuzzy = FuzzyIndex()
        for place in outside.places:
            tokens = name_tokens(place.name)
            for key in {compact(tokens), compact(core_words(tokens))}:
                self._outside_exact.setdefault(key, []).append(place)
            if place.department in NEIGHBOUR_DEPARTMENTS:
                self._outside_fuzzy.add(compact(tokens), place)
        self._department_names = {
            compact(core_words(name_tokens(name))): code
            for code, name in outside.departments.items()
            if code != NORD_CODE
        }

    def _index_commune(self, commune: Commune) -> None:
        tokens = name_tokens(commune.name)
        without_article = tokens[1:] if len(tokens) > 1 and tokens[0] in ARTICLES else tokens
        core = core_words(tokens) or tokens
        self._exact.setdefault(compact(tokens), set()).add(commune.insee)
        self._fuzzy.add(compact(tokens), commune.insee)
        for variant in (tokens, without_article, core):
            for end in range(1, len(variant) + 1):
                key = compact(variant[:end])
                if end == len(variant) and variant is tokens:
                    continue  # the full name is tier A
                if variant[end - 1] in SMALL_WORDS:
                    continue  # "saint amand les" is not a way to say a name
                self._partial.setdefault(key, set()).add(commune.insee)
                if len(key) >= 5:
                    self._fuzzy.add(key, commune.insee)
        self._core_words[commune.insee] = frozenset(core)
        for word in core:
            if len(word) >= 4 and word not in WEAK_WORDS:
                self._words.setdefault(word, set()).add(commune.insee)

    # -- public API ------------------------------------------------------------------------

    def resolve(self, text: str) -> Resolution:
        """Return what `text` designates (never raises on any string)."""
        query = text if isinstance(text, str) else ""
        normalized = normalize(query)
        if not normalized:
            return Resolution("unknown", (), query)
        postcode_match = POSTCODE_RE.search(normalized)
        if postcode_match:
            postcode = postcode_match.group(1).replace(" ", "")
            before, after = normalized[: postcode_match.start()], normalized[postcode_match.end() :]
            rest = f"{before} {after}".strip()
            return self._resolve_postcode(query, postcode, rest)
        return self._resolve_name(query, expand_abbreviations(normalized.split()))

    # -- postcodes -------------------------------------------------------------------------

    def _resolve_postcode(self, query: str, postcode: str, rest: str) -> Resolution:
        by_name = self._resolve_name(query, name_tokens(rest)) if rest else None
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
        found = self._exact.get(compact(tokens))
        if found:
            return self._decide_codes(query, found)
        stripped = strip_fillers(tokens)
        if not stripped or all(tok in SMALL_WORDS or tok in LEADING_FILLERS for tok in stripped):
            return Resolution("unknown", (), query)
        # A and B on the name without the words around it.
        result = self._match_nord(query, stripped)
        if result is not None:
            return result
        key = compact(stripped)
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
        core = core_words(stripped)
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
        key = compact(tokens)
        found = self._exact.get(key)
        if found:
            return self._decide_codes(query, found)
        if partial and len(key) >= 3:
            codes = set(self._partial.get(key, ()))
            core_key = compact(core_words(tokens))
            if core and len(core_key) >= 3:
                codes |= self._partial.get(core_key, set())
            if codes:
                return self._decide_codes(query, codes)
        return None

    def match_outside(self, query: str, tokens: list[str]) -> tuple[Resolution, int] | None:
        """Tier C alone, for callers that search a sentence (`places.commune_spans`)."""
        return self._match_outside(query, expand_abbreviations(tokens))

    def _match_outside(self, query: str, tokens: list[str]) -> tuple[Resolution, int] | None:
        """Tier C: a commune outside the Nord or a department, with its population."""
        key = compact(tokens)
        core_key = compact(core_words(tokens))
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
                if all(tok in SMALL_WORDS or tok in LEADING_FILLERS for tok in window):
                    continue
                if window[0] in SMALL_WORDS - ARTICLES or window[-1] in SMALL_WORDS:
                    continue
                key = compact(window)
                before = tokens[start - 1] if start > 0 else ""
                preceded = before in PLACE_PREPOSITIONS
                result = None
                if before in CONTRACTED_ARTICLES and window[0] not in ARTICLES:
                    found = self._exact.get(CONTRACTED_ARTICLES[before] + key)
                    result = self._decide_codes(query, found) if found else None
                # In a sentence a lone common word ("bus") must not pass for a place: a short
                # partial name, or a place outside the Nord not introduced by "à"/"de", is not
                # taken; nor is "le grand" the start of "Grand-Fort-Philippe".
                if result is None:
                    result = self._match_nord(
                        query,
                        window,
                        partial=len(window) > 1 or len(key) >= 6,
                        core=window[0] not in ARTICLES,
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


@lru_cache(maxsize=1)
def get_resolver() -> CommuneResolver:
    """Return the resolver over the Nord's communes and the rest of France, built once."""
    return CommuneResolver(load_communes(), load_outside())
