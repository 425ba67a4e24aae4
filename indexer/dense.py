"""Dense retrieval: FAISS inner product over unit-length embeddings (so, cosine).

Row i of the FAISS index is passage i of the index folder: FAISS ids are row numbers.
"""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

from indexer.lexical import check_mask

# Below this many vectors an exact scan is fast enough (50,000 x 384 floats is 77 MB,
# scanned in a few milliseconds) and never misses; above it HNSW trades a little recall
# for speed.
HNSW_THRESHOLD = 50_000
HNSW_M = 32  # links per node: good recall at 384 dimensions for modest memory
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128  # candidates examined per query; raised to k when k is larger
# A filtered HNSW search walks the graph looking for allowed nodes; when few are
# allowed it is quicker and exact to score that subset directly.
EXACT_SUBSET_MAX = 20_000


def build_dense_index(embeddings: np.ndarray, *, hnsw_threshold: int = HNSW_THRESHOLD) -> faiss.Index:
    """An index over the rows of `embeddings` (float32, L2-normalised).

    Fewer than `hnsw_threshold` (50,000) rows: exact IndexFlatIP. From the threshold up:
    IndexHNSWFlat with inner-product metric, M=32, efConstruction=80, efSearch=128.
    """
    vectors = np.ascontiguousarray(embeddings, dtype=np.float32)
    if vectors.ndim != 2:
        raise ValueError(f"embeddings must be a 2-D array, got shape {vectors.shape}")
    n, dim = vectors.shape
    if n < hnsw_threshold:
        index: faiss.Index = faiss.IndexFlatIP(dim)
    else:
        hnsw = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        hnsw.hnsw.efSearch = HNSW_EF_SEARCH  # saved in the file, so a loaded index keeps it
        index = hnsw
    if n:
        index.add(vectors)
    return index


def is_hnsw(index: faiss.Index) -> bool:
    return isinstance(index, faiss.IndexHNSW)


def _query(index: faiss.Index, query_vec: np.ndarray) -> np.ndarray:
    query = np.ascontiguousarray(query_vec, dtype=np.float32).reshape(1, -1)
    if query.shape[1] != index.d:
        raise ValueError(f"query vector has {query.shape[1]} dimensions, the index {index.d}")
    return query


def _valid(labels: np.ndarray, distances: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = labels[0] >= 0  # FAISS pads with -1 when it finds fewer than k
    return labels[0][keep].astype(np.int64), distances[0][keep].astype(np.float32)


def _exact_subset(index: faiss.Index, query: np.ndarray, allowed: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The exact k nearest allowed rows: a flat scan that skips rows outside the bitmap.

    HNSW keeps its vectors in a flat index (`storage`), so this reads them in place; copying
    the allowed rows out first (reconstruct_batch) took three times as long at 10,000 rows.
    """
    flat = faiss.downcast_index(index.storage) if is_hnsw(index) else index
    bits = np.packbits(allowed, bitorder="little")  # must outlive the search: FAISS keeps a pointer
    selector = faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bits))
    distances, labels = flat.search(query, k, params=faiss.SearchParameters(sel=selector))
    return _valid(labels, distances)


def search_dense(
    index: faiss.Index, query_vec: np.ndarray, k: int, mask: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(row ids, inner products) of the k nearest rows, best first.

    A mask (boolean over rows) is applied before the ranking is cut, so with at least
    k allowed rows there are always k results: the flat index searches with a FAISS
    bitmap selector (exact); HNSW scores a small allowed subset exactly, and searches a
    large one with the selector, falling back to the exact subset if the graph walk
    comes back short.
    """
    query = _query(index, query_vec)
    n = int(index.ntotal)
    checked = check_mask(mask, n)
    if k <= 0 or n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    ef = max(HNSW_EF_SEARCH, k)

    if checked is None:
        k_eff = min(k, n)
        if is_hnsw(index):
            distances, labels = index.search(query, k_eff, params=faiss.SearchParametersHNSW(efSearch=ef))
        else:
            distances, labels = index.search(query, k_eff)
        return _valid(labels, distances)

    allowed_ids = np.flatnonzero(checked)
    if allowed_ids.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    k_eff = min(k, int(allowed_ids.size))
    if not is_hnsw(index) or allowed_ids.size <= EXACT_SUBSET_MAX:
        return _exact_subset(index, query, checked, k_eff)

    bits = np.packbits(checked, bitorder="little")  # must outlive the search: FAISS keeps a pointer
    selector = faiss.IDSelectorBitmap(n, faiss.swig_ptr(bits))
    params = faiss.SearchParametersHNSW(sel=selector, efSearch=ef)
    distances, labels = index.search(query, k_eff, params=params)
    ids, scores = _valid(labels, distances)
    if ids.size < k_eff:
        return _exact_subset(index, query, checked, k_eff)
    return ids, scores


def save_dense(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def load_dense(path: Path) -> faiss.Index:
    return faiss.read_index(str(path))
