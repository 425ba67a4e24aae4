"""FAISS: index type by size, filters applied before the cut, save and load."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from indexer import dense
from indexer.dense import build_dense_index, is_hnsw, load_dense, save_dense, search_dense


def unit_rows(n: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return rows


def brute_force(vectors: np.ndarray, query: np.ndarray, k: int, mask: np.ndarray) -> list[int]:
    scores = vectors @ query
    allowed = np.flatnonzero(mask)
    return list(allowed[np.argsort(-scores[allowed], kind="stable")][:k])


def test_flat_below_threshold_hnsw_from_it() -> None:
    vectors = unit_rows(300)
    flat = build_dense_index(vectors, hnsw_threshold=301)
    assert isinstance(flat, faiss.IndexFlatIP) and not is_hnsw(flat)
    hnsw = build_dense_index(vectors, hnsw_threshold=300)
    assert isinstance(hnsw, faiss.IndexHNSWFlat) and is_hnsw(hnsw)
    assert hnsw.metric_type == faiss.METRIC_INNER_PRODUCT
    assert hnsw.hnsw.efSearch == 128
    assert faiss.vector_to_array(hnsw.hnsw.cum_nneighbor_per_level)[1] == 2 * 32  # M=32
    assert dense.HNSW_THRESHOLD == 50_000
    assert build_dense_index(np.zeros((0, 8), np.float32)).ntotal == 0


@pytest.mark.parametrize("threshold", [10**9, 1])
def test_nearest_is_itself(threshold: int) -> None:
    vectors = unit_rows(500)
    index = build_dense_index(vectors, hnsw_threshold=threshold)
    ids, scores = search_dense(index, vectors[42], 5)
    assert ids[0] == 42 and scores[0] == pytest.approx(1.0, abs=1e-5)
    assert len(ids) == 5 and list(scores) == sorted(scores, reverse=True)
    assert ids.dtype == np.int64 and scores.dtype == np.float32
    assert len(search_dense(index, vectors[0], 900)[0]) == 500


@pytest.mark.parametrize("threshold,exact_max", [(10**9, 20_000), (1, 20_000), (1, 0)])
def test_filter_applies_before_the_cut(threshold: int, exact_max: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Flat (selector), HNSW on a small allowed subset (exact), HNSW with the selector."""
    monkeypatch.setattr(dense, "EXACT_SUBSET_MAX", exact_max)
    vectors = unit_rows(2000)
    index = build_dense_index(vectors, hnsw_threshold=threshold)
    query = vectors[7]
    for step in (2, 7, 50):
        mask = np.zeros(2000, dtype=bool)
        mask[3::step] = True
        ids, scores = search_dense(index, query, 10, mask=mask)
        assert len(ids) == 10, step
        assert mask[ids].all()
        expected = brute_force(vectors, query, 10, mask)
        # Exact paths match brute force; HNSW may swap in a near-equal neighbour.
        overlap = len(set(ids) & set(expected))
        assert overlap == 10 if not (is_hnsw(index) and exact_max == 0) else overlap >= 8
        np.testing.assert_allclose(scores, vectors[ids] @ query, rtol=1e-5, atol=1e-5)


def test_filter_smaller_than_k_returns_all_allowed() -> None:
    vectors = unit_rows(200)
    for threshold in (10**9, 1):
        index = build_dense_index(vectors, hnsw_threshold=threshold)
        mask = np.zeros(200, dtype=bool)
        mask[[5, 17, 199]] = True
        ids, _ = search_dense(index, vectors[0], 10, mask=mask)
        assert sorted(ids) == [5, 17, 199]
        assert search_dense(index, vectors[0], 10, mask=np.zeros(200, dtype=bool))[0].size == 0


def test_bad_queries_and_masks() -> None:
    index = build_dense_index(unit_rows(20))
    with pytest.raises(ValueError, match="dimensions"):
        search_dense(index, np.ones(5, np.float32), 3)
    with pytest.raises(ValueError, match="boolean array"):
        search_dense(index, unit_rows(1)[0], 3, mask=np.ones(19, dtype=bool))
    assert search_dense(index, unit_rows(1)[0], 0)[0].size == 0


@pytest.mark.parametrize("threshold", [10**9, 1])
def test_save_and_load(tmp_path: Path, threshold: int) -> None:
    vectors = unit_rows(300)
    index = build_dense_index(vectors, hnsw_threshold=threshold)
    save_dense(index, tmp_path / "dense.faiss")
    loaded = load_dense(tmp_path / "dense.faiss")
    assert type(loaded) is type(index) and loaded.ntotal == 300
    for query in vectors[:5]:
        np.testing.assert_array_equal(search_dense(loaded, query, 5)[0], search_dense(index, query, 5)[0])
