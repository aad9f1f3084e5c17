"""Finding the procedures a citizen names in free text.

Tolerant to accents, case and small spelling mistakes (the project's one edit distance and typo
threshold, `franceservices.text.typos`): a keyword found as a contiguous phrase is a strong match;
only when none is, a keyword whose words are all present, scattered, is a weak one. Works on
procedure ids and their keywords, so it knows nothing of the rest of the catalogue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from franceservices.text.normalize import normalize
from franceservices.text.typos import allowed_typos, damerau_levenshtein

MAX_TOKENS = 60
"""Words of a message looked at: a longer message is not a question about one procedure."""


def match_tokens(text: str) -> list[str]:
    """Words of `text` for matching: "*" (a keyword's wildcard) is a separator here."""
    return normalize(text, keep="*").replace("*", " ").split()


_STOPWORDS = frozenset(
    "a au aux d de des du en et l la le les ma mes mon pour sa ses son un une".split()
)


@dataclass(frozen=True)
class _Keyword:
    tokens: tuple[str, ...]
    joined: str
    significant: tuple[str, ...]


def _compile_keyword(keyword: str) -> _Keyword:
    tokens = tuple(match_tokens(keyword))
    significant = tuple(t for t in tokens if t not in _STOPWORDS and len(t) >= 3)
    return _Keyword(tokens, "".join(tokens), significant)


@dataclass
class _Hit:
    score: float
    span: tuple[int, int]


def _keyword_hits(keyword: _Keyword, tokens: list[str]) -> tuple[list[_Hit], float]:
    """Contiguous fuzzy hits of a keyword, and the score of a scattered (weak) hit, 0 if none.

    Windows of one token fewer or more than the keyword absorb a missing or split word
    ("carte identite", "cart d identite", "cartegrise").
    """
    hits: list[_Hit] = []
    allowed = allowed_typos(len(keyword.joined))
    size = len(keyword.tokens)
    for width in {max(1, size - 1), size, size + 1}:
        for start in range(0, len(tokens) - width + 1):
            window = "".join(tokens[start : start + width])
            if abs(len(window) - len(keyword.joined)) > allowed:
                continue
            if allowed == 0:
                distance = 0 if window == keyword.joined else 1
            else:
                distance = damerau_levenshtein(window, keyword.joined, allowed)
            if distance <= allowed:
                score = len(keyword.joined) + 2 - 2 * distance
                hits.append(_Hit(score, (start, start + width)))
    scattered = 0.0
    if len(keyword.significant) >= 2:
        total = 0.0
        for word in keyword.significant:
            word_allowed = allowed_typos(len(word))
            best = min(
                (damerau_levenshtein(t, word, word_allowed) for t in tokens),
                default=word_allowed + 1,
            )
            if best > word_allowed:
                break
            total += len(word) - 2 * best
        else:
            scattered = total * 0.6
    return hits, scattered


def _inside(inner: tuple[int, int], outer: tuple[int, int]) -> bool:
    """Strictly inside: `outer` covers `inner` and is longer."""
    return (
        outer[0] <= inner[0]
        and inner[1] <= outer[1]
        and (outer[1] - outer[0]) > (inner[1] - inner[0])
    )


class KeywordIndex:
    """The compiled keywords of each procedure, in the catalogue's order (ties keep it)."""

    def __init__(self, keywords: Mapping[str, Iterable[str]]) -> None:
        self._keywords = {
            pid: tuple(_compile_keyword(w) for w in words) for pid, words in keywords.items()
        }
        self._order = {pid: i for i, pid in enumerate(self._keywords)}

    def match(self, text: str) -> list[str]:
        """The ids of the procedures named in `text`, best first; [] when none is recognised.

        A procedure whose keywords appear as a contiguous phrase (small typos allowed) is a strong
        match; all strong matches are returned, so "passeport et carte d'identité" gives both.
        A match inside a longer match of another procedure is dropped ("référent RSA" is the
        Département's follow-up, not the CAF's RSA application). Only when nothing matches
        strongly are the procedures whose keyword words are all present, scattered, returned.
        """
        words = match_tokens(text)[:MAX_TOKENS]
        if not words:
            return []
        strong: dict[str, list[_Hit]] = {}
        weak: dict[str, float] = {}
        for pid, keywords in self._keywords.items():
            for keyword in keywords:
                hits, scattered = _keyword_hits(keyword, words)
                if hits:
                    strong.setdefault(pid, []).extend(hits)
                if scattered:
                    weak[pid] = max(weak.get(pid, 0.0), scattered)
        order = self._order
        if strong:
            kept = {}
            for pid, hits in strong.items():
                others = [h for oid, hs in strong.items() if oid != pid for h in hs]
                if all(any(_inside(h.span, o.span) for o in others) for h in hits):
                    continue
                kept[pid] = max(h.score for h in hits)
            return sorted(kept, key=lambda pid: (-kept[pid], order[pid]))
        return sorted(weak, key=lambda pid: (-weak[pid], order[pid]))
