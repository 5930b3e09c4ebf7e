"""Candidate generation: an in-process inverted index of name keys, ranked by summed IDF.

logic-v2 is accurate but costs a fraction of a millisecond per pair, so a screening cannot
compare a query with every listed party. Like yente's search step, this index picks the few
parties that share rare name evidence with the query, and only those are scored.

Keys are derived from the same rigour name analysis logic-v2 uses, so both see a name alike:

- ``t:`` a name part's comparable (latinised, lower-case) form, and ``t:`` of two adjacent
  parts joined ("Abdul Rahman" meets "Abdulrahman");
- ``p:`` a part's metaphone, for spelling variants ("Mohamed" / "Muhammad");
- ``s:`` rigour's name symbols, which join a given name across scripts and spellings
  ("Владимир" / "Vladimir"; Arabic script to its Latin forms);
- ``i:`` a normalised identifier (passport, registration number...).

Legal forms ("LLC", "AG") and stop words ("al", "bin") add no key: they are in too many
names to tell parties apart, and logic-v2 still sees them when it scores.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Iterable, Sequence

import numpy as np
import numpy.typing as npt
from rigour.ids import StrictFormat
from rigour.names import Name, NamePartTag, SymbolCategory
from rigour.text import ascii_text

# Relative weight of each kind of key in the candidate score: an exact part outranks a
# sound-alike, and a shared identifier outranks any single name part.
KEY_WEIGHTS = {"t": 1.0, "p": 0.5, "s": 0.6, "g": 0.2, "i": 3.0}
_SKIP_PARTS = (NamePartTag.STOP, NamePartTag.LEGAL)
_SKIP_SYMBOLS = (SymbolCategory.ORG_CLASS, SymbolCategory.INITIAL)


def name_keys(names: Iterable[Name]) -> set[str]:
    """The index keys of a party's (or a query's) analysed names."""
    keys: set[str] = set()
    for name in names:
        parts = [p for p in name.parts if p.tag not in _SKIP_PARTS] or list(name.parts)
        forms: list[str] = []
        for part in parts:
            forms.extend(_forms(part.comparable, latin=part.ascii is not None))
            if part.metaphone is not None and len(part.metaphone) > 1:
                keys.add(f"p:{part.metaphone}")
        keys.update(f"t:{form}" for form in forms if len(form) > 1)
        every = [part.comparable for part in name.parts]
        keys.update(f"t:{a}{b}" for a, b in itertools.pairwise(every))
        keys.update(f"s:{sym}" for sym in name.symbols if sym.category not in _SKIP_SYMBOLS)
        keys.update(_trigrams("".join(forms)))
    return keys


def _trigrams(text: str) -> set[str]:
    """Letter trigrams of a name run together: they survive a typo or a missing space."""
    padded = f"^{text}$"
    return {f"g:{padded[i : i + 3]}" for i in range(len(padded) - 2)}


def _forms(comparable: str, *, latin: bool) -> list[str]:
    """A part's searchable forms; scripts rigour keeps as they are (CJK) get a transliteration."""
    if latin:
        return [comparable]
    return [comparable, *(t for t in ascii_text(comparable).lower().split() if t.isalnum())]


def identifier_keys(values: Iterable[str]) -> set[str]:
    keys: set[str] = set()
    for value in values:
        normal = StrictFormat.normalize(value)
        if normal is not None and len(normal) > 3:
            keys.add(f"i:{normal}")
    return keys


class CandidateIndex:
    """Postings of key -> party positions, and an IDF weight per key."""

    def __init__(self, key_sets: Sequence[Collection[str]]) -> None:
        postings: dict[str, list[int]] = {}
        for position, keys in enumerate(key_sets):
            for key in keys:
                postings.setdefault(key, []).append(position)
        total = max(len(key_sets), 1)
        self._size = len(key_sets)
        self._postings = {k: np.asarray(v, dtype=np.int32) for k, v in postings.items()}
        self._weights = {
            k: KEY_WEIGHTS[k[0]] * math.log(1 + total / len(v)) for k, v in postings.items()
        }

    def __len__(self) -> int:
        return self._size

    def rank(
        self,
        keys: Collection[str],
        allowed: npt.NDArray[np.bool_],
        depth: int,
        min_share: float = 0.0,
    ) -> list[tuple[int, float]]:
        """The ``depth`` allowed parties with the highest summed weight of shared keys, among
        those sharing at least ``min_share`` of the weight the query's keys could reach."""
        if self._size == 0:
            return []
        scores = np.zeros(self._size, dtype=np.float32)
        reachable = 0.0
        for key in keys:
            positions = self._postings.get(key)
            if positions is not None:
                scores[positions] += self._weights[key]
                reachable += self._weights[key]
        scores[~allowed] = 0.0
        hits = np.flatnonzero(scores >= max(min_share * reachable, 1e-6))
        if len(hits) > depth:
            hits = hits[np.argpartition(-scores[hits], depth - 1)[:depth]]
        order = hits[np.argsort(-scores[hits], kind="stable")]
        return [(int(i), float(scores[i])) for i in order]
