"""Shared fixtures: the seed corpus, and indexes built from it once per test session —
with the fake embedder for most tests, with the real packaged model for the few
end-to-end tests that judge answers."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


@pytest.fixture(autouse=True)
def _no_model_and_no_project_data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Commands run in tests use the fake embedder, and their own index and cache folders."""
    monkeypatch.setenv("SCRUTINY_EMBEDDER", "fake")
    monkeypatch.setenv("SCRUTINY_CACHE", str(tmp_path / "cache" / "embeddings.sqlite"))
    monkeypatch.setenv("SCRUTINY_INDEX", str(tmp_path / "index"))
    for name in ("SCRUTINY_LLM_URL", "SCRUTINY_LLM_MODEL", "SCRUTINY_LLM_KEY", "SCRUTINY_BACKEND", "SCRUTINY_QDRANT_URL"):
        monkeypatch.delenv(name, raising=False)


def _build(index_dir: Path, cache_path: Path, embedder: object, corpus: Path = CORPUS) -> Path:
    from indexer.build import build_index
    from indexer.embed import EmbeddingCache, config_for
    from indexer.manifest import read_manifest
    from indexer.parse import parse_file
    from indexer.resolve import resolve_corpus

    cache_path.parent.mkdir(parents=True, exist_ok=True)
    with EmbeddingCache(cache_path) as cache:
        build_index(
            [corpus], index_dir, embedder=embedder, cache=cache, parse=parse_file,  # type: ignore[arg-type]
            manifest_rows=read_manifest(corpus / "manifest.csv") if (corpus / "manifest.csv").exists() else None,
            config=config_for(embedder),  # type: ignore[arg-type]
            progress=False, finalise=resolve_corpus,
        )
    return index_dir


@pytest.fixture(scope="session")
def fake_searcher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The seed corpus indexed with the fake embedder: fast, for behaviour that does not
    depend on the quality of the embeddings."""
    from indexer.embed import FakeEmbedder
    from search.engine import open_searcher

    base = tmp_path_factory.mktemp("fake-index")
    embedder = FakeEmbedder()
    index_dir = _build(base / "index", base / "cache.sqlite", embedder)
    yield open_searcher(index_dir, embedder)


@pytest.fixture(scope="session")
def real_searcher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The seed corpus indexed with the real packaged model, run as `scrutiny index` runs
    it by default (ONNX, int8; exported into data/models on first use), once per session.

    Embeddings are cached in the project's data/cache (as `scrutiny index` does), so a
    second run of the suite does not embed again.
    """
    from indexer.config import PROJECT_ROOT
    from indexer.embed import DEFAULT_EMBEDDER, make_embedder
    from search.engine import open_searcher

    base = tmp_path_factory.mktemp("real-index")
    embedder = make_embedder(DEFAULT_EMBEDDER)
    index_dir = _build(base / "index", PROJECT_ROOT / "data" / "cache" / "embeddings.sqlite", embedder)
    yield open_searcher(index_dir, embedder)


@dataclass(frozen=True)
class Seed:
    corpus: Path
    index: Path
    report: str  # what `scrutiny index` printed


def fake_env(mp: pytest.MonkeyPatch, cache_dir: Path) -> None:
    mp.setenv("SCRUTINY_EMBEDDER", "fake")
    mp.setenv("SCRUTINY_CACHE", str(cache_dir / "embeddings.sqlite"))
    mp.delenv("SCRUTINY_INDEX", raising=False)


@pytest.fixture(scope="session")
def cli_seed(tmp_path_factory: pytest.TempPathFactory) -> Seed:
    """A copy of the seed corpus indexed once through `scrutiny index` with the fake
    embedder; tests that change anything copy it first."""
    from click.testing import CliRunner

    from ui.cli import main

    root = tmp_path_factory.mktemp("seed")
    corpus = root / "corpus"
    shutil.copytree(CORPUS, corpus)
    index = root / "index"
    with pytest.MonkeyPatch.context() as mp:
        fake_env(mp, root / "cache")
        result = CliRunner().invoke(main, ["index", str(corpus), "--index", str(index), "--quiet"])
    assert result.exit_code == 0, result.output
    return Seed(corpus, index, result.stdout)
