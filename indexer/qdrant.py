"""Passages in a Qdrant collection: the search backend for more records than one machine holds.

Collection design (one collection per index, "scrutiny" unless the manifest names another):

* `dense`: a named vector, the embedder's dimension, cosine distance; with `quantize`,
  int8 scalar quantisation (a quarter of the memory; originals kept on disk for rescoring).
* `bm25`: a sparse vector from this project's own tokenizer and stemmer (indexer.lexical),
  one dimension per word (a stable 32-bit hash of the stem). A passage's value for a word
  is BM25's term-frequency part, tf / (tf + k1 (1 - b + b dl / avgdl)); the collection's
  IDF modifier multiplies it by log(1 + (N - df + 0.5) / (df + 0.5)) at query time, on the
  server. That is Lucene's BM25, the embedded index's scoring (bm25s, method "lucene"), so
  lexical matches agree between the two backends.
* Payload (indexer.backend.payload) with indexes on meeting_date, date_first and date_last
  (datetime), roles and names of the speakers, body, area, kind and source (keyword).
* Point ids are UUIDs derived from the source file and the passage's id (its document and
  position), the same on every run: re-indexing a file upserts its points, and its
  passages are deleted by source when it is removed.
* The collection's metadata records the format, the embedder's fingerprint, the tokenizer
  and the BM25 parameters; a collection made differently is refused, in one line.

Every search sends the filter inside each request, so it applies before the top k are
cut, as in the embedded index. Both rankings travel in one batch request; fusion is left to
the caller (search.fuse): Qdrant's weighted RRF divides a rank by its weight, where
Scrutiny multiplies the reciprocal rank, and the two orderings differ (see the README).
"""

from __future__ import annotations

import atexit
import hashlib
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any

import numpy as np

from indexer.backend import BackendChoice, Expansions, Ranked, Where, payload
from indexer.errors import ScrutinyError, one_line
from indexer.lexical import TOKENIZER_VERSION, tokenize
from indexer.records import Passage

COLLECTION = "scrutiny"
COLLECTION_FORMAT = 1  # bump when the vectors or payload change shape
DENSE = "dense"
SPARSE = "bm25"
BATCH = 256  # points per upsert request: small enough for a server's request size limit
TIMEOUT_S = 30
# How much deeper than k each query of an expanded search goes: a passage's combined score
# is exact when every part that scores it returned it.
EXPANSION_DEPTH = 4
KEYWORD_FIELDS = ("kind", "body", "area", "source", "roles", "names", "passage_id")
DATETIME_FIELDS = ("meeting_date", "date_first", "date_last")
_POINT_NAMESPACE = uuid.UUID("6f1d3c52-8a0e-4d55-9a57-3d1f0c2b7e91")
SERVER_HELP = 'start it (README, "Scaling out on Qdrant") or pass another --qdrant-url'


def _models() -> Any:
    try:
        from qdrant_client import models
    except ImportError as exc:
        raise ScrutinyError(
            "The qdrant backend needs qdrant-client: run `pip install -e '.[qdrant]'`, or index with --backend embedded"
        ) from exc
    return models


def token_id(token: str) -> int:
    """A word's sparse dimension: a stable 32-bit hash, the same in every process."""
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=4).digest(), "big")


def sparse_document(tokens: Sequence[str], avgdl: float, k1: float, b: float) -> tuple[list[int], list[float]]:
    """BM25's term-frequency part for each word of a passage (the server applies the IDF)."""
    counts = Counter(tokens)
    norm = k1 * (1 - b + b * len(tokens) / avgdl) if avgdl > 0 else k1
    ids = sorted(counts, key=token_id)
    return [token_id(t) for t in ids], [counts[t] / (counts[t] + norm) for t in ids]


def sparse_query(text: str) -> tuple[list[int], list[float]]:
    """A query's words, each weighted by how often it is typed (as bm25s sums them)."""
    return sparse_query_tokens(tokenize(text))


def sparse_query_tokens(tokens: Sequence[str]) -> tuple[list[int], list[float]]:
    counts = Counter(tokens)
    ids = sorted(counts, key=token_id)
    return [token_id(t) for t in ids], [float(counts[t]) for t in ids]


