"""The search backend seam: where passages' lexical and dense vectors live and are ranked.

Two implementations stand behind one interface:

* `EmbeddedBackend` (the default): bm25s and FAISS in the index folder, in this process.
* `indexer.qdrant.QdrantBackend`: a Qdrant collection, on a server or cluster, or in
  process (`memory`, or a folder) for tests and small corpora.

A backend ranks; it does not fuse. `search` returns the lexical and the dense ranking of
the passages that meet a `Where`, each cut to k after filtering, and the caller fuses them
(search.fuse), so both backends give the same hits for the same rankings.

Passages are keyed by `Passage.id`. A backend stores beside each passage the payload
`payload(passage, date_range)` gives: the fields a `Where` constrains, as plain values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

import numpy as np

from indexer.dense import build_dense_index, search_dense
from indexer.errors import ScrutinyError
from indexer.lexical import LexicalIndex
from indexer.people import speaker_names, speaker_roles
from indexer.records import Passage

BACKENDS = ("embedded", "qdrant")

# Alternative phrases for one query term, and the weight of the best of them in BM25.
Expansions = tuple[Sequence[str], float]


@dataclass(frozen=True)
class Where:
    """Constraints on stored payloads, each a set of allowed values; None means any.

    An empty tuple allows nothing (a body filter that fits no body of the index). Dates
    compare a passage's date span [date_first, date_last] (one day unless its date was
    inferred) with [since, until]; a passage without a date never meets a date bound.
    search.filters.where turns a researcher's Filters into one.
    """

    kinds: tuple[str, ...] | None = None
    areas: tuple[str, ...] | None = None
    bodies: tuple[str, ...] | None = None
    sources: tuple[str, ...] | None = None
    roles: tuple[str, ...] | None = None  # a speaker holding any of these offices
    names: tuple[str, ...] | None = None  # a speaker with any of these name keys
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class Ranked:
    """One search's rankings: passage ids with their scores, best first."""

    lexical: tuple[tuple[str, float], ...] = ()
    dense: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class BackendChoice:
    """Which backend holds the vectors, as recorded in the index manifest."""

    name: str = "embedded"
    url: str | None = None  # qdrant: http(s)://host:port, "memory", or a folder
    collection: str | None = None
    quantize: bool = False  # qdrant: int8 scalar quantisation of the dense vectors
    shards: int | None = None  # qdrant cluster: shards of a new collection (server default: 1 per node)
    replicas: int | None = None  # qdrant cluster: copies of each shard (replication factor)

    def __post_init__(self) -> None:
        if self.name not in BACKENDS:
            raise ScrutinyError(f"backend: unknown backend {self.name!r}; use one of {', '.join(BACKENDS)}")
        if self.name == "qdrant" and not self.url:
            raise ScrutinyError(
                "backend qdrant needs an address: pass --qdrant-url URL (or set SCRUTINY_QDRANT_URL); "
                "`memory` or a folder path run Qdrant in this process"
            )

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "url": self.url, "collection": self.collection, "quantize": self.quantize,
                "shards": self.shards, "replicas": self.replicas}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> BackendChoice:
        if not data:
            return cls()
        return cls(str(data.get("name", "embedded")), data.get("url"), data.get("collection"), bool(data.get("quantize")),
                   data.get("shards"), data.get("replicas"))


class SearchBackend(Protocol):
    """Where passages and their vectors are stored and ranked."""

    def add(self, passages: Sequence[Passage], vectors: np.ndarray,
            date_ranges: Mapping[str, tuple[date, date]] | None = None) -> None:
        """Store passages (re-adding a passage replaces it); vectors row i is passage i."""

    def delete(self, source: str) -> None:
        """Remove every passage of one source file."""

    def search(self, text: str, vector: np.ndarray | None, k: int, where: Where | None = None,
               mode: str = "hybrid", expansions: Sequence[Expansions] = ()) -> Ranked:
        """The k best passages meeting `where`, by BM25 over `text` (widened by `expansions`,
        as indexer.lexical.LexicalIndex.expanded_scores) and by cosine to `vector`."""

    def count(self) -> int:
        """How many passages are stored."""

    def close(self) -> None:
        """Release connections and files."""


# -- payloads ------------------------------------------------------------------------

def name_key(tokens: Sequence[str]) -> str:
    """A person's name words as one stored value: ("tim", "smith") → "tim smith"."""
    return " ".join(tokens)


def payload(passage: Passage, date_range: tuple[date, date] | None = None) -> dict[str, Any]:
    """What a backend stores beside a passage for filtering, as JSON values.

    `date_range` is the passage's document's range, used when the passage's date was inferred
    (the rule of search.filters: an inferred date matches where its range overlaps).
    """
    first = last = passage.meeting_date
    if passage.meeting_date is not None and passage.date_inferred and date_range is not None:
        first, last = date_range
    roles = sorted({r for s in passage.speakers for r in speaker_roles(s)})
    names = sorted({name_key(t) for s in passage.speakers for t in speaker_names(s)})
    return {
        "passage_id": passage.id,
        "source": passage.source,
        "kind": passage.document_kind,
        "body": passage.body,
        "area": passage.area,
        "meeting_date": passage.meeting_date.isoformat() if passage.meeting_date else None,
        "date_first": first.isoformat() if first else None,
        "date_last": last.isoformat() if last else None,
        "roles": roles,
        "names": names,
    }


