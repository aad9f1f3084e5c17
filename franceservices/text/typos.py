"""Typing errors: the one edit distance and the one tolerance by word length.

A citizen's "Armentiere" is Armentières and "passeprot" is a passport; "rsa" must stay exact.
`damerau_levenshtein` measures how far apart two normalised words are, `allowed_typos` says how
far is still the same word. Both the commune resolver and the procedures matcher use them.
"""

from __future__ import annotations


def damerau_levenshtein(a: str, b: str, max_distance: int | None = None) -> int:
    """Edit distance counting insertions, deletions, substitutions and adjacent transpositions.

    This is the "optimal string alignment" form of Damerau-Levenshtein (a substring is not edited
    twice), which is what typing errors need. With `max_distance`, only a diagonal band is
    computed and any result above it is returned as `max_distance + 1` (callers only care about
    "close enough").
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
    """Typing errors tolerated in a word of `length` letters (spaces not counted).

    Short words must be exact ("rsa", "cni", "lys"): one letter off is another word.
    """
    if length <= 3:
        return 0
    if length <= 7:
        return 1
    if length <= 12:
        return 2
    return 3


class FuzzyIndex:
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
