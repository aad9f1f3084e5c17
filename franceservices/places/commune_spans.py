"""Find the commune of the Nord anywhere in a citizen's sentence, typed as people type it.

The resolver (`franceservices.places.commune_resolver`) is at its best on a name typed alone.
In a sentence ("qd passe le bus a bousie svp") the name must first be found: `SpanMatcher`
scores every run of 1 to `MAX_SPAN_TOKENS` words of the message against the names of the Nord's
communes and returns the span, the candidates and a score, as a `SpanMatch` whose `resolution`
the actions use like the resolver's (an ambiguous one is asked with buttons).

A span is compared with each commune's full name (article included or not), its core words
("villeneuve ascq") and its first words ("le cateau", "st amand"), by, best first:
exact spelling; the same phonetic key (`phonetic_key`: French and Flemish spellings of one
sound, silent final letters); one to three typing errors by length (`allowed_typos`); a phonetic
key one letter away; a name cut short. Each way has a lower score (`_SCORES`).

Never a wrong place, so:
- a word of `reference/commune_stop_words.txt` ("bus", "passage", "demain") is never part of a
  fuzzy match, and begins or ends none; it may only sit inside a name spelt exactly;
- short spans need a higher score (`_threshold`): under 5 letters only an exact name counts,
  and under 4 letters only after "à"/"de"... or when it is the whole message ("eth", "hem");
- a place outside the Nord counts only when spelt exactly, and loses to a Nord commune spelt
  exactly or more populous (the assistant serves the Nord);
- two communes with close scores are asked, unless one is `DOMINANCE_RATIO` times as populous
  and both come from the same words ("marcq").
A Nord postcode narrows the candidates and lets a weaker name decide ("59550 landrcies").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from franceservices.paths import REFERENCE_DIR
from franceservices.places.commune_resolver import (
    DOMINANCE_RATIO,
    CommuneResolver,
    Resolution,
    get_resolver,
)
from franceservices.places.communes import NORD_CODE, Commune
from franceservices.places.place_words import (
    ARTICLES,
    CONTRACTED_ARTICLES,
    LEADING_FILLERS,
    PLACE_PREPOSITIONS,
    POSTCODE_RE,
    SMALL_WORDS,
    TRAILING_FILLERS,
    WEAK_WORDS,
    compact,
    core_words,
    expand_abbreviations,
    name_tokens,
)
from franceservices.places.stop_words import STOP_WORDS_FILE, load_stop_words
from franceservices.text.normalize import normalize
from franceservices.text.typos import FuzzyIndex, allowed_typos

MAX_SPAN_TOKENS = 5
MAX_MESSAGE_TOKENS = 40
CLOSE_MARGIN = 0.035
"""Candidates within this score of the best one are asked together."""
POSTCODE_THRESHOLD = 0.7
"""With a Nord postcode, a weaker name is enough to pick among the postcode's communes."""

# Score of each way a span may match a name key (before the key's own weight, below).
_SCORES = {
    "exact": 1.0,
    "phonetic": 0.9,  # a sound spelt another way, as sure as one typing error
    "typo": 0.95,  # minus _TYPO_STEP per edit
    "phonetic_typo": 0.84,
    "cut_short": 0.78,  # plus up to _CUT_BONUS for the share of the name typed
}
_TYPO_STEP = 0.06
_CUT_BONUS = 0.12
# Weight of each kind of key: a full name beats its core words, which beat its first words.
_KEY_WEIGHTS = {"full": 1.0, "core": 0.98, "first_words": 0.97}
# Close enough to the full names that "quesnoy" asks Le Quesnoy or Quesnoy-sur-Deûle.
_BOTH_BONUS = 0.02
"""Added when a span both sounds like a name and is one typo away ("ecke": Eecke, not Hecq)."""


# --------------------------------------------------------------------------------------------
# Phonetic key
# --------------------------------------------------------------------------------------------

