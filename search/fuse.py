"""Fusing ranked lists from several retrievers (lexical BM25, dense embeddings) into one.

The rule: fuse by rank, not by score. BM25 scores are unbounded and depend on the query's
length and the corpus's statistics, while cosine similarities live in [-1, 1]; a weighted sum
of the two would let whichever scale is larger decide the ranking. Reciprocal rank fusion
(Cormack, Clarke and Büttcher, SIGIR 2009) uses only positions: a passage at rank r of a list
earns weight / (k + r) from it, and its score is the sum over the lists it appears in. A
weighted sum of scores is only sound when every input is normalised to the same range, which
is not the case here.

Properties the tests hold this to: the result does not depend on the order of the input
lists; a passage first in every list is first; a passage at least as well ranked as another
in every list (absence being the worst rank) scores at least as high; scores are positive
and fall with rank.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

DEFAULT_K = 60  # the constant of the original paper; it damps the lead of the very top ranks


@dataclass(frozen=True)
class FusedHit:
    """A passage row after fusion, with its rank in each input list (1-based, None if absent)."""

    index: int
    score: float
    ranks: dict[str, int | None] = field(hash=False)

    @property
    def best_rank(self) -> int:
        """The best (smallest) rank this passage has in any list."""
        return min(r for r in self.ranks.values() if r is not None)


def rrf(
    rankings: Mapping[str, Sequence[int]],
    k: int = DEFAULT_K,
    weights: Mapping[str, float] | None = None,
    limit: int | None = None,
) -> list[FusedHit]:
    """Reciprocal rank fusion of ranked lists of passage rows, best first.

    `rankings` maps a retriever's name to the passage rows it returned, best first; a row
    repeated within one list counts at its first (best) position. A hit's score is the sum,
    over the lists it appears in, of weight / (k + rank), with weight 1 unless `weights`
    says otherwise. Ties are broken by the best single rank, then by the lower row, so the
    output is fully determined. `limit` cuts the result after ordering.

    Raises ValueError for a negative `k`, a negative or non-finite weight, a weight for a
    list that is not in `rankings` (naming the valid lists), or a negative row.
    """
    if k < 0:
        raise ValueError(f"k must be 0 or more, got {k}")
    names = sorted(rankings)  # sorted, so the result cannot depend on the mapping's order
    weights = dict(weights or {})
    unknown = sorted(set(weights) - set(names))
    if unknown:
        raise ValueError(
            f"weights given for unknown lists {unknown}; valid names: {', '.join(names) or '(none)'}"
        )
    for name, weight in weights.items():
        if not math.isfinite(weight) or weight < 0:
            raise ValueError(f"weight for {name!r} must be a finite number, 0 or more; got {weight}")

    ranks: dict[int, dict[str, int]] = {}
    for name in names:
        for position, row in enumerate(rankings[name], start=1):
            row = int(row)  # numpy integers from the retrievers
            if row < 0:
                raise ValueError(f"list {name!r} holds a negative passage row {row}")
            ranks.setdefault(row, {}).setdefault(name, position)

    hits = []
    for row, by_name in ranks.items():
        # fsum is exactly rounded, so the score does not depend on the order of the terms.
        score = math.fsum(weights.get(n, 1.0) / (k + r) for n, r in by_name.items())
        hits.append(FusedHit(row, score, {n: by_name.get(n) for n in names}))
    hits.sort(key=lambda h: (-h.score, h.best_rank, h.index))
    return hits if limit is None else hits[:limit]