def point_id(source: str, passage_id: str) -> str:
    return str(uuid.uuid5(_POINT_NAMESPACE, f"{source}\x00{passage_id}"))


def _stamp(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.utc)


def _is_remote(url: str) -> bool:
    return url.startswith(("http://", "https://"))


def qdrant_filter(where: Where | None) -> Any:
    """The Qdrant filter for `where` (None for no constraint). An empty set of allowed
    values cannot be expressed as a match, so `search` answers it without asking."""
    models = _models()
    if where is None:
        return None
    must: list[Any] = []
    for key, allowed in (("kind", where.kinds), ("area", where.areas), ("body", where.bodies),
                         ("source", where.sources), ("roles", where.roles), ("names", where.names)):
        if allowed is not None:
            must.append(models.FieldCondition(key=key, match=models.MatchAny(any=list(allowed))))
    if where.since is not None:
        must.append(models.FieldCondition(key="date_last", range=models.DatetimeRange(gte=_stamp(where.since))))
    if where.until is not None:
        must.append(models.FieldCondition(key="date_first", range=models.DatetimeRange(lte=_stamp(where.until))))
    return models.Filter(must=must) if must else None


def _allows_nothing(where: Where | None) -> bool:
    if where is None:
        return False
    sets = (where.kinds, where.areas, where.bodies, where.sources, where.roles, where.names)
    return any(s is not None and not s for s in sets)