_PHONETIC_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"ph", "f"),
        (r"cqu|ck|cq|qu|q", "k"),  # Bambecque / Bambeke, Roncq / Ronk
        (r"c(?=[eiy])", "s"),
        (r"c(?!h)", "k"),  # Kilem / Killem, Caestre / Kaestre
        (r"gu(?=[ei])", "g"),
        (r"w", "v"),  # Flemish w
        (r"ij|y", "i"),  # Haussy / Haussi, Neuvilly / Neuvili
        (r"z", "s"),  # Hazebrouck / Hasebrouck
        (r"eau|au", "o"),
        (r"ae", "a"),  # Flemish ae: Caestre
        (r"oe", "ou"),  # Flemish oe, and œ already written oe: Boeschepe
        (r"ai|ei", "e"),
        (r"(?<![cs])h", ""),  # silent h, but not the ch/sh sound
        (r"[ae][nm](?=[^aeiounm])", "an"),  # an/en/am/em before a consonant (not "enne", "hem")
        (r"(.)\1+", r"\1"),  # doubled letters
    )
)
_SILENT_FINALS = frozenset("sxtde")


def phonetic_key(text: str) -> str:
    """Return a key shared by spellings that sound alike in French or Flemish names.

    Works on the normalised form (accents and diaeresis dropped, words joined): "Bousie" and
    "Bousies", "Haussi" and "Haussy", "Bambeke" and "Bambecque", "Kilem" and "Killem" share one.
    """
    key = normalize(text).replace(" ", "")
    for pattern, replacement in _PHONETIC_RULES:
        key = pattern.sub(replacement, key)
    while len(key) > 2 and key[-1] in _SILENT_FINALS:
        key = key[:-1]
    return re.sub(r"(.)\1+", r"\1", key)


# --------------------------------------------------------------------------------------------
# Matcher
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpanMatch:
    """The commune found in a message.

    span: the normalised words that name it ("" when none); start/end: their token positions;
    candidates: (commune, score) best first; score: the best score (0 when none);
    resolution: what the actions use, as the resolver gives it (found, ambiguous, unknown,
    outside_nord).
    """

    span: str
    start: int
    end: int
    candidates: tuple[tuple[Commune, float], ...]
    score: float
    resolution: Resolution


@dataclass(frozen=True)
class _Hit:
    score: float
    start: int
    end: int
    code: str
    exact: bool = False  # the span spells a name key exactly


def _threshold(key: str, tokens: Sequence[str]) -> float:
    """The score a span must reach: short spans need more."""
    if len(key) <= 3:
        return 1.0
    if len(key) == 4:
        return 0.9  # exact, or a full name's sound ("eeck"), not a typo
    if len(key) <= 6:
        return 0.82  # one typo or a sound of a name or of its first word ("avesne")
    return 0.78


