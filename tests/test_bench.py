"""The speed benchmark's synthetic corpus and report, small and with the fake embedder
(the benchmark itself, eval/bench.py, runs the real model and is never run by tests)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from eval import bench
from indexer.config import IndexConfig
from indexer.embed import FakeEmbedder
from indexer.store import load_index

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
LATENCY_FIELDS = {
    "n", "p50_ms", "p95_ms", "mean_ms", "max_ms", "p50_ms_excl_embedding", "p95_ms_excl_embedding",
    "p50_cpu_ms_excl_embedding", "p95_cpu_ms_excl_embedding", "query_embedding_p50_ms", "matched_median",
    "slowest_excl_embedding_ms",
}


def test_split_sentences_drops_fragments() -> None:
    text = "The CC reported on 101 calls. Agreed.\nThe PCC asked about knife crime in Kent! Item 4"
    assert bench.split_sentences(text) == [
        "The CC reported on 101 calls.", "The PCC asked about knife crime in Kent!",
    ]


def test_passage_vectors_are_normalised_means() -> None:
    sentences = np.eye(3, dtype=np.float32)
    vectors = bench.passage_vectors(sentences, [[0, 1], [2], [0, 1, 2]])
    np.testing.assert_allclose(vectors[0], [2**-0.5, 2**-0.5, 0], rtol=1e-6)
    np.testing.assert_allclose(vectors[1], [0, 0, 1])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, rtol=1e-6)


def test_synthetic_benchmark_reports_every_figure(tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    config = IndexConfig(model_name=embedder.name, embedding_dim=64, model_package="")
    args = bench.parse_args([
        "--passages", "2000", "--queries", "8", "--rate-sample", "8",
        "--sentence-cache", str(tmp_path / "cache" / "sentences.npy"), "--work", str(tmp_path),
    ])
    results = {
        phase: bench.run_phase(phase, args, tmp_path, embedder=embedder, config=config, queries=bench.QUERIES[::5])
        for phase in ("synthetic-build", "synthetic-query")
    }
    report = bench.assemble(results, "python -m eval.bench --passages 2000")
    json.dumps(report)  # all plain data

    build = report["synthetic"]["build"]
    assert build["passages"] == report["synthetic"]["passages"] == 2000
    assert set(build["index_seconds"]) == {"bm25_tokenise", "bm25_index", "faiss", "writing", "total"}
    assert build["embedding_seconds_extrapolated"] > 0 and build["index_share_of_embedding"] > 0
    assert "not passage embeddings" in build["vectors"]
    assert build["peak_rss_mib"] > 0 and len(build["load_average"]) == 2

    latency = report["synthetic"]["query"]["latency"]
    assert set(latency) == set(bench.SYNTHETIC_MODES)
    for record in latency.values():
        assert set(record) == LATENCY_FIELDS and record["n"] == 8
    assert latency["hybrid, speaker CC since 2019"]["matched_median"] < 2000  # the filter applied

    assert set(report["targets"]) == {"hybrid_p95_ms", "index_share_of_embedding"}
    for line in ("extrapolated", "normalised mean", "hybrid, speaker CC since 2019", "| target |"):
        assert line in report["markdown"]

    # The synthetic index is a real one: passages with varied dates, bodies, kinds and speakers.
    index = load_index(tmp_path / "synthetic-index", embedder_fingerprint=embedder.fingerprint)
    years = {p.meeting_date.year for p in index.passages if p.meeting_date}
    assert min(years) <= 2016 and max(years) >= 2025
    assert len({p.body for p in index.passages}) == len(bench.BODIES)
    assert {s.role for p in index.passages for s in p.speakers} == {"CC", "PCC", "DCC", "DCO", "CE", "Chair", "Member"}
    # Each distinct sentence was embedded once, and cached.
    keys = np.load(tmp_path / "cache" / "sentences-keys.npy", allow_pickle=False)
    assert len(keys) == len(set(keys.tolist())) == build["sentences"] == build["sentences_embedded_now"]


def test_backends_phase_compares_both_backends_on_the_synthetic_corpus(tmp_path: Path) -> None:
    import pytest

    pytest.importorskip("qdrant_client")
    embedder = FakeEmbedder()
    config = IndexConfig(model_name=embedder.name, embedding_dim=64, model_package="")
    args = bench.parse_args([
        "--passages", "600", "--queries", "4", "--rate-sample", "4", "--backend-passages", "300",
        "--sentence-cache", str(tmp_path / "cache" / "sentences.npy"), "--work", str(tmp_path),
    ])
    results = {
        phase: bench.run_phase(phase, args, tmp_path, embedder=embedder, config=config, queries=bench.QUERIES[::5])
        for phase in ("synthetic-build", "backends")
    }
    report = bench.assemble(results, "python -m eval.bench --passages 600 --backend-passages 300")
    json.dumps(report)
    figures = report["backends"]["synthetic"]
    assert figures["passages"] == figures["embedded"]["count"] == figures["qdrant"]["count"] == 300
    assert 0.9 <= figures["top10_overlap"] <= 1.0
    for name in ("embedded", "qdrant"):
        assert figures[name]["add_seconds"] > 0 and figures[name]["hybrid"]["p95_ms"] > 0
    assert "| synthetic | 300 | qdrant |" in report["markdown"]


def test_embedders_and_cold_start_are_reported_side_by_side(tmp_path: Path) -> None:
    questions = Path(__file__).resolve().parent.parent / "eval" / "questions.jsonl"
    compared = bench.compare_embedders(CORPUS, tmp_path, [questions], kinds=("fake",))
    record = compared["embedders"]["fake"]
    assert record["passages"] > 250 and record["passages_per_s"] > 0 and record["speed_vs_torch"] is None
    assert set(record["ndcg@10"]["questions.jsonl"]) == {"bm25", "dense", "hybrid"}
    assert 0 < record["ndcg@10"]["questions.jsonl"]["bm25"] <= 1
    # The fake index names its embedder, so fresh processes query it without being told.
    cold = bench.cold_start(tmp_path, kinds=("fake",), runs=1)
    assert set(cold["commands"]) == {"search"} and cold["commands"]["search"]["fake"]["median_s"] > 0

    report = bench.assemble({"embedders": compared, "cold-start": cold}, "python -m eval.bench")
    json.dumps(report)
    assert "**Cold start**" in report["markdown"] and "**Embedders**" in report["markdown"]
    assert "| `search` | " in report["markdown"] and "| fake | " in report["markdown"]