def meets(stored: Mapping[str, Any], where: Where | None) -> bool:
    """Whether a stored payload meets `where`: the rule every backend applies."""
    if where is None:
        return True
    for key, allowed in (("kind", where.kinds), ("area", where.areas), ("body", where.bodies),
                         ("source", where.sources)):
        if allowed is not None and stored.get(key) not in allowed:
            return False
    if where.roles is not None and not set(where.roles) & set(stored.get("roles") or ()):
        return False
    if where.names is not None and not set(where.names) & set(stored.get("names") or ()):
        return False
    if where.since is not None or where.until is not None:
        if stored.get("date_first") is None:
            return False
        if where.since is not None and date.fromisoformat(stored["date_last"]) < where.since:
            return False
        if where.until is not None and date.fromisoformat(stored["date_first"]) > where.until:
            return False
    return True


# -- the embedded backend ------------------------------------------------------------

@dataclass(eq=False)
class EmbeddedBackend:
    """bm25s and FAISS over passages held in this process (the default backend).

    The index folder builds and loads these structures itself (indexer.store); this class
    serves them through the seam, and builds them afresh after `add` or `delete`.
    """

    bm25_k1: float = 1.5
    bm25_b: float = 0.75
    bm25_method: str = "lucene"
    _passages: list[Passage] = field(default_factory=list)
    _payloads: list[dict[str, Any]] | None = None
    _ranges: dict[str, tuple[date, date]] = field(default_factory=dict)
    _vectors: list[np.ndarray] = field(default_factory=list)
    _lexical: LexicalIndex | None = None
    _dense: Any = None

    @classmethod
    def over(cls, passages: Sequence[Passage], vectors: np.ndarray, lexical: LexicalIndex, dense: Any,
             date_ranges: Mapping[str, tuple[date, date]] | None = None) -> EmbeddedBackend:
        """Serve an index already built (a loaded index folder) without rebuilding it."""
        backend = cls(lexical.k1, lexical.b, lexical.method)
        backend._set(passages, vectors, date_ranges)
        backend._lexical, backend._dense = lexical, dense
        return backend

    def _set(self, passages: Iterable[Passage], vectors: Iterable[np.ndarray],
             date_ranges: Mapping[str, tuple[date, date]] | None) -> None:
        self._ranges = dict(date_ranges or {})
        self._passages = list(passages)
        self._vectors = list(vectors)
        self._payloads = None  # made when a search first needs them
        self._lexical = self._dense = None

    def _stored(self) -> list[dict[str, Any]]:
        if self._payloads is None:
            self._payloads = [payload(p, self._ranges.get(p.document_id)) for p in self._passages]
        return self._payloads

    def add(self, passages: Sequence[Passage], vectors: np.ndarray,
            date_ranges: Mapping[str, tuple[date, date]] | None = None) -> None:
        if len(passages) != len(vectors):
            raise ValueError(f"{len(passages)} passages but {len(vectors)} vectors")
        new = {p.id for p in passages}
        kept = [(p, v) for p, v in zip(self._passages, self._vectors) if p.id not in new]
        pairs = kept + list(zip(passages, np.asarray(vectors, dtype=np.float32)))
        self._set((p for p, _ in pairs), (v for _, v in pairs), {**self._ranges, **(date_ranges or {})})

    def delete(self, source: str) -> None:
        pairs = [(p, v) for p, v in zip(self._passages, self._vectors) if p.source != source]
        self._set((p for p, _ in pairs), (v for _, v in pairs), self._ranges)

    def _built(self) -> tuple[LexicalIndex, Any]:
        if self._lexical is None or self._dense is None:
            self._lexical = LexicalIndex.build([p.index_text for p in self._passages], k1=self.bm25_k1,
                                               b=self.bm25_b, method=self.bm25_method)
            dim = self._vectors[0].shape[0] if self._vectors else 1
            matrix = np.stack(self._vectors) if self._vectors else np.zeros((0, dim), dtype=np.float32)
            self._dense = build_dense_index(matrix)
        return self._lexical, self._dense

    def search(self, text: str, vector: np.ndarray | None, k: int, where: Where | None = None,
               mode: str = "hybrid", mask: np.ndarray | None = None, expansions: Sequence[Expansions] = ()) -> Ranked:
        """As SearchBackend.search; `mask` (one bool per passage, in order) replaces `where`."""
        lexical, dense = self._built()
        if mask is None and where is not None:
            mask = np.fromiter((meets(s, where) for s in self._stored()), dtype=bool, count=len(self._passages))
        passages = self._passages
        lex: tuple[tuple[str, float], ...] = ()
        den: tuple[tuple[str, float], ...] = ()
        if mode in ("hybrid", "lexical"):
            rows, scores = lexical.top(text, k, mask, expansions)
            lex = tuple((passages[r].id, float(s)) for r, s in zip(rows, scores))
        if mode in ("hybrid", "dense") and vector is not None and self._passages:
            rows, scores = search_dense(dense, vector, k, mask)
            den = tuple((passages[r].id, float(s)) for r, s in zip(rows, scores))
        return Ranked(lex, den)

    def count(self) -> int:
        return len(self._passages)

    def close(self) -> None:
        self._lexical = self._dense = None