class QdrantBackend:
    """A Qdrant collection behind the search backend seam (indexer.backend.SearchBackend)."""

    def __init__(self, client: Any, choice: BackendChoice, collection: str, avgdl: float, k1: float, b: float) -> None:
        self._client = client
        self.choice = choice
        self.collection = collection
        self.avgdl = avgdl
        self.k1 = k1
        self.b = b

    # -- opening -----------------------------------------------------------------------

    @classmethod
    def ping(cls, choice: BackendChoice) -> None:
        """ScrutinyError, in one line, unless the server (or local folder) answers; touches nothing."""
        url = choice.url or ""
        client = _client(url)
        try:
            client.collection_exists(choice.collection or COLLECTION)
        except Exception as exc:  # connection refused, timeout, TLS, a proxy's error page
            raise ScrutinyError(f"Qdrant at {url} did not answer ({one_line(exc)}): {SERVER_HELP}") from exc
        finally:
            _release(url, client)  # a shared local client stays open for its other users

    @classmethod
    def open(
        cls,
        choice: BackendChoice,
        *,
        dim: int,
        fingerprint: str,
        k1: float = 1.5,
        b: float = 0.75,
        create: bool = False,
        recreate: bool = False,
    ) -> QdrantBackend:
        """Connect and check the collection; with `create`, make it when missing, and with
        `recreate`, drop and make it afresh. ScrutinyError, in one line, when the server is
        unreachable or the collection was made with another model or format."""
        url = choice.url or ""
        collection = choice.collection or COLLECTION
        client = _client(url)
        expected = {
            "scrutiny_format": COLLECTION_FORMAT,
            "embedder": fingerprint,
            "dim": dim,
            "tokenizer": TOKENIZER_VERSION,
            "bm25_k1": k1,
            "bm25_b": b,
        }
        where = f"the Qdrant collection {collection!r} at {url}"
        try:
            exists = client.collection_exists(collection)
            if exists and recreate:
                client.delete_collection(collection)
                exists = False
            if not exists:
                if not create:
                    raise ScrutinyError(f"{where} does not exist: run `scrutiny index` to build it")
                _create(client, collection, dim, choice, {**expected, "avgdl": 0.0}, _is_remote(url))
            info = client.get_collection(collection)
        except ScrutinyError:
            _release(url, client)  # a shared local client stays open for its other users
            raise
        except Exception as exc:  # connection refused, timeout, TLS, a proxy's error page
            _release(url, client)  # a shared local client stays open for its other users
            raise ScrutinyError(f"Qdrant at {url} did not answer ({one_line(exc)}): {SERVER_HELP}") from exc
        metadata = dict(info.config.metadata or {})
        for key, value in expected.items():
            if metadata.get(key) != value:
                _release(url, client)  # a shared local client stays open for its other users
                raise ScrutinyError(
                    f"{where} was made with {key}={metadata.get(key)!r}, this index needs {value!r}: "
                    "run `scrutiny index --rebuild` to recreate it, or choose another collection"
                )
        return cls(client, choice, collection, float(metadata.get("avgdl") or 0.0), k1, b)

    def set_avgdl(self, avgdl: float) -> bool:
        """Record the corpus's average passage length; True when stored passages were weighted
        with one more than 1% away, so they should be added again."""
        stale = self.avgdl > 0 and abs(self.avgdl - avgdl) > 0.01 * avgdl
        if self.avgdl == 0 or stale:
            self._call(lambda: self._client.update_collection(
                self.collection, metadata={"avgdl": float(avgdl)}))
        self.avgdl = float(avgdl)
        return stale

    def _call(self, request: Any) -> Any:
        try:
            return request()
        except ScrutinyError:
            raise
        except Exception as exc:
            raise ScrutinyError(
                f"Qdrant at {self.choice.url} failed on collection {self.collection!r} ({one_line(exc)}): {SERVER_HELP}"
            ) from exc

    # -- the seam ----------------------------------------------------------------------

    def add(self, passages: Sequence[Passage], vectors: np.ndarray,
            date_ranges: Mapping[str, tuple[date, date]] | None = None) -> None:
        if len(passages) != len(vectors):
            raise ValueError(f"{len(passages)} passages but {len(vectors)} vectors")
        if not passages:
            return
        if self.avgdl <= 0:
            self.set_avgdl(float(np.mean([len(tokenize(p.index_text)) for p in passages])) or 1.0)
        models = _models()
        ranges = date_ranges or {}
        for start in range(0, len(passages), BATCH):
            points = list(self._points(passages[start:start + BATCH], vectors[start:start + BATCH], ranges, models))
            self._call(lambda: self._client.upsert(self.collection, points=points, wait=True))

    def _points(self, passages: Sequence[Passage], vectors: np.ndarray,
                ranges: Mapping[str, tuple[date, date]], models: Any) -> Iterator[Any]:
        for passage, vector in zip(passages, vectors):
            stored = payload(passage, ranges.get(passage.document_id))
            for key in DATETIME_FIELDS:
                if stored[key] is not None:
                    stored[key] = _stamp(date.fromisoformat(stored[key])).isoformat()
            indices, values = sparse_document(tokenize(passage.index_text), self.avgdl, self.k1, self.b)
            yield models.PointStruct(
                id=point_id(passage.source, passage.id),
                vector={DENSE: np.asarray(vector, dtype=np.float32).tolist(),
                        SPARSE: models.SparseVector(indices=indices, values=values)},
                payload=stored,
            )

    def delete(self, source: str) -> None:
        models = _models()
        selector = models.FilterSelector(filter=models.Filter(
            must=[models.FieldCondition(key="source", match=models.MatchValue(value=source))]))
        self._call(lambda: self._client.delete(self.collection, points_selector=selector, wait=True))

    def search(self, text: str, vector: np.ndarray | None, k: int, where: Where | None = None,
               mode: str = "hybrid", expansions: Sequence[Expansions] = ()) -> Ranked:
        """As SearchBackend.search. Expansions score a passage by the best of a term's
        alternatives (a maximum, which one sparse query cannot express): each alternative is
        its own sparse query in the same batch, EXPANSION_DEPTH times as deep; every part
        is then scored again on all the passages any part returned, and the parts are
        combined here as indexer.lexical combines them."""
        if k <= 0 or _allows_nothing(where):
            return Ranked()
        models = _models()
        flt = qdrant_filter(where)
        requests: list[tuple[str, Any]] = []
        lexical = mode in ("hybrid", "lexical")
        typed = set(tokenize(text))
        widened = [(alts, w) for alts, w in expansions if w > 0] if lexical else []
        depth = k * EXPANSION_DEPTH if widened else k

        def sparse(name: str, indices: list[int], values: list[float]) -> None:
            requests.append((name, models.QueryRequest(
                query=models.SparseVector(indices=indices, values=values), using=SPARSE, filter=flt,
                limit=depth, with_payload=["passage_id"])))

        indices, values = sparse_query(text)
        if lexical and indices:
            sparse("typed", indices, values)
        for e, (alternatives, _) in enumerate(widened):
            for a, phrase in enumerate(alternatives):
                ids, vals = sparse_query_tokens([t for t in tokenize(phrase) if t not in typed])
                if ids:
                    sparse(f"alt:{e}:{a}", ids, vals)
        if mode in ("hybrid", "dense") and vector is not None:
            requests.append(("dense", models.QueryRequest(
                query=np.asarray(vector, dtype=np.float32).tolist(), using=DENSE, filter=flt,
                limit=k, with_payload=["passage_id"])))
        if not requests:
            return Ranked()
        responses = self._call(lambda: self._client.query_batch_points(
            self.collection, requests=[r for _, r in requests], timeout=TIMEOUT_S))
        scores: dict[str, dict[str, float]] = {}
        points: dict[str, Any] = {}  # passage id -> point id, of every lexical candidate
        for (name, _), response in zip(requests, responses):
            scores[name] = {p.payload["passage_id"]: float(p.score) for p in response.points}
            if name != "dense":
                points.update((p.payload["passage_id"], p.id) for p in response.points)
        if widened and points:
            # Every part scored on every candidate, so no candidate's total misses a part
            # that fell below another part's cut.
            scores.update(self._rescore(requests, flt, list(points.values()), models))
        total: dict[str, float] = dict(scores.get("typed", {}))
        for e, (_, weight) in enumerate(widened):
            best: dict[str, float] = {}
            for name, found in scores.items():
                if name.startswith(f"alt:{e}:"):
                    for pid, score in found.items():
                        best[pid] = max(best.get(pid, 0.0), score)
            for pid, score in best.items():
                total[pid] = total.get(pid, 0.0) + weight * score
        # Best first; ties by passage id, so the order does not depend on the shard layout.
        lexical_hits = sorted(((p, s) for p, s in total.items() if s > 0), key=lambda h: (-h[1], h[0]))[:k]
        dense_hits = sorted(scores.get("dense", {}).items(), key=lambda h: (-h[1], h[0]))
        return Ranked(tuple(lexical_hits), tuple(dense_hits))

    def _rescore(self, requests: Sequence[tuple[str, Any]], flt: Any, ids: list[Any], models: Any) -> dict[str, dict[str, float]]:
        """The lexical parts of a search again, on the candidate points only."""
        only = models.HasIdCondition(has_id=ids)
        narrowed = models.Filter(must=[*(flt.must if flt is not None else []), only])
        parts = [(name, r) for name, r in requests if name != "dense"]
        again = [r.model_copy(update={"filter": narrowed, "limit": len(ids)}) for _, r in parts]
        responses = self._call(lambda: self._client.query_batch_points(self.collection, requests=again, timeout=TIMEOUT_S))
        return {name: {p.payload["passage_id"]: float(p.score) for p in response.points}
                for (name, _), response in zip(parts, responses)}

    def search_fused(self, text: str, vector: np.ndarray, k: int, where: Where | None = None,
                     depth: int = 50, rrf_k: int = 10, dense_weight: float = 0.3) -> list[str]:
        """Passage ids as Qdrant's own fusion orders them: both rankings as prefetches (the
        filter in each), reciprocal rank fusion on the server. For comparison (eval/bench.py)."""
        if _allows_nothing(where):
            return []
        models = _models()
        flt = qdrant_filter(where)
        indices, values = sparse_query(text)
        prefetch = [
            models.Prefetch(query=models.SparseVector(indices=indices, values=values), using=SPARSE,
                            filter=flt, limit=depth),
            models.Prefetch(query=np.asarray(vector, dtype=np.float32).tolist(), using=DENSE, filter=flt, limit=depth),
        ]
        response = self._call(lambda: self._client.query_points(
            self.collection, prefetch=prefetch, query=models.RrfQuery(rrf=models.Rrf(k=rrf_k, weights=[1.0, dense_weight])),
            limit=k, with_payload=["passage_id"], timeout=TIMEOUT_S))
        return [p.payload["passage_id"] for p in response.points]

    def count(self) -> int:
        return int(self._call(lambda: self._client.count(self.collection, exact=True)).count)

    def sources(self) -> dict[str, int]:
        """How many passages each source has in the collection."""
        counts: Counter[str] = Counter()
        offset = None
        while True:
            points, offset = self._call(lambda: self._client.scroll(
                self.collection, limit=1024, offset=offset, with_payload=["source"], with_vectors=False))
            counts.update(p.payload["source"] for p in points)
            if offset is None:
                return dict(counts)

    def close(self) -> None:
        _release(self.choice.url or "", self._client)


