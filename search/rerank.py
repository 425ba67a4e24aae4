"""Reordering the fused candidates by evidence that fusion by rank cannot see.

Reciprocal rank fusion knows only where each list put a passage. Whether one sentence of the
passage carries most of the question's rarer words, whether its heading names the subject,
how close its best sentence is in meaning, whether it is a meeting's record with a named
speaker: these separate the passage that answers from the one that only shares words. A
linear model over them (weights in `rerank.json`, fitted by eval/rerank.py on the project's
own questions, never the shared dev set) orders the candidates; the fused scores are handed
down in the new order, so the speaker and meeting-question lifts applied after it keep their
units.

A model file whose features are not the ones computed here is refused with its path named.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from indexer.errors import ScrutinyError
from indexer.records import Passage
from indexer.vocabulary import MEETING_KINDS

MODEL_PATH = Path(__file__).resolve().parent / "rerank.json"

# The fused lists' ranks enter as 1 / (RANK_K + rank), as in fusion at rrf_k = 10.
RANK_K = 10

FEATURES = (
    "lexical_rank",  # 1 / (10 + rank) in the BM25 list, 0 when absent
    "dense_rank",  # the same in the embedding list
    "lexical_share",  # BM25 score over the best candidate's
    "best_sentence",  # cosine of the passage's closest sentence to the question
    "sentence_gap",  # that cosine minus the best among the candidates
    "coverage",  # share of the question's topic words (by IDF) anywhere in the passage
    "heading_coverage",  # ... in its agenda item's title and section
    "sentence_coverage",  # ... in its single best sentence
    "widened_coverage",  # share of the question's vocabulary terms whose equivalents it holds
    "length",  # log(1 + tokens)
    "meeting_record",  # minutes or meeting notes, not a report or a paper
    "speaker_named",  # someone identified speaks in it
    "fused",  # the fused score itself
)


@dataclass(frozen=True)
class PassageWords:
    """A passage's stemmed words, its heading's, and each sentence's."""

    words: frozenset[str]
    heading: frozenset[str]
    sentences: tuple[frozenset[str], ...]


@dataclass(frozen=True)
class Evidence:
    """What the search knows of its candidates once the lists are fused."""

    rows: Sequence[int]  # fused order, best first
    fused: Sequence[float]
    lexical: Mapping[int, tuple[int, float]]  # row -> (rank, BM25 score)
    dense: Mapping[int, int]  # row -> rank
    best_sentence: Mapping[int, float]  # row -> cosine of its closest sentence
    topic_weights: Mapping[str, float]  # the question's topic stems and their IDF
    widened: Sequence[frozenset[str]]  # the stems of each vocabulary term's equivalents


class Scorer(Protocol):
    def scores(self, rows: Sequence[int], features: np.ndarray) -> np.ndarray:
        """One score per candidate, higher first."""


class WordsOf(Protocol):
    def __call__(self, row: int) -> PassageWords: ...


def candidate_features(evidence: Evidence, passages: Sequence[Passage], words_of: WordsOf) -> np.ndarray:
    """One row of FEATURES per candidate, in the evidence's order."""
    rows = list(evidence.rows)
    if not rows:
        return np.zeros((0, len(FEATURES)))
    weights = evidence.topic_weights
    total = sum(weights.values()) or 1.0
    best_lexical = max((score for _, score in evidence.lexical.values()), default=0.0)
    best_sentence = max((evidence.best_sentence.get(r, 0.0) for r in rows), default=0.0)

    def share(words: frozenset[str]) -> float:
        return sum(w for t, w in weights.items() if t in words) / total

    table = np.zeros((len(rows), len(FEATURES)))
    for n, (row, fused) in enumerate(zip(rows, evidence.fused)):
        passage, found = passages[row], words_of(row)
        lexical_rank, lexical_score = evidence.lexical.get(row, (None, 0.0))
        dense_rank = evidence.dense.get(row)
        sentence = evidence.best_sentence.get(row, 0.0)
        widened = evidence.widened
        table[n] = (
            1 / (RANK_K + lexical_rank) if lexical_rank else 0.0,
            1 / (RANK_K + dense_rank) if dense_rank else 0.0,
            lexical_score / best_lexical if best_lexical > 0 else 0.0,
            sentence,
            sentence - best_sentence,
            share(found.words),
            share(found.heading),
            max((share(s) for s in found.sentences), default=0.0),
            sum(1 for e in widened if e & found.words) / len(widened) if widened else 0.0,
            math.log1p(passage.tokens),
            float(passage.document_kind in MEETING_KINDS),
            float(bool(passage.speakers)),
            fused,
        )
    return table


@dataclass(frozen=True)
class LinearModel:
    """Standardised features, one weight each: the scorer eval/rerank.py fits."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float = 0.0
    # A question whose best candidate scores below this has no passage the model trusts:
    # the search says so (`weak`) and `ask` declines. None: the engine's older rule decides.
    weak_below: float | None = None

    def scores(self, rows: Sequence[int], features: np.ndarray) -> np.ndarray:
        return ((features - self.mean) / self.scale) @ self.weights + self.bias

    def to_json(self, trained_on: str) -> dict[str, object]:
        return {
            "features": list(FEATURES), "trained_on": trained_on,
            "mean": self.mean.tolist(), "scale": self.scale.tolist(),
            "weights": self.weights.tolist(), "bias": self.bias, "weak_below": self.weak_below,
        }


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_PATH) -> LinearModel:
    """The fitted model; a missing, unreadable or out-of-date file is refused by name."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ScrutinyError(f"Cannot read the reranking model {path}: {exc}") from exc
    if tuple(data.get("features", ())) != FEATURES:
        raise ScrutinyError(
            f"The reranking model {path} was fitted on other features; refit it with `python -m eval.rerank`"
        )
    arrays = [np.asarray(data[key], dtype=np.float64) for key in ("mean", "scale", "weights")]
    if any(a.shape != (len(FEATURES),) for a in arrays) or not all(np.isfinite(a).all() for a in arrays):
        raise ScrutinyError(f"The reranking model {path} is damaged; refit it with `python -m eval.rerank`")
    mean, scale, weights = arrays
    weak_below = data.get("weak_below")
    if weak_below is not None and not (isinstance(weak_below, (int, float)) and math.isfinite(weak_below)):
        raise ScrutinyError(f"The reranking model {path} is damaged; refit it with `python -m eval.rerank`")
    return LinearModel(mean, np.where(scale > 0, scale, 1.0), weights, float(data.get("bias", 0.0)),
                       None if weak_below is None else float(weak_below))


def reorder(evidence: Evidence, predicted: Sequence[float]) -> list[tuple[int, float]]:
    """(row, score) best first: the order of the scorer's `predicted` scores, with the fused
    scores handed down in it (the first place keeps the best fused score, and so on). Ties
    keep the fused order."""
    if not len(evidence.rows):
        return []
    order = sorted(range(len(evidence.rows)), key=lambda n: (-predicted[n], n))
    handed_down = sorted(evidence.fused, reverse=True)
    return [(int(evidence.rows[n]), float(score)) for n, score in zip(order, handed_down)]