class SpanMatcher:
    """Score every span of a message against the Nord's communes (module docstring)."""

    def __init__(self, resolver: CommuneResolver, stop_words: frozenset[str]) -> None:
        self.resolver = resolver
        self.repo = resolver.repo
        self.stop_words = stop_words
        self._exact: dict[str, dict[str, float]] = {}
        self._phonetic: dict[str, dict[str, float]] = {}
        self._prefixes: dict[str, dict[str, float]] = {}
        self._fuzzy = FuzzyIndex()
        self._phonetic_fuzzy = FuzzyIndex()
        self._weights: dict[tuple[str, str], float] = {}
        for commune in self.repo.all():
            self._index(commune)

    def _add(self, table: dict[str, dict[str, float]], key: str, code: str, weight: float) -> None:
        codes = table.setdefault(key, {})
        codes[code] = max(codes.get(code, 0.0), weight)

    def _index(self, commune: Commune) -> None:
        tokens = name_tokens(commune.name)
        without_article = tokens[1:] if len(tokens) > 1 and tokens[0] in ARTICLES else tokens
        keys: dict[str, float] = {}
        for variant in (tokens, without_article):
            keys[compact(variant)] = _KEY_WEIGHTS["full"]
        core = core_words(tokens)
        if core and compact(core) not in keys:
            keys[compact(core)] = _KEY_WEIGHTS["core"]
        for variant in (tokens, without_article, core):
            for end in range(1, len(variant)):
                words = variant[:end]
                if words[-1] in SMALL_WORDS or all(w in WEAK_WORDS | ARTICLES for w in words):
                    continue
                keys.setdefault(compact(words), _KEY_WEIGHTS["first_words"])
        for key, weight in keys.items():
            self._add(self._exact, key, commune.insee, weight)
            self._weights[(key, commune.insee)] = weight
            phonetic = phonetic_key(key)
            self._add(self._phonetic, phonetic, commune.insee, weight)
            if len(key) >= 5:
                self._fuzzy.add(key, (key, commune.insee))
            if len(phonetic) >= 6:
                self._phonetic_fuzzy.add(phonetic, (phonetic, commune.insee))
                self._weights[(phonetic, commune.insee)] = max(
                    weight, self._weights.get((phonetic, commune.insee), 0.0)
                )
        for full in {compact(without_article), compact(tokens)}:
            for length in range(max(5, (len(full) + 1) // 2), len(full)):
                self._add(self._prefixes, full[:length], commune.insee, length / len(full))

    # -- scoring a span --------------------------------------------------------------------

    def exact_codes(self, key: str) -> set[str]:
        """The communes one of whose name keys is exactly `key`."""
        return set(self._exact.get(key, ()))

    def _score_key(self, key: str, exact_only: bool) -> dict[str, float]:
        """Best score of each commune for one span key."""
        scores: dict[str, float] = {}

        def offer(code: str, score: float) -> None:
            if score > scores.get(code, 0.0):
                scores[code] = score

        for code, weight in self._exact.get(key, {}).items():
            offer(code, _SCORES["exact"] * weight)
        if exact_only:
            return scores
        phonetic = phonetic_key(key)
        if len(key) >= 4 and len(phonetic) >= 2:
            for code, weight in self._phonetic.get(phonetic, {}).items():
                offer(code, _SCORES["phonetic"] * weight)
        max_distance = allowed_typos(len(key))
        if max_distance:
            distance, found = self._fuzzy.search(key, max_distance)
            sounding = dict(scores)
            for name_key, code in found:
                weight = self._weights[(name_key, code)]
                score = (_SCORES["typo"] - _TYPO_STEP * distance) * weight
                if distance == 1 and code in sounding and sounding[code] < _SCORES["exact"]:
                    score = max(score, sounding[code]) + _BOTH_BONUS
                offer(code, score)
        if len(phonetic) >= 6:
            distance, found = self._phonetic_fuzzy.search(phonetic, 1)
            for name_key, code in found:
                offer(code, _SCORES["phonetic_typo"] * self._weights[(name_key, code)])
        for code, share in self._prefixes.get(key, {}).items():
            offer(code, _SCORES["cut_short"] + _CUT_BONUS * share)
        return scores

    def _span_hits(self, tokens: list[str], whole: tuple[int, int]) -> list[_Hit]:
        hits: list[_Hit] = []
        for size in range(min(MAX_SPAN_TOKENS, len(tokens)), 0, -1):
            for start in range(len(tokens) - size + 1):
                end = start + size
                window = tokens[start:end]
                first, last = window[0], window[-1]
                if first in SMALL_WORDS - ARTICLES or last in SMALL_WORDS:
                    continue
                if all(w in SMALL_WORDS or w in self.stop_words for w in window):
                    if size > 1 or first not in self._exact:
                        continue
                if size == 1 and first in WEAK_WORDS:
                    continue  # "saint" alone names no commune
                before = tokens[start - 1] if start else ""
                # A common word makes the span exact-only, except a short one inside a longer
                # span (a small word typed wrong: "sainghin ne weppes").
                stopped = any(
                    w in self.stop_words
                    and w not in SMALL_WORDS
                    and (size == 1 or len(w) > 2 or w in (first, last))
                    for w in window
                )
                key = compact(window)
                keys = [key]
                if before in CONTRACTED_ARTICLES and first not in ARTICLES:
                    with_article = CONTRACTED_ARTICLES[before] + key  # "au quesnoy"
                    if with_article in self._exact:
                        keys = [with_article]
                threshold = _threshold(key, window)
                if len(key) <= 3 and before not in PLACE_PREPOSITIONS and (start, end) != whole:
                    continue
                for candidate in keys:
                    exact = self.exact_codes(candidate)
                    for code, score in self._score_key(candidate, exact_only=stopped).items():
                        if score >= threshold:
                            hits.append(_Hit(round(score, 4), start, end, code, code in exact))
        return hits

    def _outside_hits(
        self, tokens: list[str], whole: tuple[int, int]
    ) -> list[tuple[int, int, Resolution, int]]:
        found = []
        for size in range(min(MAX_SPAN_TOKENS, len(tokens)), 0, -1):
            for start in range(len(tokens) - size + 1):
                end = start + size
                window = tokens[start:end]
                if window[0] in SMALL_WORDS - ARTICLES or window[-1] in SMALL_WORDS:
                    continue
                if any(w in self.stop_words and w not in SMALL_WORDS for w in window):
                    continue
                before = tokens[start - 1] if start else ""
                alone = (start, end) == whole
                # One word alone names a place only after "a"/"de"... ("a arras"), as in the
                # resolver; a name of several words is a name anywhere ("saint omer").
                if size == 1 and (
                    window[0] in WEAK_WORDS or (before not in PLACE_PREPOSITIONS and not alone)
                ):
                    continue
                if len(compact(window)) < 4 and not alone:
                    continue
                result = self.resolver.match_outside(" ".join(window), window)
                if result is not None:
                    found.append((start, end, result[0], result[1]))
        return found

    # -- deciding --------------------------------------------------------------------------

    def match(self, text: str) -> SpanMatch:
        """Return the commune named in `text` (never raises on any string)."""
        query = text if isinstance(text, str) else ""
        normalized = normalize(query)
        postcode_match = POSTCODE_RE.search(normalized)
        postcode = None
        if postcode_match:
            postcode = postcode_match.group(1).replace(" ", "")
            normalized = (
                f"{normalized[: postcode_match.start()]} {normalized[postcode_match.end() :]}"
            )
        tokens = expand_abbreviations(normalized.split())
        if len(tokens) > MAX_MESSAGE_TOKENS:
            return self._none(query)
        whole = _whole_span(tokens)
        if postcode is not None:
            return self._with_postcode(query, postcode, tokens, whole)
        hits = self._span_hits(tokens, whole)
        outside = self._outside_hits(tokens, whole)
        result = self._decide(query, tokens, hits)
        for start, end, resolution, population in outside:
            # A place elsewhere, spelt exactly, wins over nothing; over a Nord name that is
            # only a part of its words ("loos" in "loos en gohelle"); or over a typo of a
            # smaller Nord commune in the same words. Otherwise the Nord wins ("st amand" is
            # Saint-Amand-les-Eaux, "marolles" is Maroilles).
            inside = bool(result.candidates) and start <= result.start and result.end <= end
            if (
                not result.candidates
                or (inside and end - start > result.end - result.start)
                or (
                    inside
                    and result.score < _KEY_WEIGHTS["first_words"]
                    and result.candidates[0][0].population <= population
                )
            ):
                return SpanMatch(" ".join(tokens[start:end]), start, end, (), 1.0, resolution)
        return result

    def _decide(self, query: str, tokens: list[str], hits: list[_Hit]) -> SpanMatch:
        if not hits:
            return self._none(query)
        # Words inside a longer span that names a commune are part of that name, even when
        # they spell another one exactly ("cambrai" in "st hilaire lez cambrai", typed wrong).
        kept = [
            hit
            for hit in hits
            if not any(
                other.start <= hit.start
                and hit.end <= other.end
                and (other.start, other.end) != (hit.start, hit.end)
                for other in hits
            )
        ]
        best_score = max(hit.score for hit in kept)
        close = [hit for hit in kept if hit.score >= best_score - CLOSE_MARGIN]
        by_code: dict[str, _Hit] = {}
        for hit in sorted(close, key=lambda h: (-h.score, h.start - h.end)):
            by_code.setdefault(hit.code, hit)
        ranked = sorted(
            by_code.values(),
            key=lambda h: (-h.score, -self.repo.get(h.code).population, h.code),
        )
        top = ranked[0]
        span = " ".join(tokens[top.start : top.end])
        candidates = tuple((self.repo.get(h.code), h.score) for h in ranked)
        if len(ranked) == 1:
            resolution = Resolution("found", (candidates[0][0],), span)
            return SpanMatch(span, top.start, top.end, candidates, top.score, resolution)
        # The most populous is taken alone only from a name spelt exactly ("marcq"), never
        # from a typo that is as close to a smaller commune ("neuvill": Neuvilly too).
        overlapping = all(h.exact and h.start < top.end and top.start < h.end for h in ranked)
        by_population = sorted(candidates, key=lambda c: (-c[0].population, c[0].insee))
        first, second = by_population[0][0], by_population[1][0]
        if overlapping and first.population >= DOMINANCE_RATIO * max(second.population, 1):
            hit = by_code[first.insee]
            resolution = Resolution("found", (first,), span)
            return SpanMatch(span, hit.start, hit.end, candidates, hit.score, resolution)
        communes = tuple(c for c, _ in by_population)
        resolution = Resolution("ambiguous", communes, span)
        return SpanMatch(span, top.start, top.end, candidates, top.score, resolution)

    def _with_postcode(
        self, query: str, postcode: str, tokens: list[str], whole: tuple[int, int]
    ) -> SpanMatch:
        if not postcode.startswith(NORD_CODE):
            return self._none(query, self.resolver.resolve(query))
        communes = self.repo.by_postcode(postcode)
        if not communes and self.repo.get(postcode) is not None:
            communes = [self.repo.get(postcode)]
        codes = {c.insee for c in communes}
        hits = self._span_hits(tokens, whole)
        named = self._decide(query, tokens, hits)
        if named.resolution.status == "found" and not codes:
            return named
        # Weaker names count when the postcode backs them.
        weak = [
            _Hit(round(score, 4), start, end, code)
            for start, end in _spans(len(tokens))
            for code, score in self._score_key(compact(tokens[start:end]), False).items()
            if code in codes and score >= POSTCODE_THRESHOLD
        ]
        narrowed = self._decide(query, tokens, [h for h in hits if h.code in codes] + weak)
        if narrowed.candidates:
            return narrowed
        if named.resolution.status == "found":
            return named  # a name spelt out is more reliable than five digits
        if not communes:
            return self._none(query)
        ranked = tuple(communes)
        status = "found" if len(ranked) == 1 else "ambiguous"
        resolution = Resolution(status, ranked if status == "ambiguous" else ranked[:1], postcode)
        return SpanMatch(postcode, 0, 0, tuple((c, 1.0) for c in ranked), 1.0, resolution)

    def _none(self, query: str, resolution: Resolution | None = None) -> SpanMatch:
        return SpanMatch("", 0, 0, (), 0.0, resolution or Resolution("unknown", (), query))


def _whole_span(tokens: list[str]) -> tuple[int, int]:
    """The message without the words said around a name ("a eth svp" -> "eth")."""
    start, end = 0, len(tokens)
    while start < end - 1 and tokens[start] in LEADING_FILLERS:
        start += 1
    while end > start + 1 and tokens[end - 1] in TRAILING_FILLERS:
        end -= 1
    return start, end


def _spans(count: int) -> Iterable[tuple[int, int]]:
    for size in range(1, min(MAX_SPAN_TOKENS, count) + 1):
        for start in range(count - size + 1):
            yield start, start + size


@lru_cache(maxsize=1)
def get_span_matcher() -> SpanMatcher:
    """Return the matcher over the resolver's communes and the stop list, built once."""
    resolver = get_resolver()
    names = [commune.name for commune in resolver.repo.all()]
    return SpanMatcher(resolver, load_stop_words(REFERENCE_DIR / STOP_WORDS_FILE, names))


def resolve_in_sentence(text: str) -> Resolution:
    """The commune a whole message names, as a `Resolution` for the actions.

    The span matcher first. When it finds nothing in a message of no common word (a name typed
    alone), the resolver on the whole text still names a department or offers suggestions
    ("pas de calais", "hasebrouke"); never on a question, whose words it would take for places
    ("du bus": Bus, Pas-de-Calais).
    """
    matcher = get_span_matcher()
    match = matcher.match(text)
    if match.resolution.status != "unknown" or match.resolution.candidates:
        return match.resolution
    words = normalize(text if isinstance(text, str) else "").split()
    if any(w in matcher.stop_words and w not in SMALL_WORDS for w in words):
        return match.resolution
    return get_resolver().resolve(text)