# -- clients -------------------------------------------------------------------------

# Qdrant's local mode locks its folder: one client per folder, shared in this process.
# "memory" is shared too, so an index written and then searched in one process (tests,
# the evaluation) sees the same collection.
_local: dict[str, tuple[Any, int]] = {}


@atexit.register
def _close_local() -> None:
    """Close local-mode clients while the interpreter can still run their clean-up (left to
    the garbage collector at exit, they print an ignored exception)."""
    for client, _ in list(_local.values()):
        try:
            client.close()
        except Exception:  # nothing more can be done at exit
            pass
    _local.clear()


def _client(url: str) -> Any:
    _models()
    from qdrant_client import QdrantClient

    if _is_remote(url):
        # check_compatibility off: its warning would add a second line to a one-line error;
        # the collection's own metadata is checked instead.
        return QdrantClient(url=url, timeout=TIMEOUT_S, check_compatibility=False)
    key = url if url == "memory" else str(Path(url).expanduser().resolve())
    if key in _local:
        client, users = _local[key]
        _local[key] = (client, users + 1)
        return client
    try:
        client = QdrantClient(":memory:") if url == "memory" else QdrantClient(path=key)
    except Exception as exc:  # a folder locked by another process, or not writable
        raise ScrutinyError(f"Qdrant local folder {url} could not be opened ({one_line(exc)}): "
                            "close the other program using it, or choose another folder") from exc
    _local[key] = (client, 1)
    return client


