"""The packaged models on onnxruntime: no torch, no sentence-transformers.

A fresh process loads the int8 model and embeds a query in about half a second, where
importing torch and sentence-transformers alone took ten. The files are exported once
from the packaged weights by indexer.onnx_export into

    $SCRUTINY_MODELS, else <project root>/data/models, / <model name>-<sha256[:12] of the weights>/
        model-fp32.onnx   the fused graph, equal to torch
        model-int8.onnx   the same, its matrix products in int8 (the default; see onnx_export)
        tokenizer.json    the packaged tokenizer
        export.json       sha256 of each file, the source weights and package versions

The vectors are what sentence-transformers computes: tokens truncated to the model's length,
the encoder's last hidden state mean-pooled over the attention mask, L2-normalised.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from indexer.config import default_cache_path, models_root
from indexer.embed import EmbeddingModel, RunsModel, memoised_sha256, model_choice, model_source
from indexer.errors import ScrutinyError

MODEL_FILES = {"onnx-int8": "model-int8.onnx", "onnx-fp32": "model-fp32.onnx"}
TOKENIZER_FILE = "tokenizer.json"
META_FILE = "export.json"


def input_names(model: EmbeddingModel) -> tuple[str, ...]:
    return ("input_ids", "attention_mask", "token_type_ids") if model.token_type_ids else ("input_ids", "attention_mask")

# Texts per onnxruntime call. One was the fastest measured on two cores (eval/bench.py
# sweeps 1-64): no padding at all, and onnxruntime's per-call cost is small. It also makes
# a text's int8 vector independent of its neighbours, as activations are scaled per call.
BUILD_BATCH = 1


def _memo_path() -> Path:
    return default_cache_path().parent / "model-fingerprints.json"


def source_weights_sha256(model: EmbeddingModel) -> str:
    return memoised_sha256(model_source(model) / "model.safetensors", _memo_path())


def model_dir(model: EmbeddingModel) -> Path:
    """Where the ONNX files of the installed weights live (named by their sha256)."""
    return models_root() / f"{model.name}-{source_weights_sha256(model)[:12]}"


def read_meta(folder: Path) -> dict[str, Any] | None:
    """export.json of a complete export, or None when there is none to use."""
    try:
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    files = meta.get("files") if isinstance(meta, dict) else None
    if not isinstance(files, dict) or not all((folder / name).is_file() for name in files):
        return None
    return meta


def ensure_exported(model: EmbeddingModel) -> Path:
    """The model folder, exporting it first if this installation has none."""
    folder = model_dir(model)
    if read_meta(folder) is None:
        from indexer.onnx_export import export

        export(model)
    return folder


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of the token vectors the attention mask keeps, L2-normalised, float32."""
    weights = mask.astype(np.float32)[:, :, None]
    summed = (hidden * weights).sum(axis=1)
    counts = np.clip(weights.sum(axis=1), 1e-9, None)
    pooled = summed / counts
    norms = np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
    return np.ascontiguousarray(pooled / norms, dtype=np.float32)


def length_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Row numbers grouped into batches of similar length, longest first, so that
    padding (computed for nothing) stays small."""
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


class OnnxEmbedder(RunsModel):
    """A packaged model exported to ONNX, fp32 or int8; the session is opened on first use."""

    def __init__(self, kind: str = "onnx-int8", *, model: EmbeddingModel | None = None, threads: int | None = None,
                 batch_size: int = BUILD_BATCH) -> None:
        if kind not in MODEL_FILES:
            raise ScrutinyError(f"Unknown ONNX embedder {kind!r}: choose one of {', '.join(MODEL_FILES)}")
        self.kind = kind
        self.model = model or model_choice()
        self._threads = threads
        self._batch_size = batch_size
        self._folder: Path | None = None
        self._fingerprint: str | None = None
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    @property
    def folder(self) -> Path:
        if self._folder is None:
            self._folder = ensure_exported(self.model)
        return self._folder

    @property
    def file(self) -> Path:
        return self.folder / MODEL_FILES[self.kind]

    @property
    def fingerprint(self) -> str:
        """sha256 of the ONNX file, checked against the one recorded at export."""
        if self._fingerprint is None:
            digest = memoised_sha256(self.file, _memo_path())
            recorded = (read_meta(self.folder) or {}).get("files", {}).get(self.file.name)
            if digest != recorded:
                raise ScrutinyError(
                    f"The model file {self.file} does not match the sha256 recorded at export: "
                    f"delete {self.folder} and run `python -m indexer.onnx_export --model {self.model.key}`"
                )
            self._fingerprint = digest
        return self._fingerprint

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._session is None:
                import onnxruntime as ort
                from tokenizers import Tokenizer

                options = ort.SessionOptions()
                options.intra_op_num_threads = self._threads or min(2, os.cpu_count() or 1)
                options.inter_op_num_threads = 1
                # Spinning threads steal the core other work is waiting for on a busy machine.
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                options.log_severity_level = 3
                self.fingerprint  # verify the file before running it
                session = ort.InferenceSession(str(self.file), options, providers=["CPUExecutionProvider"])
                tokenizer = Tokenizer.from_file(str(self.folder / TOKENIZER_FILE))
                tokenizer.enable_truncation(max_length=self.model.max_tokens)
                tokenizer.no_padding()
                self._tokenizer = tokenizer
                self._session = session
            return self._session, self._tokenizer

    def _run(self, session: Any, encodings: Sequence[Any]) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            n = len(encoding.ids)
            ids[row, :n] = encoding.ids
            mask[row, :n] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if self.model.token_type_ids:
            feeds["token_type_ids"] = np.zeros_like(ids)
        (hidden,) = session.run(["last_hidden_state"], feeds)
        return mean_pool(hidden, mask)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        session, tokenizer = self._load()
        encodings = tokenizer.encode_batch(list(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for rows in length_batches([len(e.ids) for e in encodings], self._batch_size):
            out[rows] = self._run(session, [encodings[i] for i in rows])
        return out