def _release(url: str, client: Any) -> None:
    if _is_remote(url):
        client.close()
        return
    key = url if url == "memory" else str(Path(url).expanduser().resolve())
    entry = _local.get(key)
    if entry is None:
        return
    if entry[1] <= 1 and url != "memory":  # memory lives for the process, like a server
        del _local[key]
        client.close()
    else:
        _local[key] = (entry[0], max(entry[1] - 1, 1))


def _create(client: Any, collection: str, dim: int, choice: BackendChoice, metadata: dict[str, Any], remote: bool) -> None:
    models = _models()
    quantization = None
    if choice.quantize:
        quantization = models.ScalarQuantization(
            scalar=models.ScalarQuantizationConfig(type=models.ScalarType.INT8, quantile=0.99, always_ram=True))
    client.create_collection(
        collection,
        # Quantised: int8 copies in memory, the float originals on disk for rescoring.
        vectors_config={DENSE: models.VectorParams(size=dim, distance=models.Distance.COSINE, on_disk=choice.quantize or None)},
        sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
        quantization_config=quantization,
        metadata=metadata,
        # A cluster spreads the shards over its nodes and keeps `replicas` copies of each;
        # local mode has neither and is given neither.
        **({"shard_number": choice.shards, "replication_factor": choice.replicas} if remote else {}),
    )
    if not remote:
        return  # local mode scans every point: payload indexes are a server's
    for key in KEYWORD_FIELDS:
        client.create_payload_index(collection, key, field_schema=models.PayloadSchemaType.KEYWORD)
    for key in DATETIME_FIELDS:
        client.create_payload_index(collection, key, field_schema=models.PayloadSchemaType.DATETIME)
